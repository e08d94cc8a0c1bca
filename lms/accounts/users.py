"""Account operations: create, authenticate, lock and unlock, disable, passwords, sessions.

Each write flushes, records an audit event, and leaves the commit to the caller.
"""
import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import func, select

from lms import limits
from lms.audit import record_event
from lms.extensions import db
from lms.inputs import InputError, check_identity
from lms.models import Role, User
from lms.security import (
    hash_password, normalize_password, password_problems, second_factor_required, verify_password,
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
    try:
        check_identity(email=(email, "The e-mail address"), name=(name, "The name"))
    except InputError as error:
        raise AccountError(str(error)) from None
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


# Every refused log-in gets this same answer, whatever the reason (no such account, a wrong password, a
# locked or disabled account, even with its right password), so log-in tells nothing about an account.
GENERIC_FAILURE = ("The e-mail address or password is not correct, or the account is locked after too many "
                   "attempts, or disabled. Try again later, or ask an administrator.")


def _address_key(ip: str | None) -> str:
    return f"login-address:{(ip or '-')[:45]}"


def _account_key(user_id: int) -> str:
    return f"login-account:{user_id}"


def _unknown_key(email: str) -> str:
    return f"login-unknown:{hashlib.sha256(email.encode()).hexdigest()[:40]}"  # never the typed text itself


def _typed_identity(email: str) -> str:
    """What to record of an unknown log-in name: an e-mail address, never other text (a password typed
    in the wrong field must not reach the audit log)."""
    return email if "@" in email and " " not in email and len(email) <= 254 else "(not an e-mail address)"


def _read_account(email: str):
    """The account's log-in facts as committed, read on a connection of its own that takes no write lock
    (on SQLite, a transaction of the session would hold the database while the password is hashed)."""
    with db.engine.connect() as conn:
        return conn.execution_options(sqlite_begin="deferred").execute(
            select(User.id, User.password_hash, User.locked_until, User.disabled_at).where(User.email == email)
        ).first()


def authenticate(email: str, password: str, *, ip: str | None, now) -> LoginResult:
    """Check credentials, under the per-address limit on failures and the per-account lockout.

    Every refusal gets GENERIC_FAILURE. Both limits take their place before the password is checked
    (lms.limits), so attempts that arrive together cannot pass them; the password is hashed before the
    session writes anything, so no lock is held while hashing.
    """
    config = current_app.config
    email = normalize_email(email)
    address = _address_key(ip)
    window = timedelta(minutes=config["IP_FAILURE_WINDOW_MINUTES"])
    if limits.hit(address, window=window, now=now) > config["IP_FAILURE_LIMIT"]:
        record_event("auth.login", actor_label=_typed_identity(email), outcome="failure", now=now, ip=ip,
                     details={"reason": "rate_limited"})
        return LoginResult(None, "Too many failed log-ins from your address. Wait "
                                 f"{config['IP_FAILURE_WINDOW_MINUTES']} minutes and try again.")
    account = _read_account(email)
    locked = account is not None and account.locked_until is not None and account.locked_until > now
    attempt = 0
    if not locked:
        # An unknown e-mail address is counted too, so an existing account costs no extra write: the time
        # the answer takes does not tell whether the account exists.
        key = _account_key(account.id) if account else _unknown_key(email)
        attempt = limits.hit(key, window=timedelta(minutes=config["LOCKOUT_WINDOW_MINUTES"]), now=now)
        locked = attempt > config["LOCKOUT_THRESHOLD"]  # attempts that came together reached the lockout first
    # Checked whatever the account's state (a dummy hash when there is none), so the time taken tells nothing;
    # a stale hash is made again only when the log-in can succeed, for the same reason.
    match = verify_password(account.password_hash if account else None, password)
    rehash = match.stale and not locked and account.disabled_at is None
    new_hash = hash_password(password) if rehash else None
    user = db.session.get(User, account.id) if account else None
    if user is None:
        record_event("auth.login", actor_label=_typed_identity(email), outcome="failure", now=now, ip=ip,
                     details={"reason": "unknown_account"})
        return LoginResult(None, GENERIC_FAILURE)
    match = match and user.password_hash == account.password_hash  # not changed since it was read
    if user.disabled_at is not None or locked:
        record_event("auth.login", actor=user, obj=user, outcome="failure", now=now, ip=ip,
                     details={"reason": "disabled" if user.disabled_at is not None else "locked",
                              "password": "right" if match else "wrong"})
        return LoginResult(None, GENERIC_FAILURE)
    if not match:
        _record_failure(user, attempt, now, ip)
        return LoginResult(None, GENERIC_FAILURE)
    if is_inactive(user, now):
        try:
            disable_user(user, now=now, reason=f"inactive for {config['INACTIVE_DAYS']} days")
        except AccountError:
            pass  # the last active administrator is kept: nobody could re-enable accounts from the site
        else:
            record_event("auth.login", actor=user, obj=user, outcome="failure", now=now, ip=ip,
                         details={"reason": "disabled", "password": "right"})
            return LoginResult(None, GENERIC_FAILURE)
    # A right password is no failure: its places are given back (the account's earlier failures stay
    # counted until the log-in completes: a known password must not reset the lockout between wrong codes).
    limits.give_back(_account_key(user.id), now=now)
    limits.give_back(address, now=now)
    if new_hash is not None:
        user.password_hash = new_hash
    if user.has_second_factor or second_factor_required(user):
        record_event("auth.password", actor=user, obj=user, now=now, ip=ip)
        return LoginResult(user, second_factor=True)
    return complete_login(user, now=now, ip=ip)


def complete_login(user: User, *, now, ip, second_factor: str | None = None) -> LoginResult:
    """The log-in succeeded (password, and the second factor when there is one): clear the failure count."""
    limits.clear(_account_key(user.id))
    user.locked_until, user.last_login_at = None, now
    record_event("auth.login", actor=user, obj=user, now=now, ip=ip,
                 details={"second_factor": second_factor} if second_factor else None)
    return LoginResult(user)


def _record_failure(user: User, attempt: int, now, ip, reason: str = "bad_password") -> None:
    """Record a failure (a wrong password or code), the ``attempt``-th in the lockout window, and lock the
    account at the threshold."""
    config = current_app.config
    record_event("auth.login", actor=user, obj=user, outcome="failure", now=now, ip=ip,
                 details={"reason": reason, "consecutive": attempt})
    if attempt >= config["LOCKOUT_THRESHOLD"] and not user.is_locked(now):
        user.locked_until = now + timedelta(minutes=config["LOCKOUT_MINUTES"])
        record_event("account.lock", actor=user, obj=user, now=now, ip=ip,
                     details={"until": user.locked_until.isoformat(), "failures": attempt})


def _count_failure(user: User, now, ip, reason: str = "bad_password") -> None:
    """Count a failure checked outside the password step (the password change form, a wrong second-factor
    code) toward the lockout."""
    window = timedelta(minutes=current_app.config["LOCKOUT_WINDOW_MINUTES"])
    _record_failure(user, limits.hit(_account_key(user.id), window=window, now=now), now, ip, reason)


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


def unlock_user(user: User, *, actor=None, now) -> None:
    """Lift a lockout and clear the failure count."""
    user.locked_until = None
    limits.clear(_account_key(user.id))
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
    if normalize_password(new) == normalize_password(current):
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


def _other_active_admins(user: User, *, lock: bool = False) -> int:
    """How many enabled administrators there are besides ``user``.

    With ``lock``, their rows stay locked until the caller commits (PostgreSQL; SQLite has one writer at a
    time), so two administrators demoting or disabling each other at once cannot both see the other remain."""
    query = select(User.id).where(User.role == Role.ADMIN.value, User.disabled_at.is_(None), User.id != user.id)
    return len(db.session.scalars(query.order_by(User.id).with_for_update() if lock else query).all())


def _check_an_admin_remains(user: User) -> None:
    """Refuse a change that takes the last enabled administrator's role or access away."""
    if user.role == Role.ADMIN.value and user.disabled_at is None and not _other_active_admins(user, lock=True):
        raise AccountError(f"{user.email} is the last active administrator. Make another account an "
                           "administrator first, so that someone can still manage accounts.")


def is_only_active_admin(user: User) -> bool:
    """True when ``user`` is an enabled administrator and no other one is."""
    return user.role == Role.ADMIN.value and user.disabled_at is None and not _other_active_admins(user)


def own_account_refusal(user: User, actor) -> str | None:
    """Why ``actor`` may not disable ``user`` because it is their own account, or None."""
    if actor is not None and actor.id == user.id:
        return "You cannot disable your own account; another administrator can."
    return None


def disable_user(user: User, *, actor=None, now, reason: str = "") -> None:
    """Disable an account and end its sessions; never one's own, never the last active administrator."""
    if user.disabled_at is not None:
        return
    refusal = own_account_refusal(user, actor)
    if refusal:
        raise AccountError(refusal)
    _check_an_admin_remains(user)
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
    """Give the user another role (and agency); their sessions end so the change applies at once.

    Nobody changes their own role, and the last active administrator keeps theirs."""
    role = Role(role)
    if role.value != user.role:
        if actor is not None and actor.id == user.id:
            raise AccountError("You cannot change your own role; another administrator can.")
        _check_an_admin_remains(user)
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


def generate_password() -> str:
    """A random passphrase-length password for demo and reset use."""
    return secrets.token_urlsafe(15)  # 20 characters
