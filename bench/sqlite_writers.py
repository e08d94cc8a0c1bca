"""SQLite's writers in a wave: the writers' queue (lms.db_engine.WriterQueue) against SQLite's busy timeout.

P processes x T threads (gunicorn's workers and threads) each make W short write transactions on one
database file (BEGIN IMMEDIATE, a little work holding the lock, an insert, COMMIT: an exam start's write
phase), through the app's own engine settings, once with each connection taking its turn in the queue and
once with SQLite's own busy timeout alone. Reported: writes per second, and the spread of each write's wait.

    .venv/bin/python bench/sqlite_writers.py --processes 4 --threads 4 --writes 100 --hold-ms 2
"""
import argparse
import multiprocessing
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def _busy(ms: float) -> None:
    end = time.process_time() + ms / 1000
    while time.process_time() < end:
        pass


def _writer_process(path: str, queued: bool, threads: int, writes: int, hold_ms: float, start, results) -> None:
    from sqlalchemy import create_engine

    from lms import db_engine

    options = db_engine.sqlite_engine_options("sqlite:///" + path, {}) if queued else {}
    engine = create_engine("sqlite:///" + path, pool_size=threads, **options)
    waits = []

    def work():
        for _ in range(writes):
            begin = time.perf_counter()
            with engine.begin() as conn:  # IMMEDIATE: no request context, so the policy's default
                waits.append(time.perf_counter() - begin)
                _busy(hold_ms)
                conn.exec_driver_sql("INSERT INTO item (value) VALUES ('x')")

    start.wait()
    pool = [threading.Thread(target=work) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    engine.dispose()
    results.put(waits)


def run(queued: bool, args) -> dict:
    import sqlite3

    folder = Path(tempfile.mkdtemp(prefix="lms-writers-"))
    path = str(folder / "writers.db")
    setup = sqlite3.connect(path)
    setup.execute("PRAGMA journal_mode=WAL")
    setup.execute("CREATE TABLE item (id INTEGER PRIMARY KEY, value TEXT)")
    setup.commit()
    setup.close()
    context = multiprocessing.get_context("fork")
    start, results = context.Event(), context.Queue()
    processes = [context.Process(target=_writer_process, args=(path, queued, args.threads, args.writes,
                                                               args.hold_ms, start, results))
                 for _ in range(args.processes)]
    for process in processes:
        process.start()
    time.sleep(1)  # (the processes import the app and open their engines)
    begin = time.perf_counter()
    start.set()
    waits = []
    for _ in processes:
        waits.extend(results.get(timeout=600))
    elapsed = time.perf_counter() - begin
    for process in processes:
        process.join()
    count = sqlite3.connect(path).execute("SELECT count(*) FROM item").fetchone()[0]
    waits.sort()
    return {"writes": count, "seconds": round(elapsed, 2), "writes/s": round(count / elapsed),
            "wait p50 ms": round(1000 * statistics.median(waits), 1),
            "wait p95 ms": round(1000 * waits[int(0.95 * (len(waits) - 1))], 1),
            "wait max ms": round(1000 * waits[-1], 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--writes", type=int, default=100, help="per thread")
    parser.add_argument("--hold-ms", type=float, default=2.0, help="CPU spent holding the lock, per write")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    print(f"{args.processes} processes x {args.threads} threads x {args.writes} writes, {args.hold_ms} ms held each")
    print("| writers | writes | s | writes/s | wait p50 ms | wait p95 ms | wait max ms |\n"
          "|---|---:|---:|---:|---:|---:|---:|")
    for _ in range(args.rounds):
        for queued in (False, True):
            row = run(queued, args)
            name = "queue (WriterQueue)" if queued else "busy timeout only"
            print(f"| {name} | " + " | ".join(str(v) for v in row.values()) + " |", flush=True)


if __name__ == "__main__":
    main()
