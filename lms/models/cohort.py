"""Cohorts run a track from a start date; trainees are enrolled in them."""
from sqlalchemy import Column, Date, Float, ForeignKey, Index, String, Table, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.extensions import db
from lms.models.base import Record
from lms.models.types import UTCDateTime

cohort_agency = Table(
    "cohort_agency",
    db.metadata,
    Column("cohort_id", ForeignKey("cohort.id"), primary_key=True),
    Column("agency_id", ForeignKey("agency.id"), primary_key=True),
)

cohort_instructor = Table(
    "cohort_instructor",
    db.metadata,
    Column("cohort_id", ForeignKey("cohort.id"), primary_key=True),
    Column("user_id", ForeignKey("user.id"), primary_key=True),
)


class Cohort(Record):
    """One run of a track, for one or more agencies, with its instructors."""

    __tablename__ = "cohort"

    name: Mapped[str] = mapped_column(String(200), unique=True)
    track_id: Mapped[int] = mapped_column(ForeignKey("track.id"), index=True)
    start_date = mapped_column(Date(), nullable=False)
    created_at = mapped_column(UTCDateTime(), nullable=False)

    track = relationship("Track")
    agencies = relationship("Agency", secondary=cohort_agency, order_by="Agency.name")
    instructors = relationship("User", secondary=cohort_instructor, order_by="User.name")
    enrollments = relationship("Enrollment", back_populates="cohort")
    week_openings = relationship("WeekOpening", cascade="all, delete-orphan")
    notices = relationship("CohortNotice", order_by="CohortNotice.posted_at.desc(), CohortNotice.id.desc()",
                           cascade="all, delete-orphan")

    def is_open_to(self, agency_id: int | None) -> bool:
        """The one rule for whose officers the cohort takes: its agencies', or anyone's when it names none."""
        return not self.agencies or any(a.id == agency_id for a in self.agencies)


class WeekOpening(Record):
    """An instructor opened a week of a cohort before its scheduled date."""

    __tablename__ = "week_opening"

    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohort.id"))
    week: Mapped[int] = mapped_column()
    opened_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    opened_at = mapped_column(UTCDateTime(), nullable=False)

    __table_args__ = (UniqueConstraint("cohort_id", "week"),)


class CohortNotice(Record):
    """A notice an instructor posted on the cohort's page; its trainees see it on their course page."""

    __tablename__ = "cohort_notice"

    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohort.id"), index=True)
    body_md: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)  # rendered and sanitized once (lms/markdown.py)
    posted_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    posted_at = mapped_column(UTCDateTime(), nullable=False)

    posted_by = relationship("User")


class Enrollment(Record):
    """A trainee in a cohort."""

    __tablename__ = "enrollment"

    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohort.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default="active")  # active | withdrawn | completed
    enrolled_at = mapped_column(UTCDateTime(), nullable=False)
    # The agreement the trainee is nominated under; the certification names it and its functions.
    mou_id: Mapped[int | None] = mapped_column(ForeignKey("mou.id"), index=True)
    # The standing time multiplier (an accommodation) for exams in this enrollment, set by its instructors.
    time_multiplier: Mapped[float] = mapped_column(Float, default=1.0, server_default=text("1.0"))

    user = relationship("User")
    cohort = relationship("Cohort", back_populates="enrollments")
    mou = relationship("Mou")
    progress = relationship("ModuleProgress", back_populates="enrollment")

    __table_args__ = (UniqueConstraint("user_id", "cohort_id"),)


class ModuleProgress(Record):
    """A trainee's reading of a module: first read, and completion against the version read."""

    __tablename__ = "module_progress"

    enrollment_id: Mapped[int] = mapped_column(ForeignKey("enrollment.id"))
    module_id: Mapped[int] = mapped_column(ForeignKey("module.id"))
    first_read_at = mapped_column(UTCDateTime(), nullable=False)
    completed_at = mapped_column(UTCDateTime(), nullable=True)
    completed_version_id: Mapped[int | None] = mapped_column(ForeignKey("module_version.id"))

    enrollment = relationship("Enrollment", back_populates="progress")
    module = relationship("Module")
    completed_version = relationship("ModuleVersion")

    __table_args__ = (
        UniqueConstraint("enrollment_id", "module_id"),
        Index("ix_module_progress_module", "module_id"),
    )
