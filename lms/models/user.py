"""Accounts and roles."""
import enum
from dataclasses import dataclass
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import BigInteger, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.models.base import Record
from lms.models.types import UTCDateTime


class Role(str, enum.Enum):
    """What a user may do. One role per account."""

    TRAINEE = "trainee"
    INSTRUCTOR = "instructor"
    COORDINATOR = "coordinator"  # an agency's training coordinator
    STAFF = "staff"  # ICE program staff
    ADMIN = "admin"

    @property
    def label(self) -> str:
        return {
            "trainee": "Trainee",
            "instructor": "Instructor",
            "coordinator": "Agency coordinator",
            "staff": "ICE program staff",
            "admin": "Administrator",
        }[self.value]


class AccountRules(UserMixin):
    """What an account's columns say of it: shared by the mapped User and by a SessionUser (below), so that
    a check made on either reads the same rules (from their disabled_at, role and totp_enabled_at), and either
    can be Flask-Login's user of a request (the header reads its name and role)."""

    @property
    def is_active(self) -> bool:  # Flask-Login: disabled accounts cannot hold a session
        return self.disabled_at is None

    def get_id(self) -> str:
        """Flask-Login's session id: the user id bound to the current session token."""
        return f"{self.id}:{self.session_token}"

    @property
    def role_enum(self) -> Role:
        return Role(self.role)

    def has_role(self, *roles: Role) -> bool:
        """True when the user's role is one of ``roles``."""
        return self.role in {r.value for r in roles}

    @property
    def has_second_factor(self) -> bool:
        """True once the user has confirmed an authenticator (TOTP)."""
        return self.totp_enabled_at is not None


class User(AccountRules, Record):
    """A person who signs in."""

    __tablename__ = "user"

    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"), index=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    must_change_password: Mapped[bool] = mapped_column(default=False)
    # Changing the token ends every session of the user (logout, password change, disable).
    session_token: Mapped[str] = mapped_column(String(64))
    # Set when failed log-ins reach the lockout threshold (they are counted in lms.limits).
    locked_until = mapped_column(UTCDateTime(), nullable=True)
    disabled_at = mapped_column(UTCDateTime(), nullable=True)
    created_at = mapped_column(UTCDateTime(), nullable=False)
    last_login_at = mapped_column(UTCDateTime(), nullable=True)
    password_changed_at = mapped_column(UTCDateTime(), nullable=True)
    # The annual access review (CJIS): when an administrator last confirmed the account still needs access.
    access_reviewed_at = mapped_column(UTCDateTime(), nullable=True)
    access_reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    # The second factor (TOTP): the secret encrypted (lms.twofactor), when it was confirmed, and the last
    # time step a code was accepted for (a code is never accepted twice, nor an earlier one).
    totp_secret: Mapped[str | None] = mapped_column(String(300))
    totp_enabled_at = mapped_column(UTCDateTime(), nullable=True)
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)

    agency = relationship("Agency", back_populates="users")
    access_reviewed_by = relationship("User", remote_side="User.id", foreign_keys=[access_reviewed_by_id])

    __table_args__ = (Index("ix_user_role", "role"),)

    def is_locked(self, now) -> bool:
        """True while a lockout is in force."""
        return self.locked_until is not None and self.locked_until > now

    def status(self, now) -> str:
        """The account's status at ``now``: "disabled", else "locked" while a lockout is in force, else
        "active" (in words: lms.vocabulary.ACCOUNT_STATUS)."""
        if self.disabled_at is not None:
            return "disabled"
        return "locked" if self.is_locked(now) else "active"

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email} {self.role}>"


@dataclass(frozen=True)
class SessionUser(AccountRules):
    """The columns of a user that a session's check needs (lms.security.admits_at_once), read by a hot request's
    own statement instead of loading the user (lms.views.helpers.reads_session_user)."""

    id: int
    name: str
    email: str  # the audit log's actor
    role: str
    session_token: str
    disabled_at: datetime | None
    must_change_password: bool
    totp_enabled_at: datetime | None

    @classmethod
    def split(cls, row) -> tuple[tuple, "SessionUser"]:
        """A row that ends with SESSION_USER_COLUMNS: (its other columns, the SessionUser of its last ones)."""
        cut = len(row) - len(SESSION_USER_COLUMNS)
        return tuple(row[:cut]), cls(*row[cut:])


# What a statement selects, last, to make a SessionUser (in this order: SessionUser.split).
SESSION_USER_COLUMNS = (User.id, User.name, User.email, User.role, User.session_token, User.disabled_at,
                        User.must_change_password, User.totp_enabled_at)


class RecoveryCode(Record):
    """A one-time code that replaces an authenticator code once (stored as an argon2 hash)."""

    __tablename__ = "recovery_code"

    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(200))
    created_at = mapped_column(UTCDateTime(), nullable=False)
    used_at = mapped_column(UTCDateTime(), nullable=True)
