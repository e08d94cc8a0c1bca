"""Content written in the browser: each save is a revision of a module's or a practical exercise's file;
publishing one adds a ModuleVersion or an ExerciseVersion, as `lms content sync` does for a file."""
from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.models.base import Record
from lms.models.types import JSONText, UTCDateTime

REVISION_STATUSES = ("draft", "published")
REVISION_KINDS = ("module", "exercise")


class ContentRevision(Record):
    """One saved draft of a module or an exercise (by its kind and slug: a new one has no Module or Exercise
    row until it is published). The table kept the name it had when only modules had revisions."""

    __tablename__ = "module_revision"

    kind: Mapped[str] = mapped_column(String(20), default="module", server_default="module")  # REVISION_KINDS
    slug: Mapped[str] = mapped_column(String(200))
    number: Mapped[int] = mapped_column()  # 1, 2, ... per kind and slug
    # A module: its front matter, as the file's keys; an exercise: its file's keys but the instructions.
    front = mapped_column(JSONText(), nullable=False)
    body_md: Mapped[str] = mapped_column(Text)  # a module's body; an exercise's instructions
    status: Mapped[str] = mapped_column(String(20), default="draft")  # REVISION_STATUSES
    author_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    created_at = mapped_column(UTCDateTime(), nullable=False)
    # The published version it was edited from (None: a new module), and the revision it restores, if any.
    based_on_version_id: Mapped[int | None] = mapped_column(ForeignKey("module_version.id"))
    restored_from_id: Mapped[int | None] = mapped_column(ForeignKey("module_revision.id"))
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    published_at = mapped_column(UTCDateTime(), nullable=True)
    published_version_id: Mapped[int | None] = mapped_column(ForeignKey("module_version.id"))
    # The same two for an exercise's revision.
    exercise_based_on_id: Mapped[int | None] = mapped_column(ForeignKey("exercise_version.id"))
    exercise_published_id: Mapped[int | None] = mapped_column(ForeignKey("exercise_version.id"))

    author = relationship("User", foreign_keys=[author_id])
    approved_by = relationship("User", foreign_keys=[approved_by_id])
    published_version = relationship("ModuleVersion", foreign_keys=[published_version_id])
    published_exercise_version = relationship("ExerciseVersion", foreign_keys=[exercise_published_id])
    comments = relationship("RevisionComment", back_populates="revision", order_by="RevisionComment.id")

    __table_args__ = (UniqueConstraint("kind", "slug", "number"),)

    @property
    def title(self) -> str:
        return str(self.front.get("title") or self.slug)

    @property
    def based_on_id(self) -> int | None:
        """The id of the published version (of its kind) the revision was edited from."""
        return self.exercise_based_on_id if self.kind == "exercise" else self.based_on_version_id

    @property
    def published(self):
        """The version publishing it made (a ModuleVersion or an ExerciseVersion), or None."""
        return self.published_exercise_version if self.kind == "exercise" else self.published_version


class RevisionComment(Record):
    """A reviewer's or author's comment on a draft revision."""

    __tablename__ = "revision_comment"

    revision_id: Mapped[int] = mapped_column(ForeignKey("module_revision.id"))
    author_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    body: Mapped[str] = mapped_column(Text)
    created_at = mapped_column(UTCDateTime(), nullable=False)

    revision = relationship("ContentRevision", back_populates="comments")
    author = relationship("User")

    __table_args__ = (Index("ix_revision_comment_revision", "revision_id"),)
