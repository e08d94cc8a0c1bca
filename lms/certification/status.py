"""Life after issue: suspend, reinstate, revoke, expire; the effective status; refresher due lists.

Every change is a CertificationStatusChange row (who, when, why) and an audit event. A transition
that the rules refuse raises TransitionRefused with a sentence for the person who asked.
"""
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import and_, case, exists, select
from sqlalchemy.orm import aliased

from lms.audit import record_event
from lms.clock import program_today
from lms.extensions import db
from lms.models import Certification, CertificationStatusChange
from lms.models.certification import ACTIVE, EXPIRED, REVOKED, STATUS_LABELS, SUSPENDED
from lms.signals import certification_changed


class TransitionRefused(ValueError):
    """A status change the rules do not allow (e.g. reinstating a revoked certification)."""


def effective_status(certification: Certification, today: date) -> str:
    """The status as of ``today``: an active certification past its expiry date is expired."""
    if certification.status == ACTIVE and certification.expires_on <= today:
        return EXPIRED
    return certification.status


def effective_status_sql(today: date):
    """effective_status() as a SQL expression, for filtering and exporting."""
    return case(
        (and_(Certification.status == ACTIVE, Certification.expires_on <= today), EXPIRED),
        else_=Certification.status,
    )


def _actor_fields(actor, actor_label):
    return getattr(actor, "id", None), (actor_label or getattr(actor, "email", None) or "system")[:254]


def _change(certification: Certification, to_status: str, *, verb: str, reason: str, actor, actor_label, now,
            details: dict | None = None) -> CertificationStatusChange:
    actor_id, label = _actor_fields(actor, actor_label)
    change = CertificationStatusChange(
        certification_id=certification.id, from_status=certification.status, to_status=to_status,
        reason=reason, actor_id=actor_id, actor=label, changed_at=now)
    db.session.add(change)
    certification.status, certification.status_changed_at = to_status, now
    db.session.flush()
    record_event(f"certification.{verb}", actor=actor, actor_label=actor_label, obj=certification, now=now,
                 details={"number": certification.number, "from": change.from_status, "to": to_status,
                          "reason": reason, **(details or {})})
    certification_changed.send(certification, now=now, action=verb, reason=reason)
    return change


def _require_reason(reason: str | None, verb: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise TransitionRefused(f"Give a reason to {verb} a certification.")
    return reason[:2000]


def _refuse_unless(certification: Certification, today: date, allowed: set[str], verb: str) -> None:
    status = effective_status(certification, today)
    if status not in allowed:
        detail = (f"it expired on {certification.expires_on:%B %-d, %Y}" if status == EXPIRED
                  else f"it is {STATUS_LABELS[status].lower()}")
        if status == REVOKED:
            detail += "; revocation is permanent"
        raise TransitionRefused(f"Certification {certification.number} cannot be {verb}: {detail}.")


def suspend(certification: Certification, *, reason: str, actor=None, actor_label=None, now,
            details: dict | None = None) -> CertificationStatusChange:
    """Suspend an active certification (e.g. while a complaint is investigated)."""
    reason = _require_reason(reason, "suspend")
    _refuse_unless(certification, program_today(now), {ACTIVE}, "suspended")
    return _change(certification, SUSPENDED, verb="suspend", reason=reason, actor=actor,
                   actor_label=actor_label, now=now, details=details)


def _reinstate_blocker(certification: Certification, today: date) -> str | None:
    """Why a suspended certification cannot be reinstated (expired meanwhile, or its agreement ended), or None."""
    if certification.expires_on <= today:
        return f"it expired on {certification.expires_on:%B %-d, %Y} while suspended"
    mou = certification.mou
    if mou is not None and mou.terminated_at is not None:
        return f"the agreement it was earned under (MOU {mou.id}) was terminated"
    return None


def reinstate(certification: Certification, *, reason: str, actor=None, actor_label=None,
              now) -> CertificationStatusChange:
    """Reinstate a suspended certification, unless it expired meanwhile or its agreement ended."""
    reason = _require_reason(reason, "reinstate")
    today = program_today(now)
    _refuse_unless(certification, today, {SUSPENDED}, "reinstated")
    if (blocker := _reinstate_blocker(certification, today)) is not None:
        raise TransitionRefused(f"Certification {certification.number} cannot be reinstated: {blocker}.")
    return _change(certification, ACTIVE, verb="reinstate", reason=reason, actor=actor,
                   actor_label=actor_label, now=now)


def revoke(certification: Certification, *, reason: str, actor=None, actor_label=None, now,
           details: dict | None = None) -> CertificationStatusChange:
    """Revoke a certification, permanently (from active, suspended or expired)."""
    reason = _require_reason(reason, "revoke")
    if certification.status == REVOKED:
        _refuse_unless(certification, program_today(now), set(), "revoked")
    return _change(certification, REVOKED, verb="revoke", reason=reason, actor=actor,
                   actor_label=actor_label, now=now, details=details)


def expire(certification: Certification, *, actor=None, actor_label=None, now) -> CertificationStatusChange:
    """Record that an active certification reached its expiry date."""
    today = program_today(now)
    if certification.status != ACTIVE or certification.expires_on > today:
        raise TransitionRefused(f"Certification {certification.number} cannot be marked expired: it is "
                                f"{certification.status} and expires on {certification.expires_on:%B %-d, %Y}.")
    return _change(certification, EXPIRED, verb="expire", reason=f"Reached its expiry date, {certification.expires_on}",
                   actor=actor, actor_label=actor_label, now=now)


def expire_due(*, now, actor=None, actor_label=None, batch: int = 500) -> int:
    """Mark every active certification past its expiry date as expired; returns how many."""
    today = program_today(now)
    count = 0
    while True:
        rows = db.session.scalars(
            select(Certification).where(Certification.status == ACTIVE, Certification.expires_on <= today)
            .order_by(Certification.id).limit(batch)
        ).all()
        if not rows:
            return count
        for certification in rows:
            expire(certification, actor=actor, actor_label=actor_label, now=now)
            count += 1


STAFF_ACTIONS = {"suspend": suspend, "reinstate": reinstate, "revoke": revoke}


def change_status(certification: Certification, action: str, *, reason: str, actor=None, actor_label=None, now):
    """Apply a staff action by name ("suspend", "reinstate" or "revoke")."""
    try:
        service = STAFF_ACTIONS[action]
    except KeyError:
        raise TransitionRefused(f"Unknown action {action!r}.") from None
    return service(certification, reason=reason, actor=actor, actor_label=actor_label, now=now)


def available_actions(certification: Certification, today: date) -> list[str]:
    """The staff actions the rules allow now, for showing only the buttons that can work."""
    status = effective_status(certification, today)
    actions = []
    if status == ACTIVE:
        actions.append("suspend")
    if status == SUSPENDED and _reinstate_blocker(certification, today) is None:
        actions.append("reinstate")
    if status != REVOKED:
        actions.append("revoke")
    return actions


@dataclass
class DueRow:
    """A certification expiring soon with no refresher yet."""

    certification: Certification
    days_left: int


def due_for_refresher(*, today: date, days: int, agency_id: int | None = None, limit: int = 1000) -> list[DueRow]:
    """Active certifications expiring within ``days`` days that no newer record renews, soonest first."""
    renewal = aliased(Certification)
    query = (
        select(Certification)
        .where(Certification.status == ACTIVE, Certification.expires_on > today,
               Certification.expires_on <= today + timedelta(days=days),
               ~exists().where(renewal.renews_id == Certification.id))
        .order_by(Certification.expires_on, Certification.agency_name, Certification.holder_name)
        .limit(limit)
    )
    if agency_id is not None:
        query = query.where(Certification.agency_id == agency_id)
    return [DueRow(c, (c.expires_on - today).days) for c in db.session.scalars(query)]


def renewed_by(certification: Certification) -> Certification | None:
    """The record that renewed this one, if any."""
    return db.session.scalar(select(Certification).where(Certification.renews_id == certification.id))
