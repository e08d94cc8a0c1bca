"""Nothing secret in the audit log, the app's logs, the session cookie or error pages; log-in and public
verification are rate-limited."""
import logging
import re

from sqlalchemy import select

from lms.models import AuditEvent

from ..conftest import PASSWORD, csrf_token, login

WRONG = "wrong horse battery staple 99"
NEW = "a brand new passphrase for the tests 7"


def _session_contents(app, client) -> str:
    cookie = client.get_cookie("lms_session")
    return str(app.session_interface.get_signing_serializer(app).loads(cookie.value)) if cookie else ""


def _audit_text(db) -> str:
    db.session.rollback()
    return "\n".join(str([e.actor, e.action, e.object_type, e.object_id, e.details, e.ip])
                     for e in db.session.scalars(select(AuditEvent)))


def test_no_secret_reaches_the_audit_log_the_logs_or_the_cookie(app, world, as_user, db, caplog):
    caplog.set_level(logging.DEBUG)
    secrets = {PASSWORD, WRONG, NEW, app.config["SECRET_KEY"]}
    anonymous = app.test_client()
    login(anonymous, world.a.trainee.email, WRONG)
    admin = as_user(world.admin)
    secrets.add(admin.get_cookie("lms_session").value)
    secrets.add(csrf_token(admin, "/admin/users/new"))
    page = admin.post("/admin/users/new", data={
        "csrf_token": csrf_token(admin, "/admin/users/new"), "email": "new.person@example.test", "name": "New Person",
        "role": "staff", "agency_id": "0", "password": ""}).get_data(as_text=True)
    temporary = re.search(r'<code[^>]*>([^<]+)</code>', page)
    assert temporary, "the created-account page shows the temporary password"
    secrets.add(temporary.group(1).strip())
    assert temporary.group(1).strip() not in _session_contents(app, admin)
    page = admin.post(f"/admin/users/{world.peer.id}/reset-password", data={
        "csrf_token": csrf_token(admin, f"/admin/users/{world.peer.id}"), "password": ""}).get_data(as_text=True)
    reset = re.search(r'<code[^>]*>([^<]+)</code>', page).group(1).strip()
    secrets.add(reset)
    assert reset not in _session_contents(app, admin)
    trainee = as_user(world.b.trainee)
    trainee.post("/account/password", data={"csrf_token": csrf_token(trainee, "/account/password"),
                                            "current_password": PASSWORD, "new_password": NEW,
                                            "confirm_password": NEW, "confirm": NEW})
    key_path = app.config.get("SIGNING_KEY_PATH") or f"{app.instance_path}/signing_key.pem"
    with open(key_path) as fh:
        pem = fh.read()
    secrets.add("".join(pem.splitlines()[1:-1]))
    audit, logs = _audit_text(db), caplog.text
    for secret in secrets:
        assert secret not in audit
        assert secret not in logs


def test_accepting_a_nomination_keeps_the_temporary_password_out_of_the_session_cookie(app, world, as_user, db,
                                                                                       caplog):
    caplog.set_level(logging.DEBUG)
    staff = as_user(world.staff)
    nomination = world.a.nomination
    page = staff.post(f"/nominations/{nomination.id}/accept", data={
        "csrf_token": csrf_token(staff, f"/nominations/{nomination.id}"), "cohort_id": world.a.cohort.id})
    assert page.status_code == 200
    password = re.search(r'<code[^>]*>([^<]+)</code>', page.get_data(as_text=True)).group(1).strip()
    assert password not in _session_contents(app, staff)
    assert password not in staff.get(f"/nominations/{nomination.id}").get_data(as_text=True)  # shown once
    assert password not in _audit_text(db) and password not in caplog.text


def test_log_in_is_rate_limited_per_address(app, world, db, clock):
    limit = app.config["IP_FAILURE_LIMIT"]
    client = app.test_client()
    for n in range(limit):
        assert login(client, f"nobody{n}@example.test", WRONG, ack=n == 0).status_code == 401
    # Even the right password is refused from this address now, and it says why.
    response = login(client, world.staff.email, ack=False)
    assert response.status_code == 401 and "Too many failed log-ins" in response.get_data(as_text=True)
    assert client.get("/registry").status_code == 302
    clock.advance(minutes=app.config["IP_FAILURE_WINDOW_MINUTES"] + 1)
    assert login(client, world.staff.email, ack=False).status_code == 302


def test_public_verification_is_rate_limited(app, world):
    client = app.test_client()
    limit = app.config["VERIFY_MISS_LIMIT"]
    statuses = [client.get(f"/verify/no-such-code-{n:08d}").status_code for n in range(limit + 1)]
    assert set(statuses[:limit]) == {404}
    response = client.get(f"/verify/{world.a.certification.verification_code}")
    assert response.status_code == 429 and response.headers.get("Retry-After")


def test_guessing_the_current_password_on_the_change_form_locks_the_account(app, world, as_user, db):
    """The change-password form is a password oracle: wrong guesses count toward the log-in lockout."""
    client = as_user(world.b.trainee)
    for n in range(app.config["LOCKOUT_THRESHOLD"]):
        token = csrf_token(client, "/account/password")
        response = client.post("/account/password", data={"csrf_token": token, "current_password": f"guess {n}",
                                                           "new_password": NEW, "confirm": NEW})
        assert response.status_code == 400
    assert "locked" in response.get_data(as_text=True)
    assert client.get("/course").status_code == 302  # logged out everywhere
    assert login(app.test_client(), world.b.trainee.email).status_code == 401  # and locked


def test_forms_never_echo_a_password_and_a_server_error_reveals_nothing(app, world, as_user, monkeypatch):
    anonymous = app.test_client()
    response = login(anonymous, world.staff.email, WRONG)
    assert response.status_code == 401 and WRONG not in response.get_data(as_text=True)
    client = as_user(world.a.trainee)
    response = client.post("/account/password", data={"csrf_token": csrf_token(client, "/account/password"),
                                                       "current_password": PASSWORD, "new_password": "short",
                                                       "confirm": "short"})
    assert PASSWORD not in response.get_data(as_text=True)
    # An unexpected error: the generic page, no exception text, no traceback.
    import lms.agencies.oversight

    def boom(**kw):
        raise RuntimeError("internal detail postgresql://user:hunter2@db")

    monkeypatch.setattr(lms.agencies.oversight, "program_figures", boom)
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    response = as_user(world.staff).get("/program")
    body = response.get_data(as_text=True)
    assert response.status_code == 500 and "Something went wrong" in body
    assert "hunter2" not in body and "Traceback" not in body and "RuntimeError" not in body
