"""The autosave's short way in (lms.views.autosave_path): an ordinary autosave is answered before Flask's machinery,
as the view answers it; every other one reaches the app as it was sent, and the app answers it the usual way."""
import time
from contextlib import contextmanager
from datetime import timedelta
from io import BytesIO

import pytest
from flask import request
from flask import session as flask_session
from flask_wtf.csrf import CSRFError
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import func, select, update

from lms.extensions import db as _db
from lms.models import AnswerLog, AttemptQuestion, User
from lms.security import RESPONSE_HEADERS
from lms.views.autosave_path import PATH, AutosaveShortcut, _csrf_holds, _Verified

from ..conftest import csrf_from, login, sqlite_write_lock_free
from ..factories import start


@pytest.fixture
def handed_over(app, monkeypatch) -> list[bytes]:
    """The bodies of the autosaves that the short way in handed to the app, as the app read them."""
    shortcut = app.wsgi_app
    assert isinstance(shortcut, AutosaveShortcut)  # the outermost layer here (no proxy in the tests' settings)
    seen, inner = [], shortcut.wsgi_app

    def recording(environ, start_response):
        if PATH.fullmatch(environ["PATH_INFO"]):
            seen.append(environ["wsgi.input"].read())
            environ["wsgi.input"] = BytesIO(seen[-1])
        return inner(environ, start_response)

    monkeypatch.setattr(shortcut, "wsgi_app", recording)
    return seen


@pytest.fixture
def ready(client, world, clock):
    """The trainee on their open attempt's page: (attempt id, the page's form token, a true/false question's position,
    the autosave's URL)."""
    attempt = start(world.trainee, "mixed-exam", clock)
    tf = next(q for q in attempt.questions if q.qtype == "true_false")
    login(client, world.trainee.email)
    token = csrf_from(client.get(f"/exams/attempts/{attempt.id}").get_data(as_text=True))
    return attempt.id, token, tf.position, f"/exams/attempts/{attempt.id}/autosave"


def _answer(position, value="true"):
    return {"position": position, "fields": [[f"a{position}", value]]}


def _saved(attempt_id, position):
    _db.session.rollback()
    return _db.session.scalar(select(AttemptQuestion.response).where(
        AttemptQuestion.attempt_id == attempt_id, AttemptQuestion.position == position))


def _logs():
    _db.session.rollback()
    return _db.session.scalar(select(func.count()).select_from(AnswerLog))


def test_an_ordinary_autosave_is_answered_before_the_app(client, ready, handed_over, clock):
    attempt_id, token, position, url = ready
    response = client.post(url, json=_answer(position), headers={"X-CSRFToken": token})
    assert handed_over == []
    assert response.status_code == 200 and response.json["ok"] and response.json["answered"]
    assert response.json["saved_at"] == clock().isoformat()
    assert _saved(attempt_id, position) is not None and _logs() == 1
    for name, value in RESPONSE_HEADERS:
        assert response.headers[name] == value
    assert response.headers["Cache-Control"] == "no-store" and "Set-Cookie" not in response.headers
    assert "Strict-Transport-Security" not in response.headers  # over HTTPS only (the next test)


def test_both_ways_answer_alike(app, client, ready, handed_over, monkeypatch):
    attempt_id, token, position, url = ready
    short = client.post(url, json=_answer(position, "true"), headers={"X-CSRFToken": token})
    monkeypatch.setattr(app, "wsgi_app", app.wsgi_app.wsgi_app)  # the app alone
    usual = client.post(url, json=_answer(position, "false"), headers={"X-CSRFToken": token})
    assert len(handed_over) == 1 and short.status_code == usual.status_code == 200
    assert short.json == usual.json
    assert {k: v for k, v in short.headers.items() if k != "Content-Length"} == {
        k: v for k, v in usual.headers.items() if k != "Content-Length"}
    assert _logs() == 2


def test_over_https_the_referrer_must_be_this_site(app, client, world, clock, handed_over):
    attempt = start(world.trainee, "mixed-exam", clock)
    position = next(q for q in attempt.questions if q.qtype == "true_false").position
    login(client, world.trainee.email)
    https = {"base_url": "https://localhost"}
    page = f"https://localhost/exams/attempts/{attempt.id}"
    token = csrf_from(client.get(f"/exams/attempts/{attempt.id}", headers={"Referer": page}, **https)
                      .get_data(as_text=True))
    url = f"/exams/attempts/{attempt.id}/autosave"
    for referrer in (None, "https://elsewhere.example.test/page"):
        headers = {"X-CSRFToken": token} | ({"Referer": referrer} if referrer else {})
        refused = client.post(url, json=_answer(position), headers=headers, **https)
        assert refused.status_code == 400 and refused.json["error"] == "token"
    assert len(handed_over) == 2 and _saved(attempt.id, position) is None
    saved = client.post(url, json=_answer(position), headers={"X-CSRFToken": token, "Referer": page}, **https)
    assert saved.status_code == 200 and len(handed_over) == 2
    assert saved.headers["Strict-Transport-Security"].startswith("max-age=")


def test_activity_to_record_in_the_cookie_goes_the_usual_way(client, ready, handed_over, clock):
    attempt_id, token, position, url = ready
    clock.advance(seconds=61)  # the session's last activity is due again (lms.session_rules.mark_active)
    response = client.post(url, json=_answer(position), headers={"X-CSRFToken": token})
    assert response.status_code == 200 and len(handed_over) == 1
    assert "Set-Cookie" in response.headers  # the app rewrote the cookie
    again = client.post(url, json=_answer(position, "false"), headers={"X-CSRFToken": token})
    assert again.status_code == 200 and len(handed_over) == 1 and "Set-Cookie" not in again.headers


def _other_session(make_client, world, user=None):
    other = make_client()
    login(other, (user or world.other).email)
    return other, csrf_from(other.get("/course").get_data(as_text=True))


@pytest.mark.parametrize("case, status", [
    ("no form token", 400),
    ("another session's form token", 400),
    ("an altered form token", 400),
    ("no log-in", 401),
    ("another trainee's attempt", 404),
    ("another role", 403),
    ("a session that no longer holds", 401),
    ("a malformed save", 400),
    ("a control character", 400),
    ("not one of the options", 400),
    ("a form post", 400),
    ("a body too large", 400),
    ("the attempt closed", 409),
])
def test_anything_else_reaches_the_app_as_sent(app, client, make_client, world, ready, handed_over, case, status):
    attempt_id, token, position, url = ready
    sender, headers, kwargs = client, {"X-CSRFToken": token}, {"json": _answer(position)}
    if case == "no form token":
        headers = {}
    elif case == "another session's form token":
        headers = {"X-CSRFToken": _other_session(make_client, world)[1]}
    elif case == "an altered form token":
        headers = {"X-CSRFToken": token[:-2] + ("AA" if not token.endswith("AA") else "BB")}
    elif case == "no log-in":
        sender = make_client()
    elif case == "another trainee's attempt":
        sender, other_token = _other_session(make_client, world)
        headers = {"X-CSRFToken": other_token}
    elif case == "another role":
        sender, other_token = _other_session(make_client, world, world.instructor)
        headers = {"X-CSRFToken": other_token}
    elif case == "a session that no longer holds":
        _db.session.execute(User.__table__.update().where(User.id == world.trainee.id).values(session_token="new"))
        _db.session.commit()
    elif case == "a malformed save":
        kwargs = {"json": {"position": str(position)}}
    elif case == "a control character":
        kwargs = {"json": _answer(position, "tr\x00ue")}
    elif case == "not one of the options":
        kwargs = {"json": _answer(position, "maybe")}
    elif case == "a form post":
        kwargs = {"data": {"position": position, f"a{position}": "true"}}
    elif case == "a body too large":
        kwargs = {"json": _answer(position, "x" * 70_000)}
    elif case == "the attempt closed":
        assert client.post(f"/exams/attempts/{attempt_id}/submit", data={"csrf_token": token}).status_code == 302
    response = sender.post(url, headers=headers, **kwargs)
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    assert len(handed_over) == 1
    if "json" in kwargs:  # as the test client encodes it
        assert handed_over[0] == app.json.dumps(kwargs["json"]).encode()
    assert _saved(attempt_id, position) is None and _logs() == 0


@pytest.mark.parametrize("token", ["valid", "another session's", "altered", "unsigned", "empty"])
@pytest.mark.parametrize("scheme, referrer", [("http", None), ("https", None), ("https", "https://localhost/x"),
                                              ("https", "https://elsewhere.test/x"), ("https", "http://localhost/x")])
def test_the_form_token_rule_is_flask_wtfs(app, token, scheme, referrer):
    """_csrf_holds admits exactly what Flask-WTF's CSRFProtect admits, on the same request and session."""
    raw, signer = "a" * 40, URLSafeTimedSerializer(app.secret_key, salt="wtf-csrf-token")  # as Flask-WTF signs
    sent = {"valid": signer.dumps(raw), "another session's": signer.dumps("b" * 40),
            "altered": signer.dumps(raw)[:-3] + "abc", "unsigned": raw, "empty": ""}[token]
    headers = {"X-CSRFToken": sent} | ({"Referer": referrer} if referrer else {})
    with app.test_request_context("/", base_url=f"{scheme}://localhost", method="POST", headers=headers):
        flask_session["csrf_token"] = raw
        try:
            app.extensions["csrf"].protect()
            flask_wtf_admits = True
        except CSRFError:
            flask_wtf_admits = False
        assert _csrf_holds(request, dict(flask_session), app.config, app.secret_key) is flask_wtf_admits
    assert flask_wtf_admits is (token == "valid" and (scheme == "http" or referrer == "https://localhost/x"))


def test_a_kept_form_token_still_has_to_be_the_sessions(app):
    raw, signer = "a" * 40, URLSafeTimedSerializer(app.secret_key, salt="wtf-csrf-token")
    token, verified = signer.dumps(raw), _Verified()
    with app.test_request_context("/", method="POST", headers={"X-CSRFToken": token}):
        assert _csrf_holds(request, {"csrf_token": raw}, app.config, app.secret_key, verified)
        assert verified == {token: raw}
        assert not _csrf_holds(request, {"csrf_token": "b" * 40}, app.config, app.secret_key, verified)
        assert not _csrf_holds(request, {}, app.config, app.secret_key, verified)


def test_a_kept_session_cookie_is_declined_once_past_the_sessions_lifetime(app, client, ready, handed_over,
                                                                           monkeypatch):
    attempt_id, token, position, url = ready
    assert client.post(url, json=_answer(position), headers={"X-CSRFToken": token}).status_code == 200
    assert handed_over == []  # the cookie checked, and kept
    lifetime = app.permanent_session_lifetime.total_seconds()
    later = time.time() + lifetime + 1
    monkeypatch.setattr(app.wsgi_app, "wall_clock", lambda: later)  # the short way's clock only: the app's is real
    response = client.post(url, json=_answer(position, "false"), headers={"X-CSRFToken": token})
    assert len(handed_over) == 1 and response.status_code == 200  # the app found it still valid by its own clock


def test_the_session_is_read_from_the_cookie_header_whatever_else_it_holds_and_a_changed_cookie_is_checked_anew(
        app, client, ready, handed_over):
    attempt_id, token, position, url = ready
    assert client.post(url, json=_answer(position), headers={"X-CSRFToken": token}).status_code == 200
    client.set_cookie("theme", "dark")  # another cookie in the header, before or after the session's
    assert client.post(url, json=_answer(position, "false"), headers={"X-CSRFToken": token}).status_code == 200
    assert handed_over == [] and _saved(attempt_id, position) is False
    name = app.config["SESSION_COOKIE_NAME"]
    signed = client.get_cookie(name).value
    client.set_cookie(name, signed[:-2] + ("AA" if not signed.endswith("AA") else "BB"))  # its signature broken
    response = client.post(url, json=_answer(position), headers={"X-CSRFToken": token})
    assert len(handed_over) == 1 and response.status_code != 200  # not answered from what was kept for the other
    assert _saved(attempt_id, position) is False


@pytest.mark.committed  # the short way's statements on a connection of their own, committed each by itself
@pytest.mark.parametrize("change, status, saved", [
    ("finished", 409, False),  # a submit claimed it: nothing is saved, the app says it is closed
    ("more time", 200, True),  # a grant moved the deadline: the app saves, with the new deadline
    ("page reached", 200, True),  # another tab moved on: decided again by the app (free navigation: saved)
])
def test_an_attempt_changed_between_the_read_and_the_write_is_left_to_the_app(
        app, client, ready, handed_over, clock, monkeypatch, change, status, saved):
    """The short way reads without a lock and writes only if the attempt is still as read (lms.exams.pages.
    save_answer_unlocked: on PostgreSQL one statement, on SQLite one write transaction): what changed in between is
    written by nobody, and the app answers the save the usual way, deciding on the attempt as it now is."""
    from lms.exams import pages
    from lms.models import Attempt

    attempt_id, token, position, url = ready
    deadline = _db.session.scalar(select(Attempt.deadline_at).where(Attempt.id == attempt_id))
    changes = {"finished": {"status": "finished", "finished_at": clock(), "finish_reason": "submitted"},
               "more time": {"deadline_at": deadline + timedelta(minutes=10)},
               "page reached": {"page_reached": Attempt.page_reached + 1}}[change]
    checked, done = pages._save_one, []

    def then_changed(*args, **kwargs):  # between the short way's read and its write, another transaction commits
        outcome = checked(*args, **kwargs)
        if not done:
            with _db.engine.begin() as other:
                other.execute(update(Attempt).where(Attempt.id == attempt_id).values(**changes))
            done.append(change)
        return outcome

    monkeypatch.setattr(pages, "_save_one", then_changed)
    response = client.post(url, json=_answer(position), headers={"X-CSRFToken": token})
    assert done == [change] and len(handed_over) == 1  # declined by the short way, answered by the app
    assert response.status_code == status
    assert (_saved(attempt_id, position) is not None) is saved and _logs() == (1 if saved else 0)
    if change == "more time":
        assert response.json["deadline"] == (deadline + timedelta(minutes=10)).isoformat()


@pytest.mark.committed  # the write lock as another connection finds it
def test_on_sqlite_the_write_lock_is_held_for_the_saves_writes_alone(app, client, ready, handed_over, monkeypatch,
                                                                       sqlite_only):
    """SQLite's one write lock is not held while the short way reads the question and checks the save against the
    attempt's rules (lms.exams.pages.save_answer_unlocked), only while it writes (lms.db_engine.driver_write)."""
    from lms.exams import pages

    attempt_id, token, position, url = ready
    checked, lock_free = pages._save_one, []

    def checking(*args, **kwargs):
        lock_free.append(sqlite_write_lock_free(app))
        return checked(*args, **kwargs)

    monkeypatch.setattr(pages, "_save_one", checking)
    response = client.post(url, json=_answer(position), headers={"X-CSRFToken": token})
    assert response.status_code == 200 and handed_over == []  # saved by the short way
    assert lock_free == [True]
    assert _saved(attempt_id, position) is not None and _logs() == 1


@pytest.mark.committed
def test_a_save_waits_for_a_submit_holding_the_attempt_and_then_writes_nothing(
        app, client, ready, handed_over, clock, postgresql_only):
    """A submit's claim of the attempt, not yet committed, holds its row: the short way's write waits for it (its
    share lock), then finds the attempt finished and writes nothing; the app answers that the attempt is closed."""
    import threading

    from sqlalchemy import text

    from lms.models import Attempt

    attempt_id, token, position, url = ready
    outcome = {}
    with _db.engine.connect() as submit:
        submit.execute(update(Attempt).where(Attempt.id == attempt_id).values(
            status="finished", finished_at=clock(), finish_reason="submitted"))  # the claim, uncommitted
        saver = threading.Thread(target=lambda: outcome.update(
            response=client.post(url, json=_answer(position), headers={"X-CSRFToken": token})))
        saver.start()
        with _db.engine.connect() as watch:  # until the save waits for the claim's lock (bounded)
            waiting = text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                           "AND wait_event_type = 'Lock'")
            deadline = time.monotonic() + 30
            while not watch.execute(waiting).scalar():
                watch.rollback()
                if time.monotonic() > deadline:
                    pytest.fail("the save never waited for the submit's lock")
        submit.commit()
        saver.join(timeout=60)
    assert not saver.is_alive()
    assert outcome["response"].status_code == 409 and outcome["response"].json["error"] == "closed"
    assert len(handed_over) == 1  # the short way wrote nothing and left it to the app
    assert _saved(attempt_id, position) is None and _logs() == 0


# -- PostgreSQL: an attempt's rows kept by the process between its saves (lms.exams.pages._save_as_known) ----------


def _attempt_deadline(attempt_id):
    from lms.models import Attempt

    _db.session.rollback()
    return _db.session.scalar(select(Attempt.deadline_at).where(Attempt.id == attempt_id))


def _change(table, key, values) -> None:
    """Another process's change, committed between two saves."""
    _db.session.execute(table.__table__.update().where(table.id == key).values(**values))
    _db.session.commit()


@pytest.mark.parametrize("change, status, answer, logs", [
    ("finished", 409, True, 1),  # a submit claimed it: the second save is refused, the first answer stays
    ("more time", 200, False, 2),  # a grant moved the deadline: saved, the new deadline told
    ("more time, the kept deadline past", 200, False, 2),  # the kept rows would refuse it: decided on a fresh read
    ("page reached", 200, False, 2),  # another tab moved on (free navigation): saved
    ("the answer changed elsewhere", 200, True, 2),  # the same answer as kept, not as now held: written again
    ("the answer sent changed elsewhere", 200, False, 1),  # already held: nothing written, as on a fresh read
    ("the flag changed elsewhere", 200, False, 2),  # saved, the other tab's flag kept
    ("a session that no longer holds", 401, True, 1),  # logged out everywhere: refused by the app
    ("disabled", 401, True, 1),  # the account disabled: refused by the app
])
def test_what_changed_since_the_kept_rows_is_decided_on_what_the_database_holds(
        app, client, world, ready, handed_over, clock, monkeypatch, postgresql_only, change, status, answer, logs):
    """After a save the process keeps the attempt's rows and checks the next save against them, in one round trip
    whose write goes through only if the attempt, its user and the question's flag are still as kept: whatever changed
    in between, the save is decided as it would be on a fresh read (by the short way on one, or by the app)."""
    from lms.models import Attempt

    attempt_id, token, position, url = ready
    assert client.post(url, json=_answer(position, "true"), headers={"X-CSRFToken": token}).status_code == 200
    deadline = _attempt_deadline(attempt_id)
    if change == "finished":
        _change(Attempt, attempt_id, {"status": "finished", "finished_at": clock(), "finish_reason": "submitted"})
    elif change.startswith("more time"):
        _change(Attempt, attempt_id, {"deadline_at": deadline + timedelta(hours=2)})
        if change.endswith("past"):  # past the kept deadline and its grace, the session still active
            monkeypatch.setitem(app.config, "IDLE_TIMEOUT_MINUTES", 24 * 60)
            clock.advance(seconds=(deadline - clock()).total_seconds() + 120)
            assert client.get(f"/exams/attempts/{attempt_id}").status_code == 200  # (the activity recorded)
    elif change == "page reached":
        _change(Attempt, attempt_id, {"page_reached": Attempt.page_reached + 1})
    elif change.startswith("the answer") or change == "the flag changed elsewhere":
        _db.session.execute(update(AttemptQuestion).where(
            AttemptQuestion.attempt_id == attempt_id, AttemptQuestion.position == position).values(
            **{"is_flagged": True} if "flag" in change else {"response": False}))
        _db.session.commit()
    elif change == "a session that no longer holds":
        _change(User, world.trainee.id, {"session_token": "new"})
    elif change == "disabled":
        _change(User, world.trainee.id, {"disabled_at": clock()})
    sent = "true" if change == "the answer changed elsewhere" else "false"
    response = client.post(url, json=_answer(position, sent), headers={"X-CSRFToken": token})
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    assert len(handed_over) == (0 if status == 200 else 1)  # refusals are the app's to answer
    assert _saved(attempt_id, position) is answer and _logs() == logs
    assert _db.session.scalar(select(AttemptQuestion.is_flagged).where(
        AttemptQuestion.attempt_id == attempt_id, AttemptQuestion.position == position)) is ("flag" in change)
    if change.startswith("more time"):
        assert response.json["deadline"] == (deadline + timedelta(hours=2)).isoformat()


def test_kept_rows_are_the_attempts_users_only(client, make_client, world, ready, handed_over, postgresql_only):
    attempt_id, token, position, url = ready
    assert client.post(url, json=_answer(position), headers={"X-CSRFToken": token}).status_code == 200
    other, other_token = _other_session(make_client, world)
    response = other.post(url, json=_answer(position, "false"), headers={"X-CSRFToken": other_token})
    assert response.status_code == 404 and len(handed_over) == 1
    assert _saved(attempt_id, position) is True and _logs() == 1


def test_each_save_after_the_first_is_checked_against_the_kept_rows(client, ready, handed_over, postgresql_only,
                                                                   monkeypatch):
    """The attempt's questions are read once, then each save is one statement, whichever question it is."""
    from lms.exams import pages

    attempt_id, token, position, url = ready
    reads = []
    known = pages._KnownAttempt
    monkeypatch.setattr(pages, "_KnownAttempt", lambda row, used_at: reads.append(row) or known(row, used_at))
    positions = sorted(q.position for q in _db.session.get(pages.Attempt, attempt_id).questions)
    for each in positions:  # a flag on each question
        flagged = client.post(url, json={"position": each, "flagged": True}, headers={"X-CSRFToken": token})
        assert flagged.status_code == 200 and flagged.json["flagged"] is True
    for sent in ("true", "false", "true"):
        assert client.post(url, json=_answer(position, sent), headers={"X-CSRFToken": token}).status_code == 200
        assert _saved(attempt_id, position) is (sent == "true")
    assert len(reads) == 1 and handed_over == [] and _logs() == 3
    assert _db.session.scalar(select(func.count()).where(
        AttemptQuestion.attempt_id == attempt_id, AttemptQuestion.is_flagged)) == len(positions)


@contextmanager
def _short_way_statements():
    """The statements the short way sends by the driver meanwhile (not the test's own), each named by its first word,
    the read of a whole attempt to keep (``_ATTEMPT_KEPT_READ``) as "SELECT attempt, all"."""
    from ..statements import listening

    sent = []

    def record(conn, cursor, statement, *rest):
        if conn is None:  # sent by the driver
            sent.append("SELECT attempt, all" if "array_agg" in statement else statement.split()[0])

    with listening(_db.engine, record):
        yield sent


@pytest.mark.parametrize("change", ["the flag", "the deadline"])
def test_after_a_change_the_question_is_read_again_and_the_attempt_kept_if_still_as_kept(
        client, ready, handed_over, postgresql_only, change):
    """A question changed by another process is read again alone, and the kept attempt refreshed; an attempt changed
    is forgotten, and read whole at its next save."""
    from lms.models import Attempt

    attempt_id, token, position, url = ready

    def save(answer):
        with _short_way_statements() as sent:
            assert client.post(url, json=_answer(position, answer), headers={"X-CSRFToken": token}).status_code == 200
        return sent

    assert save("true") == ["SELECT attempt, all", "WITH"]
    if change == "the flag":
        _db.session.execute(update(AttemptQuestion).where(
            AttemptQuestion.attempt_id == attempt_id, AttemptQuestion.position == position).values(is_flagged=True))
        _db.session.commit()
    else:
        _change(Attempt, attempt_id, {"deadline_at": _attempt_deadline(attempt_id) + timedelta(minutes=5)})
    assert save("false") == ["WITH", "SELECT", "WITH"]  # refused as kept; the question read again, and written
    assert save("true") == (["WITH"] if change == "the flag" else ["SELECT attempt, all", "WITH"])
    assert handed_over == [] and _saved(attempt_id, position) is True and _logs() == 3


@pytest.mark.parametrize("held, sent, logs", [
    (False, "true", 2),  # true kept here, false saved elsewhere, true sent again: written and logged
    (True, "true", 1),  # true kept and held, sent again: nothing written, nothing logged
    (False, "false", 1),  # true kept here, false saved elsewhere and sent here: already held, nothing written
])
def test_an_answer_kept_here_and_changed_elsewhere_costs_one_statement(client, ready, handed_over, postgresql_only,
                                                                        held, sent, logs):
    """The kept answer is not trusted to say whether the answer sent changes the question's: the one statement writes it
    only if the question does not already hold it, and tells which, so no case reads the question again."""
    attempt_id, token, position, url = ready
    assert client.post(url, json=_answer(position, "true"), headers={"X-CSRFToken": token}).status_code == 200
    if not held:  # another process's save of the same question
        _db.session.execute(update(AttemptQuestion).where(
            AttemptQuestion.attempt_id == attempt_id, AttemptQuestion.position == position).values(response=False))
        _db.session.commit()
    with _short_way_statements() as statements:
        response = client.post(url, json=_answer(position, sent), headers={"X-CSRFToken": token})
    assert response.status_code == 200 and response.json["answered"] is True
    assert statements == ["WITH"] and handed_over == []
    assert _saved(attempt_id, position) is (sent == "true") and _logs() == logs


def test_without_room_to_keep_the_attempt_each_save_reads_its_question(app, client, ready, handed_over,
                                                                       postgresql_only, monkeypatch):
    from lms.exams import pages

    monkeypatch.setattr(pages, "KEPT_ATTEMPTS", 0)
    attempt_id, token, position, url = ready
    with _short_way_statements() as sent:
        for answer in ("true", "false"):
            assert client.post(url, json=_answer(position, answer), headers={"X-CSRFToken": token}).status_code == 200
            assert _saved(attempt_id, position) is (answer == "true")
    assert sent == ["SELECT", "WITH", "SELECT", "WITH"]  # the question's row alone each time, not the whole attempt
    assert handed_over == [] and _logs() == 2


def test_a_process_keeps_the_attempts_last_used_and_makes_room_only_by_forgetting_a_stale_one():
    from types import SimpleNamespace

    from lms.exams.pages import _KnownAttempts

    now = [0.0]
    kept = _KnownAttempts(size=2, stale_seconds=60, clock=lambda: now[0])
    first, second, third = (SimpleNamespace(used_at=0.0) for _ in range(3))
    kept.keep(1, first)
    assert kept.has_room()
    kept.keep(2, second)
    now[0] = 59
    assert kept.get(1) is first  # used: the second is now the least recently used, for 59 s
    assert not kept.has_room()  # full, and every attempt kept was used within the minute: the third is not kept
    now[0] = 60
    assert kept.has_room()  # the second unused for a minute
    kept.keep(3, third)
    assert kept.get(2) is None and kept.get(1) is first and kept.get(3) is third
    kept.forget(1)
    assert kept.get(1) is None and kept.has_room()
    assert not _KnownAttempts(size=0).has_room()  # (a process that keeps none)
