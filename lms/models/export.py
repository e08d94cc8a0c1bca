"""Export jobs: a large file (a pass list, a cohort's training record) asked for by one person, written
by a background job under the instance folder, downloaded by that person only, deleted when it expires.
"""
from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.models.base import Record
from lms.models.types import UTCDateTime

QUEUED, RUNNING, READY, FAILED = "queued", "running", "ready", "failed"
EXPORT_STATUSES = (QUEUED, RUNNING, READY, FAILED)


class ExportJob(Record):
    """One export asked for: what (kind, format, parameters), whose, how far along, and the file once ready."""

    __tablename__ = "export_job"

    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    kind: Mapped[str] = mapped_column(String(30))  # a key of lms.certification.exports.KINDS
    fmt: Mapped[str] = mapped_column(String(10))
    params: Mapped[str] = mapped_column(Text)  # JSON: the pass list's filters, the cohort's id
    title: Mapped[str] = mapped_column(String(200))  # what the lists show, e.g. "Pass list (XLSX)"
    status: Mapped[str] = mapped_column(String(10), default=QUEUED)
    rows_done: Mapped[int] = mapped_column(Integer, default=0)
    rows_total: Mapped[int | None] = mapped_column(Integer)
    filename: Mapped[str] = mapped_column(String(200))  # the download's name
    stored_name: Mapped[str | None] = mapped_column(String(100))  # the file under INSTANCE_PATH/exports/
    size: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)  # shown to the owner: says what went wrong, no internals
    tries: Mapped[int] = mapped_column(Integer, default=0)
    created_at = mapped_column(UTCDateTime(), nullable=False)
    started_at = mapped_column(UTCDateTime(), nullable=True)
    finished_at = mapped_column(UTCDateTime(), nullable=True)
    expires_at = mapped_column(UTCDateTime(), nullable=True)  # set when ready

    user = relationship("User")

    __table_args__ = (
        Index("ix_export_job_user_created", "user_id", "created_at"),
        Index("ix_export_job_expires_at", "expires_at"),
    )

    @property
    def percent(self) -> int:
        """How far along, 0 to 100 (100 once ready, whatever the count)."""
        if self.status == READY:
            return 100
        if not self.rows_total:
            return 0
        return min(100, self.rows_done * 100 // self.rows_total)

    @property
    def is_pending(self) -> bool:
        """Queued or running: the page keeps checking."""
        return self.status in (QUEUED, RUNNING)
