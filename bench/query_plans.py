"""The query plans of the exam wave's hot statements, on a database the size of a wave.

Prepares a database with N examinees (bench/exam_bench.py), lets all but one start and answer (so the
attempt, attempt_question, answer_log, audit_event and notification tables hold a wave's rows), then
records every statement one examinee's start, page, autosave, submit and result page send (and the audit sealer's),
and prints each distinct statement with its plan: PostgreSQL's EXPLAIN (after ANALYZE of the tables),
SQLite's EXPLAIN QUERY PLAN. A plan that scans a whole table the wave makes large is the thing to look for.

    .venv/bin/python bench/query_plans.py --examinees 2000 --database postgresql://postgres@127.0.0.1:5432/lms_plans
"""
import argparse
import sys
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from exam_bench import EXAM, QUESTION, answer_fields  # the sibling benchmarks
from request_cpu import log_in, prepared_app, token

SKIPPED = ("show ", "select pg_catalog.version", "select current_schema", "select version", "begin", "commit",
           "rollback", "savepoint", "release savepoint", "pragma", "explain")


def take(app, client, csrf, *, submit: bool, steps=None):
    """One examinee's start, first page, an autosave and (``submit``) the submit and its result page; ``steps`` is told
    each."""
    mark = steps or (lambda name: None)
    mark("start")
    location = client.post(f"/exams/{EXAM}/start", data={"csrf_token": csrf}).headers["Location"].split("?")[0]
    mark("page")
    html = client.get(f"{location}?page=1").text
    csrf = token(html)
    position, kind = next((int(p), k) for p, k in QUESTION.findall(html))
    mark("autosave")
    client.post(f"{location}/autosave", json={"position": position, "fields": answer_fields(kind, position, 1)},
                headers={"X-CSRFToken": csrf})
    if submit:
        mark("submit")
        assert client.post(f"{location}/submit", data={"csrf_token": csrf}).status_code == 302
        mark("result")
        assert client.get(f"{location}/result").status_code == 200
    mark("done")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--examinees", type=int, default=2000)
    parser.add_argument("--database", default="sqlite", help="sqlite, or a PostgreSQL URL (dropped and created)")
    args = parser.parse_args()

    app, _ = prepared_app(args.database, args.examinees, LMS_AUDIT_SEALING="inline")
    # The wave's rows, written through the services in bulk (a log-in per examinee would cost argon2 each).
    from datetime import timedelta

    from sqlalchemy import event, text

    from lms import db_engine
    from lms.clock import utcnow
    from lms.exams.attempts import exam_context, start_attempt, submit_attempt
    from lms.exams.pages import save_answers
    from lms.extensions import db
    from lms.models import User

    with app.app_context():
        now = utcnow()
        users = db.session.query(User).filter(User.email != "bench0@example.test").all()
        for number, user in enumerate(users):
            attempt = start_attempt(exam_context(user.id, EXAM, now), user, now=now)
            save_answers(attempt_id=attempt.id, user_id=user.id, answers=[
                (q.position, [answer_fields(q.qtype, q.position, 1)[0][1]], now)
                for q in attempt.questions if q.qtype in ("single", "true_false", "numeric")][:3])
            if number % 2:
                submit_attempt(attempt, now=now + timedelta(minutes=5), actor=user)
            if number % 200 == 199:
                db.session.commit()
        db.session.commit()
        dialect = db.engine.dialect.name
        db.session.execute(text("ANALYZE"))  # the planner's statistics, as a running database has them
        db.session.commit()
        engine = db.engine

    step, seen = ["set-up"], {}

    def record(conn, cursor, statement, parameters, context, executemany):
        if statement.lower().lstrip().startswith(SKIPPED):
            return
        key = (step[0], statement)
        if key not in seen:
            seen[key] = (parameters[0] if executemany and parameters else parameters,
                         threading.current_thread().name)

    client, csrf = log_in(app, 0)
    if dialect == "postgresql":
        # Every statement psycopg sends, SQLAlchemy's and those the app sends on the driver's own connection
        # (lms.db_engine.DriverStatement, which SQLAlchemy's events do not see), with its parameters as sent.
        cursor_class = db_engine._ReadNotingCursor
        sent_by_cursor = cursor_class.execute

        def execute(cursor, query, params=None, **kwargs):
            if isinstance(query, str) and query != db_engine._UNWRITTEN:  # (not the app's: lms.db_engine)
                record(None, cursor, query, params, None, False)
            return sent_by_cursor(cursor, query, params, **kwargs)

        cursor_class.execute = execute
    else:
        event.listen(engine, "before_cursor_execute", record)
    try:
        take(app, client, csrf, submit=True, steps=lambda name: step.__setitem__(0, name))
    finally:
        if dialect == "postgresql":
            cursor_class.execute = sent_by_cursor
        else:
            event.remove(engine, "before_cursor_execute", record)

    print(f"# Query plans: {dialect}, {args.examinees} examinees, {len(users) // 2} attempts graded\n")
    with engine.connect() as conn:
        raw = conn.connection.dbapi_connection
        for (name, statement), (parameters, _thread) in seen.items():
            first = " ".join(statement.split())
            if dialect == "postgresql":
                cursor = raw.cursor()
                cursor.execute("EXPLAIN " + statement, parameters)
                plan = "\n".join(row[0] for row in cursor.fetchall())
                raw.rollback()
            else:
                cursor = raw.execute("EXPLAIN QUERY PLAN " + statement, parameters)
                plan = "\n".join(row[3] for row in cursor.fetchall())
                raw.rollback()
            print(f"## {name}: {first[:160]}{' ...' if len(first) > 160 else ''}\n\n```\n{plan}\n```\n")


if __name__ == "__main__":
    main()
