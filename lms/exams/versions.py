"""Pinned question versions as an attempt uses them (its draw, its pages, its grading, its review): their stored
data and rendered HTML, read once per process and kept.

A question version never changes once stored: a changed question file, import or edit makes a new version
(lms.content.sync_exams, lms.content.interchange, lms.authoring.questions each insert one; nothing updates a
question_version row), and its content hash names its content. So what is kept is keyed by (version id,
content hash): every process reads the same, and a database restored or rebuilt under the same ids is never
served another question's data. Bounded; the values are shared between requests and are read-only.
"""
from sqlalchemy import select

from lms.extensions import db
from lms.models import QuestionVersion

_KEPT: dict[tuple[int, str], tuple[dict, dict]] = {}
_LIMIT = 20_000


def pinned_versions(wanted) -> dict[int, tuple[dict, dict]]:
    """(data, rendered) of each wanted (version id, content hash), by version id: read only those not kept."""
    wanted = set(wanted)
    missing = {vid for vid, digest in wanted if (vid, digest) not in _KEPT}
    found = {}
    if missing:
        rows = db.session.execute(
            select(QuestionVersion.id, QuestionVersion.content_hash, QuestionVersion.data, QuestionVersion.rendered)
            .where(QuestionVersion.id.in_(missing))
        ).all()
        if len(_KEPT) + len(rows) > _LIMIT:
            _KEPT.clear()
        found = {(vid, digest): (data, rendered) for vid, digest, data, rendered in rows}
        _KEPT.update(found)
    return {vid: found.get((vid, digest)) or _KEPT[(vid, digest)] for vid, digest in wanted}


def forget_pinned_versions() -> None:
    """Empty what is kept (tests that count a process's first read)."""
    _KEPT.clear()
