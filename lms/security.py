"""Roles, the password policy and hashing, who needs a second factor, and safe redirects: one place for each rule."""
import functools
import gzip
import hmac
import unicodedata
from dataclasses import dataclass
from importlib import resources
from urllib.parse import urlsplit

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import abort, current_app, has_app_context, session
from flask_login import current_user, login_required

from lms.models import Role

# Who works in which area, defined here only: the views' role_required, the navigation and the templates
# (ROLE_GROUPS, by these names) read these groups.
PROGRAM_READERS = (Role.STAFF, Role.ADMIN, Role.COORDINATOR)  # agencies, nominations, registry, program
# Change agencies, agreements, nominations and certifications; see every cohort and its results.
PROGRAM_STAFF = (Role.STAFF, Role.ADMIN)
TRAINING_VIEWERS = (Role.INSTRUCTOR, Role.COORDINATOR, Role.STAFF, Role.ADMIN)  # cohorts and results
TRAINING_MANAGERS = (Role.INSTRUCTOR, Role.STAFF, Role.ADMIN)  # grants, statistics, opening weeks
AUDIT_READERS = (Role.ADMIN, Role.STAFF)
ROLE_GROUPS = {"PROGRAM_READERS": PROGRAM_READERS, "PROGRAM_STAFF": PROGRAM_STAFF, "TRAINING_VIEWERS": TRAINING_VIEWERS,
               "TRAINING_MANAGERS": TRAINING_MANAGERS, "AUDIT_READERS": AUDIT_READERS}

MIN_PASSWORD_LENGTH = 15  # NIST SP 800-63B rev. 4, a password used alone
MAX_PASSWORD_LENGTH = 128  # at least 64 must be accepted

@functools.cache
def _hasher_for(params: tuple) -> tuple[PasswordHasher, str]:
    hasher = PasswordHasher(**dict(params))  # argon2id; default: the library's recommended parameters
    # Verified against when the e-mail is unknown, so timing does not reveal which accounts exist.
    return hasher, hasher.hash("not a real password, used for constant-time failures")


def _hasher() -> tuple[PasswordHasher, str]:
    """The hasher for the app's ARGON2_PARAMS (tests use cheaper, still argon2id, parameters)."""
    params = current_app.config.get("ARGON2_PARAMS") if has_app_context() else None
    return _hasher_for(tuple(sorted((params or {}).items())))


def normalize_password(password: str) -> str:
    """The form in which a password is hashed and checked: Unicode NFKC (NIST SP 800-63B), so the same
    passphrase typed on another keyboard or system (composed "é" or "e" + combining accent) still matches."""
    return unicodedata.normalize("NFKC", password)


def hash_password(password: str) -> str:
    """Hash a password, normalised, with argon2id."""
    return _hasher()[0].hash(normalize_password(password))


@dataclass(frozen=True)
class Verdict:
    """A yes or no that carries more: true when ``ok`` (a password check here, a service call in the views)."""

    ok: bool

    def __bool__(self) -> bool:
        return self.ok


@dataclass(frozen=True)
class PasswordMatch(Verdict):
    """The result of checking a password; true when it matched."""

    # Matched, but the hash should be made again: other parameters than today's, or made from the
    # un-normalised form (before passwords were normalised).
    stale: bool = False


def verify_password(password_hash: str | None, password: str) -> PasswordMatch:
    """Check a password against its hash in constant time; no match for any mismatch or bad hash.

    The normalised form is checked, then the form as typed (hashes made before normalisation). Both are
    always checked when they differ, so the time taken depends on what was typed, never on the account."""
    hasher, dummy = _hasher()
    normalized = normalize_password(password)
    matched = [_verifies(hasher, password_hash or dummy, form) for form in dict.fromkeys((normalized, password))]
    if password_hash is None or not any(matched):
        return PasswordMatch(False)
    return PasswordMatch(True, stale=not matched[0] or hasher.check_needs_rehash(password_hash))


def _verifies(hasher: PasswordHasher, password_hash: str, password: str) -> bool:
    try:
        return hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


# One-time codes the app draws at random (recovery codes, 50 bits each) need no slow hash against guessing
# offline; a light argon2id keeps checking ten of them at a log-in quick (the password's takes about 1 s each
# under load). Tests' ARGON2_PARAMS, when set, are used for both.
TOKEN_HASH_PARAMS = {"time_cost": 1, "memory_cost": 8 * 1024, "parallelism": 1}


def _token_hasher() -> PasswordHasher:
    params = current_app.config.get("ARGON2_PARAMS") if has_app_context() else None
    return _hasher_for(tuple(sorted((params or TOKEN_HASH_PARAMS).items())))[0]


def hash_token(token: str) -> str:
    """Hash a random one-time code (not a password) with a light argon2id."""
    return _token_hasher().hash(token)


def verify_token(token_hash: str, token: str) -> bool:
    """Check a one-time code against its hash; False for any mismatch or bad hash."""
    try:
        return _token_hasher().verify(token_hash, token)
    except (VerificationError, InvalidHashError):
        return False


@functools.cache
def _common_passwords() -> frozenset[str]:
    data = resources.files("lms").joinpath("data/common-passwords.txt.gz").read_bytes()
    return frozenset(gzip.decompress(data).decode().split())


def _is_repetitive(password: str) -> bool:
    """A single character or a short unit repeated ("aaaa...", "abcabcabc...", "passwordpassword")."""
    if len(set(password)) <= 2:
        return True
    for size in range(1, len(password) // 2 + 1):
        if len(password) % size == 0 and password[:size] * (len(password) // size) == password:
            return True
    return False


def password_problems(password: str, *, context: tuple[str, ...] = ()) -> list[str]:
    """Reasons the password is refused (empty when acceptable), after NIST SP 800-63B rev. 4.

    No composition rules and no expiry: length, a list of common passwords, and the user's own
    details (``context``: e-mail, name) are what count.
    """
    password = normalize_password(password)  # judged as it is hashed
    problems = []
    if len(password) < MIN_PASSWORD_LENGTH:
        problems.append(f"Use at least {MIN_PASSWORD_LENGTH} characters; a few words make a good passphrase.")
    if len(password) > MAX_PASSWORD_LENGTH:
        problems.append(f"Use at most {MAX_PASSWORD_LENGTH} characters.")
    lowered = password.lower()
    common = _common_passwords()
    if lowered in common or lowered.strip("0123456789!.") in common or _is_repetitive(lowered):
        problems.append("This password is too common or too easy to guess; choose another.")
    for word in context:
        word = (word or "").lower().split("@")[0].strip()
        if len(word) >= 4 and word in lowered:
            problems.append("Do not use your name or e-mail address in your password.")
            break
    return problems


# The headers every response carries unless its view set its own (lms.app's after-request hook; the autosave's
# short way in, lms.views.autosave_path).
RESPONSE_HEADERS = (
    ("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
                                "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "same-origin"),
    ("X-Frame-Options", "DENY"),
)
# Browsers remember to use HTTPS only (ASVS 14.4.5); sent over HTTPS only, where it counts.
HTTPS_ONLY_HEADER = ("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
# A response to a session that claims a log-in: pages with personal data or one-time secrets stay out of shared
# caches and history.
LOGGED_IN_HEADER = ("Cache-Control", "no-store")


# Roles that must log in with a second factor (when REQUIRE_2FA is on); trainees may add one.
PRIVILEGED_ROLES = (Role.ADMIN, Role.STAFF, Role.INSTRUCTOR, Role.COORDINATOR)


def second_factor_required(user) -> bool:
    """The one rule for who must have a second factor: every privileged role, unless REQUIRE_2FA is off."""
    return bool(current_app.config.get("REQUIRE_2FA", True)) and user.has_role(*PRIVILEGED_ROLES)


def owes_second_factor(user) -> bool:
    """True for a user who must enrol a second factor before anything else (one logged in before two factors
    were required)."""
    return not user.has_second_factor and second_factor_required(user)


@dataclass(frozen=True)
class SessionClaim:
    """Who a session says it is, not yet checked: Flask-Login's id for the session (User.get_id), the user's
    id and the session token it was issued with."""

    user_id: int
    token: str

    @classmethod
    def parse(cls, session_id: str | None) -> "SessionClaim | None":
        user_id, _, token = (session_id or "").partition(":")
        return cls(int(user_id), token) if user_id.isdigit() and token else None


def session_claim() -> SessionClaim | None:
    """The current session's claim (Flask-Login keeps its id under "_user_id"); None without a log-in."""
    return SessionClaim.parse(session.get("_user_id"))


def session_holds(user, token: str) -> bool:
    """The one rule for a log-in session: its user exists, is active, and still has the session's token (a log-out,
    a password change or a disabled account changes it, which ends every session)."""
    return user is not None and user.is_active and tokens_equal(user.session_token, token)


def admits_at_once(user, claim: SessionClaim, roles) -> bool:
    """True when the session ``claim`` may use a view for ``roles`` with nothing owed first: the checks that loading the
    user (session_holds), role_required and the before-request detours (a password to change, a second factor to
    enrol) make, on a user read by the view's own statement (lms.views.helpers.reads_session_user)."""
    return (user is not None and user.id == claim.user_id and session_holds(user, claim.token)
            and user.has_role(*roles) and not user.must_change_password and not owes_second_factor(user))


def tokens_equal(a: str, b: str) -> bool:
    """Compare secrets in constant time."""
    return hmac.compare_digest(a.encode(), b.encode())


def is_safe_redirect(target: str | None) -> bool:
    """True only for a path on this site ("/..."), never another host or scheme."""
    if not target:
        return False
    if "\\" in target or any(ord(c) < 32 for c in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc and target.startswith("/") and not target.startswith("//")


def agency_scope(user) -> int | None:
    """The one agency a coordinator may see (-1, which matches none, when they have no agency); None for
    every other role, who are not limited to an agency."""
    return (user.agency_id or -1) if user.has_role(Role.COORDINATOR) else None


def may_see_agency(user, agency_id: int | None) -> bool:
    """The one rule for agency-owned records: a coordinator sees their own agency's only."""
    scope = agency_scope(user)
    return scope is None or scope == agency_id


def role_required(*roles: Role):
    """Require a logged-in user with one of ``roles``; others get 403 (anonymous users go to log-in)."""

    def decorator(view):
        @functools.wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if not current_user.has_role(*roles):
                abort(403)
            return view(*args, **kwargs)

        wrapped.allowed_roles = frozenset(roles)  # read by the navigation: a link shows only where it works
        return wrapped

    return decorator
