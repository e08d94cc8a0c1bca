"""Counters that enforce limits (failed log-ins per account and per address, public look-ups)."""
from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from lms.extensions import db
from lms.models.types import UTCDateTime


class RateCounter(db.Model):
    """How many events happened under a key in a fixed window that opened with the first of them.

    Changed only by single atomic statements in lms.limits, so parallel requests never lose a count."""

    __tablename__ = "rate_counter"

    key: Mapped[str] = mapped_column(String(120), primary_key=True)
    count: Mapped[int] = mapped_column()
    window_ends_at = mapped_column(UTCDateTime(), nullable=False)

    __table_args__ = (Index("ix_rate_counter_window_ends_at", "window_ends_at"),)
