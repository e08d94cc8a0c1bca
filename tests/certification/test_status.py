"""Status after issue: every transition, the refused ones, history and audit, expiry."""
from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from lms.certification import status as st
from lms.certification.status import TransitionRefused
from lms.models import AuditEvent, CertificationStatusChange, Role


def _history(certification):
    return [(h.from_status, h.to_status, h.reason, h.actor) for h in
            st.db.session.scalars(select(CertificationStatusChange).where(
                CertificationStatusChange.certification_id == certification.id).order_by(CertificationStatusChange.id))]


def test_suspend_reinstate_revoke_with_who_when_why(kit, db, factory, clock):
    staff = factory.user(Role.STAFF, email="sam@ice.example")
    certification = kit.certified()
    clock.advance(days=3)
    st.suspend(certification, reason="Complaint under investigation", actor=staff, now=clock())
    assert certification.status == "suspended" and certification.status_changed_at == clock()
    clock.advance(days=30)
    st.reinstate(certification, reason="Complaint unfounded", actor=staff, now=clock())
    assert certification.status == "active"
    st.revoke(certification, reason="Misconduct", actor=staff, now=clock())
    db.session.commit()
    assert certification.status == "revoked"
    assert _history(certification) == [
        (None, "active", "Issued", "system"),
        ("active", "suspended", "Complaint under investigation", "sam@ice.example"),
        ("suspended", "active", "Complaint unfounded", "sam@ice.example"),
        ("active", "revoked", "Misconduct", "sam@ice.example"),
    ]
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action.like("certification.%"))
                                .order_by(AuditEvent.seq)).all()
    assert [e.action for e in events] == ["certification.issue", "certification.suspend",
                                         "certification.reinstate", "certification.revoke"]
    assert events[1].actor == "sam@ice.example" and events[1].details["reason"] == "Complaint under investigation"
    assert events[1].object_id == str(certification.id)


def test_a_suspended_certification_can_be_revoked(kit, db, clock):
    certification = kit.certified()
    st.suspend(certification, reason="Investigation", now=clock())
    st.revoke(certification, reason="Complaint sustained", now=clock())
    assert certification.status == "revoked"


@pytest.mark.parametrize("setup, action, message", [
    ([], "reinstate", "cannot be reinstated: it is valid"),
    ([("suspend", "x")], "suspend", "cannot be suspended: it is suspended"),
    ([("revoke", "x")], "reinstate", "revocation is permanent"),
    ([("revoke", "x")], "suspend", "revocation is permanent"),
    ([("revoke", "x")], "revoke", "revocation is permanent"),
])
def test_refused_transitions_raise_a_clear_error_and_change_nothing(kit, db, clock, setup, action, message):
    certification = kit.certified()
    for verb, reason in setup:
        st.change_status(certification, verb, reason=reason, now=clock())
    db.session.commit()
    before = (certification.status, len(_history(certification)))
    with pytest.raises(TransitionRefused, match=message):
        st.change_status(certification, action, reason="try", now=clock())
    assert (certification.status, len(_history(certification))) == before


def test_a_reason_is_required(kit, db, clock):
    certification = kit.certified()
    with pytest.raises(TransitionRefused, match="Give a reason"):
        st.suspend(certification, reason="   ", now=clock())
    with pytest.raises(TransitionRefused, match="Unknown action"):
        st.change_status(certification, "delete", reason="x", now=clock())


def test_expiry_is_effective_at_once_and_recorded_by_expire(kit, db, clock):
    certification = kit.certified()  # issued 2026-03-02, expires 2028-03-02
    assert st.effective_status(certification, clock().date()) == "active"
    clock.when = datetime(2028, 3, 2, 15, 0, tzinfo=timezone.utc)  # the expiry day, in New York too
    assert certification.status == "active" and st.effective_status(certification, clock().date()) == "expired"
    with pytest.raises(TransitionRefused, match="expired on March 2, 2028"):
        st.suspend(certification, reason="x", now=clock())
    assert st.expire_due(now=clock(), actor_label="cli:cron") == 1
    assert certification.status == "expired"
    assert _history(certification)[-1] == ("active", "expired", "Reached its expiry date, 2028-03-02", "cli:cron")
    assert st.expire_due(now=clock()) == 0
    with pytest.raises(TransitionRefused):
        st.reinstate(certification, reason="x", now=clock())
    st.revoke(certification, reason="Fraud found after expiry", now=clock())  # revoking an expired one is allowed
    assert certification.status == "revoked"


def test_a_suspended_certification_past_its_expiry_cannot_be_reinstated(kit, db, clock):
    certification = kit.certified()
    st.suspend(certification, reason="Investigation", now=clock())
    clock.when = datetime(2028, 6, 1, 15, 0, tzinfo=timezone.utc)
    with pytest.raises(TransitionRefused, match="expired on March 2, 2028 while suspended"):
        st.reinstate(certification, reason="Investigation closed", now=clock())
    assert st.available_actions(certification, clock().date()) == ["revoke"]
    assert st.expire_due(now=clock()) == 0  # expire concerns active ones; this one stays suspended


def test_available_actions_follow_the_rules(kit, db, clock):
    certification = kit.certified()
    today = clock().date()
    assert st.available_actions(certification, today) == ["suspend", "revoke"]
    st.suspend(certification, reason="x", now=clock())
    assert st.available_actions(certification, today) == ["reinstate", "revoke"]
    st.revoke(certification, reason="x", now=clock())
    assert st.available_actions(certification, today) == []
