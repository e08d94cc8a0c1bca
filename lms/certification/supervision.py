"""Supervision after certification: ICE program staff's dated notes on a certified officer.

A note is an observation, a corrective training or a commendation. Staff see every note on the registry
record; the officer's agency coordinator sees those the note says to share. Notes are never part of the
signed record nor of the public verification page. Every note is audited.
"""
from datetime import date

from sqlalchemy import select

from lms.audit import record_event
from lms.clock import program_today
from lms.extensions import db
from lms.models import Certification, SupervisionNote
from lms.models.supervision import NOTE_KINDS

MAX_TEXT = 5000


class SupervisionError(ValueError):
    """A note that cannot be recorded."""


def add_note(certification: Certification, *, kind: str, noted_on: date, text: str, shared_with_agency: bool,
             actor, now) -> SupervisionNote:
    """Record a dated note on the certified officer; audited. Flushes."""
    text = (text or "").strip()
    if kind not in NOTE_KINDS:
        raise SupervisionError("Choose the kind of note.")
    if not text:
        raise SupervisionError("Write the note.")
    if len(text) > MAX_TEXT:
        raise SupervisionError(f"A note is at most {MAX_TEXT} characters.")
    if noted_on is None or noted_on > program_today(now):
        raise SupervisionError("The note's date cannot be in the future.")
    if noted_on < certification.issued_on:
        raise SupervisionError("The note's date is before the certification was issued.")
    note = SupervisionNote(certification_id=certification.id, kind=kind, noted_on=noted_on, text=text,
                           shared_with_agency=bool(shared_with_agency), author_id=getattr(actor, "id", None),
                           created_at=now)
    db.session.add(note)
    db.session.flush()
    record_event("supervision_note.create", actor=actor, obj=note, now=now, details={
        "certification": certification.number, "kind": kind, "noted_on": noted_on.isoformat(),
        "shared_with_agency": note.shared_with_agency})
    return note


def notes_for(certification: Certification, *, all_notes: bool) -> list[SupervisionNote]:
    """The notes on a certification, newest first: all of them (staff) or those shared with the agency."""
    query = select(SupervisionNote).where(SupervisionNote.certification_id == certification.id)
    if not all_notes:
        query = query.where(SupervisionNote.shared_with_agency.is_(True))
    return list(db.session.scalars(query.order_by(SupervisionNote.noted_on.desc(), SupervisionNote.id.desc())))
