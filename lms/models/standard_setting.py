"""A modified-Angoff panel of one exam version: the raters' ratings and, once adopted, the record.

``StandardSetting``'s record fields map one to one to the exam file's ``standard_setting`` section
(docs/CONTENT_FORMAT.md), so an export writes them back unchanged:

| file key   | column    |
|------------|-----------|
| method     | method    |
| date       | date      |
| note       | note      |
| raters     | raters    |
| ratings    | ratings   |
| cut        | cut       |

While the panel is open, each rater's probabilities are rows of ``AngoffRating``; adopting copies
them into ``raters`` and ``ratings`` (question id -> one probability per rater, in the order of
``raters``), sets ``cut``, and creates the exam version whose blueprint carries that section.
"""
from sqlalchemy import Date, Float, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.models.base import Record
from lms.models.types import JSONText, UTCDateTime

PANEL_OPEN, PANEL_ADOPTED = "open", "adopted"
ANGOFF_METHOD = "modified-angoff"


class StandardSetting(Record):
    """A panel rating one exam version's questions; its record is the exam file's standard_setting."""

    __tablename__ = "standard_setting"

    exam_id: Mapped[int] = mapped_column(ForeignKey("exam.id"), index=True)
    exam_version_id: Mapped[int] = mapped_column(ForeignKey("exam_version.id"))  # the version rated
    status: Mapped[str] = mapped_column(String(10))  # open | adopted
    # The exam file's standard_setting section (filled in when adopted).
    method: Mapped[str] = mapped_column(String(30), default=ANGOFF_METHOD)
    date = mapped_column(Date(), nullable=True)
    note: Mapped[str] = mapped_column(Text, default="")
    raters = mapped_column(JSONText(), nullable=True)  # [label, ...]
    ratings = mapped_column(JSONText(), nullable=True)  # {question id: [probability per rater]}
    cut: Mapped[float | None] = mapped_column(Float)  # percent
    created_at = mapped_column(UTCDateTime(), nullable=False)
    adopted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    adopted_at = mapped_column(UTCDateTime(), nullable=True)
    adopted_version_id: Mapped[int | None] = mapped_column(ForeignKey("exam_version.id"))  # the version it made

    exam = relationship("Exam")
    exam_version = relationship("ExamVersion", foreign_keys=[exam_version_id])

    __table_args__ = (
        # One open panel per exam version.
        Index("uq_standard_setting_one_open", "exam_version_id", unique=True,
              sqlite_where=text("status = 'open'"), postgresql_where=text("status = 'open'")),
    )

    def as_file_section(self) -> dict:
        """The record as the exam file writes it (docs/CONTENT_FORMAT.md, ``standard_setting``)."""
        section = {"method": self.method, "date": self.date.isoformat() if self.date else None, "note": self.note,
                   "raters": list(self.raters or []), "ratings": {k: list(v) for k, v in (self.ratings or {}).items()},
                   "cut": self.cut}
        if not self.note:
            del section["note"]
        return section


class AngoffRating(Record):
    """One rater's probability that a minimally competent officer answers one question correctly."""

    __tablename__ = "angoff_rating"

    standard_setting_id: Mapped[int] = mapped_column(ForeignKey("standard_setting.id"))
    rater_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    question_slug: Mapped[str] = mapped_column(String(100))
    probability: Mapped[float] = mapped_column(Float)
    rated_at = mapped_column(UTCDateTime(), nullable=False)

    rater = relationship("User")

    __table_args__ = (UniqueConstraint("standard_setting_id", "rater_id", "question_slug"),)
