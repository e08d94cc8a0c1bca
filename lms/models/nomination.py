"""Nominations: an agency's coordinator puts an officer forward for a track under its agreement."""
from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.models.base import Record
from lms.vocabulary import NOMINATION_STATUS
from lms.models.types import UTCDateTime

PENDING, ACCEPTED, DECLINED = "pending", "accepted", "declined"
NOMINATION_STATUSES = NOMINATION_STATUS  # the words people read: lms.vocabulary


class Nomination(Record):
    """A person nominated by an agency, with the eligibility facts the program asks for."""

    __tablename__ = "nomination"

    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"))
    mou_id: Mapped[int] = mapped_column(ForeignKey("mou.id"), index=True)
    track_id: Mapped[int] = mapped_column(ForeignKey("track.id"))
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(254))
    citizenship_attested: Mapped[bool] = mapped_column(Boolean)
    background_check_on = mapped_column(Date(), nullable=False)
    years_experience: Mapped[int] = mapped_column(Integer)
    commits_two_years: Mapped[bool] = mapped_column(Boolean)
    notes: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(10))  # form | csv
    status: Mapped[str] = mapped_column(String(12))
    nominated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    nominated_at = mapped_column(UTCDateTime(), nullable=False)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    decided_at = mapped_column(UTCDateTime(), nullable=True)
    decision_reason: Mapped[str | None] = mapped_column(Text)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    enrollment_id: Mapped[int | None] = mapped_column(ForeignKey("enrollment.id"))
    # Optional evidence (e.g. the background-check letter), stored under the instance folder.
    evidence_name: Mapped[str | None] = mapped_column(String(255))
    evidence_stored: Mapped[str | None] = mapped_column(String(80))
    evidence_type: Mapped[str | None] = mapped_column(String(100))

    agency = relationship("Agency")
    mou = relationship("Mou")
    track = relationship("Track")
    user = relationship("User", foreign_keys=[user_id])
    nominated_by = relationship("User", foreign_keys=[nominated_by_id])
    decided_by = relationship("User", foreign_keys=[decided_by_id])
    enrollment = relationship("Enrollment")

    __table_args__ = (Index("ix_nomination_agency_status", "agency_id", "status"),)

    @property
    def status_label(self) -> str:
        return NOMINATION_STATUSES.get(self.status, self.status)
