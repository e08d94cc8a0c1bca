"""What every versioned kind of content shares: modules, questions, exams and practical exercises.

An item (``Exam``) is known by its stable slug and points at its current version; a version (``ExamVersion``,
the item's class name and "Version") is immutable, numbered 1, 2, ... under its item, and remembers the file
it was read from. Attempts, grades and certificates pin versions, so old ones stay.
"""
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

from lms.models.types import UTCDateTime


class VersionedItem:
    """A content item whose content lives in versions (the ``<Class>Version`` model, table ``<table>_version``);
    retired when its file is gone, but never deleted."""

    retired_at = mapped_column(UTCDateTime(), nullable=True)
    created_at = mapped_column(UTCDateTime(), nullable=False)

    @declared_attr
    def current_version_id(cls) -> Mapped[int | None]:
        return mapped_column(ForeignKey(f"{cls.__tablename__}_version.id", use_alter=True), nullable=True)

    @declared_attr
    def current_version(cls):
        return relationship(f"{cls.__name__}Version", foreign_keys=f"{cls.__name__}.current_version_id",
                            post_update=True)


class ContentVersion:
    """One immutable version of a content item: its number under the item, the hash of its content (an
    unchanged file makes no new version), the file it came from and when it was stored."""

    number: Mapped[int] = mapped_column()
    content_hash: Mapped[str] = mapped_column(String(64))
    source_path: Mapped[str] = mapped_column(String(500))
    created_at = mapped_column(UTCDateTime(), nullable=False)
