"""What every kind of content written in the browser shares (modules, practical exercises): draft revisions
numbered per kind and slug, comments on them, restoring one as a new draft, and the rules of publishing
(a draft only, two-person approval, not over a version that went live since the draft was written).
Each kind's module (lms.authoring.modules, lms.authoring.exercises) checks its own file with the content
check's code and makes its own version; the audit events are named "<kind>.<action>".
"""
from dataclasses import dataclass, field

from sqlalchemy import func, select

from lms.audit import record_event
from lms.extensions import db
from lms.models import ContentRevision, RevisionComment


class AuthoringError(ValueError):
    """A draft that cannot be saved, restored or published; the message says why."""


@dataclass
class DraftCheck:
    """A draft as `lms content check` judges it: its spec when valid, else the errors per form field."""

    spec: object | None
    errors: dict[str, list[str]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.spec is not None


class DraftInvalid(AuthoringError):
    """A draft with errors, kept per field (``check.errors``)."""

    def __init__(self, check: DraftCheck):
        super().__init__("The draft has errors: " + "; ".join(m for ms in check.errors.values() for m in ms))
        self.check = check


def errors_by_key(errors, starts: dict[str, int], missing_key) -> dict[str, list[str]]:
    """The content check's errors of a file written key by key (``starts``: each key's first line), each
    placed at the key whose lines hold it (a missing key at that key)."""
    by_field: dict[str, list[str]] = {}
    for error in errors:
        missing = missing_key.match(error.message)
        owner = [key for key, start in starts.items() if start <= error.line]
        name = missing.group(1) if missing else max(owner, key=lambda k: starts[k]) if owner else "id"
        by_field.setdefault(name, []).append(error.message)
    return by_field


def revisions_of(kind: str, slug: str) -> list[ContentRevision]:
    """An item's saved revisions, newest first."""
    return list(db.session.scalars(select(ContentRevision).where(ContentRevision.kind == kind,
                                                                 ContentRevision.slug == slug)
                                   .order_by(ContentRevision.number.desc())))


def latest_draft(kind: str, slug: str) -> ContentRevision | None:
    """The newest revision when it is an unpublished draft (what the editor opens), else None."""
    newest = next(iter(revisions_of(kind, slug)), None)
    return newest if newest is not None and newest.status == "draft" else None


def open_drafts(kind: str) -> dict[str, ContentRevision]:
    """slug -> newest revision, for every item of the kind whose newest revision is a draft."""
    newest = select(ContentRevision.slug, func.max(ContentRevision.number).label("number")) \
        .where(ContentRevision.kind == kind).group_by(ContentRevision.slug).subquery()
    rows = db.session.scalars(select(ContentRevision).join(
        newest, (newest.c.slug == ContentRevision.slug) & (newest.c.number == ContentRevision.number))
        .where(ContentRevision.kind == kind, ContentRevision.status == "draft"))
    return {r.slug: r for r in rows}


@dataclass(frozen=True)
class StudioRow:
    """An item on the studio's list: the Module or Exercise (None before its first publish), its live version's
    title (else its draft's), and its newest revision when that is a draft."""

    slug: str
    title: str
    item: object | None
    draft: ContentRevision | None

    @property
    def version(self):
        return self.item.current_version if self.item is not None else None


def studio_rows(kind: str, live: dict) -> list[StudioRow]:
    """``live`` (slug -> Module or Exercise) and every item of the kind written in the browser but not yet
    published, by id."""
    drafts = open_drafts(kind)
    rows = []
    for slug in sorted(set(live) | set(drafts)):
        item = live.get(slug)
        version = item.current_version if item is not None else None
        rows.append(StudioRow(slug, version.title if version is not None else drafts[slug].title, item,
                              drafts.get(slug)))
    return rows


def save_checked_draft(kind: str, slug: str, front: dict, body: str, *, live, check, noun: str, actor, now,
                       new: bool = False, restored_from: ContentRevision | None = None) -> ContentRevision:
    """Save a draft when ``check(front, body)`` (the content check's) finds nothing wrong, else raise DraftInvalid
    with its errors; ``live`` is the item (None before its first publish), ``noun`` says "a module" or "an exercise"."""
    if new and (live is not None or revisions_of(kind, slug)):
        raise AuthoringError(f"{noun[0].upper()}{noun[1:]} with the id '{slug}' already exists.")
    body = body.replace("\r\n", "\n")
    result = check(front, body)
    if not result.ok:
        raise DraftInvalid(result)
    if result.spec.id != slug:
        raise AuthoringError(f"The id of {noun} cannot change (it is '{slug}').")
    return add_revision(kind, slug, front, body, based_on_id=live.current_version_id if live else None,
                        actor=actor, now=now, restored_from=restored_from)


def publishable_spec(revision: ContentRevision, *, live, check, actor, two_person: bool):
    """The spec a draft publishes: checked again (the curriculum may have changed since it was saved) and
    refused by refuse_unpublishable's rules; ``live`` is the item or None."""
    result = check(revision.front, revision.body_md)
    if not result.ok:
        raise DraftInvalid(result)
    current = live.current_version if live is not None else None
    refuse_unpublishable(revision, actor, two_person=two_person, current_version=current,
                         same=current is not None and current.content_hash == result.spec.content_hash)
    return result.spec


def add_revision(kind: str, slug: str, front: dict, body: str, *, based_on_id: int | None, actor, now,
                 restored_from: ContentRevision | None = None) -> ContentRevision:
    """Keep checked content as the item's next draft revision; audited as "<kind>.draft_save"."""
    number = (db.session.scalar(select(func.max(ContentRevision.number)).where(
        ContentRevision.kind == kind, ContentRevision.slug == slug)) or 0) + 1
    revision = ContentRevision(kind=kind, slug=slug, number=number, front=front, body_md=body, status="draft",
                               author_id=actor.id, created_at=now,
                               restored_from_id=restored_from.id if restored_from else None)
    if kind == "exercise":
        revision.exercise_based_on_id = based_on_id
    else:
        revision.based_on_version_id = based_on_id
    db.session.add(revision)
    db.session.flush()
    record_event(f"{kind}.draft_save", actor=actor, object_type=kind, object_id=slug, now=now,
                 details={"revision": number, **({"restored_from": restored_from.number} if restored_from else {})})
    return revision


def comment_on(revision: ContentRevision, text: str, *, actor, now) -> RevisionComment:
    """Add a comment to a revision (a reviewer's remark, the author's answer)."""
    text = text.strip()
    if not text:
        raise AuthoringError("Write a comment first.")
    comment = RevisionComment(revision_id=revision.id, author_id=actor.id, body=text, created_at=now)
    db.session.add(comment)
    db.session.flush()
    record_event(f"{revision.kind}.revision_comment", actor=actor, object_type=revision.kind,
                 object_id=revision.slug, now=now, details={"revision": revision.number})
    return comment


def may_publish(revision: ContentRevision, actor, *, two_person: bool) -> bool:
    """True when ``actor`` may publish the draft: anyone who authors, or with two-person publish, not its author."""
    return revision.status == "draft" and not (two_person and revision.author_id == actor.id)


def refuse_unpublishable(revision: ContentRevision, actor, *, two_person: bool, current_version, same: bool) -> None:
    """Raise AuthoringError unless the draft may go live over ``current_version`` (None: nothing is live yet);
    ``same``: the draft's content equals that version's."""
    if revision.status != "draft":
        raise AuthoringError(f"Revision {revision.number} is not a draft (it is {revision.status}).")
    if two_person and revision.author_id == actor.id:
        raise AuthoringError("A second instructor must approve this draft: its author cannot approve it.")
    if current_version is None:
        return
    if same:
        raise AuthoringError("This draft is the same as the published version: there is nothing to publish.")
    if revision.based_on_id != current_version.id:
        # Publishing it would silently undo what went live since it was written (another draft, a sync).
        raise AuthoringError(f"This draft was written from an earlier version; version {current_version.number} "
                             "is live now. Compare the two; restore this draft as a new one to publish it over that "
                             "version.")


def mark_published(revision: ContentRevision, version, *, actor, now, two_person: bool) -> None:
    """Record on the draft that it went live as ``version``."""
    revision.status, revision.published_at = "published", now
    if revision.kind == "exercise":
        revision.exercise_published_id = version.id
    else:
        revision.published_version_id = version.id
    revision.approved_by_id = actor.id if two_person else None
    db.session.flush()
