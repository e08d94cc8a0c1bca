"""The floor under an autosave's cost on PostgreSQL: its statements alone, on a bare psycopg connection.

exam_wave.py's closed loops compare an autosave's throughput with a bare ``/healthz``'s on the same server (the
target: at least half). Where the database shares the machine's cores, an autosave costs at least what a bare
request costs plus what its statements cost the driver and the database server. This runs the autosave's own
statements (lms.exams.pages: the read with its share lock on the attempt, the answer's update, the answer log's
row, then the commit), compiled by the app's own SQLAlchemy dialect, on one psycopg connection with nothing around
them, and reports the CPU they cost this process (the driver: ``time.thread_time``) and PostgreSQL's server (all
its processes, read from /proc as exam_wave.py reads them: ``wave_servers.CpuMeter``) per autosave; then the same
saves through the app's service (``lms.exams.pages.save_answer`` on a Core connection of its own, as the autosave's
short way runs it, lms/views/autosave_path.py), for comparison; and, third, the same save in two round trips
instead of five (BEGIN, the read, the update, the log, COMMIT): the read alone, then the update and the log in one
statement (a data-modifying WITH that takes the attempt's share lock and checks it is still open), each committed by
itself: how the autosave's short way saved on PostgreSQL until its process kept the attempt's rows, its statements
alone here; fourth, that write alone, checking in the same statement the attempt, its user and the question's flag as
read earlier (one round trip: the short way's save once its process keeps the attempt's rows); and fifth, the app's own
service for that way (lms.exams.pages.save_answer_unlocked: the rules, and the one statement sent by the driver,
lms.db_engine.DriverStatement).

    .venv/bin/python bench/autosave_floor.py --database postgresql://postgres@127.0.0.1:5432/lms_floor

The database named is dropped and created. bench/README.md ("The autosave's floor") turns the figures into the
highest ratio any autosave could reach on the machine.
"""
import argparse
import re
import sys
import time
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parent.parent), str(Path(__file__).resolve().parent)]

from exam_bench import EXAM, QUESTION, answer_fields  # noqa: E402  (after the path above)
from request_cpu import POSTGRES, log_in, prepared_app  # noqa: E402
from wave_servers import spent  # noqa: E402


def measured(label: str, save, rounds: int) -> dict:
    """Run ``save(flip)`` ``rounds`` times after a warm-up: the driver's and the server's CPU and the wall time, in
    microseconds per save."""
    for flip in range(200):
        save(flip)
    driver, server, wall = time.thread_time(), POSTGRES(), time.perf_counter()
    for flip in range(rounds):
        save(flip)
    row = {"way": label, "driver us": 1e6 * (time.thread_time() - driver) / rounds,
           "server us": 1e6 * spent(server, POSTGRES())["database"] / rounds,
           "wall us": 1e6 * (time.perf_counter() - wall) / rounds}
    print(f"| {row['way']} | {row['driver us']:.0f} | {row['server us']:.0f} | {row['wall us']:.0f} |", flush=True)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", required=True, help="a PostgreSQL URL (dropped and created)")
    parser.add_argument("--rounds", type=int, default=3000, help="saves measured in each way")
    parser.add_argument("--pairs", type=int, default=2, help="times each way is measured, taking turns")
    args = parser.parse_args()
    if not args.database.startswith("postgresql"):
        parser.error("the floor is measured on PostgreSQL (its server's CPU is read from /proc)")

    import psycopg
    from sqlalchemy import select
    from werkzeug.datastructures import MultiDict

    from lms.clock import utcnow
    from lms.db_engine import driver_statement
    from lms.exams import pages
    from lms.extensions import db
    from lms.models import SESSION_USER_COLUMNS, Attempt, AttemptQuestion

    app, url = prepared_app(args.database, 1)
    client, csrf = log_in(app, 0)
    started = client.post(f"/exams/{EXAM}/start", data={"csrf_token": csrf})
    attempt_path = started.headers["Location"].split("?")[0]
    attempt_id = int(re.search(r"/(\d+)", attempt_path).group(1))
    position, kind = next((int(p), k) for p, k in QUESTION.findall(client.get(f"{attempt_path}?page=1").text))

    with app.app_context():
        engine = db.engine
        user_id = db.session.scalar(select(Attempt.user_id).where(Attempt.id == attempt_id))
        aq_id = db.session.scalar(select(AttemptQuestion.id).where(
            AttemptQuestion.attempt_id == attempt_id, AttemptQuestion.position == position))
        db.session.remove()
        read, update, log = (str(statement.compile(dialect=engine.dialect))
                             for statement in (pages._SAVE_READ, pages._SAVE_ANSWER, pages._SAVE_LOG))
        forms = [MultiDict(answer_fields(kind, position, flip)) for flip in range(2)]

        def app_save(flip: int) -> None:
            with engine.begin() as conn:
                saved = pages.save_answer(attempt_id=attempt_id, user_id=user_id, position=position,
                                          form=forms[flip % 2], now=utcnow(), conn=conn)
                assert saved is not None and saved.changed

        bare = psycopg.connect(url.replace("+psycopg", ""))
        responses = ['{"choice":0}', '{"choice":1}']

        def bare_save(flip: int) -> None:
            now = utcnow()
            bare.execute(read, {"attempt_id": attempt_id, "user_id": user_id, "position": position},
                         prepare=True).fetchone()
            bare.execute(update, {"aq_id": aq_id, "response": responses[flip % 2], "answered_at": now,
                                  "is_flagged": False}, prepare=True)
            bare.execute(log, {"attempt_id": attempt_id, "position": position, "response": responses[flip % 2],
                               "saved_at": now, "via": "autosave"}, prepare=True)
            bare.commit()

        # Two round trips instead of five (BEGIN, the read, the update, the log, COMMIT): the read alone, then
        # the update and the log in one statement that checks the attempt is still open and holds its share lock
        # while it writes, each committed by itself (autocommit): the short way's statements on PostgreSQL, bare.
        short = psycopg.connect(url.replace("+psycopg", ""), autocommit=True)
        unlocked_read = read.replace(" FOR SHARE OF attempt", "")
        assert unlocked_read != read
        write_both = (
            "WITH open_attempt AS (SELECT attempt.id FROM attempt WHERE attempt.id = %(attempt_id)s "
            "AND attempt.status = 'open' FOR SHARE), "
            "saved AS (UPDATE attempt_question SET response = %(response)s, answered_at = %(answered_at)s, "
            "is_flagged = %(is_flagged)s FROM open_attempt WHERE attempt_question.id = %(aq_id)s "
            "AND attempt_question.attempt_id = open_attempt.id "
            "RETURNING attempt_question.attempt_id, attempt_question.position) "
            "INSERT INTO answer_log (attempt_id, position, response, saved_at, via) "
            "SELECT saved.attempt_id, saved.position, %(response)s, %(answered_at)s, 'autosave' FROM saved "
            "RETURNING answer_log.id")

        def two_trips_save(flip: int) -> None:
            now = utcnow()
            short.execute(unlocked_read, {"attempt_id": attempt_id, "user_id": user_id, "position": position},
                          prepare=True).fetchone()
            written = short.execute(write_both, {"attempt_id": attempt_id, "aq_id": aq_id,
                                                 "response": responses[flip % 2], "answered_at": now,
                                                 "is_flagged": False}, prepare=True).fetchone()
            assert written is not None

        # One round trip: the same statement as the short way's once its process keeps the attempt's rows
        # (pages._SAVE_ANSWER_IF_AS_READ, which also checks the attempt's user and the question's flag as read), its
        # parameters bound as the app binds them, sent alone.
        one_trip = driver_statement(pages._SAVE_ANSWER_IF_AS_READ, engine.dialect)
        read_row = driver_statement(pages._QUESTION_READ, engine.dialect).execute(
            short, {"attempt_id": attempt_id, "user_id": user_id, "position": position}).one()
        user_columns = read_row[len(read_row) - len(SESSION_USER_COLUMNS):]
        as_read = {"the_attempt": attempt_id, "read_deadline": read_row[1], "read_page_reached": read_row[2],
                   "the_user": user_id, "read_flagged": False, "the_question": aq_id, "flagged": False,
                   "way": "autosave", **{f"read_{column.key}": value for column, value
                                          in zip(SESSION_USER_COLUMNS, user_columns) if column.key != "id"}}
        answers = [{"choice": 0}, {"choice": 1}]

        def one_trip_save(flip: int) -> None:
            parameters = one_trip._bound({**as_read, "answer": answers[flip % 2], "at": utcnow()})
            assert short.execute(one_trip.sql, parameters, prepare=True).fetchone() is not None

        def app_kept(flip: int) -> None:
            saved = pages.save_answer_unlocked(attempt_id=attempt_id, user_id=user_id, position=position,
                                               form=forms[flip % 2], now=utcnow(), admit=lambda user: None,
                                               engine=engine)
            assert saved is not None and saved.changed

        print(f"An autosave's statements on PostgreSQL ({args.rounds} saves each, one connection, CPU per save):")
        print("| way | driver (this process) us | PostgreSQL's server us | wall us |")
        print("|---|---:|---:|---:|")
        for _ in range(args.pairs):
            measured("the statements alone, bare psycopg", bare_save, args.rounds)
            measured("the app's service, SQLAlchemy Core", app_save, args.rounds)
            measured("two round trips: the read, then both writes in one statement", two_trips_save, args.rounds)
            measured("one round trip: both writes, what was read checked in the same statement", one_trip_save,
                     args.rounds)
            measured("the app's service (save_answer_unlocked: one round trip, the attempt's rows kept)",
                     app_kept, args.rounds)
        bare.close()
        short.close()


if __name__ == "__main__":
    main()
