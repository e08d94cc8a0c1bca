"""The exam wave's requests make a fixed, small number of SQL statements (issue #15): starting an attempt,
a page, an autosave and a submit, counted as production runs them (committed, each request in its own
transaction). A change that adds a query per question, or per request, makes these fail: measure again and
say why in the commit. Transaction control (BEGIN, COMMIT, savepoints) and a new pooled connection's own
set-up are not counted. The audit sealer's statements after the commit are (PostgreSQL runs them after
the request's commit; SQLite inside it)."""
from contextlib import contextmanager

import pytest
from sqlalchemy import event

from lms.extensions import db as _db
from lms.models import Attempt

from ..conftest import csrf_from, login
from ..factories import answer_all

SKIPPED = ("show ", "select pg_catalog.version", "select current_schema", "select version", "begin", "commit",
           "rollback", "savepoint", "release savepoint")


@contextmanager
def counted(app):
    """The statements a block sends, as their first words."""
    statements = []
    with app.app_context():
        engine = _db.engine

    def record(conn, cursor, statement, parameters, context, executemany):
        if not statement.lower().lstrip().startswith(SKIPPED):
            statements.append(" ".join(statement.replace('"', "").split()[:3]))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def _logged_in(client, world):
    login(client, world.trainee.email)
    page = client.get(f"/exams/{'mixed-exam'}").get_data(as_text=True)
    _db.session.rollback()
    return csrf_from(page)


def _open_attempt(world):
    _db.session.rollback()
    return _db.session.query(Attempt).filter_by(user_id=world.trainee.id).one()


@pytest.mark.committed  # each request in its own transaction, as in production
def test_queries_per_start_page_autosave_and_submit(app, client, world, clock, capsys):
    token = _logged_in(client, world)
    with counted(app) as start:
        response = client.post("/exams/mixed-exam/start", data={"csrf_token": token})
    assert response.status_code == 302
    attempt = _open_attempt(world)
    url = f"/exams/attempts/{attempt.id}"  # (the test's own reads stay out of the counted blocks)
    tf = next(q for q in attempt.questions if q.qtype == "true_false")
    body = {"position": tf.position, "fields": [[f"a{tf.position}", "true"]]}
    _db.session.rollback()
    with counted(app) as page:
        response = client.get(f"{url}?page=1")
    assert response.status_code == 200
    with counted(app) as autosave:
        response = client.post(f"{url}/autosave", headers={"X-CSRFToken": token}, json=body)
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers  # nothing in the session changed: the cookie is not re-sent
    answer_all(_open_attempt(world), clock)
    _db.session.rollback()
    with counted(app) as submit:
        response = client.post(f"{url}/submit", data={"csrf_token": token})
    assert response.status_code == 302
    assert _open_attempt(world).status == "finished"
    with capsys.disabled():
        for name, statements in (("start", start), ("page", page), ("autosave", autosave), ("submit", submit)):
            print(f"\n{name}: {len(statements)}", *statements, sep="\n  ")
