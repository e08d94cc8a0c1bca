"""Agreements (MOUs) with ICE: record one, nominate enrollments under it, and end it.

Minimal for now (issue 4 needs the MOU a certification was earned under); pages and agency annexes
come later. Ending an agreement suspends or revokes, in one audited action, every certification
earned under it that is still in force.
"""
from sqlalchemy import select

from .audit import record_event
from .certification import status as cert_status
from .extensions import db
from .learning import program_today
from .models import MOU_MODELS, Certification, Enrollment, Mou
from .models.certification import ACTIVE, SUSPENDED


class AgreementError(ValueError):
    """An agreement request that cannot be carried out."""


def create_mou(*, agency, model: str, signed_on, effective_on, authorized_functions, ends_on=None,
               officer_cap=None, actor=None, now) -> Mou:
    """Record an agency's signed agreement and the functions it authorizes."""
    if model not in MOU_MODELS:
        raise AgreementError(f"Unknown 287(g) model {model!r}; use one of {', '.join(MOU_MODELS)}.")
    functions = [f.strip() for f in authorized_functions if f and f.strip()]
    if not functions:
        raise AgreementError("An agreement must list the functions it authorizes.")
    if ends_on is not None and ends_on < effective_on:
        raise AgreementError("An agreement cannot end before it takes effect.")
    mou = Mou(agency_id=agency.id, model=model, signed_on=signed_on, effective_on=effective_on, ends_on=ends_on,
              authorized_functions=functions, officer_cap=officer_cap, created_at=now)
    db.session.add(mou)
    db.session.flush()
    record_event("mou.create", actor=actor, obj=mou, now=now,
                 details={"agency_id": agency.id, "model": model, "functions": functions})
    return mou


def attach_mou(enrollment: Enrollment, mou: Mou, *, actor=None, now) -> None:
    """Nominate an enrollment under an agreement of the trainee's own agency."""
    if enrollment.user.agency_id != mou.agency_id:
        raise AgreementError("The agreement belongs to another agency than the trainee's.")
    if mou.terminated_at is not None:
        raise AgreementError(f"MOU {mou.id} was terminated; no one can be nominated under it.")
    enrollment.mou_id = mou.id
    db.session.flush()
    record_event("enrollment.set_mou", actor=actor, obj=enrollment, now=now, details={"mou_id": mou.id})


def terminate_mou(mou: Mou, *, action: str, reason: str, actor=None, actor_label=None, now) -> list[Certification]:
    """End an agreement and suspend or revoke (``action``) every certification in force under it.

    "suspend" affects active certifications; "revoke" active and suspended ones (a suspended one
    could otherwise be reinstated under an agreement that no longer exists). Expired and revoked
    ones are left as they are. Returns the certifications changed.
    """
    if action not in ("suspend", "revoke"):
        raise AgreementError("Choose whether to suspend or revoke the certifications.")
    reason = (reason or "").strip()
    if not reason:
        raise AgreementError("Give a reason for ending the agreement.")
    if mou.terminated_at is not None:
        raise AgreementError(f"MOU {mou.id} was already terminated on {mou.terminated_at:%Y-%m-%d}.")
    mou.terminated_at, mou.termination_reason = now, reason
    statuses = {ACTIVE} if action == "suspend" else {ACTIVE, SUSPENDED}
    affected = list(db.session.scalars(
        select(Certification).where(Certification.mou_id == mou.id, Certification.status.in_(statuses))
        .order_by(Certification.id)))
    today = program_today(now)
    service = cert_status.suspend if action == "suspend" else cert_status.revoke
    changed = []
    for certification in affected:
        if cert_status.effective_status(certification, today) not in statuses:
            continue  # past its expiry date: already out of force
        service(certification, reason=f"MOU {mou.id} terminated: {reason}", actor=actor, actor_label=actor_label,
                now=now, details={"mou_id": mou.id})
        changed.append(certification)
    db.session.flush()
    record_event("mou.terminate", actor=actor, actor_label=actor_label, obj=mou, now=now,
                 details={"action": action, "reason": reason, "count": len(changed),
                          "numbers": [c.number for c in changed]})
    return changed
