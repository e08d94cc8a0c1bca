"""The second factor: TOTP authenticators (RFC 6238) and one-time recovery codes.

Who must have one is security.second_factor_required. The secret is encrypted at rest with Fernet under a
key derived from the app's SECRET_KEY; recovery codes are kept as argon2id hashes. A code is accepted for the
current 30-second step or the one before or after (clock drift), and never for a step at or before the last
one accepted, so a code cannot be used twice. Every wrong code counts toward the log-in lockout, like a
wrong password. Nothing secret (secrets, codes) goes to the audit log.

Each write flushes, records an audit event, and leaves the commit to the caller.
"""
import base64
import secrets
from typing import NoReturn

import pyotp
import segno
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app
from markupsafe import Markup
from sqlalchemy import delete, func, or_, select, update

from lms.accounts import users as accounts
from lms.accounts import login
from lms.audit import record_event
from lms.extensions import db
from lms.models import RecoveryCode, User
from lms.security import hash_token, second_factor_required, tokens_equal, verify_token

ISSUER = "287(g) Training"
VALID_WINDOW = 1  # steps either side of now: ±30 s of clock drift between the phone and the server
RECOVERY_CODES = 10
_RECOVERY_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"  # no l/1/o/0 to misread


class TwoFactorError(ValueError):
    """A second-factor request that cannot be carried out, with a message for the user."""


# -- the secret, encrypted at rest --------------------------------------------------------------------


def _fernet_key(secret_key: str) -> bytes:
    # A key of its own, derived from the app secret: the cookie-signing key is never used as-is.
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"lms totp secret").derive(secret_key.encode())
    return base64.urlsafe_b64encode(key)


def _cipher() -> MultiFernet:
    """Encrypts with the current SECRET_KEY; also decrypts with PREVIOUS_SECRET_KEYS (key rotation)."""
    keys = [current_app.config["SECRET_KEY"], *current_app.config.get("PREVIOUS_SECRET_KEYS", [])]
    return MultiFernet([Fernet(_fernet_key(k)) for k in keys])


def encrypt_secret(secret: str) -> str:
    """The TOTP secret as stored in the database."""
    return _cipher().encrypt(secret.encode()).decode()


def decrypt_secret(stored: str) -> str:
    """The TOTP secret from its stored form (TwoFactorError when no configured key opens it)."""
    try:
        return _cipher().decrypt(stored.encode()).decode()
    except InvalidToken:
        raise TwoFactorError("The second factor cannot be read with the configured keys; "
                             "ask an administrator to reset it.") from None


def reencrypt_secrets() -> int:
    """Re-encrypt every stored secret with the current key (after a SECRET_KEY rotation); returns how many."""
    cipher = _cipher()
    users = db.session.scalars(select(User).where(User.totp_secret.is_not(None))).all()
    for user in users:
        user.totp_secret = cipher.rotate(user.totp_secret.encode()).decode()
    db.session.flush()
    return len(users)


# -- enrolment ----------------------------------------------------------------------------------------


def new_secret() -> str:
    """A new random TOTP secret (base32, 160 bits)."""
    return pyotp.random_base32(32)


def provisioning_uri(user: User, secret: str) -> str:
    """The otpauth:// URI an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


def qr_svg(user: User, secret: str) -> Markup:
    """The enrolment QR code as inline SVG (drawn here: no image service sees the secret)."""
    svg = segno.make(provisioning_uri(user, secret), error="m", micro=False).svg_inline(
        scale=5, border=4, title="QR code to add this account to an authenticator app")
    return Markup(svg)  # nosec B704: segno's SVG holds QR modules and our fixed title, no user text


def _matching_step(secret: str, code: str, now, after: int | None) -> int | None:
    """The time step within the window whose code is ``code`` and is later than ``after``; else None."""
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    for step in range(current - VALID_WINDOW, current + VALID_WINDOW + 1):
        if (after is None or step > after) and tokens_equal(totp.generate_otp(step), code):
            return step
    return None


def _clean_code(code: str) -> str:
    return "".join(ch for ch in (code or "") if not ch.isspace() and ch != "-").lower()


def enrol(user: User, secret: str, code: str, *, now, ip=None) -> list[str]:
    """Turn on the second factor once the first code from the authenticator checks; returns the ten
    recovery codes (shown once). A wrong code counts toward the lockout."""
    if user.has_second_factor:
        raise TwoFactorError("A second factor is already set up for this account.")
    code = _clean_code(code)
    step = _matching_step(secret, code, now, None) if code.isdigit() and len(code) == 6 else None
    if step is None:
        _refuse(user, now, ip, "bad_enrolment_code", "That code is not correct. Check the time on your phone "
                                                     "and enter the code your authenticator app shows now.")
    user.totp_secret, user.totp_enabled_at, user.totp_last_step = encrypt_secret(secret), now, step
    db.session.flush()
    record_event("two_factor.enrol", actor=user, obj=user, now=now, ip=ip)
    return _new_recovery_codes(user, now)


def _new_recovery_codes(user: User, now) -> list[str]:
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = ["".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(10)) for _ in range(RECOVERY_CODES)]
    db.session.add_all(RecoveryCode(user_id=user.id, code_hash=hash_token(c), created_at=now) for c in codes)
    db.session.flush()
    return [f"{c[:5]}-{c[5:]}" for c in codes]


def regenerate_recovery_codes(user: User, *, now) -> list[str]:
    """Replace the user's recovery codes with ten new ones (shown once); the old ones stop working."""
    if not user.has_second_factor:
        raise TwoFactorError("Set up an authenticator app first.")
    codes = _new_recovery_codes(user, now)
    record_event("two_factor.recovery_codes", actor=user, obj=user, now=now, details={"count": len(codes)})
    return codes


def recovery_codes_left(user: User) -> int:
    """How many of the user's recovery codes are still unused."""
    return db.session.scalar(select(func.count(RecoveryCode.id)).where(
        RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)))


# -- log-in -------------------------------------------------------------------------------------------

TOTP, RECOVERY_CODE = "totp", "recovery_code"


def check_code(user: User, code: str, *, now, ip=None) -> str:
    """Check the second step of a log-in: an authenticator code or a recovery code. Returns which
    (``TOTP`` or ``RECOVERY_CODE``); raises TwoFactorError, counting the failure toward the lockout."""
    if not user.has_second_factor:
        raise TwoFactorError("This account has no second factor.")
    if user.is_locked(now):
        raise TwoFactorError(LOCKED)
    code = _clean_code(code)
    if code.isdigit() and len(code) == 6:
        return _check_totp(user, code, now, ip)
    if len(code) == 10:
        return _use_recovery_code(user, code, now, ip)
    _refuse(user, now, ip, "bad_code")


LOCKED = ("Too many failed attempts: this account is locked. Try again later or ask an administrator to "
          "unlock it.")


def _refuse(user, now, ip, reason, message="That code is not correct.") -> NoReturn:
    """Count the failure toward the lockout (the log-in's own counter) and refuse; a lockout ends the
    user's sessions."""
    login.count_failure(user, now, ip, reason=reason)
    if user.is_locked(now):
        accounts.end_sessions(user)
        raise TwoFactorError(LOCKED)
    raise TwoFactorError(message)


def _check_totp(user, code, now, ip) -> str:
    secret = decrypt_secret(user.totp_secret)
    step = _matching_step(secret, code, now, None)
    if step is None:
        _refuse(user, now, ip, "bad_code")
    # Claim the step in one statement: of two requests with the same code, only one gets the row.
    claimed = db.session.execute(
        update(User).where(User.id == user.id, or_(User.totp_last_step.is_(None), User.totp_last_step < step))
        .values(totp_last_step=step).execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        _refuse(user, now, ip, "reused_code")
    user.totp_last_step = step
    return TOTP


def _use_recovery_code(user, code, now, ip) -> str:
    unused = db.session.scalars(select(RecoveryCode).where(
        RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)).order_by(RecoveryCode.id)).all()
    match = next((r for r in unused if verify_token(r.code_hash, code)), None)
    if match is None:
        _refuse(user, now, ip, "bad_recovery_code")
    claimed = db.session.execute(
        update(RecoveryCode).where(RecoveryCode.id == match.id, RecoveryCode.used_at.is_(None))
        .values(used_at=now).execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        _refuse(user, now, ip, "bad_recovery_code")
    db.session.expire(match)
    record_event("two_factor.recovery_code_use", actor=user, obj=user, now=now, ip=ip,
                 details={"left": len(unused) - 1})
    return RECOVERY_CODE


# -- administration -----------------------------------------------------------------------------------


def reset(user: User, *, actor=None, now) -> None:
    """An administrator removes the user's second factor and recovery codes; the user's sessions end and a
    privileged user enrols again at the next log-in."""
    had = user.has_second_factor
    user.totp_secret, user.totp_enabled_at, user.totp_last_step = None, None, None
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    accounts.end_sessions(user)
    db.session.flush()
    record_event("two_factor.reset", actor=actor, obj=user, now=now,
                 details={"had_second_factor": had, "must_enrol": second_factor_required(user)})
