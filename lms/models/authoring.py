"""Modules written in the browser: each save is a revision of a module's file (front matter and body);
publishing one adds a ModuleVersion, as `lms content sync` does for a file."""
from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.models.base import Record
from lms.models.types import JSONText, UTCDateTime

REVISION_STATUSES = ("draft", "published")


class ModuleRevision(Record):
    """One saved draft of a module (by its slug: a new module has no Module row until it is published)."""

    __tablename__ = "module_revision"

    slug: Mapped[str] = mapped_column(String(200))
    number: Mapped[int] = mapped_column()  # 1, 2, ... per slug
    front = mapped_column(JSONText(), nullable=False)  # the front matter, as the module file's keys
    body_md: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="draft")  # REVISION_STATUSES
    author_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    created_at = mapped_column(UTCDateTime(), nullable=False)
    # The published version it was edited from (None: a new module), and the revision it restores, if any.
    based_on_version_id: Mapped[int | None] = mapped_column(ForeignKey("module_version.id"))
    restored_from_id: Mapped[int | None] = mapped_column(ForeignKey("module_revision.id"))
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    published_at = mapped_column(UTCDateTime(), nullable=True)
    published_version_id: Mapped[int | None] = mapped_column(ForeignKey("module_version.id"))

    author = relationship("User", foreign_keys=[author_id])
    approved_by = relationship("User", foreign_keys=[approved_by_id])
    published_version = relationship("ModuleVersion", foreign_keys=[published_version_id])
    comments = relationship("RevisionComment", back_populates="revision", order_by="RevisionComment.id")

    __table_args__ = (UniqueConstraint("slug", "number"),)

    @property
    def title(self) -> str:
        return str(self.front.get("title") or self.slug)


class RevisionComment(Record):
    """A reviewer's or author's comment on a draft revision."""

    __tablename__ = "revision_comment"

    revision_id: Mapped[int] = mapped_column(ForeignKey("module_revision.id"))
    author_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    body: Mapped[str] = mapped_column(Text)
    created_at = mapped_column(UTCDateTime(), nullable=False)

    revision = relationship("ModuleRevision", back_populates="comments")
    author = relationship("User")

    __table_args__ = (Index("ix_revision_comment_revision", "revision_id"),)
