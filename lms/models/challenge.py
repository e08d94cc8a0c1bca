"""Item challenges, the grading adjustments their decisions make, and regrades held for staff.

A trainee challenges one question of a finished attempt; an instructor's decision that accepts it
records a GradingAdjustment of the question *version* (accept another answer, credit every response,
drop the item), which grading applies to every attempt that drew that version, now and later. A regrade
that would turn a pass into a fail is not applied: a RegradeHold names the attempt until staff apply
or keep it, and grading leaves the adjustment out of that attempt meanwhile (and for good when kept).
"""
from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.models.base import Record
from lms.models.types import JSONText, UTCDateTime

CHALLENGE_OPEN, CHALLENGE_REJECTED, CHALLENGE_ACCEPTED = "open", "rejected", "accepted"
HOLD_PENDING, HOLD_APPLIED, HOLD_KEPT = "held", "applied", "kept"


class ItemChallenge(Record):
    """A trainee's challenge of one question of their finished attempt, and the decision on it."""

    __tablename__ = "item_challenge"

    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempt.id"), index=True)
    attempt_question_id: Mapped[int] = mapped_column(ForeignKey("attempt_question.id"))
    question_version_id: Mapped[int] = mapped_column(ForeignKey("question_version.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10))  # open | rejected | accepted
    created_at = mapped_column(UTCDateTime(), nullable=False)
    decision: Mapped[str | None] = mapped_column(String(20))  # reject | accept_answer | credit_all | drop
    decision_reason: Mapped[str | None] = mapped_column(Text)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    decided_at = mapped_column(UTCDateTime(), nullable=True)
    adjustment_id: Mapped[int | None] = mapped_column(ForeignKey("grading_adjustment.id"))

    attempt = relationship("Attempt")
    attempt_question = relationship("AttemptQuestion")
    user = relationship("User", foreign_keys=[user_id])
    decided_by = relationship("User", foreign_keys=[decided_by_id])
    adjustment = relationship("GradingAdjustment", foreign_keys=[adjustment_id])

    __table_args__ = (
        # One open challenge per question of an attempt, enforced by the database.
        Index("uq_item_challenge_one_open", "attempt_question_id", unique=True,
              sqlite_where=text("status = 'open'"), postgresql_where=text("status = 'open'")),
        Index("ix_item_challenge_status", "status"),
    )


class GradingAdjustment(Record):
    """How a decision changes the grading of one question version (its type's class applies it)."""

    __tablename__ = "grading_adjustment"

    question_version_id: Mapped[int] = mapped_column(ForeignKey("question_version.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # accept_answer | credit_all | drop
    answer = mapped_column(JSONText(), nullable=True)  # accept_answer: the canonical response now credited
    answer_label: Mapped[str] = mapped_column(String(500), default="")  # that response in words
    reason: Mapped[str] = mapped_column(Text)
    decided_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    decided_by = relationship("User")
    decided_at = mapped_column(UTCDateTime(), nullable=False)


class RegradeHold(Record):
    """A regrade that would turn a pass into a fail, held for staff to apply or keep."""

    __tablename__ = "regrade_hold"

    adjustment_id: Mapped[int] = mapped_column(ForeignKey("grading_adjustment.id"))
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempt.id"), index=True)
    status: Mapped[str] = mapped_column(String(10))  # held | applied | kept
    percent_before: Mapped[float] = mapped_column()
    percent_after: Mapped[float] = mapped_column()
    created_at = mapped_column(UTCDateTime(), nullable=False)
    reason: Mapped[str | None] = mapped_column(Text)  # staff's reason for applying or keeping
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    decided_at = mapped_column(UTCDateTime(), nullable=True)

    adjustment = relationship("GradingAdjustment")
    attempt = relationship("Attempt")

    __table_args__ = (UniqueConstraint("adjustment_id", "attempt_id"),)
