"""The autosave checks the session's user in its own statement (lms.views.helpers.reads_session_user): every
session the usual checks refuse is refused here too, with the same answer, and nothing is written."""
import re

import pytest
from sqlalchemy import func, select, update

from lms.extensions import db as _db
from lms.models import AnswerLog, Attempt, AttemptQuestion, Role, SessionUser, User
from lms.security import SessionClaim, admits_at_once

from ..conftest import csrf_from, login
from ..factories import start

TOKEN = "t" * 32


def _ready(client, world, clock):
    """The trainee logged in on their open attempt's page: (attempt id, the page's form token, a true/false
    question's position and an autosave body that answers it)."""
    attempt = start(world.trainee, "mixed-exam", clock)
    tf = next(q for q in attempt.questions if q.qtype == "true_false")
    login(client, world.trainee.email)
    token = csrf_from(client.get(f"/exams/attempts/{attempt.id}").get_data(as_text=True))
    return attempt.id, token, tf.position, {"position": tf.position, "fields": [[f"a{tf.position}", "true"]]}


def _autosave(client, attempt_id, token, body):
    return client.post(f"/exams/attempts/{attempt_id}/autosave", json=body, headers={"X-CSRFToken": token})


def _nothing_saved(attempt_id, position) -> bool:
    _db.session.rollback()
    response = _db.session.scalar(select(AttemptQuestion.response).where(
        AttemptQuestion.attempt_id == attempt_id, AttemptQuestion.position == position))
    return response is None and _db.session.scalar(select(func.count()).select_from(AnswerLog)) == 0


def _change(user, **values):
    _db.session.execute(update(User).where(User.id == user.id).values(**values))
    _db.session.commit()


def test_the_owner_saves_with_one_statement_for_user_and_answer(client, world, clock):
    attempt_id, token, position, body = _ready(client, world, clock)
    response = _autosave(client, attempt_id, token, body)
    assert response.status_code == 200 and response.json["answered"]
    assert not _nothing_saved(attempt_id, position)


@pytest.mark.parametrize("change", ["log-out elsewhere", "disabled"])
def test_a_session_that_no_longer_holds_is_told_it_ended_and_saves_nothing(client, world, clock, change):
    attempt_id, token, position, body = _ready(client, world, clock)
    if change == "log-out elsewhere":  # every session of the user ends (a log-out, a password change)
        _change(world.trainee, session_token="another-token")
    else:
        _change(world.trainee, disabled_at=clock())
    response = _autosave(client, attempt_id, token, body)
    assert response.status_code == 401 and response.json["error"] == "session_ended"
    assert _nothing_saved(attempt_id, position)


def test_a_password_to_change_comes_first_and_nothing_is_saved(client, world, clock):
    attempt_id, token, position, body = _ready(client, world, clock)
    _change(world.trainee, must_change_password=True)
    response = _autosave(client, attempt_id, token, body)
    assert response.status_code == 302 and response.headers["Location"].endswith("/password")
    assert _nothing_saved(attempt_id, position)


def test_another_role_is_refused_before_its_request_is_read(make_client, client, world, clock, factory):
    attempt_id, token, position, body = _ready(client, world, clock)
    instructor = factory.user(role=Role.INSTRUCTOR, email="teacher@example.test")
    other = make_client()
    login(other, instructor.email)
    other_token = csrf_from(other.get("/cohorts").get_data(as_text=True))
    assert _autosave(other, attempt_id, other_token, body).status_code == 403
    assert _autosave(other, attempt_id, other_token, {"position": "not a number"}).status_code == 403
    assert _nothing_saved(attempt_id, position)
    # The owner's own malformed request is answered as malformed once the usual checks pass.
    malformed = _autosave(client, attempt_id, token, {"position": "not a number"})
    assert malformed.status_code == 400 and malformed.json["error"] == "invalid"


def test_a_session_that_claims_someone_else_is_not_admitted(client, world, clock):
    attempt_id, token, position, body = _ready(client, world, clock)
    with client.session_transaction() as session:  # a forged claim (the cookie is signed: a test's shortcut)
        session["_user_id"] = f"{world.other.id}:{world.trainee.session_token}"
    response = _autosave(client, attempt_id, token, body)
    assert response.status_code == 401 and response.json["error"] == "session_ended"
    assert _nothing_saved(attempt_id, position)


def _session_user(**changes) -> SessionUser:
    values = {"id": 7, "name": "A. Trainee", "email": "trainee@example.test", "role": "trainee", "session_token": TOKEN,
              "disabled_at": None, "must_change_password": False, "totp_enabled_at": None}
    return SessionUser(**(values | changes))


@pytest.mark.parametrize("changes, admitted", [
    ({}, True),
    ({"id": 8}, False),  # the statement read another user than the session claims
    ({"session_token": "u" * 32}, False),  # the session's token is no longer the user's
    ({"disabled_at": "2026-12-01"}, False),
    ({"role": "instructor"}, False),
    ({"must_change_password": True}, False),
])
def test_admits_at_once_applies_each_check_of_the_usual_path(app, changes, admitted):
    with app.app_context():
        assert admits_at_once(_session_user(**changes), SessionClaim(7, TOKEN), (Role.TRAINEE,)) is admitted


def test_a_privileged_role_owing_a_second_factor_is_not_admitted(app):
    claim, staff = SessionClaim(7, TOKEN), (Role.STAFF,)
    with app.app_context():
        app.config["REQUIRE_2FA"] = True
        assert not admits_at_once(_session_user(role="staff"), claim, staff)
        assert admits_at_once(_session_user(role="staff", totp_enabled_at="2026-12-01"), claim, staff)


@pytest.mark.parametrize("session_id", [None, "", "7", "x:token", "7:", ":token"])
def test_a_malformed_claim_is_no_claim(session_id):
    assert SessionClaim.parse(session_id) is None
    assert SessionClaim.parse("7:token") == SessionClaim(7, "token")


@pytest.mark.parametrize("page", ["", "/submit"])  # an attempt page, and the submit page: the exam's own layout
def test_the_exam_pages_check_the_session_in_their_statement(client, world, clock, page):
    attempt_id, _token, _position, _body = _ready(client, world, clock)
    url = f"/exams/attempts/{attempt_id}{page}"
    shown = client.get(url)
    assert shown.status_code == 200 and world.trainee.name in shown.get_data(as_text=True)  # the header's name
    _change(world.trainee, must_change_password=True)
    assert client.get(url).headers["Location"].endswith("/account/password")
    _change(world.trainee, must_change_password=False, session_token="another-token")
    assert "/login" in client.get(url).headers["Location"]


def test_the_status_check_reads_the_session_in_its_statement(client, make_client, world, clock):
    attempt_id, _token, _position, _body = _ready(client, world, clock)
    url = f"/exams/attempts/{attempt_id}/status"
    assert client.get(url).json["status"] == "open"
    intruder = make_client()
    login(intruder, world.other.email)
    assert intruder.get(url).status_code == 404  # another trainee's attempt
    _change(world.trainee, session_token="another-token")
    ended = client.get(url, headers={"Accept": "application/json"})
    assert ended.status_code == 401 and ended.json["error"] == "session_ended"


def test_a_submit_from_a_session_that_no_longer_holds_grades_nothing(client, world, clock):
    attempt_id, token, _position, _body = _ready(client, world, clock)
    _change(world.trainee, session_token="another-token")
    refused = client.post(f"/exams/attempts/{attempt_id}/submit", data={"csrf_token": token})
    assert refused.status_code == 302 and "/login" in refused.headers["Location"]
    assert "/login" in client.get(f"/exams/attempts/{attempt_id}/result").headers["Location"]
    _db.session.rollback()
    assert _db.session.scalar(select(Attempt.status).where(Attempt.id == attempt_id)) == "open"


def test_a_start_from_a_session_that_no_longer_holds_starts_nothing(client, world, clock):
    login(client, world.trainee.email)
    token = csrf_from(client.get("/exams/mixed-exam").get_data(as_text=True))
    _change(world.trainee, session_token="another-token")
    refused = client.post("/exams/mixed-exam/start", data={"csrf_token": token})
    assert refused.status_code == 302 and "/login" in refused.headers["Location"]
    _db.session.rollback()
    assert _db.session.scalar(select(func.count()).select_from(Attempt)) == 0


def _header(html: str) -> str:
    """The page's header, its form token's signature left out (signed with the second it was made in)."""
    start = html.index('<header class="usa-header')
    return re.sub(r'name="csrf_token" value="[^"]*"', 'name="csrf_token"', html[start:html.index("</header>", start)])


def test_the_result_page_header_is_the_admitted_user_s(client, world, clock, monkeypatch):
    """The result page's header shows the user its own statement read and admitted (admitted_user): the same header,
    name, role, menus and unread count, as when Flask-Login reads the user the usual way."""
    attempt_id, token, _position, _body = _ready(client, world, clock)
    assert client.post(f"/exams/attempts/{attempt_id}/submit", data={"csrf_token": token}).status_code == 302
    html = client.get(f"/exams/attempts/{attempt_id}/result").get_data(as_text=True)
    header = _header(html)
    assert f'<span class="nav-user__name">{world.trainee.name}</span>' in header
    assert '<span class="nav-user__role">Trainee</span>' in header
    assert 'id="unread-count">1<' in header  # the result's notification
    monkeypatch.setattr("lms.app.admitted_user", lambda user_id: None)  # Flask-Login reads the user itself
    assert _header(client.get(f"/exams/attempts/{attempt_id}/result").get_data(as_text=True)) == header
    # Another user's session on the same page: a 404, not this header.
    monkeypatch.undo()
    _change(world.trainee, session_token="another-token")
    assert "/login" in client.get(f"/exams/attempts/{attempt_id}/result").headers["Location"]
