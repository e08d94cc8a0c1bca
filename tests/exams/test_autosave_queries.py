"""The autosave request stays lean: a fixed, small number of SQL statements, no attempt reload."""
import pytest

from lms.extensions import db as _db

from ..conftest import csrf_from, login
from ..factories import start
from ..statements import listening

# What SQLAlchemy's PostgreSQL dialect asks when the pool opens a connection.
DIALECT_SET_UP = ("show ", "select pg_catalog.version", "select current_schema", "select version")
WRITES = {"sqlite": ["UPDATE attempt_question", "INSERT answer_log"], "postgresql": ["WITH open_attempt"]}


@pytest.mark.committed  # counts the statements of a request in its own transaction, as in production
def test_autosave_is_one_read_one_update_one_insert(app, client, world, clock):
    attempt = start(world.trainee, "mixed-exam", clock)
    tf = next(q for q in attempt.questions if q.qtype == "true_false")
    login(client, world.trainee.email)
    token = csrf_from(client.get(f"/exams/attempts/{attempt.id}").get_data(as_text=True))
    url, body = f"/exams/attempts/{attempt.id}/autosave", {"position": tf.position,
                                                          "fields": [[f"a{tf.position}", "true"]]}
    _db.session.rollback()
    statements = []
    with app.app_context():
        engine = _db.engine

    def record(conn, cursor, statement, parameters, context, executemany):
        if statement.lower().startswith(DIALECT_SET_UP):
            return  # a new pooled connection's own set-up queries, not the request's
        words = statement.replace('"', "").split() + [""]  # a lone BEGIN (SQLite's deferred transaction) too
        statements.append(words[0].upper() + " " + words[2 if words[0] == "INSERT" else 1])

    with listening(engine, record):
        response = client.post(url, headers={"X-CSRFToken": token}, json=body)
    assert response.status_code == 200
    statements = [s for s in statements if not s.startswith("BEGIN")]
    writes = [s for s in statements if not s.startswith("SELECT")]
    reads = [s for s in statements if s.startswith("SELECT")]
    # On PostgreSQL both writes are one statement, which checks the attempt is as read (pages.save_answer_unlocked).
    assert writes == WRITES[engine.dialect.name], statements
    # One joined read: the question, the attempt and the session's user (lms.views.helpers.reads_session_user).
    assert reads == ["SELECT attempt.status,"], statements
