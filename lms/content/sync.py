"""Load the validated catalog into the database: idempotent, versioned, atomic.

A second run with unchanged files changes nothing. A module gets a new version only when its
content changes; modules and tracks whose files are gone are retired, never deleted. The caller
commits; any error leaves the session to be rolled back, so one bad file changes nothing.
"""
from dataclasses import dataclass, field

from sqlalchemy import select

from lms.audit import record_event
from lms.extensions import db
from lms.markdown import render_document
from lms.models import Module, ModuleVersion, Track, TrackItem
from lms.content.check import load_catalog
from lms.content.catalog import Catalog, ModuleSpec
from lms.content.sync_state import SyncConflict, plan_sync, record_sync


@dataclass
class SyncReport:
    """What a sync did, per kind of object."""

    created: dict[str, list[str]] = field(default_factory=dict)
    updated: dict[str, list[str]] = field(default_factory=dict)
    retired: dict[str, list[str]] = field(default_factory=dict)
    # Items whose database version stands although their file differs (lms/content/sync_state.py).
    kept: dict[str, list[str]] = field(default_factory=dict)
    hold: set = field(default_factory=set, repr=False)  # (kind, id) the steps leave alone

    def holds(self, kind: str, ident: str) -> bool:
        return (kind, ident) in self.hold

    def note(self, what: str, kind: str, ident: str) -> None:
        getattr(self, what).setdefault(kind, []).append(ident)

    @property
    def changed(self) -> bool:
        return any(self.created.values()) or any(self.updated.values()) or any(self.retired.values())

    def summary(self) -> dict:
        """Counts per action and kind, for the audit log and the CLI."""
        return {
            what: {kind: len(ids) for kind, ids in getattr(self, what).items() if ids}
            for what in ("created", "updated", "retired")
        }

    def lines(self) -> list[str]:
        """Human-readable lines, one per changed object."""
        out = []
        for what in ("created", "updated", "retired"):
            for kind, ids in getattr(self, what).items():
                out.extend(f"{what} {kind} {ident}" for ident in ids)
        for kind, ids in self.kept.items():
            out.extend(f"kept the browser's version of {kind} {ident} (run lms content export to update its file)"
                       for ident in ids)
        return out


def add_module_version(module: Module, spec: ModuleSpec, number: int, now) -> ModuleVersion:
    """Store a module's checked content as its version ``number`` (Markdown rendered and sanitized once) and
    make it the current one; its review date too. Sync and the browser's publish both add versions here."""
    rendered = render_document(spec.body)
    version = ModuleVersion(
        module_id=module.id,
        number=number,
        content_hash=spec.content_hash,
        title=spec.title,
        minutes=spec.minutes,
        objectives=spec.objectives,
        sources=spec.sources,
        body_md=spec.body,
        body_html=rendered.html,
        toc_html=rendered.toc_html,
        source_path=spec.path,
        front_matter=spec.front_matter,
        created_at=now,
    )
    db.session.add(version)
    db.session.flush()
    module.current_version_id = version.id
    module.note_review(spec.reviewed, spec.reviewed_by)
    return version


def _files_to_sync(model, kind: str, specs: dict, report: SyncReport, now):
    """Each file of a kind that the report does not hold, as (spec, its row or None when new); once all are
    through, every row whose file is gone is retired."""
    existing = {row.slug: row for row in db.session.scalars(select(model))}
    for spec in specs.values():
        if not report.holds(kind, spec.id):
            yield spec, existing.get(spec.id)
    for slug, row in existing.items():
        if slug not in specs and row.retired_at is None and not report.holds(kind, slug):
            row.retired_at = now
            report.note("retired", kind, slug)


def _sync_modules(catalog: Catalog, report: SyncReport, now) -> None:
    for spec, module in _files_to_sync(Module, "module", catalog.modules, report, now):
        if module is None:
            module = Module(slug=spec.id, topic=spec.topic, is_annex=spec.annex, created_at=now)
            db.session.add(module)
            db.session.flush()
            report.note("created", "module", spec.id)
            number = 1
        else:
            module.note_review(spec.reviewed, spec.reviewed_by)
            current = module.current_version
            if current is not None and current.content_hash == spec.content_hash and module.retired_at is None:
                continue
            if module.retired_at is not None:
                module.retired_at = None
            report.note("updated", "module", spec.id)
            module.topic, module.is_annex = spec.topic, spec.annex
            if current is not None and current.content_hash == spec.content_hash:
                continue  # un-retired with the same content
            number = (current.number if current else 0) + 1
        add_module_version(module, spec, number, now)


def _sync_tracks(catalog: Catalog, report: SyncReport, now) -> None:
    for spec, track in _files_to_sync(Track, "track", catalog.tracks, report, now):
        if track is not None and track.content_hash == spec.content_hash and track.retired_at is None:
            continue
        if track is None:
            track = Track(slug=spec.id, created_at=now)
            db.session.add(track)
            report.note("created", "track", spec.id)
        else:
            report.note("updated", "track", spec.id)
        track.title, track.audience, track.weeks = spec.title, spec.audience, spec.weeks
        track.length_unit, track.online_hours, track.classroom_hours = (
            spec.length_unit, spec.online_hours, spec.classroom_hours)
        track.no_repeats_across_exams = spec.no_repeats_across_exams
        track.description, track.is_sample = spec.description, spec.sample
        track.certification_title, track.validity_years = spec.certification_title, spec.validity_years
        track.refresher_of, track.content_hash = spec.refresher_of, spec.content_hash
        track.source_data = spec.source_data
        track.attendance_percent = spec.attendance_percent
        track.retired_at, track.updated_at = None, now
        track.items.clear()
        db.session.flush()
        for week, title, modules, exams in spec.schedule:
            position = 0
            for kind, refs in (("module", modules), ("exam", exams)):
                for ref in refs:
                    track.items.append(
                        TrackItem(week=week, week_title=title, position=position, kind=kind, ref=ref)
                    )
                    position += 1
            for ref in (ref for when, ref in spec.exercises if when == week):
                track.items.append(TrackItem(week=week, week_title=title, position=position, kind="exercise", ref=ref))
                position += 1
            if not position:
                # An empty week still has a title on the timeline.
                track.items.append(TrackItem(week=week, week_title=title, position=0, kind="none", ref=f"week-{week}"))


# Each step loads one kind of object; later kinds (banks, exams) append theirs here.
SYNC_STEPS = [_sync_modules, _sync_tracks]

from lms.content.sync_exams import sync_banks, sync_exams  # noqa: E402  (the exam engine's content)
from lms.content.exercises import sync_exercises  # noqa: E402  (practical exercises)

SYNC_STEPS += [sync_banks, sync_exams, sync_exercises]


def sync_catalog(catalog: Catalog, *, now, actor=None, keep: str | None = None, only=None) -> SyncReport:
    """Load an already-validated catalog. Flushes; the caller commits or rolls back.

    Raises SyncConflict, changing nothing, when an item changed both in its file and in the browser since
    the last sync, unless ``keep`` ("files" or "browser") settles it, for the ids in ``only`` or for all.
    """
    plan = plan_sync(catalog, keep=keep, only=only)
    if plan.conflicts:
        raise SyncConflict(plan.conflicts)
    report = SyncReport(hold=plan.hold)
    for kind, ident in plan.browser_kept:
        report.kept.setdefault(kind, []).append(ident)
    for step in SYNC_STEPS:
        step(catalog, report, now)
    record_sync(catalog, now)
    if report.changed or report.kept:
        details = report.summary() | ({"kept": {k: len(v) for k, v in report.kept.items()}} if report.kept else {})
        record_event("content.sync", actor=actor, object_type="content", details=details, now=now)
    return report


def sync_content(root, *, now, actor=None, keep: str | None = None, only=None) -> SyncReport:
    """Validate the content folder and load it (ContentInvalid or SyncConflict and no change on either)."""
    return sync_catalog(load_catalog(root), now=now, actor=actor, keep=keep, only=only)
