"""Refresher renewal as a new linked record, the due list, and ending an MOU."""
import json
from datetime import date, datetime, timezone

import pytest
from sqlalchemy import select

from lms.agencies.agreements import AgreementError, attach_mou, create_mou, terminate_mou
from lms.certification import status as st
from lms.models import AuditEvent, Certification, Role


def _mou(factory_agency, clock, db, functions=("Identify removable aliens in jail custody",)):
    mou = create_mou(agency=factory_agency, model="jail_enforcement", signed_on=date(2025, 1, 10),
                     effective_on=date(2025, 2, 1), authorized_functions=list(functions), now=clock())
    db.session.commit()
    return mou


def test_passing_the_refresher_issues_a_new_linked_record_that_renews_the_expiry(kit, db, clock):
    basic = kit.track("basic", validity_years=2)
    refresher = kit.track("basic-refresher", modules=("m/refresh",), exams=("refresher-exam",), weeks=1,
                          validity_years=2, refresher_of="basic")
    trainee = kit.trainee()
    original = kit.certified(basic, trainee=trainee)  # 2026-03-02 -> 2028-03-02
    clock.when = datetime(2027, 12, 1, 15, 0, tzinfo=timezone.utc)  # three months early
    renewal = kit.certified(refresher, trainee=trainee)
    assert renewal.renews_id == original.id and renewal.number != original.number
    assert renewal.expires_on == date(2030, 3, 2)  # from the old expiry: renewing early loses nothing
    assert json.loads(renewal.snapshot)["renews"] == {"number": original.number, "expires_on": "2028-03-02"}
    assert original.status == "active" and st.renewed_by(original).id == renewal.id  # kept in the history
    # A second refresher renews the first renewal.
    clock.when = datetime(2030, 4, 1, 15, 0, tzinfo=timezone.utc)  # after the renewal lapsed
    again = kit.certified(refresher, trainee=trainee)
    assert again.renews_id == renewal.id and again.expires_on == date(2032, 4, 1)


def test_a_refresher_alone_or_over_a_revoked_record_certifies_nothing(kit, db, clock):
    basic = kit.track("basic")
    refresher = kit.track("basic-refresher", exams=("refresher-exam",), refresher_of="basic")
    newcomer = kit.trainee()
    enrollment = kit.enrollment(refresher, trainee=newcomer)
    kit.complete_modules(enrollment)
    assert kit.pass_exam(enrollment, "refresher-exam") is None
    trainee = kit.trainee()
    original = kit.certified(basic, trainee=trainee)
    st.revoke(original, reason="Misconduct", now=clock())
    db.session.commit()
    enrollment = kit.enrollment(refresher, trainee=trainee)
    kit.complete_modules(enrollment)
    assert kit.pass_exam(enrollment, "refresher-exam") is None
    reasons = [e.details["reason"] for e in db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "certification.withhold").order_by(AuditEvent.seq))]
    assert "there is none" in reasons[0] and "is revoked" in reasons[1]


def test_due_for_refresher_lists_who_expires_in_the_next_n_days_per_agency(kit, db, factory, clock):
    basic = kit.track("basic")
    refresher = kit.track("basic-refresher", exams=("refresher-exam",), refresher_of="basic")
    north, south = factory.agency(name="North"), factory.agency(name="South")
    a = kit.certified(basic, agency=north)
    b = kit.certified(basic, agency=south)
    clock.when = datetime(2026, 9, 1, 15, 0, tzinfo=timezone.utc)
    c = kit.certified(basic, agency=north)  # expires 2028-09-01
    renewed_trainee = kit.certified(basic, agency=north)
    st.suspend(b, reason="x", now=clock())
    today = date(2028, 1, 15)
    due = st.due_for_refresher(today=today, days=60, agency_id=None)
    assert [r.certification.number for r in due] == [a.number]  # b suspended, c later
    assert due[0].days_left == (date(2028, 3, 2) - today).days
    assert st.due_for_refresher(today=today, days=240, agency_id=south.id) == []
    assert [r.certification.number for r in st.due_for_refresher(today=today, days=240, agency_id=north.id)] == \
        [a.number, c.number, renewed_trainee.number]
    clock.when = datetime(2028, 1, 15, 15, 0, tzinfo=timezone.utc)
    kit.certified(refresher, trainee=renewed_trainee.user)
    assert renewed_trainee.number not in [r.certification.number for r in
                                          st.due_for_refresher(today=today, days=240, agency_id=north.id)]


@pytest.mark.parametrize("action", ["suspend", "revoke"])
def test_ending_an_mou_suspends_or_revokes_every_certification_in_force_under_it(kit, db, factory, clock, action):
    staff = factory.user(Role.STAFF, email="staff@ice.example")
    agency = factory.agency()
    mou = _mou(agency, clock, db)
    other_mou = _mou(agency, clock, db)
    track = kit.track()
    active = kit.certified(track, agency=agency, mou=mou)
    suspended = kit.certified(track, agency=agency, mou=mou)
    st.suspend(suspended, reason="Investigation", now=clock())
    revoked = kit.certified(track, agency=agency, mou=mou)
    st.revoke(revoked, reason="Earlier", now=clock())
    elsewhere = kit.certified(track, agency=agency, mou=other_mou)
    db.session.commit()
    assert json.loads(active.snapshot)["mou"]["authorized_functions"] == ["Identify removable aliens in jail custody"]

    changed = terminate_mou(mou, action=action, reason="Agency left the program", actor=staff, now=clock())
    db.session.commit()
    expected = "suspended" if action == "suspend" else "revoked"
    assert active.status == expected
    assert suspended.status == ("suspended" if action == "suspend" else "revoked")
    assert revoked.status == "revoked" and elsewhere.status == "active"
    assert {c.number for c in changed} == ({active.number} if action == "suspend"
                                           else {active.number, suspended.number})
    assert mou.terminated_at == clock() and mou.termination_reason == "Agency left the program"
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "mou.terminate"))
    assert event.actor == "staff@ice.example" and event.details["count"] == len(changed)
    assert sorted(event.details["numbers"]) == sorted(c.number for c in changed)
    assert active.history[-1].reason == "MOU %d terminated: Agency left the program" % mou.id
    with pytest.raises(AgreementError, match="already terminated"):
        terminate_mou(mou, action=action, reason="again", now=clock())
    if action == "suspend":  # a suspension from an ended agreement cannot be lifted
        with pytest.raises(st.TransitionRefused, match="was terminated"):
            st.reinstate(active, reason="x", now=clock())
        assert st.available_actions(active, clock().date()) == ["revoke"]


def test_mou_rules(kit, db, factory, clock):
    agency, other = factory.agency(), factory.agency()
    with pytest.raises(AgreementError, match="Unknown 287"):
        create_mou(agency=agency, model="posse", signed_on=date(2025, 1, 1), effective_on=date(2025, 1, 1),
                   authorized_functions=["x"], now=clock())
    with pytest.raises(AgreementError, match="functions"):
        create_mou(agency=agency, model="task_force", signed_on=date(2025, 1, 1), effective_on=date(2025, 1, 1),
                   authorized_functions=[" "], now=clock())
    mou = _mou(other, clock, db)
    enrollment = kit.enrollment(kit.track(), agency=agency)
    with pytest.raises(AgreementError, match="another agency"):
        attach_mou(enrollment, mou, now=clock())
    with pytest.raises(AgreementError, match="suspend or revoke"):
        terminate_mou(mou, action="delete", reason="x", now=clock())
    with pytest.raises(AgreementError, match="reason"):
        terminate_mou(mou, action="revoke", reason="", now=clock())
    assert db.session.scalar(select(Certification)) is None
