"""The end of a transaction that only read, on PostgreSQL (lms.db_engine.keep_prepared_statements): the CPU it costs
the app (this process) and PostgreSQL's server, when the transaction is known to have sent SELECTs alone and is
committed at once, against when the server is asked first whether it wrote (what every such transaction did before,
and what one that sent anything else still does).

Each transaction is an ORM session that reads one row and closes, as a request that only reads (an attempt's page,
a result page) ends: two engines on the same database, both with the app's ``keep_prepared_statements``; on the
second, each connection's cursor is psycopg's own, so no transaction is known to have only read. Rounds take turns:

    .venv/bin/python bench/read_end.py --database postgresql://postgres@127.0.0.1:5432/lms_bulk
"""
import argparse
import statistics
import sys
from pathlib import Path

# This checkout's lms (as request_cpu.py), and the sibling benchmarks.
sys.path[:0] = [str(Path(__file__).resolve().parent.parent), str(Path(__file__).resolve().parent)]
import psycopg
from request_cpu import cpu_per_call
from sqlalchemy import Integer, bindparam, create_engine, event, select
from sqlalchemy.orm import Session

from lms import db_engine

READ = select(bindparam("number", type_=Integer) + 1)


def engine_for(url: str, *, asks: bool):
    engine = create_engine(url, pool_size=1, max_overflow=0)
    db_engine.keep_prepared_statements(engine)
    if asks:  # psycopg's own cursor: nothing noted, so the end of every transaction asks the server
        event.listen(engine, "connect", lambda dbapi_connection, record: setattr(
            dbapi_connection, "cursor_factory", psycopg.Cursor))
    return engine


def measure(engine, transactions: int) -> tuple[float, float]:
    """(app, server) CPU microseconds per transaction."""
    def one(number: int) -> None:
        with Session(engine) as session:
            session.execute(READ, {"number": number})

    return cpu_per_call(one, transactions, warm_up=20)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", required=True, help="a PostgreSQL URL (nothing is written to it)")
    parser.add_argument("--transactions", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    url = args.database.replace("postgresql://", "postgresql+psycopg://", 1)
    engines = {"SELECTs alone: committed at once": engine_for(url, asks=False),
               "the server asked first": engine_for(url, asks=True)}
    figures: dict[str, list] = {name: [] for name in engines}
    for _ in range(args.rounds):
        for name, engine in engines.items():
            figures[name].append(measure(engine, args.transactions))
    print("| a transaction that read one row, ended by | app µs (median; rounds) | server µs (median) |")
    print("|---|---:|---:|")
    for name, runs in figures.items():
        apps = [round(a) for a, _ in runs]
        print(f"| {name} | {statistics.median(apps)} ({', '.join(map(str, apps))}) | "
              f"{round(statistics.median(s for _, s in runs))} |")


if __name__ == "__main__":
    main()
