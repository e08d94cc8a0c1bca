"""Signing in and out: the password check with lockouts and rate limits, the second-factor step, sessions."""
import hashlib
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from lms import limits
from lms.accounts.access_review import is_inactive
from lms.accounts.users import (
    AccountError, disable_user, end_sessions, normalize_email, set_password,
)
from lms.audit import record_event
from lms.db_engine import reading
from lms.extensions import db
from lms.models import User
from lms.security import hash_password, normalize_password, second_factor_required, verify_password


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
    with reading(db.engine).connect() as conn:
        return conn.execute(
            select(User.id, User.password_hash, User.locked_until, User.disabled_at).where(User.email == email)
        ).first()


def authenticate(email: str, password: str, *, ip: str | None, now) -> LoginResult:
    """Check credentials, under the per-address limit on failures and the per-account lockout.

    Every refusal gets GENERIC_FAILURE. The account's lockout takes its place before the password is
    checked (lms.limits), so guesses at one account that arrive together cannot pass it. The address's
    limit counts failures once they are known: many people logging in at once through one address (an
    academy's network) are never refused for being in flight together; guesses that arrive together from
    one address can pass its limit by as many as the servers check at once, and each still counts toward
    its account's exact lockout. The password is hashed before the session writes anything, so no lock is
    held while hashing.
    """
    config = current_app.config
    email = normalize_email(email)
    address = _address_key(ip)
    window = timedelta(minutes=config["IP_FAILURE_WINDOW_MINUTES"])
    if limits.current(address, now=now) >= config["IP_FAILURE_LIMIT"]:
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
    if account is None or account.disabled_at is not None or locked or not match:
        # A failure from this address, counted before the session takes a connection: a count taken while
        # it holds one would ask the pool for a second (many log-ins at once would wait on each other).
        limits.hit(address, window=window, now=now)
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
    # A right password is no failure: its place is given back (the account's earlier failures stay
    # counted until the log-in completes: a known password must not reset the lockout between wrong codes).
    limits.give_back(_account_key(user.id), now=now)
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


def count_failure(user: User, now, ip, reason: str = "bad_password") -> None:
    """Count a failure checked outside the password step (the password change form, a wrong second-factor
    code) toward the lockout."""
    window = timedelta(minutes=current_app.config["LOCKOUT_WINDOW_MINUTES"])
    _record_failure(user, limits.hit(_account_key(user.id), window=window, now=now), now, ip, reason)


def logout(user: User, *, now) -> None:
    """Log the user out everywhere."""
    end_sessions(user)
    record_event("auth.logout", actor=user, obj=user, now=now)


def unlock_user(user: User, *, actor=None, now) -> None:
    """Lift a lockout and clear the failure count."""
    user.locked_until = None
    limits.clear(_account_key(user.id))
    record_event("account.unlock", actor=actor, obj=user, now=now)


def change_password(user: User, current: str, new: str, *, now) -> None:
    """The user changes their own password; every other session ends."""
    if not verify_password(user.password_hash, current):
        record_event("account.password_change", actor=user, obj=user, outcome="failure", now=now,
                     details={"reason": "wrong_current_password"})
        # The form checks a password, so it gets the log-in's lockout (else a stolen session could guess on).
        count_failure(user, now, None)
        if user.is_locked(now):
            end_sessions(user)
            raise AccountError("Too many wrong passwords: this account is now locked and logged out.")
        raise AccountError("Your current password is not correct.")
    if normalize_password(new) == normalize_password(current):
        raise AccountError("Choose a password different from your current one.")
    set_password(user, new, must_change=False, now=now)
    record_event("account.password_change", actor=user, obj=user, now=now)
