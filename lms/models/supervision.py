"""Supervision after certification: ICE program staff's dated notes on a certified officer."""
from sqlalchemy import Boolean, Date, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.models.base import Record
from lms.models.types import UTCDateTime

NOTE_KINDS = ("observation", "corrective_training", "commendation")


class SupervisionNote(Record):
    """ICE program staff's dated note on a certified officer (never on the public verification page)."""

    __tablename__ = "supervision_note"

    certification_id: Mapped[int] = mapped_column(ForeignKey("certification.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    noted_on = mapped_column(Date(), nullable=False)
    text: Mapped[str] = mapped_column(Text)
    shared_with_agency: Mapped[bool] = mapped_column(Boolean, default=False)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at = mapped_column(UTCDateTime(), nullable=False)

    author = relationship("User")
