"""Administrator pages and the `lms users` commands."""
import re

from sqlalchemy import select

from lms.accounts import access_review, login as login_service
from lms.models import AuditEvent, Role, User

from .conftest import PASSWORD, login, post


def audit_actions(db):
    return [e.action for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.seq))]


def test_admin_creates_an_account_with_role_and_agency(client, factory, db):
    agency = factory.agency(name="Florida Department of Law Enforcement", ori="FL0000000", state="FL")
    admin = factory.user(Role.ADMIN, email="admin@example.test")
    login(client, admin.email)
    response = post(client, "/admin/users/new", {"email": "New.Officer@Example.test", "name": "New Officer",
                                                  "role": "trainee", "agency_id": str(agency.id), "password": ""},
                    page="/admin/users/new")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    password = re.search(r'class="temporary-password">([^<]+)<', page).group(1)
    user = db.session.scalar(select(User).where(User.email == "new.officer@example.test"))
    assert user.role == "trainee" and user.agency_id == agency.id and user.must_change_password
    assert response.headers["Cache-Control"] == "no-store"
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "user.create",
                                                       AuditEvent.object_id == str(user.id)))
    assert event.actor_id == admin.id and event.details["role"] == "trainee"
    assert password not in str(event.details)
    # The new user logs in and must change the password first.
    other = client.application.test_client()
    login(other, "new.officer@example.test", password)
    assert other.get("/course").headers["Location"].endswith("/account/password")


def test_admin_create_refuses_bad_input_and_keeps_the_form(client, factory, db):
    admin = factory.user(Role.ADMIN, email="admin@example.test")
    login(client, admin.email)
    response = post(client, "/admin/users/new", {"email": "x@example.test", "name": "X", "role": "trainee",
                                                  "agency_id": "0", "password": ""}, page="/admin/users/new")
    assert response.status_code == 400 and "must belong to an agency" in response.get_data(as_text=True)
    assert 'value="x@example.test"' in response.get_data(as_text=True)
    response = post(client, "/admin/users/new", {"email": "admin@example.test", "name": "X", "role": "staff",
                                                  "agency_id": "0", "password": ""}, page="/admin/users/new")
    assert response.status_code == 400 and "already exists" in response.get_data(as_text=True)


def test_admin_disables_resets_and_changes_role(client, factory, db):
    admin = factory.user(Role.ADMIN, email="admin@example.test")
    user = factory.user(Role.TRAINEE, email="t@example.test")
    victim_session = client.application.test_client()
    login(victim_session, "t@example.test")
    login(client, admin.email)
    page = f"/admin/users/{user.id}"
    assert post(client, f"/admin/users/{user.id}/disable", {"reason": "left the agency", "confirm": "yes"},
                page=page).status_code == 302
    assert victim_session.get("/course").status_code == 302  # logged out at once
    assert post(client, f"/admin/users/{user.id}/enable", page=page).status_code == 302
    response = post(client, f"/admin/users/{user.id}/reset-password", {"password": "a temporary passphrase here"},
                    page=page)
    assert response.status_code == 200
    response = post(client, f"/admin/users/{user.id}/role", {"role": "instructor", "agency_id": "0"}, page=page)
    assert response.status_code == 302
    db.session.expire_all()
    user = db.session.get(User, user.id)
    assert user.role == "instructor" and user.must_change_password and user.disabled_at is None
    assert audit_actions(db)[-4:] == ["account.disable", "account.enable", "account.password_reset",
                                      "account.role_change"]


def test_admin_cannot_disable_themselves(client, factory, db):
    admin = factory.user(Role.ADMIN, email="admin@example.test")
    login(client, admin.email)
    post(client, f"/admin/users/{admin.id}/disable", {"reason": "", "confirm": "yes"}, page=f"/admin/users/{admin.id}")
    assert db.session.get(User, admin.id).disabled_at is None


def test_no_one_changes_their_own_role_and_the_last_administrator_stays(client, factory, db):
    """Regression (issue 10, defect 5): the last administrator could demote themselves."""
    admin = factory.user(Role.ADMIN, email="admin@example.test")
    login(client, admin.email)
    page = f"/admin/users/{admin.id}"
    post(client, f"/admin/users/{admin.id}/role", {"role": "staff", "agency_id": "0"}, page=page)
    assert "You cannot change your own role" in client.get(page).get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, admin.id).role == "admin"
    # With a second administrator, neither may leave the site without an active one.
    other = factory.user(Role.ADMIN, email="other@example.test")
    assert post(client, f"/admin/users/{other.id}/role", {"role": "staff", "agency_id": "0"},
                page=f"/admin/users/{other.id}").status_code == 302
    db.session.expire_all()
    assert db.session.get(User, other.id).role == "staff"
    other_client = client.application.test_client()
    assert post(client, f"/admin/users/{other.id}/role", {"role": "admin", "agency_id": "0"},
                page=f"/admin/users/{other.id}").status_code == 302
    login(other_client, other.email)
    post(other_client, f"/admin/users/{admin.id}/disable", {"reason": "test", "confirm": "yes"}, page=page)
    db.session.expire_all()
    assert db.session.get(User, admin.id).disabled_at is not None  # disabling one of two is allowed
    # `other` is now the only active administrator: nobody can take that away, by page or command.
    from lms.accounts import users as accounts

    other = db.session.get(User, other.id)
    for change in (lambda: accounts.change_role(other, Role.STAFF, now=factory.clock()),
                   lambda: accounts.disable_user(other, now=factory.clock())):
        try:
            change()
        except accounts.AccountError as error:
            assert "last active administrator" in str(error)
        else:
            raise AssertionError("the last administrator was changed")
    db.session.rollback()
    result = client.application.test_cli_runner().invoke(args=["users", "disable", "other@example.test"])
    assert result.exit_code != 0 and "other@example.test is the last active administrator" in result.output
    post(other_client, f"/admin/users/{other.id}/disable", {"reason": "test"}, page=page)
    assert "You cannot disable your own account" in other_client.get(page).get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, other.id).role == "admin" and db.session.get(User, other.id).disabled_at is None


def test_the_last_administrator_is_not_disabled_for_inactivity(app, factory, db, clock):

    admin = factory.user(Role.ADMIN, email="admin@example.test")
    second = factory.user(Role.ADMIN, email="second@example.test")
    clock.advance(days=app.config["INACTIVE_DAYS"] + 1)
    disabled = access_review.disable_inactive_users(now=clock())
    db.session.commit()
    # One of the two is disabled; the other is kept so that someone can still re-enable accounts.
    assert len(disabled) == 1 and {admin.disabled_at is None, second.disabled_at is None} == {True, False}


def test_unknown_account_is_404(client, factory):
    login(client, factory.user(Role.ADMIN).email)
    assert client.get("/admin/users/99999").status_code == 404


def test_accounts_list_filters_and_review_columns(client, factory):
    factory.user(Role.TRAINEE, email="alpha@example.test", name="Alpha Person")
    factory.user(Role.STAFF, email="beta@example.test", name="Beta Person")
    login(client, factory.user(Role.ADMIN, email="admin@example.test").email)
    page = client.get("/admin/users?role=staff").get_data(as_text=True)
    assert "beta@example.test" in page and "alpha@example.test" not in page
    page = client.get("/admin/users?q=alpha").get_data(as_text=True)
    assert "alpha@example.test" in page and "beta@example.test" not in page
    assert "Last log-in" in page


def test_audit_page_verifies_the_chain(client, factory):
    login(client, factory.user(Role.STAFF, email="staff@example.test").email)
    page = client.get("/admin/audit?verify=1").get_data(as_text=True)
    assert "The chain verifies" in page and "auth.login" in page


def test_cli_user_commands(app, factory, db):
    agency = factory.agency(ori="AL0000000")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "create", "Officer@Example.test", "--name", "Officer One", "--role",
                                 "trainee", "--agency", "al0000000"])
    assert result.exit_code == 0, result.output
    temporary = result.output.split("Temporary password: ")[1].strip()
    user = db.session.scalar(select(User).where(User.email == "officer@example.test"))
    assert user.agency_id == agency.id and user.must_change_password
    result = runner.invoke(args=["users", "create", "x@example.test", "--name", "X", "--role", "trainee"])
    assert result.exit_code != 0 and "must belong to an agency" in result.output
    result = runner.invoke(args=["users", "create", "y@example.test", "--name", "Y", "--role", "staff",
                                 "--password", "short"])
    assert result.exit_code != 0 and "at least 15" in result.output
    # Lock the account through the service, then unlock from the CLI.

    for _ in range(5):
        login_service.authenticate("officer@example.test", "not the password at all", ip="192.0.2.9",
                                   now=factory.clock())
    db.session.commit()
    assert db.session.get(User, user.id).is_locked(factory.clock())
    assert runner.invoke(args=["users", "unlock", "officer@example.test"]).exit_code == 0
    db.session.expire_all()
    assert not db.session.get(User, user.id).is_locked(factory.clock())
    assert runner.invoke(args=["users", "disable", "officer@example.test", "--reason", "test"]).exit_code == 0
    db.session.expire_all()
    assert db.session.get(User, user.id).disabled_at is not None
    result = runner.invoke(args=["users", "reset-password", "officer@example.test"])
    assert result.exit_code == 0 and "Temporary password: " in result.output
    assert temporary not in result.output
    assert runner.invoke(args=["users", "unlock", "nobody@example.test"]).exit_code != 0
    actions = audit_actions(db)
    for action in ("user.create", "account.lock", "account.unlock", "account.disable", "account.password_reset"):
        assert action in actions


def test_no_password_reaches_the_audit_log(client, factory, db):
    factory.user(email="t@example.test")
    login(client, "t@example.test", "my secret wrong passphrase")
    login(client, "t@example.test", PASSWORD, ack=False)
    dump = " ".join(f"{e.details} {e.actor} {e.object_id}" for e in db.session.scalars(select(AuditEvent)))
    assert "my secret wrong passphrase" not in dump and PASSWORD not in dump


def test_inactive_accounts_are_disabled_by_command_and_on_next_login(app, client, factory, db, clock):
    from datetime import timedelta

    idle = factory.user(email="idle@example.test")
    never = factory.user(email="never@example.test")
    clock.advance(days=60)
    active = factory.user(email="active@example.test")
    login(client, "active@example.test")
    clock.advance(days=31)  # idle and never: 91 days; active: 31 days since its log-in
    result = app.test_cli_runner().invoke(args=["users", "disable-inactive"])
    assert result.exit_code == 0 and "2 inactive accounts disabled" in result.output
    db.session.expire_all()
    assert db.session.get(User, idle.id).disabled_at is not None
    assert db.session.get(User, never.id).disabled_at is not None
    assert db.session.get(User, active.id).disabled_at is None
    # Without the command, the next log-in attempt disables an account that went inactive.
    clock.advance(days=90)
    other = client.application.test_client()
    response = login(other, "active@example.test")
    assert response.status_code == 401 and "disabled" in response.get_data(as_text=True)
    reasons = [e.details.get("reason") for e in db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "account.disable"))]
    assert reasons == ["inactive for 90 days"] * 3
    assert timedelta(days=90) == timedelta(days=app.config["INACTIVE_DAYS"])
