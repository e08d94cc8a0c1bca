"""Files and browser together: what the last sync saw, and what the next one may change.

Each sync records, per item (module, track, bank, question, exam, practical exercise), the hash of its part of a file
and the database version it left current (ContentSyncState). The next sync compares both sides with that
record, as a three-way merge does:

- only the file changed: the file wins (a new version, as always);
- only the database changed (a browser edit published a new version): the browser's version stands and
  the file is left to be updated by ``lms content export``;
- both changed: a conflict. Sync refuses and changes nothing, naming each item, its file and who
  published what in the browser when, unless told which side to keep (``--keep files|browser``, for named
  items or all of them).

An item the database holds that no sync ever loaded from a file (a question imported from GIFT, one
written in the browser) is not retired for being absent from the files: sync retires only what it
loaded. Nothing here commits.
"""
from dataclasses import dataclass, field

from sqlalchemy import select

from lms.content.catalog import Catalog, content_hash
from lms.content.sync_exams import question_content
from lms.extensions import db
from lms.models import (
    AuditEvent, ContentSyncState, Exam, ExamVersion, Exercise, ExerciseVersion, Module, ModuleVersion, Question,
    QuestionBank, QuestionVersion, Track)

FILES, BROWSER = "files", "browser"
KINDS = ("module", "track", "bank", "question", "exam", "exercise")
VERSIONED = {"module": (Module, ModuleVersion), "question": (Question, QuestionVersion),
             "exam": (Exam, ExamVersion), "exercise": (Exercise, ExerciseVersion)}


def question_file_hash(spec: dict, bank: str) -> str:
    """A question's part of its bank file: its content, status, family and bank (not its position)."""
    return content_hash({"content": question_content(spec), "status": spec.get("status", "active"),
                         "family": spec.get("family"), "bank": bank})


def file_items(catalog: Catalog) -> dict[tuple[str, str], tuple[str, str]]:
    """(kind, id) -> (file path, hash of the item's part of it), for everything the files hold."""
    items = {}
    for spec in catalog.modules.values():
        items["module", spec.id] = (spec.path, spec.content_hash)
    for spec in catalog.tracks.values():
        items["track", spec.id] = (spec.path, spec.content_hash)
    for bank in catalog.banks.values():
        items["bank", bank.id] = (bank.path, content_hash({"title": bank.title, "description": bank.description}))
        for q in bank.questions:
            items["question", q["id"]] = (bank.path, question_file_hash(q, bank.id))
    for spec in catalog.exams.values():
        items["exam", spec.id] = (spec.path, spec.content_hash)
    for spec in catalog.exercises.values():
        items["exercise", spec.id] = (spec.path, spec.content_hash)
    return items


def database_markers() -> dict[tuple[str, str], str]:
    """(kind, id) -> what identifies the item's current state in the database: its current version's
    id (modules, questions, exams, exercises) or a hash of its values (tracks and banks, which have no versions)."""
    markers = {}
    for kind, (model, _) in VERSIONED.items():
        for slug, version_id in db.session.execute(select(model.slug, model.current_version_id)):
            markers[kind, slug] = str(version_id)
    for slug, digest in db.session.execute(select(Track.slug, Track.content_hash)):
        markers["track", slug] = digest
    for slug, title, description in db.session.execute(
            select(QuestionBank.slug, QuestionBank.title, QuestionBank.description)):
        markers["bank", slug] = content_hash({"title": title, "description": description or ""})
    return markers


@dataclass
class Conflict:
    """An item changed both in its file and in the database since the last sync."""

    kind: str
    key: str
    path: str
    file_change: str  # "changed" | "removed"
    synced_at: object
    browser_change: str  # who published what in the browser, when

    def __str__(self) -> str:
        return (f"{self.kind} {self.key}: the file {self.path} was {self.file_change} since the sync of "
                f"{self.synced_at:%Y-%m-%d %H:%M} UTC, and {self.browser_change}")


class SyncConflict(Exception):
    """Sync refused: items changed on both sides. Nothing was changed."""

    def __init__(self, conflicts: list[Conflict]):
        super().__init__(f"{len(conflicts)} item(s) changed both in the files and in the browser")
        self.conflicts = conflicts


@dataclass
class SyncPlan:
    """What sync leaves alone: items whose database side stands (``hold``), and the conflicts."""

    hold: set = field(default_factory=set)  # (kind, id) sync must not create, change or retire
    browser_kept: list = field(default_factory=list)  # (kind, id) whose browser version stands over a file
    conflicts: list[Conflict] = field(default_factory=list)

    def holds(self, kind: str, key: str) -> bool:
        return (kind, key) in self.hold


def _browser_change(kind: str, key: str, since) -> str:
    """Who published the database's current version of an item, and when, in words."""
    if kind not in VERSIONED:
        return "its values in the database were changed"
    model, version_model = VERSIONED[kind]
    row = db.session.execute(select(model.id, version_model).join(version_model, version_model.id ==
                             model.current_version_id).where(model.slug == key)).first()
    if row is None:
        return "it has no current version in the database"
    item_id, version = row
    event = db.session.scalar(
        select(AuditEvent).where(
            ((AuditEvent.object_type == model.__tablename__) & (AuditEvent.object_id == str(item_id)))
            | ((AuditEvent.object_type == version_model.__tablename__) & (AuditEvent.object_id == str(version.id))),
            AuditEvent.created_at >= since, AuditEvent.action != "content.sync",
        ).order_by(AuditEvent.seq.desc()).limit(1))
    who = event.actor if event is not None else "an unrecorded author"
    when = version.created_at
    return f"version {version.number} was published in the browser by {who} on {when:%Y-%m-%d %H:%M} UTC"


def plan_sync(catalog: Catalog, keep: str | None = None, only: set | None = None) -> SyncPlan:
    """Compare the files and the database with the last sync's record. ``keep`` (files or browser)
    settles conflicts, for the items named in ``only`` (ids, or "kind:id") or for all when it is None."""
    states = {(s.kind, s.key): s for s in db.session.scalars(select(ContentSyncState))}
    files = file_items(catalog)
    markers = database_markers()
    plan = SyncPlan()

    def settled(kind, key) -> str | None:
        if keep is None or (only and key not in only and f"{kind}:{key}" not in only):
            return None
        return keep

    for (kind, key), marker in markers.items():
        state = states.get((kind, key))
        in_files = (kind, key) in files
        if state is None:
            if not in_files:
                plan.hold.add((kind, key))  # never loaded from a file: imported or made in the browser
            continue
        if state.file_hash is None:
            continue  # recorded before hashes were: the file wins, as before
        file_hash = files[kind, key][1] if in_files else None
        browser_changed = marker != state.version_marker
        if file_hash == state.file_hash:
            plan.hold.add((kind, key))
            if browser_changed:
                plan.browser_kept.append((kind, key))
            continue
        if not browser_changed:
            continue  # only the file changed: it wins
        side = settled(kind, key)
        if side == BROWSER:
            plan.hold.add((kind, key))
            plan.browser_kept.append((kind, key))
        elif side != FILES:
            plan.conflicts.append(Conflict(kind, key, files[kind, key][0] if in_files else state.path,
                                           "changed" if in_files else "removed", state.synced_at,
                                           _browser_change(kind, key, state.synced_at)))
    return plan


def record_items(items: dict[tuple[str, str], tuple[str, str]], now, *, forget_others: bool) -> None:
    """Remember each item's file path and hash with the database version now current; with
    ``forget_others``, forget items not listed (retired with their file, or now the database's alone)."""
    states = {(s.kind, s.key): s for s in db.session.scalars(select(ContentSyncState))}
    markers = database_markers()
    for (kind, key), (path, digest) in items.items():
        state = states.get((kind, key))
        if state is None:
            state = ContentSyncState(kind=kind, key=key)
            db.session.add(state)
        state.path, state.file_hash, state.version_marker, state.synced_at = path, digest, markers[kind, key], now
    if forget_others:
        for (kind, key), state in states.items():
            if (kind, key) not in items:
                db.session.delete(state)
    db.session.flush()


def record_sync(catalog: Catalog, now) -> None:
    """Remember what this sync saw: each file item's hash and the version now current."""
    record_items(file_items(catalog), now, forget_others=True)
