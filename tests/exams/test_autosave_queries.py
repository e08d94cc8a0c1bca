"""The autosave request stays lean: a fixed, small number of SQL statements, no attempt reload."""
import pytest

from lms.extensions import db as _db

from ..conftest import csrf_from, login
from ..factories import start
from ..statements import listening

# What SQLAlchemy's PostgreSQL dialect asks when the pool opens a connection.
DIALECT_SET_UP = ("show ", "select pg_catalog.version", "select current_schema", "select version")
WRITES = {"sqlite": ["UPDATE attempt_question", "INSERT answer_log"], "postgresql": ["WITH open_attempt"]}
FLAG_WRITES = {"sqlite": ["UPDATE attempt_question"], "postgresql": ["WITH open_attempt"]}


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

    def saved(body) -> tuple[list, list]:
        """The reads and the writes of one autosave."""
        statements.clear()
        with listening(engine, record):
            response = client.post(url, headers={"X-CSRFToken": token}, json=body)
        assert response.status_code == 200
        sent = [s for s in statements if not s.startswith("BEGIN")]
        return [s for s in sent if s.startswith("SELECT")], [s for s in sent if not s.startswith("SELECT")]

    reads, writes = saved(body)
    # On PostgreSQL both writes are one statement, which checks the attempt is as read (pages.save_answer_unlocked).
    assert writes == WRITES[engine.dialect.name], statements
    # One joined read: the question (on PostgreSQL all the attempt's, kept by the process for its next saves), the
    # attempt and the session's user (lms.views.helpers.reads_session_user).
    assert reads == ["SELECT attempt.status,"], statements
    # The next save, of this question or another: on PostgreSQL its one statement alone (pages._save_as_known).
    other = next(q for q in attempt.questions if q.position != tf.position)
    name = engine.dialect.name
    for again, sends in (({**body, "fields": [[f"a{tf.position}", "false"]]}, WRITES[name]),
                         ({"position": other.position, "flagged": True}, FLAG_WRITES[name])):
        reads, writes = saved(again)
        assert reads == {"sqlite": ["SELECT attempt.status,"], "postgresql": []}[name], statements
        assert writes == sends, statements
