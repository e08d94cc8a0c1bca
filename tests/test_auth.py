"""Log-in, lockout, rate limiting, sessions, CSRF and redirects."""
import re
import unicodedata

import pytest
from sqlalchemy import select

from datetime import timedelta

from lms import limits
from lms.accounts import users
from lms.accounts.login import GENERIC_FAILURE
from lms.models import AuditEvent, Role, User

from .conftest import PASSWORD, START, csrf_token, login, post


def events(db, action):
    return db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)).all()


def test_login_requires_acknowledging_the_notice(client, factory):
    factory.user(email="t@example.test")
    response = client.get("/login")
    assert response.status_code == 302 and "/notice" in response.headers["Location"]
    page = client.get("/notice").get_data(as_text=True)
    assert "System use notice" in page and "monitored" in page
    # Posting the notice without ticking the box does not acknowledge it.
    response = client.post("/notice", data={"csrf_token": csrf_token(client)})
    assert response.status_code == 200 and "must acknowledge" in response.get_data(as_text=True)
    assert client.get("/login").status_code == 302
    # A log-in posted without the acknowledgement is sent back to the notice.
    response = client.post("/login", data={"email": "t@example.test", "password": PASSWORD,
                                           "csrf_token": csrf_token(client)})
    assert response.status_code == 302 and "/notice" in response.headers["Location"]


def test_successful_login_is_audited_and_starts_a_new_session(client, factory, db):
    user = factory.user(email="t@example.test")
    client.post("/notice", data={"acknowledge": "y", "csrf_token": csrf_token(client)})
    with client.session_transaction() as s:
        s["planted"] = "from before log-in"
    response = login(client, "t@example.test", ack=False)
    assert response.status_code == 302 and response.headers["Location"] == "/"
    with client.session_transaction() as s:
        assert "planted" not in s  # the pre-login session was replaced
        assert s["_user_id"] == f"{user.id}:{user.session_token}"
    [event] = events(db, "auth.login")
    assert (event.outcome, event.actor_id, event.ip) == ("success", user.id, "127.0.0.1")


def test_wrong_password_gives_a_generic_message_and_is_audited(client, factory, db):
    factory.user(email="t@example.test")
    response = login(client, "t@example.test", "wrong password but long enough")
    assert response.status_code == 401
    assert "not correct" in response.get_data(as_text=True)
    unknown = login(client, "nobody@example.test", "wrong password but long enough", ack=False)
    assert unknown.status_code == 401
    # The same message whether or not the account exists.
    assert GENERIC_FAILURE in unknown.get_data(as_text=True) and GENERIC_FAILURE in response.get_data(as_text=True)
    reasons = [e.details["reason"] for e in events(db, "auth.login")]
    assert reasons == ["bad_password", "unknown_account"]


def test_five_failures_within_15_minutes_lock_the_account_until_an_admin_unlocks_it(client, factory, db, clock):
    user = factory.user(email="t@example.test")
    admin = factory.user(Role.ADMIN, email="admin@example.test")
    for _ in range(4):
        login(client, "t@example.test", "wrong password but long enough")
        clock.advance(minutes=3)
    db.session.refresh(user)
    assert limits.current(f"login-account:{user.id}", now=clock()) == 4 and not user.is_locked(clock())
    response = login(client, "t@example.test", "wrong password but long enough")
    assert GENERIC_FAILURE in response.get_data(as_text=True)
    # Even the right password is refused while locked, with the same answer: it says the account may be locked.
    response = login(client, "t@example.test", PASSWORD)
    assert response.status_code == 401 and GENERIC_FAILURE in response.get_data(as_text=True)
    assert "locked after too many attempts" in GENERIC_FAILURE
    assert len(events(db, "account.lock")) == 1
    # An administrator unlocks it from the account page.
    admin_client = client.application.test_client()
    login(admin_client, "admin@example.test")
    response = post(admin_client, f"/admin/users/{user.id}/unlock", page=f"/admin/users/{user.id}")
    assert response.status_code == 302
    assert [e.actor_id for e in events(db, "account.unlock")] == [admin.id]
    assert login(client, "t@example.test", PASSWORD).status_code == 302


def test_failures_spread_over_more_than_15_minutes_do_not_lock(client, factory, db, clock):
    user = factory.user(email="t@example.test")
    for _ in range(6):
        login(client, "t@example.test", "wrong password but long enough")
        clock.advance(minutes=4)  # the window restarts after 15 minutes
    db.session.refresh(user)
    assert not user.is_locked(clock())


def test_lockout_expires_after_the_configured_duration(client, factory, db, clock, app):
    user = factory.user(email="t@example.test")
    for _ in range(5):
        login(client, "t@example.test", "wrong password but long enough")
    db.session.refresh(user)
    assert user.is_locked(clock())
    clock.advance(minutes=app.config["LOCKOUT_MINUTES"] + 1)
    assert login(client, "t@example.test").status_code == 302


def test_a_success_resets_the_consecutive_count(client, factory, db):
    user = factory.user(email="t@example.test")
    for _ in range(4):
        login(client, "t@example.test", "wrong password but long enough")
    assert login(client, "t@example.test").status_code == 302
    assert limits.current(f"login-account:{user.id}", now=factory.clock()) == 0


def test_failures_are_rate_limited_per_client_address(client, factory, db, app):
    limit = app.config["IP_FAILURE_LIMIT"]
    factory.user(email="real@example.test")
    for i in range(limit):
        login(client, f"guess{i}@example.test", "wrong password but long enough", ack=(i == 0))
    # Even a correct password from this address is refused for now.
    response = login(client, "real@example.test", ack=False)
    assert (response.status_code == 401
            and "Too many failed log-ins from your address" in response.get_data(as_text=True))
    other = client.application.test_client()
    response = other.post("/notice", data={"acknowledge": "y", "csrf_token": csrf_token(other)},
                          environ_base={"REMOTE_ADDR": "10.9.9.9"})
    token = csrf_token(other, "/login")
    response = other.post("/login", data={"email": "real@example.test", "password": PASSWORD, "csrf_token": token},
                          environ_base={"REMOTE_ADDR": "10.9.9.9"})
    assert response.status_code == 302


def test_logout_ends_every_session_of_the_user(make_client, factory, db):
    factory.user(email="t@example.test")
    laptop, phone = make_client(), make_client()
    login(laptop, "t@example.test")
    login(phone, "t@example.test")
    assert phone.get("/course").status_code == 200
    response = post(laptop, "/logout", page="/course")
    assert response.status_code == 302
    assert laptop.get("/course").status_code == 302
    # The other device's cookie no longer matches: it is logged out too.
    response = phone.get("/course")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_password_change_ends_other_sessions_but_keeps_this_one(make_client, factory, db):
    factory.user(email="t@example.test", name="Terry Trainee")
    laptop, phone = make_client(), make_client()
    login(laptop, "t@example.test")
    login(phone, "t@example.test")
    new = "a completely different passphrase"
    response = post(laptop, "/account/password", {"current_password": PASSWORD, "new_password": new, "confirm": new},
                    page="/account/password")
    assert response.status_code == 302
    assert laptop.get("/course").status_code == 200
    assert phone.get("/course").status_code == 302
    assert login(make_client(), "t@example.test", new).status_code == 302


def test_password_change_applies_the_policy(client, factory):
    factory.user(email="t@example.test")
    login(client, "t@example.test")
    for bad, reason in [("short pass", "at least 15"), ("passwordpassword", "too common"),
                        ("aaaaaaaaaaaaaaaaaaaa", "too common")]:
        response = post(client, "/account/password", {"current_password": PASSWORD, "new_password": bad,
                                                       "confirm": bad}, page="/account/password")
        assert response.status_code == 400 and reason in response.get_data(as_text=True)


def test_idle_sessions_end_after_the_timeout(client, factory, clock, app):
    factory.user(email="t@example.test")
    login(client, "t@example.test")
    clock.advance(minutes=app.config["IDLE_TIMEOUT_MINUTES"] - 1)
    assert client.get("/course").status_code == 200  # activity keeps it alive
    clock.advance(minutes=app.config["IDLE_TIMEOUT_MINUTES"] - 1)
    assert client.get("/course").status_code == 200
    clock.advance(minutes=app.config["IDLE_TIMEOUT_MINUTES"] + 1)
    response = client.get("/course")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert client.get("/course").status_code == 302


def test_state_changing_requests_without_a_csrf_token_are_rejected(client, factory, db):
    factory.user(email="t@example.test")
    client.post("/notice", data={"acknowledge": "y", "csrf_token": csrf_token(client)})
    response = client.post("/login", data={"email": "t@example.test", "password": PASSWORD})
    assert response.status_code == 400 and "security token" in response.get_data(as_text=True)
    response = client.post("/login", data={"email": "t@example.test", "password": PASSWORD, "csrf_token": "forged"})
    assert response.status_code == 400
    login(client, "t@example.test", ack=False)
    assert client.post("/logout").status_code == 400
    assert client.get("/course").status_code == 200  # still logged in
    assert not [e for e in events(db, "auth.logout")]


@pytest.mark.parametrize("target, expected", [
    ("/course", "/course"),
    ("https://evil.example/phish", "/"),
    ("//evil.example/phish", "/"),
    ("/\\evil.example", "/"),
    ("javascript:alert(1)", "/"),
])
def test_next_redirects_only_within_the_site(client, factory, target, expected):
    factory.user(email="t@example.test")
    client.post("/notice", data={"acknowledge": "y", "csrf_token": csrf_token(client)})
    token = csrf_token(client, "/login")
    response = client.post("/login", query_string={"next": target},
                           data={"email": "t@example.test", "password": PASSWORD, "csrf_token": token})
    assert response.headers["Location"] == expected


def test_session_cookie_flags(client, factory, app):
    factory.user(email="t@example.test")
    response = login(client, "t@example.test")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    response = app.test_client().get("/notice", base_url="https://localhost")  # a form page sets the cookie
    assert "Secure" in response.headers["Set-Cookie"]


def test_a_reset_password_must_be_changed_at_next_login(client, factory, db):
    from lms.accounts import users as accounts

    user = factory.user(email="t@example.test")
    accounts.reset_password(user, "temporary passphrase for today", now=factory.clock())
    db.session.commit()
    login(client, "t@example.test", "temporary passphrase for today")
    response = client.get("/course")
    assert response.status_code == 302 and response.headers["Location"].endswith("/account/password")
    new = "my own brand new passphrase"
    post(client, "/account/password", {"current_password": "temporary passphrase for today", "new_password": new,
                                       "confirm": new}, page="/account/password")
    assert client.get("/course").status_code == 200
    db.session.refresh(user)
    assert not user.must_change_password


def test_disabled_accounts_cannot_log_in_and_lose_their_sessions(client, factory, db):
    from lms.accounts import users as accounts

    user = factory.user(email="t@example.test")
    login(client, "t@example.test")
    accounts.disable_user(user, now=factory.clock(), reason="left the agency")
    db.session.commit()
    assert client.get("/course").status_code == 302
    response = login(client, "t@example.test")
    assert response.status_code == 401 and "disabled" in response.get_data(as_text=True)


def test_passwords_are_stored_as_argon2id(factory, db):
    user = factory.user(email="t@example.test")
    stored = db.session.scalar(select(User.password_hash).where(User.id == user.id))
    assert stored.startswith("$argon2id$") and PASSWORD not in stored


def _answer(response):
    """The page without its CSRF token (which differs between requests)."""
    return re.sub(r'name="csrf_token"[^>]*>', "", response.get_data(as_text=True))


@pytest.mark.parametrize("state", ["locked", "disabled"])
def test_a_locked_or_disabled_account_answers_the_same_whatever_the_password(client, factory, db, clock, state):
    """Regression: while locked, a wrong password got "not correct" and the right one "locked"."""
    from lms.accounts import users as accounts

    user = factory.user(email="t@example.test")
    if state == "locked":
        for _ in range(client.application.config["LOCKOUT_THRESHOLD"]):
            login(client, "t@example.test", "wrong password but long enough")
    else:
        accounts.disable_user(user, now=clock(), reason="test")
        db.session.commit()
    wrong = login(client, "t@example.test", "another wrong password, long too")
    right = login(client, "t@example.test", ack=False)
    unknown = login(client, "nobody@example.test", ack=False)
    assert wrong.status_code == right.status_code == unknown.status_code == 401
    assert _answer(wrong) == _answer(right) == _answer(unknown).replace("nobody@", "t@")
    assert GENERIC_FAILURE in _answer(right)
    # The audit log, for administrators, keeps what happened.
    assert [(e.details["reason"], e.details.get("password")) for e in events(db, "auth.login")][-3:] == [
        (state, "wrong"), (state, "right"), ("unknown_account", None)]


def test_a_wrong_password_does_not_disable_an_inactive_account(client, factory, db, clock):
    user = factory.user(email="t@example.test")
    clock.advance(days=120)
    login(client, "t@example.test", "wrong password but long enough")
    db.session.expire_all()
    assert db.session.get(User, user.id).disabled_at is None


def test_text_typed_in_the_e_mail_field_is_not_logged_unless_it_is_an_address(client, factory, db):
    login(client, "my secret passphrase", "whatever else it is")
    [event] = events(db, "auth.login")
    assert event.actor == "(not an e-mail address)"


def test_a_session_ends_at_its_maximum_length_however_active(client, factory, clock, app):
    factory.user(email="t@example.test")
    login(client, "t@example.test")
    for _ in range(app.config["SESSION_MAX_HOURS"] * 3 + 2):
        clock.advance(minutes=20)
        if client.get("/course").status_code != 200:
            break
    # Kept alive by activity up to the limit, ended just past it.
    assert timedelta(hours=app.config["SESSION_MAX_HOURS"]) < clock() - START <= timedelta(
        hours=app.config["SESSION_MAX_HOURS"], minutes=20)
    response = client.get("/course")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


COMPOSED = "cr\u00e8me br\u00fbl\u00e9e au caf\u00e9 du matin"  # è, û, é as one code point each
DECOMPOSED = unicodedata.normalize("NFD", COMPOSED)  # the same letters as base + combining accent


def test_passwords_are_normalised_so_any_keyboard_s_form_logs_in(client, factory, db):
    """Regression (issue 10, defect 9): set in composed form, a log-in in decomposed form failed."""
    assert COMPOSED != DECOMPOSED
    factory.user(email="t@example.test", password=COMPOSED)
    assert login(client, "t@example.test", DECOMPOSED).status_code == 302
    assert login(client.application.test_client(), "t@example.test", COMPOSED).status_code == 302


def test_a_hash_made_before_normalisation_still_works_and_is_made_again(client, factory, db):
    from lms.security import _hasher, verify_password

    user = factory.user(email="t@example.test")
    legacy = _hasher()[0].hash(DECOMPOSED)  # as stored before passwords were normalised
    user.password_hash = legacy
    db.session.commit()
    assert login(client, "t@example.test", COMPOSED).status_code == 401  # the old hash knows one form only
    assert login(client, "t@example.test", DECOMPOSED, ack=False).status_code == 302
    db.session.expire_all()
    stored = db.session.get(User, user.id).password_hash
    assert stored != legacy and verify_password(stored, COMPOSED) and not verify_password(stored, COMPOSED).stale
    assert login(client.application.test_client(), "t@example.test", COMPOSED).status_code == 302


def test_a_generated_password_never_holds_a_part_of_the_persons_name(monkeypatch):
    """A random token can, rarely, contain a name ("wYEv_914VD_sMfTAtER0" holds "Tate"): it is drawn again."""
    drawn = iter(["wYEv_914VD_sMfTAtER0", "Qx7_kP2m9Lr4vZ8nB3wY"])
    monkeypatch.setattr(users.secrets, "token_urlsafe", lambda n: next(drawn))
    assert users.generate_password(email="taskforce.trainee@demo.example", name="Tate Taskforce") == \
        "Qx7_kP2m9Lr4vZ8nB3wY"
