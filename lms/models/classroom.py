"""The classroom side of a course: sessions a cohort attends, attendance per trainee, practical exercises
(content, versioned like modules) and their rubric grades."""
from sqlalchemy import Float, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.models.base import Record
from lms.models.types import JSONText, UTCDateTime
from lms.models.versioned import ContentVersion, VersionedItem

SCHEDULED, CANCELLED = "scheduled", "cancelled"
PRESENT, LATE, EXCUSED, ABSENT = "present", "late", "excused", "absent"
ATTENDANCE_STATUSES = (PRESENT, LATE, EXCUSED, ABSENT)
WRITTEN, OBSERVED = "written", "observed"
FIRST_GRADER, SECOND_GRADER = "first", "second"


class ClassSession(Record):
    """A classroom session of a cohort: when (stored in UTC, entered in the program's time zone), where,
    the hours it counts for, its week and what it covers. ``sequence`` counts changes (iCalendar SEQUENCE)."""

    __tablename__ = "class_session"

    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohort.id"), index=True)
    cohort = relationship("Cohort")
    title: Mapped[str] = mapped_column(String(200))
    starts_at = mapped_column(UTCDateTime(), nullable=False)
    ends_at = mapped_column(UTCDateTime(), nullable=False)
    place: Mapped[str] = mapped_column(String(200))
    hours: Mapped[float] = mapped_column(Float)
    week: Mapped[int] = mapped_column()
    covers = mapped_column(JSONText(), nullable=False)  # module and exercise slugs
    status: Mapped[str] = mapped_column(String(12), default=SCHEDULED)
    cancel_reason: Mapped[str] = mapped_column(Text, default="")
    sequence: Mapped[int] = mapped_column(default=0)
    created_at = mapped_column(UTCDateTime(), nullable=False)
    updated_at = mapped_column(UTCDateTime(), nullable=False)


class Attendance(Record):
    """A trainee's attendance at a session: present, late (minutes), excused or absent, with a note."""

    __tablename__ = "attendance"

    session_id: Mapped[int] = mapped_column(ForeignKey("class_session.id"))
    enrollment_id: Mapped[int] = mapped_column(ForeignKey("enrollment.id"), index=True)
    status: Mapped[str] = mapped_column(String(10))
    minutes_late: Mapped[int] = mapped_column(default=0)
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    recorded_at = mapped_column(UTCDateTime(), nullable=False)

    session = relationship("ClassSession")

    __table_args__ = (UniqueConstraint("session_id", "enrollment_id"),)


class Exercise(VersionedItem, Record):
    """A practical exercise, identified by its stable slug; its instructions and rubric live in versions."""

    __tablename__ = "exercise"

    slug: Mapped[str] = mapped_column(String(100), unique=True)


class ExerciseVersion(ContentVersion, Record):
    """One immutable version of an exercise: instructions, rubric (criteria with levels) and pass rule."""

    __tablename__ = "exercise_version"

    exercise_id: Mapped[int] = mapped_column(ForeignKey("exercise.id"))
    title: Mapped[str] = mapped_column(String(300))
    mode: Mapped[str] = mapped_column(String(10))  # written (takes a submission) | observed
    instructions_md: Mapped[str] = mapped_column(Text)
    instructions_html: Mapped[str] = mapped_column(Text)
    # [{"id", "title", "minimum", "levels": [{"points", "label", "descriptor"}]}]
    rubric = mapped_column(JSONText(), nullable=False)
    pass_total: Mapped[float] = mapped_column(Float)
    sources = mapped_column(JSONText(), nullable=False)

    exercise = relationship("Exercise", foreign_keys=[exercise_id])

    __table_args__ = (UniqueConstraint("exercise_id", "number"),)

    @property
    def max_points(self) -> float:
        return sum(max(level["points"] for level in c["levels"]) for c in self.rubric)


class PracticalSubmission(Record):
    """A trainee's work for a written exercise: typed text, or a PDF stored by lms.uploads."""

    __tablename__ = "practical_submission"

    enrollment_id: Mapped[int] = mapped_column(ForeignKey("enrollment.id"))
    exercise_id: Mapped[int] = mapped_column(ForeignKey("exercise.id"))
    exercise_version_id: Mapped[int] = mapped_column(ForeignKey("exercise_version.id"))
    text: Mapped[str] = mapped_column(Text, default="")
    file_name: Mapped[str | None] = mapped_column(String(200))  # the uploaded file's (cleaned) name
    stored_name: Mapped[str | None] = mapped_column(String(100))
    file_sha256: Mapped[str | None] = mapped_column(String(64))
    submitted_at = mapped_column(UTCDateTime(), nullable=False)

    __table_args__ = (UniqueConstraint("enrollment_id", "exercise_id"),)


class PracticalGrade(Record):
    """A grader's rubric scores for a trainee's exercise. The first grader's grade counts; a second
    grader's is a check whose difference is shown."""

    __tablename__ = "practical_grade"

    enrollment_id: Mapped[int] = mapped_column(ForeignKey("enrollment.id"))
    exercise_id: Mapped[int] = mapped_column(ForeignKey("exercise.id"))
    exercise_version_id: Mapped[int] = mapped_column(ForeignKey("exercise_version.id"))
    grader_role: Mapped[str] = mapped_column(String(10))  # first | second
    grader_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    scores = mapped_column(JSONText(), nullable=False)  # criterion id -> points
    comments: Mapped[str] = mapped_column(Text, default="")
    total: Mapped[float] = mapped_column(Float)
    passed: Mapped[bool] = mapped_column()
    graded_at = mapped_column(UTCDateTime(), nullable=False)

    grader = relationship("User")
    exercise_version = relationship("ExerciseVersion")

    __table_args__ = (
        UniqueConstraint("enrollment_id", "exercise_id", "grader_role"),
        Index("ix_practical_grade_exercise", "exercise_id"),
    )
