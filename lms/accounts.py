"""Account operations: create, authenticate, lock and unlock, disable, passwords, sessions.

Each write flushes, records an audit event, and leaves the commit to the caller.
"""
import secrets
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import func, select

from .audit import record_event
from .extensions import db
from .models import AuditEvent, Role, User
from .security import (
    hash_password, password_needs_rehash, password_problems, second_factor_required, verify_password,
)


UNUSABLE_PASSWORD = "!"  # not an argon2 hash: verify_password is always False for it


class AccountError(ValueError):
    """A request about an account that cannot be carried out, with a message for the user."""


def normalize_email(email: str) -> str:
    """E-mail addresses are compared in lower case, without surrounding spaces."""
    return (email or "").strip().lower()


def new_session_token() -> str:
    return secrets.token_hex(16)


def check_new_password(password: str, *, email: str = "", name: str = "") -> None:
    """Raise AccountError with every reason a new password is refused."""
    problems = password_problems(password, context=(email, name, *name.split()))
    if problems:
        raise AccountError(" ".join(problems))


def create_user(*, email, name, role: Role | str, password, agency=None, actor=None, now,
                must_change_password=False) -> User:
    """Create an account with a role (and an agency, which coordinators and trainees need).

    ``password=None`` creates an account with no usable password (simulated demo trainees, who never
    log in; an administrator's password reset makes it usable)."""
    email = normalize_email(email)
    role = Role(role)
    if not email or "@" not in email:
        raise AccountError("Enter a valid e-mail address.")
    if not name.strip():
        raise AccountError("Enter the person's name.")
    if role in (Role.COORDINATOR, Role.TRAINEE) and agency is None:
        raise AccountError(f"A {role.label.lower()} must belong to an agency.")
    if db.session.scalar(select(User.id).where(User.email == email)) is not None:
        raise AccountError(f"An account for {email} already exists.")
    if password is not None:
        check_new_password(password, email=email, name=name)
    user = User(
        email=email,
        name=name.strip(),
        role=role.value,
        agency=agency,
        password_hash=hash_password(password) if password is not None else UNUSABLE_PASSWORD,
        must_change_password=must_change_password,
        session_token=new_session_token(),
        created_at=now,
        password_changed_at=now,
    )
    db.session.add(user)
    db.session.flush()
    record_event("user.create", actor=actor, obj=user, now=now,
                 details={"email": email, "role": role.value, "agency_id": getattr(agency, "id", None)})
    return user


@dataclass
class LoginResult:
    """The outcome of a log-in attempt; ``user`` is set only on success. ``second_factor``: the password was
    right, and the log-in goes on with a code (or the enrolment of an authenticator) before it is complete."""

    user: User | None
    message: str | None = None
    second_factor: bool = False


GENERIC_FAILURE = "The e-mail address or password is not correct."


def _recent_failures_from(ip: str | None, now) -> int:
    window = timedelta(minutes=current_app.config["IP_FAILURE_WINDOW_MINUTES"])
    return db.session.scalar(
        select(func.count(AuditEvent.id)).where(
            AuditEvent.action == "auth.login",
            AuditEvent.outcome == "failure",
            AuditEvent.ip == ip,
            AuditEvent.created_at > now - window,
        )
    )


def _typed_identity(email: str) -> str:
    """What to record of an unknown log-in name: an e-mail address, never other text (a password typed
    in the wrong field must not reach the audit log)."""
    return email if "@" in email and " " not in email and len(email) <= 254 else "(not an e-mail address)"


def authenticate(email: str, password: str, *, ip: str | None, now) -> LoginResult:
    """Check credentials, applying the per-address rate limit and the per-account lockout.

    Whether an account is locked or disabled is told only to someone who gave its right password;
    every other failure gets the same message, so log-in does not reveal which accounts exist.
    """
    config = current_app.config
    email = normalize_email(email)
    if _recent_failures_from(ip, now) >= config["IP_FAILURE_LIMIT"]:
        record_event("auth.login", actor_label=_typed_identity(email), outcome="failure", now=now, ip=ip,
                     details={"reason": "rate_limited"})
        return LoginResult(None, "Too many failed log-ins from your address. Wait "
                                 f"{config['IP_FAILURE_WINDOW_MINUTES']} minutes and try again.")
    user = db.session.scalar(select(User).where(User.email == email))
    password_ok = verify_password(user.password_hash if user else None, password)
    if user is None:
        record_event("auth.login", actor_label=_typed_identity(email), outcome="failure", now=now, ip=ip,
                     details={"reason": "unknown_account"})
        return LoginResult(None, GENERIC_FAILURE)
    if not password_ok:
        if user.disabled_at is not None or user.is_locked(now):
            reason = "disabled" if user.disabled_at is not None else "locked"
            record_event("auth.login", actor=user, obj=user, outcome="failure", now=now, ip=ip,
                         details={"reason": f"bad_password_while_{reason}"})
        else:
            _count_failure(user, now, ip)
        return LoginResult(None, GENERIC_FAILURE)
    if user.disabled_at is None and is_inactive(user, now):
        disable_user(user, now=now, reason=f"inactive for {config['INACTIVE_DAYS']} days")
    if user.disabled_at is not None:
        record_event("auth.login", actor=user, obj=user, outcome="failure", now=now, ip=ip,
                     details={"reason": "disabled"})
        return LoginResult(None, "This account is disabled. Ask an administrator.")
    if user.is_locked(now):
        record_event("auth.login", actor=user, obj=user, outcome="failure", now=now, ip=ip,
                     details={"reason": "locked"})
        return LoginResult(None, "This account is locked after too many failed log-ins. "
                                 "Try again later or ask an administrator to unlock it.")
    if password_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    if user.has_second_factor or second_factor_required(user):
        # Not logged in yet, and the failure count stays: a known password must not reset the lockout
        # between wrong codes.
        record_event("auth.password", actor=user, obj=user, now=now, ip=ip)
        return LoginResult(user, second_factor=True)
    return complete_login(user, now=now, ip=ip)


def complete_login(user: User, *, now, ip, second_factor: str | None = None) -> LoginResult:
    """The log-in succeeded (password, and the second factor when there is one): clear the failure count."""
    user.failed_logins, user.first_failed_at, user.locked_until = 0, None, None
    user.last_login_at = now
    record_event("auth.login", actor=user, obj=user, now=now, ip=ip,
                 details={"second_factor": second_factor} if second_factor else None)
    return LoginResult(user)


def _count_failure(user: User, now, ip, reason: str = "bad_password") -> None:
    config = current_app.config
    window = timedelta(minutes=config["LOCKOUT_WINDOW_MINUTES"])
    if user.first_failed_at is None or now - user.first_failed_at > window:
        user.failed_logins, user.first_failed_at = 1, now
    else:
        user.failed_logins += 1
    record_event("auth.login", actor=user, obj=user, outcome="failure", now=now, ip=ip,
                 details={"reason": reason, "consecutive": user.failed_logins})
    if user.failed_logins >= config["LOCKOUT_THRESHOLD"]:
        user.locked_until = now + timedelta(minutes=config["LOCKOUT_MINUTES"])
        record_event("account.lock", actor=user, obj=user, now=now, ip=ip,
                     details={"until": user.locked_until.isoformat(), "failures": user.failed_logins})


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
    for user in candidates:
        disable_user(user, actor=actor, now=now, reason=f"inactive for {current_app.config['INACTIVE_DAYS']} days")
    return candidates


def unlock_user(user: User, *, actor=None, now) -> None:
    """Lift a lockout and clear the failure count."""
    user.locked_until, user.failed_logins, user.first_failed_at = None, 0, None
    record_event("account.unlock", actor=actor, obj=user, now=now)


def end_sessions(user: User) -> None:
    """End every session of the user, on every device (their cookies stop matching)."""
    user.session_token = new_session_token()


def logout(user: User, *, now) -> None:
    """Log the user out everywhere."""
    end_sessions(user)
    record_event("auth.logout", actor=user, obj=user, now=now)


def change_password(user: User, current: str, new: str, *, now) -> None:
    """The user changes their own password; every other session ends."""
    if not verify_password(user.password_hash, current):
        record_event("account.password_change", actor=user, obj=user, outcome="failure", now=now,
                     details={"reason": "wrong_current_password"})
        # The form checks a password, so it gets the log-in's lockout (else a stolen session could guess on).
        _count_failure(user, now, None)
        if user.is_locked(now):
            end_sessions(user)
            raise AccountError("Too many wrong passwords: this account is now locked and logged out.")
        raise AccountError("Your current password is not correct.")
    if new == current:
        raise AccountError("Choose a password different from your current one.")
    check_new_password(new, email=user.email, name=user.name)
    user.password_hash = hash_password(new)
    user.must_change_password = False
    user.password_changed_at = now
    end_sessions(user)
    record_event("account.password_change", actor=user, obj=user, now=now)


def reset_password(user: User, new: str, *, actor=None, now) -> None:
    """An administrator sets a password the user must change at next log-in."""
    check_new_password(new, email=user.email, name=user.name)
    user.password_hash = hash_password(new)
    user.must_change_password = True
    user.password_changed_at = now
    end_sessions(user)
    record_event("account.password_reset", actor=actor, obj=user, now=now)


def disable_user(user: User, *, actor=None, now, reason: str = "") -> None:
    """Disable an account and end its sessions."""
    if user.disabled_at is not None:
        return
    user.disabled_at = now
    end_sessions(user)
    record_event("account.disable", actor=actor, obj=user, now=now, details={"reason": reason})


def enable_user(user: User, *, actor=None, now) -> None:
    """Re-enable a disabled account."""
    if user.disabled_at is None:
        return
    user.disabled_at = None
    record_event("account.enable", actor=actor, obj=user, now=now)


def change_role(user: User, role: Role | str, *, actor=None, now, agency=None) -> None:
    """Give the user another role (and agency); their sessions end so the change applies at once."""
    role = Role(role)
    if role in (Role.COORDINATOR, Role.TRAINEE) and (agency or user.agency) is None:
        raise AccountError(f"A {role.label.lower()} must belong to an agency.")
    old = {"role": user.role, "agency_id": user.agency_id}
    user.role = role.value
    if agency is not None:
        user.agency = agency
    end_sessions(user)
    record_event("account.role_change", actor=actor, obj=user, now=now,
                 details={"from": old, "to": {"role": role.value, "agency_id": getattr(user.agency, "id", None)}})


ACCESS_REVIEW_DAYS = 365  # CJIS: account access is validated at least annually
KEEP, REVOKE = "keep", "disable"


def access_review_due(user: User, now) -> bool:
    """True for an enabled account whose access nobody confirmed in the last ACCESS_REVIEW_DAYS (or ever).

    Disabled accounts have no access to review."""
    if user.disabled_at is not None:
        return False
    return user.access_reviewed_at is None or now - user.access_reviewed_at > timedelta(days=ACCESS_REVIEW_DAYS)


def review_access(user: User, decision: str, *, actor, now, note: str = "") -> None:
    """Record an administrator's annual review of an account: access still needed (``KEEP``), or not
    (``REVOKE``: the account is disabled and its sessions end). Audited as ``account.access_review``.

    Nobody reviews their own account: access is confirmed by someone else."""
    if decision not in (KEEP, REVOKE):
        raise AccountError("Choose whether the account still needs access.")
    if actor is not None and actor.id == user.id:
        raise AccountError("Another administrator reviews your own account.")
    note = (note or "").strip()[:500]
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
                          "last_login_at": user.last_login_at.isoformat() if user.last_login_at else None})


def generate_password() -> str:
    """A random passphrase-length password for demo and reset use."""
    return secrets.token_urlsafe(15)  # 20 characters
