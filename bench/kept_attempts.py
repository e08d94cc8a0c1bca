"""What a process's keeping an attempt's rows costs (the autosave's one round trip on PostgreSQL).

The autosave's short way keeps, per process, an open attempt's rows from its last save, read as one row whose
questions' columns are arrays (lms.exams.pages._ATTEMPT_KEPT_READ), and checks the attempt's next save against them
(lms.exams.pages._save_as_known). This measures, for one examinee's attempt at ``--exam`` (by default the officers'
final, 75 questions), the app's CPU (``time.thread_time``) to read and keep it that way, against the same rows read
one by one and against the single question's row each save read before; the memory one kept attempt holds
(tracemalloc); and the cost of making one question's row from what is kept.

    .venv/bin/python bench/kept_attempts.py --database postgresql://postgres@127.0.0.1:5432/lms_kept

The database named is dropped and created. Figures: bench/README.md, "The autosave in one round trip".
"""
import argparse
import re
import sys
import time
import tracemalloc
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parent.parent), str(Path(__file__).resolve().parent)]

from request_cpu import log_in, prepared_app  # noqa: E402  (after the path above)


def app_cpu(call, rounds: int) -> float:
    """``call()`` ``rounds`` times after a warm-up: this thread's CPU per call, in microseconds."""
    for _ in range(50):
        call()
    begin = time.thread_time()
    for _ in range(rounds):
        call()
    return 1e6 * (time.thread_time() - begin) / rounds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", required=True, help="a PostgreSQL URL (dropped and created)")
    parser.add_argument("--exam", default="officer-final-exam")
    parser.add_argument("--rounds", type=int, default=500)
    args = parser.parse_args()
    if not args.database.startswith("postgresql"):
        parser.error("attempts are kept on PostgreSQL only")

    from sqlalchemy import select

    from lms.db_engine import driver_connection, driver_statement
    from lms.exams import pages
    from lms.extensions import db
    from lms.models import SESSION_USER_COLUMNS, Attempt, User

    app, _url = prepared_app(args.database, 1, args.exam)
    client, csrf = log_in(app, 0, args.exam)
    started = client.post(f"/exams/{args.exam}/start", data={"csrf_token": csrf})
    attempt_id = int(re.search(r"/(\d+)", started.headers["Location"]).group(1))
    with app.app_context():
        user_id = db.session.scalar(select(Attempt.user_id).where(Attempt.id == attempt_id))
        dialect = db.engine.dialect
        which = {"attempt_id": attempt_id, "user_id": user_id}
        kept_read = driver_statement(pages._ATTEMPT_KEPT_READ, dialect)
        rows_read = driver_statement(
            pages._QUESTIONS_READ.add_columns(*SESSION_USER_COLUMNS).join(User, User.id == Attempt.user_id), dialect)
        question_read = driver_statement(pages._QUESTION_READ, dialect)
        with driver_connection(db.engine) as conn:
            def kept():
                return pages._KnownAttempt(kept_read.execute(conn, which).one(), 0.0)

            known = kept()
            questions = len(rows_read.execute(conn, which).all())
            position = min(known._place)
            tracemalloc.start()
            many = [kept() for _ in range(200)]
            per_attempt = tracemalloc.get_traced_memory()[0] / len(many)
            tracemalloc.stop()
            print(f"One attempt at {args.exam} ({questions} questions), the app's CPU per call:")
            print("| way | app us |")
            print("|---|---:|")
            for label, call in (
                    ("the attempt's rows read one by one", lambda: rows_read.execute(conn, which).all()),
                    ("the attempt read as one row of arrays, and kept", kept),
                    ("one question's row (each save before)", lambda: question_read.execute(
                        conn, {**which, "position": position}).one()),
                    ("one question's row made from the kept attempt", lambda: known.row(position))):
                print(f"| {label} | {app_cpu(call, args.rounds):.0f} |", flush=True)
            print(f"memory one kept attempt holds: {per_attempt / 1000:.1f} kB")


if __name__ == "__main__":
    main()
