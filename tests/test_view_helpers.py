"""The views' shared pieces: an account's status, loading within the user's scope, running a service call,
the macros pages share, and the role groups templates read."""
from datetime import datetime, timedelta, timezone

import pytest
from flask import get_flashed_messages, render_template_string
from flask_login import login_user
from sqlalchemy import select
from werkzeug.exceptions import NotFound

from lms.accounts.users import create_user
from lms.agencies.agencies import AgencyError, create_agency
from lms.models import Agency, Role, User
from lms.views.helpers import in_own_agency, load_or_404, run_service

NOW = datetime(2026, 3, 2, 14, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize(("disabled_at", "locked_until", "status"), [
    (None, None, "active"),
    (None, NOW + timedelta(minutes=10), "locked"),
    (None, NOW - timedelta(minutes=1), "active"),  # a lockout that has run out
    (NOW - timedelta(days=1), None, "disabled"),
    (NOW - timedelta(days=1), NOW + timedelta(minutes=10), "disabled"),  # disabled outranks locked
])
def test_an_account_has_one_status_at_a_time(disabled_at, locked_until, status):
    user = User(disabled_at=disabled_at, locked_until=locked_until)
    assert user.status(NOW) == status


def test_the_account_status_macro_says_it_in_words_with_since_or_until(app):
    user = User(disabled_at=None, locked_until=NOW + timedelta(minutes=10))
    template = '{% from "_macros.html" import account_status %}{{ account_status(u, now) }}|' \
               '{{ account_status(u, now, since="datetime") }}'
    with app.test_request_context():
        brief, full = render_template_string(template, u=user, now=NOW).split("|")
        assert brief == "Locked"
        assert full.startswith("Locked until ") and "nowrap" in full
        user.disabled_at = NOW
        assert render_template_string(template, u=user, now=NOW).split("|")[0] == "Disabled"


def test_templates_read_the_role_groups_defined_once(app):
    from lms.security import PROGRAM_STAFF, ROLE_GROUPS

    with app.test_request_context():
        assert render_template_string("{{ PROGRAM_STAFF|join(',') }}") == ",".join(str(r) for r in PROGRAM_STAFF)
        assert set(ROLE_GROUPS) == {"PROGRAM_READERS", "PROGRAM_STAFF", "TRAINING_VIEWERS", "TRAINING_MANAGERS",
                                    "AUDIT_READERS"}


def _agencies(db) -> list[str]:
    return list(db.session.scalars(select(Agency.name).order_by(Agency.name)))


def test_run_service_rolls_back_and_flashes_a_refusal(app, db, clock):
    def refused():
        create_agency(name="Written then refused", state="VA", ori="VA0000001", now=clock())  # flushed
        raise AgencyError("That agency cannot be registered.")

    with app.test_request_context():
        outcome = run_service(refused, refused=AgencyError, success="never said")
        assert not outcome and outcome.value is None
        assert get_flashed_messages(with_categories=True) == [("error", "That agency cannot be registered.")]
    assert _agencies(db) == []


def test_run_service_commits_and_flashes_success_from_the_result(app, db, clock):
    with app.test_request_context():
        outcome = run_service(lambda: create_agency(name="Kept", state="VA", ori="VA0000002", now=clock()),
                              refused=AgencyError, success=lambda agency: f"{agency.name} registered.")
        assert outcome and outcome.value.name == "Kept"
        assert get_flashed_messages(with_categories=True) == [("success", "Kept registered.")]
    db.session.rollback()  # nothing left to roll back: it was committed
    assert _agencies(db) == ["Kept"]


def test_run_service_lets_an_unexpected_error_through(app, db):
    with app.test_request_context(), pytest.raises(KeyError):
        run_service(lambda: {}["missing"], refused=AgencyError)


def test_load_or_404_answers_404_outside_the_users_agency(app, db, clock):
    own = create_agency(name="Own", state="VA", ori="VA0000003", now=clock())
    other = create_agency(name="Other", state="VA", ori="VA0000004", now=clock())
    coordinator = create_user(email="c@example.test", name="C", role=Role.COORDINATOR, password=None, agency=own,
                              now=clock())
    staff = create_user(email="s@example.test", name="S", role=Role.STAFF, password=None, now=clock())
    db.session.commit()
    with app.test_request_context():
        login_user(coordinator)
        assert load_or_404(Agency, own.id, within=in_own_agency) is own
        assert load_or_404(Agency, "Own", by=Agency.name, within=in_own_agency) is own
        for key in (other.id, 999_999):  # another agency's and none at all: the same answer
            with pytest.raises(NotFound):
                load_or_404(Agency, key, within=in_own_agency)
        assert load_or_404(User, staff.id) is staff  # no scope: whoever the route admits
    with app.test_request_context():
        login_user(staff)
        assert load_or_404(Agency, other.id, within=in_own_agency) is other
