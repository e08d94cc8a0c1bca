"""The annual access review (CJIS) and disabling accounts left inactive."""
from datetime import timedelta

from flask import current_app
from sqlalchemy import func, select

from lms.accounts.users import KEEP, REVOKE, AccountError, disable_user, is_only_active_admin
from lms.audit import record_event
from lms.extensions import db
from lms.models import User


def is_inactive(user: User, now) -> bool:
    """True when the account has not logged in (or, if never, been created) for INACTIVE_DAYS (CJIS: 90)."""
    last = user.last_login_at or user.created_at
    return now - last > timedelta(days=current_app.config["INACTIVE_DAYS"])


def disable_inactive_users(*, now, actor=None) -> list[User]:
    """Disable every enabled account inactive for INACTIVE_DAYS; returns them."""
    cutoff = now - timedelta(days=current_app.config["INACTIVE_DAYS"])
    candidates = db.session.scalars(
        select(User).where(User.disabled_at.is_(None), func.coalesce(User.last_login_at, User.created_at) < cutoff)
    ).all()
    disabled = []
    for user in candidates:
        try:
            disable_user(user, actor=actor, now=now, reason=f"inactive for {current_app.config['INACTIVE_DAYS']} days")
        except AccountError:
            continue  # the last active administrator is kept: nobody could re-enable accounts from the site
        disabled.append(user)
    return disabled


ACCESS_REVIEW_DAYS = 365  # CJIS: account access is validated at least annually


def access_review_due(user: User, now) -> bool:
    """True for an enabled account whose access nobody confirmed in the last ACCESS_REVIEW_DAYS (or ever).

    Disabled accounts have no access to review."""
    if user.disabled_at is not None:
        return False
    return user.access_reviewed_at is None or now - user.access_reviewed_at > timedelta(days=ACCESS_REVIEW_DAYS)


def review_access(user: User, decision: str, *, actor, now, note: str = "") -> None:
    """Record an administrator's annual review of an account: access still needed (``KEEP``), or not
    (``REVOKE``: the account is disabled and its sessions end). Audited as ``account.access_review``.

    Access is confirmed by someone else: an administrator reviews their own account only when no other
    administrator is active, and then gives the reason in ``note`` (recorded as a self-review)."""
    if decision not in (KEEP, REVOKE):
        raise AccountError("Choose whether the account still needs access.")
    note = (note or "").strip()[:500]
    self_review = actor is not None and actor.id == user.id
    if self_review and not is_only_active_admin(user):
        raise AccountError("Another administrator reviews your own account.")
    if self_review and not note:
        raise AccountError("You are the only active administrator, so you review your own account: give the "
                           "reason in the note (it is kept in the audit log).")
    if decision == REVOKE:
        disable_user(user, actor=actor, now=now, reason="annual access review: access no longer needed"
                     + (f" ({note})" if note else ""))
    elif user.disabled_at is not None:
        raise AccountError(f"{user.email} is disabled; enable it first if it still needs access.")
    user.access_reviewed_at, user.access_reviewed_by_id = now, getattr(actor, "id", None)
    db.session.flush()
    record_event("account.access_review", actor=actor, obj=user, now=now,
                 details={"decision": decision, "note": note or None, "role": user.role,
                          "agency_id": user.agency_id,
                          "last_login_at": user.last_login_at.isoformat() if user.last_login_at else None,
                          **({"self_review": True} if self_review else {})})
