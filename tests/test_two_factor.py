"""Two factors: enrolment, log-in with a code or a recovery code, refusals, lockout, reset, and secrecy."""
import json
import logging
import re

import pyotp
import pytest
from sqlalchemy import select

from lms import limits

from lms.accounts import twofactor
from lms.models import AuditEvent, RecoveryCode, Role, User

from .conftest import PASSWORD, SECRET_RE, csrf_from, csrf_token, login, post, totp_code


def events(db, action):
    return db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq)).all()


def password_step(client, email, password=PASSWORD):
    """Acknowledge the notice and give the password: the session is now half logged in."""
    client.post("/notice", data={"acknowledge": "y", "csrf_token": csrf_token(client, "/notice")})
    return client.post("/login", data={"email": email, "password": password,
                                       "csrf_token": csrf_token(client, "/login")})


def send_code(client, code):
    return client.post("/login/code", data={"code": code, "csrf_token": csrf_token(client, "/login/code")})


def secret_of(db, user) -> pyotp.TOTP:
    db.session.refresh(user)
    return pyotp.TOTP(twofactor.decrypt_secret(user.totp_secret))


def code_at(totp, clock, offset):
    return totp.generate_otp(totp.timecode(clock()) + offset)


def wrong_code(db, user, clock, n=0) -> str:
    """A 6-digit code that is none of the codes the user's authenticator could show now."""
    totp = secret_of(db, user)
    window = {code_at(totp, clock, offset) for offset in (-1, 0, 1)}
    return [c for c in (f"{d}" * 6 for d in range(10)) if c not in window][n]


def logged_in(client) -> bool:
    """True when the client's session is fully logged in (the password page needs that)."""
    return client.get("/account/password").status_code == 200


# -- enrolment -----------------------------------------------------------------------------------------


def failures(user, clock):
    """The account's failures counted toward the lockout (lms.limits)."""
    return limits.current(f"login-account:{user.id}", now=clock())


def test_a_privileged_account_without_a_factor_enrols_right_after_its_password(client, factory, db, clock):
    staff = factory.user(Role.STAFF, email="staff@example.test", two_factor=False)
    response = password_step(client, "staff@example.test")
    assert response.status_code == 302 and response.headers["Location"] == "/account/two-factor/enrol"
    assert [e.details for e in events(db, "auth.password")] == [{}] and events(db, "auth.login") == []
    # Anything else sends back to enrolment; nothing is reachable yet.
    assert client.get("/registry").headers["Location"] == "/account/two-factor/enrol"
    page = client.get("/account/two-factor/enrol")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert "<svg" in html and "QR code to add this account" in html  # drawn inline, no image service
    secret = SECRET_RE.search(html).group(1).replace(" ", "")
    assert client.get("/account/two-factor/enrol").get_data(as_text=True).count(secret[:4]) >= 1  # same on reload
    assert SECRET_RE.search(client.get("/account/two-factor/enrol").get_data(as_text=True)).group(1).replace(" ", "") \
        == secret
    # A wrong first code is refused, counted, and changes nothing.
    window = {pyotp.TOTP(secret).generate_otp(pyotp.TOTP(secret).timecode(clock()) + d) for d in (-1, 0, 1)}
    not_it = next(c for c in ("000000", "111111", "222222", "333333") if c not in window)
    wrong = client.post("/account/two-factor/enrol", data={"code": not_it, "csrf_token": csrf_from(html)})
    assert wrong.status_code == 400 and "not correct" in wrong.get_data(as_text=True)
    db.session.refresh(staff)
    assert not staff.has_second_factor and failures(staff, clock) == 1
    # The first right code turns it on; ten recovery codes are shown once; the log-in completes.
    half_cookie = client.get_cookie("lms_session").value
    done = client.post("/account/two-factor/enrol",
                       data={"code": pyotp.TOTP(secret).at(clock()), "csrf_token": csrf_from(html)})
    body = done.get_data(as_text=True)
    assert done.status_code == 200 and done.headers["Cache-Control"] == "no-store"
    codes = re.findall(r"<li><code>([a-z0-9]{5}-[a-z0-9]{5})</code></li>", body)
    assert len(set(codes)) == 10
    assert client.get_cookie("lms_session").value != half_cookie  # a new session at full log-in
    assert logged_in(client)
    db.session.refresh(staff)
    assert staff.has_second_factor and failures(staff, clock) == 0
    assert secret not in staff.totp_secret  # encrypted at rest
    assert db.session.scalar(select(RecoveryCode.code_hash).where(RecoveryCode.user_id == staff.id)).startswith(
        "$argon2id$")
    assert [e.actor_id for e in events(db, "two_factor.enrol")] == [staff.id]
    assert events(db, "auth.login")[-1].details == {"second_factor": "enrolment"}
    # The next log-in asks for a code.
    client.post("/logout", data={"csrf_token": csrf_token(client, "/account/password")})
    assert password_step(client, "staff@example.test").headers["Location"] == "/login/code"
    clock.advance(seconds=30)
    assert send_code(client, pyotp.TOTP(secret).at(clock())).headers["Location"] == "/"


def test_a_trainee_logs_in_with_a_password_alone_and_may_enrol_from_the_account_page(client, factory, db, clock):
    trainee = factory.user(Role.TRAINEE, email="t@example.test")
    response = password_step(client, "t@example.test")
    assert response.headers["Location"] == "/"  # no second step
    page = client.get("/account/two-factor").get_data(as_text=True)
    assert "Off" in page and "Set up two-factor log-in" in page
    assert "Two-factor log-in" in client.get("/account/password").get_data(as_text=True)
    html = client.get("/account/two-factor/enrol").get_data(as_text=True)
    secret = SECRET_RE.search(html).group(1).replace(" ", "")
    done = client.post("/account/two-factor/enrol", data={"code": pyotp.TOTP(secret).at(clock()),
                                                          "csrf_token": csrf_from(html)})
    assert done.status_code == 200 and "Recovery codes, shown only once" in done.get_data(as_text=True)
    db.session.refresh(trainee)
    assert trainee.has_second_factor
    assert "recovery-codes-left\">10<" in client.get("/account/two-factor").get_data(as_text=True)
    # From now on the trainee, too, logs in with a code.
    other = client.application.test_client()
    assert password_step(other, "t@example.test").headers["Location"] == "/login/code"


# -- codes refused ---------------------------------------------------------------------------------------


def test_a_wrong_code_is_refused_counted_and_audited_without_the_code(client, factory, db, clock):
    staff = factory.user(Role.STAFF, email="staff@example.test")
    password_step(client, "staff@example.test")
    response = send_code(client, wrong_code(db, staff, clock))
    assert response.status_code == 401 and "not correct" in response.get_data(as_text=True)
    db.session.refresh(staff)
    assert failures(staff, clock) == 1 and not logged_in(client)
    [failure] = [e for e in events(db, "auth.login") if e.outcome == "failure"]
    assert failure.details == {"reason": "bad_code", "consecutive": 1}
    # Still half logged in: the right code completes the log-in and clears the count.
    assert send_code(client, totp_code(staff)).status_code == 302 and logged_in(client)
    db.session.refresh(staff)
    assert failures(staff, clock) == 0


def test_a_code_is_accepted_once_and_never_an_earlier_one(client, make_client, factory, db, clock):
    staff = factory.user(Role.STAFF, email="staff@example.test")
    totp = secret_of(db, staff)
    password_step(client, "staff@example.test")
    now_code = code_at(totp, clock, 0)
    assert send_code(client, now_code).status_code == 302
    db.session.refresh(staff)
    assert staff.totp_last_step == totp.timecode(clock())
    # The same code again (a replay, within its 30 seconds) is refused.
    again = make_client()
    password_step(again, "staff@example.test")
    response = send_code(again, now_code)
    assert response.status_code == 401
    # So is the previous step's code, though it is still within the window.
    assert send_code(again, code_at(totp, clock, -1)).status_code == 401
    assert [e.details["reason"] for e in events(db, "auth.login") if e.outcome == "failure"] == \
        ["reused_code", "reused_code"]
    # The next step's code works.
    assert send_code(again, code_at(totp, clock, +1)).status_code == 302


@pytest.mark.parametrize("offset", [-2, 2, 10])
def test_a_code_outside_the_window_is_refused(client, factory, db, clock, offset):
    staff = factory.user(Role.STAFF, email="staff@example.test")
    totp = secret_of(db, staff)
    password_step(client, "staff@example.test")
    clock.advance(minutes=2)  # the enrolment's step is long past: only the window decides
    assert send_code(client, code_at(totp, clock, offset)).status_code == 401
    assert send_code(client, code_at(totp, clock, 1)).status_code == 302  # one step of drift is allowed


def test_a_recovery_code_works_once_and_new_ones_replace_the_old(client, make_client, factory, db, clock):
    staff = factory.user(Role.STAFF, email="staff@example.test", two_factor=False)
    secret = twofactor.new_secret()
    codes = twofactor.enrol(staff, secret, pyotp.TOTP(secret).at(clock()), now=clock())
    db.session.commit()
    password_step(client, "staff@example.test")
    response = send_code(client, codes[0].upper().replace("-", " "))  # as typed, spaces and case forgiven
    assert response.status_code == 302
    assert "You used a recovery code; 9 left." in client.get("/cohorts").get_data(as_text=True)  # logged in
    [use] = events(db, "two_factor.recovery_code_use")
    assert use.details == {"left": 9}
    second = make_client()
    password_step(second, "staff@example.test")
    assert send_code(second, codes[0]).status_code == 401  # used once already
    # New codes (confirmed with a current code) replace the old ones, shown once.
    clock.advance(seconds=30)
    response = post(client, "/account/two-factor/recovery-codes", {"code": pyotp.TOTP(secret).at(clock())},
                    page="/account/two-factor")
    fresh = re.findall(r"<li><code>([a-z0-9]{5}-[a-z0-9]{5})</code></li>", response.get_data(as_text=True))
    assert len(fresh) == 10 and not set(fresh) & set(codes)
    assert len(events(db, "two_factor.recovery_codes")) == 1
    assert send_code(second, codes[1]).status_code == 401
    assert send_code(second, fresh[0]).status_code == 302


def test_new_recovery_codes_need_a_right_code(client, factory, db, clock):
    staff = factory.user(Role.STAFF, email="staff@example.test")
    login(client, "staff@example.test")
    response = post(client, "/account/two-factor/recovery-codes", {"code": wrong_code(db, staff, clock)},
                    page="/account/two-factor")
    assert response.status_code == 302 and response.headers["Location"] == "/account/two-factor"
    assert events(db, "two_factor.recovery_codes") == []
    db.session.refresh(staff)
    assert failures(staff, clock) == 1


# -- lockout ---------------------------------------------------------------------------------------------


def test_wrong_codes_count_toward_the_lockout_and_a_known_password_does_not_reset_the_count(
        client, make_client, factory, db, clock, app):
    staff = factory.user(Role.STAFF, email="staff@example.test")
    login(client, "staff@example.test", "wrong password but long enough")  # 1: a wrong password
    for n in range(2):  # 2, 3: wrong codes
        half = make_client()
        password_step(half, "staff@example.test")
        send_code(half, wrong_code(db, staff, clock, n))
    # The right password again does not clear the count (the log-in is not complete).
    attacker = make_client()
    password_step(attacker, "staff@example.test")
    send_code(attacker, wrong_code(db, staff, clock, 2))  # 4
    db.session.refresh(staff)
    assert failures(staff, clock) == 4 and not staff.is_locked(clock())
    response = send_code(attacker, wrong_code(db, staff, clock, 3))  # 5: locked; the half log-in is over
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert "locked" in attacker.get("/login").get_data(as_text=True)
    db.session.refresh(staff)
    assert staff.is_locked(clock()) and len(events(db, "account.lock")) == 1
    assert password_step(client, "staff@example.test").status_code == 401  # the password step says locked
    clock.advance(minutes=app.config["LOCKOUT_MINUTES"] + 1)
    assert login(client, "staff@example.test").status_code == 302 and logged_in(client)


@pytest.mark.parametrize("how", ["wrong passwords", "wrong codes"])
def test_a_locked_account_refuses_a_right_code_from_an_earlier_half_log_in(client, make_client, factory, db, clock,
                                                                           how):
    staff = factory.user(Role.STAFF, email="staff@example.test")
    password_step(client, "staff@example.test")  # the owner reached the code step...
    token = csrf_token(client, "/login/code")
    attacker = make_client()
    if how == "wrong passwords":  # ...and someone else locks the account meanwhile
        for _ in range(5):
            login(attacker, "staff@example.test", "wrong password but long enough")
    else:
        password_step(attacker, "staff@example.test")
        for n in range(5):
            send_code(attacker, wrong_code(db, staff, clock, n))
    db.session.refresh(staff)
    assert staff.is_locked(clock())
    response = client.post("/login/code", data={"code": totp_code(staff), "csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"] == "/login" and not logged_in(client)
    db.session.refresh(staff)
    assert staff.last_login_at is None


# -- the half-logged-in state ----------------------------------------------------------------------------


def test_the_half_logged_in_state_expires_and_ends_with_the_users_sessions(client, make_client, factory, db, clock,
                                                                           app):
    staff = factory.user(Role.STAFF, email="staff@example.test")
    password_step(client, "staff@example.test")
    token = csrf_token(client, "/login/code")
    clock.advance(minutes=app.config["TWO_FACTOR_PENDING_MINUTES"] + 1)
    response = client.post("/login/code", data={"code": totp_code(staff), "csrf_token": token})
    assert response.headers["Location"] == "/login" and not logged_in(client)
    # An administrator's reset (or a password change) ends a half log-in too.
    password_step(client, "staff@example.test")
    token = csrf_token(client, "/login/code")
    twofactor.reset(staff, now=clock())
    db.session.commit()
    assert client.post("/login/code", data={"code": "123456", "csrf_token": token}).headers["Location"] == "/login"
    # Cancelling from the enrolment page abandons it.
    other = make_client()
    password_step(other, "staff@example.test")
    response = other.post("/logout", data={"csrf_token": csrf_token(other, "/account/two-factor/enrol")})
    assert response.headers["Location"] == "/login"
    assert other.get("/registry").headers["Location"].startswith("/login?")


def test_the_next_page_is_kept_through_the_second_step(client, factory, db):
    staff = factory.user(Role.STAFF, email="staff@example.test")
    client.post("/notice", data={"acknowledge": "y", "csrf_token": csrf_token(client, "/notice")})
    client.post("/login", query_string={"next": "/registry?q=x"},
                data={"email": staff.email, "password": PASSWORD, "csrf_token": csrf_token(client, "/login")})
    assert send_code(client, totp_code(staff)).headers["Location"] == "/registry?q=x"


def test_a_privileged_session_from_before_two_factors_were_required_must_enrol(client, factory, db, app, clock):
    instructor = factory.user(Role.INSTRUCTOR, email="i@example.test", two_factor=False)
    app.config["REQUIRE_2FA"] = False
    try:
        assert password_step(client, "i@example.test").headers["Location"] == "/"  # off: a password is enough
        assert client.get("/cohorts").status_code == 200
    finally:
        app.config["REQUIRE_2FA"] = True
    # Now required: the live session can reach only enrolment (and the password change).
    assert client.get("/cohorts").headers["Location"] == "/account/two-factor/enrol"
    assert client.get("/account/password").status_code == 200
    html = client.get("/account/two-factor/enrol").get_data(as_text=True)
    secret = SECRET_RE.search(html).group(1).replace(" ", "")
    client.post("/account/two-factor/enrol",
                data={"code": pyotp.TOTP(secret).at(clock()), "csrf_token": csrf_from(html)})
    assert client.get("/cohorts").status_code == 200
    db.session.refresh(instructor)
    assert instructor.has_second_factor


def test_production_refuses_to_turn_two_factors_off(monkeypatch, tmp_path):
    from lms.app import create_app

    monkeypatch.setenv("LMS_ENV", "production")
    monkeypatch.setenv("LMS_SECRET_KEY", "from-the-environment")
    monkeypatch.setenv("LMS_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("LMS_PUBLIC_URL", "https://lms.example.gov")
    monkeypatch.setenv("LMS_REQUIRE_2FA", "off")
    with pytest.raises(RuntimeError, match="LMS_REQUIRE_2FA"):
        create_app()
    monkeypatch.setenv("LMS_REQUIRE_2FA", "")
    assert create_app().config["REQUIRE_2FA"] is True


# -- reset -----------------------------------------------------------------------------------------------


def test_an_administrator_resets_a_lost_factor_and_the_user_enrols_again(client, make_client, factory, db, clock):
    admin = factory.user(Role.ADMIN, email="admin@example.test")
    staff = factory.user(Role.STAFF, email="staff@example.test")
    staff_client = make_client()
    login(staff_client, "staff@example.test")
    login(client, "admin@example.test")
    page = client.get(f"/admin/users/{staff.id}").get_data(as_text=True)
    assert "On since" in page and "Reset two-factor log-in" in page
    response = post(client, f"/admin/users/{staff.id}/reset-two-factor", page=f"/admin/users/{staff.id}")
    assert response.status_code == 302
    db.session.refresh(staff)
    assert (staff.totp_secret, staff.totp_enabled_at, staff.totp_last_step) == (None, None, None)
    assert db.session.scalars(select(RecoveryCode).where(RecoveryCode.user_id == staff.id)).all() == []
    [reset] = events(db, "two_factor.reset")
    assert (reset.actor_id, reset.object_id, reset.details) == (
        admin.id, str(staff.id), {"had_second_factor": True, "must_enrol": True})
    assert not logged_in(staff_client)  # the user's sessions ended
    assert "Not set up (required" in client.get(f"/admin/users/{staff.id}").get_data(as_text=True)
    assert password_step(make_client(), "staff@example.test").headers["Location"] == "/account/two-factor/enrol"


def test_the_cli_resets_a_factor(app, factory, db):
    staff = factory.user(Role.STAFF, email="staff@example.test")
    result = app.test_cli_runner().invoke(args=["users", "reset-2fa", "STAFF@example.test"])
    assert result.exit_code == 0 and "reset for staff@example.test" in result.output
    db.session.rollback()
    assert not db.session.get(User, staff.id).has_second_factor
    [reset] = events(db, "two_factor.reset")
    assert reset.actor == "system"
    assert app.test_cli_runner().invoke(args=["users", "reset-2fa", "nobody@example.test"]).exit_code != 0


# -- secrecy ---------------------------------------------------------------------------------------------


def test_secrets_are_encrypted_with_a_key_from_the_app_secret_and_survive_a_key_rotation(app, factory, db):
    staff = factory.user(Role.STAFF, email="staff@example.test")
    stored = staff.totp_secret
    secret = twofactor.decrypt_secret(stored)
    old_key = app.config["SECRET_KEY"]
    app.config["SECRET_KEY"] = "a-new-secret-key-after-rotation"
    try:
        with pytest.raises(twofactor.TwoFactorError):
            twofactor.decrypt_secret(stored)  # another key cannot read it
        app.config["PREVIOUS_SECRET_KEYS"] = [old_key]
        assert twofactor.decrypt_secret(stored) == secret
        result = app.test_cli_runner().invoke(args=["users", "reencrypt-2fa"])
        assert result.exit_code == 0 and "1 two-factor secret re-encrypted" in result.output
        app.config["PREVIOUS_SECRET_KEYS"] = []
        db.session.rollback()
        assert twofactor.decrypt_secret(db.session.get(User, staff.id).totp_secret) == secret
    finally:
        app.config["SECRET_KEY"], app.config["PREVIOUS_SECRET_KEYS"] = old_key, []


def test_no_secret_or_code_reaches_the_audit_log_or_the_logs(client, factory, db, clock, caplog):
    caplog.set_level(logging.DEBUG)
    staff = factory.user(Role.STAFF, email="staff@example.test", two_factor=False)
    password_step(client, "staff@example.test")
    html = client.get("/account/two-factor/enrol").get_data(as_text=True)
    secret = SECRET_RE.search(html).group(1).replace(" ", "")
    first = pyotp.TOTP(secret).at(clock())
    body = client.post("/account/two-factor/enrol", data={"code": first, "csrf_token": csrf_from(html)}) \
        .get_data(as_text=True)
    codes = re.findall(r"<li><code>([a-z0-9]{5}-[a-z0-9]{5})</code></li>", body)
    client.post("/logout", data={"csrf_token": csrf_token(client, "/account/password")})
    password_step(client, "staff@example.test")
    send_code(client, wrong_code(db, staff, clock))
    send_code(client, codes[0])
    secrets = [secret, first, *codes, *(c.replace("-", "") for c in codes)]
    audit = json.dumps([[e.actor, e.action, e.object_id, e.details] for e in db.session.scalars(select(AuditEvent))])
    assert [s for s in secrets if s in audit or s.lower() in audit.lower()] == []
    assert [s for s in secrets if s in caplog.text] == []
    db.session.refresh(staff)
    assert secret not in staff.totp_secret


# -- at once ---------------------------------------------------------------------------------------------


@pytest.mark.committed  # threads on connections of their own must see the data
def test_the_same_code_sent_at_once_is_accepted_once(app, factory, db, clock):
    """Requests in parallel, each with its own database session (as gunicorn's workers), on SQLite and
    PostgreSQL: one claims the time step (or the recovery code), the others are refused."""
    from .exams.test_concurrency import run_at_once

    staff = factory.user(Role.STAFF, email="staff@example.test", two_factor=False)
    secret = twofactor.new_secret()
    recovery = twofactor.enrol(staff, secret, code_at(pyotp.TOTP(secret), clock, -1), now=clock())
    user_id = staff.id
    db.session.commit()  # and no transaction left open: the threads write

    def attempt(code):
        def work(now):
            try:
                return twofactor.check_code(db.session.get(User, user_id), code, now=now)
            except twofactor.TwoFactorError:
                return "refused"
        return work

    for code in (code_at(pyotp.TOTP(secret), clock, 0), recovery[0]):
        results = run_at_once(app, clock, attempt(code))
        assert sorted(results, key=str) == sorted(["refused"] * 5 + [twofactor.TOTP if code.isdigit()
                                                                     else twofactor.RECOVERY_CODE], key=str), results
        twofactor_unlock(db, user_id, clock)


def twofactor_unlock(db, user_id, clock):
    from lms.accounts.login import unlock_user

    db.session.rollback()
    unlock_user(db.session.get(User, user_id), now=clock())
    db.session.commit()
    db.session.close()
