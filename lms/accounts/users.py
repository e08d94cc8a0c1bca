"""Account operations: create, authenticate, lock and unlock, disable, passwords, sessions.

Each write flushes, records an audit event, and leaves the commit to the caller.
"""
import secrets

from sqlalchemy import select

from lms.audit import record_event
from lms.extensions import db
from lms.inputs import InputError, check_identity
from lms.models import Role, User
from lms.security import (
    hash_password, password_problems,
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


def set_password(user: User, new: str, *, must_change: bool, now) -> None:
    """Check and store a new password (hashed), and end every session of the account."""
    check_new_password(new, email=user.email, name=user.name)
    user.password_hash = hash_password(new)
    user.must_change_password = must_change
    user.password_changed_at = now
    end_sessions(user)


def reset_password(user: User, new: str, *, actor=None, now) -> None:
    """An administrator sets a password the user must change at next log-in."""
    set_password(user, new, must_change=True, now=now)
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


KEEP, REVOKE = "keep", "disable"


def generate_password(*, email: str = "", name: str = "") -> str:
    """A random passphrase-length password for demo and reset use (20 characters), drawn again in the rare
    case it contains a part of the person's name or e-mail address, which the password rules refuse."""
    while True:
        password = secrets.token_urlsafe(15)
        if not password_problems(password, context=(email, name, *name.split())):
            return password


def end_sessions(user: User) -> None:
    """End every session of the user, on every device (their cookies stop matching)."""
    user.session_token = new_session_token()
