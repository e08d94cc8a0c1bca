"""The annual access review (CJIS): every account listed with what the review needs; an administrator
confirms each account's access or disables it, audited; accounts not reviewed within 365 days flagged."""
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from lms.accounts import users as accounts
from lms.accounts import access_review
from lms.models import AuditEvent, Role, User

from .conftest import login, post

PAGE = "/admin/access-review"


def _row(page: str, user) -> str:
    match = re.search(rf'<tr id="user-{user.id}" data-due="(yes|no)">(.*?)</tr>', page, re.S)
    assert match, f"no row for {user.email}"
    return match.group(0)


def test_the_review_page_lists_every_account_and_flags_those_due(client, factory, db, clock):
    agency = factory.agency(name="North County Sheriff")
    admin = factory.user(Role.ADMIN, email="admin@example.test")
    other_admin = factory.user(Role.ADMIN, email="admin2@example.test", name="Other Admin")
    officer = factory.user(Role.TRAINEE, email="officer@example.test", agency=agency)
    staff = factory.user(Role.STAFF, email="staff@example.test")
    gone = factory.user(Role.TRAINEE, email="gone@example.test", agency=agency)
    accounts.disable_user(gone, now=clock(), reason="left")
    # Reviewed a year and a day ago (due again), and ten days ago (not due).
    access_review.review_access(staff, "keep", actor=other_admin, now=clock() - timedelta(days=366))
    access_review.review_access(officer, "keep", actor=other_admin, now=clock() - timedelta(days=10))
    db.session.commit()

    login(client, admin.email)
    page = client.get(PAGE).get_data(as_text=True)
    for user in (admin, other_admin, officer, staff, gone):
        assert user.email in page
    officer_row = _row(page, officer)
    assert 'data-due="no"' in officer_row and "by Other Admin" in officer_row
    assert "North County Sheriff" in officer_row and "Trainee" in officer_row and "Never" in officer_row  # log-in
    assert 'data-due="yes"' in _row(page, staff) and "Review due" in _row(page, staff)
    assert 'data-due="yes"' in _row(page, other_admin) and "Never" in _row(page, other_admin)
    assert 'data-due="no"' in _row(page, gone) and "Disabled" in _row(page, gone)
    assert "Reviewed by another administrator" in _row(page, admin)
    assert "3 of 5 accounts are due for review" in page  # both administrators and the staff member
    due_only = client.get(PAGE + "?due=1").get_data(as_text=True)
    assert staff.email in due_only and officer.email not in due_only and gone.email not in due_only
    # `lms users list` gives the same review columns to an operator.
    listing = {line.split("\t")[0]: line.split("\t") for line in
               client.application.test_cli_runner().invoke(args=["users", "list"]).output.splitlines()}
    assert listing[staff.email][-2:] == [(clock() - timedelta(days=366)).date().isoformat(), "review-due"]
    assert listing[officer.email][-1] == "-" and listing[gone.email][-1] == "-"


def test_confirming_and_disabling_are_recorded_and_audited(client, factory, db, clock):
    admin = factory.user(Role.ADMIN, email="admin@example.test")
    keep = factory.user(Role.STAFF, email="keep@example.test")
    leave = factory.user(Role.INSTRUCTOR, email="leave@example.test")
    leave_session = client.application.test_client()
    login(leave_session, leave.email)
    login(client, admin.email)

    response = post(client, f"/admin/users/{keep.id}/access-review", {"decision": "keep", "note": "still on the team"},
                    page=PAGE)
    assert response.status_code == 302 and response.headers["Location"].endswith(f"{PAGE}#user-{keep.id}")
    response = post(client, f"/admin/users/{leave.id}/access-review?due=1", {"decision": "disable"}, page=PAGE)
    assert response.headers["Location"].endswith(f"{PAGE}?due=1#user-{leave.id}")
    db.session.expire_all()
    keep, leave = db.session.get(User, keep.id), db.session.get(User, leave.id)
    assert keep.access_reviewed_at == clock() and keep.access_reviewed_by_id == admin.id and keep.disabled_at is None
    assert leave.disabled_at == clock() and leave.access_reviewed_by_id == admin.id
    assert leave_session.get("/course").status_code == 302  # its sessions ended
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "account.access_review")
                                .order_by(AuditEvent.id)).all()
    assert [(e.object_id, e.actor_id, e.details["decision"]) for e in events] == [
        (str(keep.id), admin.id, "keep"), (str(leave.id), admin.id, "disable")]
    assert events[0].details["note"] == "still on the team"
    disable = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "account.disable"))
    assert disable.object_id == str(leave.id) and "annual access review" in disable.details["reason"]
    page = client.get(PAGE).get_data(as_text=True)
    assert 'data-due="no"' in _row(page, keep) and "by Person" in _row(page, keep)

    # A year and a day later the confirmed account is due again.
    assert not access_review.access_review_due(keep, clock() + timedelta(days=365))
    assert access_review.access_review_due(keep, clock() + timedelta(days=366))


def test_the_review_refuses_self_review_bad_input_others_and_missing_csrf(client, factory, db):
    admin = factory.user(Role.ADMIN, email="admin@example.test")
    factory.user(Role.ADMIN, email="other-admin@example.test")
    staff = factory.user(Role.STAFF, email="staff@example.test")
    login(client, admin.email)
    response = post(client, f"/admin/users/{admin.id}/access-review", {"decision": "keep"}, page=PAGE)
    assert response.status_code == 302
    assert "Another administrator reviews your own account" in client.get(PAGE).get_data(as_text=True)
    assert post(client, f"/admin/users/{staff.id}/access-review", {"decision": "maybe"}, page=PAGE).status_code == 400
    assert client.post(f"/admin/users/{staff.id}/access-review", data={"decision": "keep"}).status_code in (400, 403)
    assert post(client, "/admin/users/99999/access-review", {"decision": "keep"}, page=PAGE).status_code == 404
    db.session.expire_all()
    assert db.session.get(User, staff.id).access_reviewed_at is None
    assert db.session.get(User, admin.id).access_reviewed_at is None

    staff_client = client.application.test_client()
    login(staff_client, staff.email)
    assert staff_client.get(PAGE).status_code == 403
    assert post(staff_client, f"/admin/users/{admin.id}/access-review", {"decision": "disable"},
                page="/nominations").status_code == 403


def test_the_only_administrator_reviews_their_own_account_with_a_recorded_reason(client, factory, db):
    """Regression (issue 9): a deployment with one administrator could never complete its review."""
    admin = factory.user(Role.ADMIN, email="admin@example.test")
    login(client, admin.email)
    row = _row(client.get(PAGE).get_data(as_text=True), admin)
    assert "only active administrator" in row and "Reason (required)" in row and 'value="disable"' not in row
    # Without a reason it is refused, and says what to do.
    post(client, f"/admin/users/{admin.id}/access-review", {"decision": "keep"}, page=PAGE)
    assert "give the reason in the note" in client.get(PAGE).get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, admin.id).access_reviewed_at is None
    # Nor can the only administrator disable their own access.
    post(client, f"/admin/users/{admin.id}/access-review", {"decision": "disable", "note": "test"}, page=PAGE)
    db.session.expire_all()
    assert db.session.get(User, admin.id).disabled_at is None
    response = post(client, f"/admin/users/{admin.id}/access-review",
                    {"decision": "keep", "note": "Sole administrator of this deployment"}, page=PAGE)
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, admin.id).access_reviewed_at is not None
    [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "account.access_review")).all()
    assert (event.actor_id, event.details["self_review"], event.details["note"]) == (
        admin.id, True, "Sole administrator of this deployment")
    # Once a second administrator is active, they review it again.
    factory.user(Role.ADMIN, email="second@example.test")
    assert "Reviewed by another administrator" in _row(client.get(PAGE).get_data(as_text=True), admin)
    with pytest.raises(accounts.AccountError, match="Another administrator"):
        access_review.review_access(admin, accounts.KEEP, actor=admin, now=factory.clock(), note="again")
