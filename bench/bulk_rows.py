"""Rows written in bulk on PostgreSQL (lms.db_engine's insert_rows and update_rows): the CPU one call costs the app
(the driver and SQLAlchemy, this process) and PostgreSQL's server, for the rows of a weekly exam's start (15) and of
the final's (75), and their grades (the submit's update).

The rows are an attempt's questions as a start writes them, into a table of the same columns and types (created and
dropped here, no keys); each call's transaction is committed every 100 calls. ``--against DIR`` measures another
checkout's lms/db_engine.py in the same run, taking turns, so that two versions are compared in the same minutes of a
machine whose pace swings:

    .venv/bin/python bench/bulk_rows.py --database postgresql://postgres@127.0.0.1:5432/lms_bulk \
        --against ../old-checkout
"""
import argparse
import importlib.util
import random
import statistics
import sys
from pathlib import Path

# This checkout's lms (as request_cpu.py), and the sibling benchmarks.
sys.path[:0] = [str(Path(__file__).resolve().parent.parent), str(Path(__file__).resolve().parent)]
from request_cpu import cpu_per_call
from sqlalchemy import Boolean, Column, Float, Integer, MetaData, String, Table, create_engine, delete

from lms import db_engine
from lms.models.types import JSONText, UTCDateTime

SCRATCH = Table("bench_bulk_rows", MetaData(), Column("id", Integer, primary_key=True), Column("attempt_id", Integer),
                Column("position", Integer), Column("question_id", Integer), Column("question_version_id", Integer),
                Column("qtype", String(20)), Column("cell", String(40)), Column("shown", JSONText()),
                Column("response", JSONText()), Column("answered_at", UTCDateTime()), Column("is_flagged", Boolean),
                Column("points", Float), Column("max_points", Float), Column("is_correct", Boolean))


def start_rows(count: int) -> list[dict]:
    """An attempt's questions as lms.exams.attempts.start_attempt inserts them (the shown order of four choices)."""
    return [{"attempt_id": 7, "position": n, "question_id": 100 + n, "question_version_id": 200 + n, "qtype": "single",
             "cell": f"cell {n % 3}", "shown": random.sample(range(4), 4), "response": None, "answered_at": None,
             "is_flagged": False, "points": None, "max_points": 1.0, "is_correct": None} for n in range(count)]


def grade_rows(count: int) -> list[dict]:
    """Their grades as lms.exams.grading.store_grade updates them."""
    return [{"id": n + 1, "points": float(n % 2), "max_points": 1.0, "is_correct": bool(n % 2)} for n in range(count)]


def load(path: str):
    """``path``'s lms/db_engine.py as a module of its own."""
    spec = importlib.util.spec_from_file_location("other_db_engine", Path(path) / "lms" / "db_engine.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def measure(connection, write, calls: int) -> tuple[float, float]:
    """(app, server) CPU microseconds per call of ``write()``, its transaction committed every 100 calls."""
    for _ in range(5):
        write()
    connection.commit()

    def one(n: int) -> None:
        write()
        if n % 100 == 99:
            connection.commit()

    figures = cpu_per_call(one, calls)
    connection.commit()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", required=True, help="a PostgreSQL URL (a scratch table is created in it)")
    parser.add_argument("--against", help="another checkout, whose lms/db_engine.py is measured in turn")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    versions = {"this checkout": db_engine}
    if args.against:
        versions[f"--against {args.against}"] = load(args.against)
    engine = create_engine(args.database.replace("postgresql://", "postgresql+psycopg://", 1))
    SCRATCH.metadata.drop_all(engine)
    SCRATCH.metadata.create_all(engine)
    results: dict[tuple, list] = {}
    try:
        with engine.connect() as connection:
            for count, calls in ((15, 2000), (75, 500)):
                starts, grades = start_rows(count), grade_rows(count)
                db_engine.insert_rows(connection, SCRATCH, starts)
                connection.commit()
                for _ in range(args.rounds):
                    for name, module in versions.items():
                        results.setdefault((count, "insert", name), []).append(measure(
                            connection, lambda m=module: m.insert_rows(connection, SCRATCH, starts), calls))
                        results.setdefault((count, "update", name), []).append(measure(
                            connection, lambda m=module: m.update_rows(connection, SCRATCH, "id", grades), calls))
                connection.execute(delete(SCRATCH))
                connection.commit()
    finally:
        SCRATCH.metadata.drop_all(engine)
    print("| rows | statement | lms/db_engine.py of | app µs per call (median; rounds) | server µs (median) |")
    print("|---:|---|---|---:|---:|")
    for (count, what, name), figures in results.items():
        apps = [round(a) for a, _ in figures]
        print(f"| {count} | {what} | {name} | {statistics.median(apps)} ({', '.join(map(str, apps))}) | "
              f"{round(statistics.median(s for _, s in figures))} |")


if __name__ == "__main__":
    main()
