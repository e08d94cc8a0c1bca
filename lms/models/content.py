"""Course content loaded from files: tracks, modules and their versions."""
from datetime import date

from sqlalchemy import Date, Float, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.models.base import Record
from lms.models.types import JSONText, UTCDateTime
from lms.models.versioned import ContentVersion, VersionedItem


class Module(VersionedItem, Record):
    """A lesson, identified by its stable slug; its content lives in versions."""

    __tablename__ = "module"

    slug: Mapped[str] = mapped_column(String(200), unique=True)
    topic: Mapped[str] = mapped_column(String(60))
    is_annex: Mapped[bool] = mapped_column(default=False)
    # The last review of its content for accuracy and currency: from the file's `reviewed:` or "mark reviewed".
    reviewed_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    reviewed_by: Mapped[str | None] = mapped_column(String(200), nullable=True)

    versions = relationship(
        "ModuleVersion",
        back_populates="module",
        foreign_keys="ModuleVersion.module_id",
        order_by="ModuleVersion.number",
    )

    def note_review(self, on: date | None, by: str) -> bool:
        """Take a review date (and who reviewed) unless an as recent one is already recorded; True if taken."""
        if on is None or (self.reviewed_on is not None and on < self.reviewed_on):
            return False
        self.reviewed_on, self.reviewed_by = on, by or None
        return True


class ModuleVersion(ContentVersion, Record):
    """One immutable version of a module's content, with its rendered HTML cached."""

    __tablename__ = "module_version"

    module_id: Mapped[int] = mapped_column(ForeignKey("module.id"))
    title: Mapped[str] = mapped_column(String(300))
    minutes: Mapped[int] = mapped_column()
    objectives = mapped_column(JSONText(), nullable=False)  # [{"id":..., "text":...}]
    sources = mapped_column(JSONText(), nullable=False)  # [str]
    body_md: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    toc_html: Mapped[str] = mapped_column(Text)
    # The file's front matter as read (its hash is part of content_hash), so an export writes it back
    # exactly; None for a version made elsewhere (the browser), exported from the columns above.
    front_matter = mapped_column(JSONText(), nullable=True)

    module = relationship("Module", back_populates="versions", foreign_keys=[module_id])

    __table_args__ = (UniqueConstraint("module_id", "number"),)


class Track(Record):
    """A course: an audience, a length in weeks and a week-by-week schedule."""

    __tablename__ = "track"

    slug: Mapped[str] = mapped_column(String(100), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    audience: Mapped[str] = mapped_column(String(200))
    weeks: Mapped[int] = mapped_column()
    length_unit: Mapped[str] = mapped_column(String(10), default="weeks")  # how its length is stated
    # A later exam of the track draws nothing the trainee saw in an earlier one (the final after the units).
    no_repeats_across_exams: Mapped[bool] = mapped_column(default=False)
    online_hours: Mapped[float | None] = mapped_column(Float, nullable=True)  # module study and exams, in the app
    classroom_hours: Mapped[float | None] = mapped_column(Float, nullable=True)  # classroom and practical, outside it
    # The share of the classroom hours a trainee must attend to be certified (percent; None: not required).
    attendance_percent: Mapped[float | None] = mapped_column(Float, nullable=True)
    description: Mapped[str] = mapped_column(Text, default="")
    is_sample: Mapped[bool] = mapped_column(default=False)
    certification_title: Mapped[str] = mapped_column(String(300))
    validity_years: Mapped[int] = mapped_column()
    refresher_of: Mapped[str | None] = mapped_column(String(100))
    content_hash: Mapped[str] = mapped_column(String(64))
    # The track file's values as read (content_hash is their hash), so an export writes them back exactly.
    source_data = mapped_column(JSONText(), nullable=True)
    retired_at = mapped_column(UTCDateTime(), nullable=True)
    created_at = mapped_column(UTCDateTime(), nullable=False)
    updated_at = mapped_column(UTCDateTime(), nullable=False)

    items = relationship(
        "TrackItem",
        back_populates="track",
        order_by="(TrackItem.week, TrackItem.position)",
        cascade="all, delete-orphan",
    )

    @property
    def total_hours(self) -> float | None:
        """Online plus classroom hours, when the track states them."""
        if self.online_hours is None:
            return None
        return self.online_hours + (self.classroom_hours or 0)

    @property
    def length_label(self) -> str:
        """The course's length as people read it: "5 weeks" or "40 hours"."""
        if self.length_unit == "hours" and self.total_hours is not None:
            hours = f"{self.total_hours:g}"
            return f"{hours} hour{'' if hours == '1' else 's'}"
        return f"{self.weeks} week{'' if self.weeks == 1 else 's'}"

    def module_slugs(self) -> list[str]:
        """The track's modules in schedule order."""
        return [i.ref for i in self.items if i.kind == "module"]

    def exam_slugs(self) -> list[str]:
        """The track's exams in schedule order."""
        return [i.ref for i in self.items if i.kind == "exam"]

    def exercise_slugs(self) -> list[str]:
        """The track's practical exercises in schedule order."""
        return [i.ref for i in self.items if i.kind == "exercise"]

    @property
    def attendance_required_hours(self) -> float | None:
        """The classroom hours a trainee must attend: the stated share of the track's classroom hours."""
        if self.attendance_percent is None:
            return None
        return round((self.classroom_hours or 0) * self.attendance_percent / 100, 2)


class TrackItem(Record):
    """A module or exam placed in a week of a track."""

    __tablename__ = "track_item"

    track_id: Mapped[int] = mapped_column(ForeignKey("track.id"))
    week: Mapped[int] = mapped_column()
    week_title: Mapped[str] = mapped_column(String(300))
    position: Mapped[int] = mapped_column()
    kind: Mapped[str] = mapped_column(String(10))  # "module" | "exam" | "exercise" | "none"
    ref: Mapped[str] = mapped_column(String(200))  # module or exam slug

    track = relationship("Track", back_populates="items")

    __table_args__ = (
        UniqueConstraint("track_id", "kind", "ref"),
        Index("ix_track_item_track_week", "track_id", "week"),
    )


class ContentSyncState(Record):
    """What the last ``lms content sync`` saw of one item: the hash of its part of a file and the
    database version it left current. The next sync compares both sides with it (lms/content/sync_state.py):
    a file changed since, a database version changed since (a browser edit), or both (a conflict)."""

    __tablename__ = "content_sync_state"

    kind: Mapped[str] = mapped_column(String(20))  # module | track | bank | question | exam
    key: Mapped[str] = mapped_column(String(200))  # the item's stable id (slug)
    path: Mapped[str] = mapped_column(String(500))  # the file it was read from
    file_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)  # None: not known (before 0015)
    version_marker: Mapped[str] = mapped_column(String(100))  # the current version id (or a track's hash)
    synced_at = mapped_column(UTCDateTime(), nullable=False)

    __table_args__ = (UniqueConstraint("kind", "key"),)
