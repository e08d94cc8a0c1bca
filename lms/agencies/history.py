"""An agency's or an agreement's history as people read it: the audit events about it, field by field."""
from dataclasses import dataclass

from sqlalchemy import select

from lms import vocabulary
from lms.agencies.agreements import model_label, module_titles, track_titles
from lms.extensions import db
from lms.models import Agency, AuditEvent


@dataclass(frozen=True)
class HistoryEntry:
    """One audit event about an object, as its history page shows it."""

    event: AuditEvent
    action: str  # in words: "Agreement recorded"
    lines: list[tuple[str, str]]  # (label, text) pairs: ("Ends", "none → 2030-01-01")


def history(obj) -> list[HistoryEntry]:
    """The audit events about one object (an agency's or an MOU's history), newest first, in words."""
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.object_type == type(obj).__tablename__,
                                 AuditEvent.object_id == str(obj.id))
        .order_by(AuditEvent.id.desc()).limit(200))
    return [HistoryEntry(event, history_action(event), history_lines(event)) for event in events]


HISTORY_FIELDS = {
    "name": "Name", "state": "State", "ori": "ORI", "kind": "Kind", "contacts": "Points of contact",
    "agency_id": "Agency", "model": "Model", "signed_on": "Signed", "effective_on": "Effective", "ends_on": "Ends",
    "authorized_functions": "Authorized functions", "functions": "Authorized functions", "officer_cap": "Officer cap",
    "track_slugs": "Tracks", "tracks": "Tracks", "annex_slugs": "Annex modules", "annexes": "Annex modules",
    "action": "Certifications", "reason": "Reason", "count": "Certifications changed", "numbers": "Certificates",
    "name_of_document": "Document", "size": "Size", "sha256": "SHA-256", "imported": "Rows imported",
    "bad_lines": "Bad lines", "file_error": "File problem", "only_good_rows": "Only the good rows",
}


_HIDDEN = {"document_id"}


def history_action(event: AuditEvent) -> str:
    """A history event's action in words ("Agreement recorded"), from the one vocabulary."""
    return vocabulary.event(event.action)


def history_lines(event: AuditEvent) -> list[tuple[str, str]]:
    """A history event's details as (label, text) pairs people read: "Ends: none → 2030-01-01",
    "Authorized functions: Interview; Process", "Model: Task Force", the agency by name."""
    details = dict(event.details or {})
    lines = []
    changes = details.pop("changes", None)
    for key, change in (changes or {}).items():
        before, after = (change or {}).get("from"), (change or {}).get("to")
        lines.append((_field_label(key), f"{_readable(key, before)} → {_readable(key, after)}"))
    if event.action == "mou.attach_document" and "name" in details:
        details["name_of_document"] = details.pop("name")
    for key, value in details.items():
        if key in _HIDDEN:
            continue
        lines.append((_field_label(key), _readable(key, value)))
    return lines


def _field_label(key: str) -> str:
    return HISTORY_FIELDS.get(key, key.replace("_", " ").capitalize())


def _readable(key: str, value) -> str:
    if value is None or value == [] or value == "":
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        if key in ("track_slugs", "tracks"):
            value = track_titles(value)
        elif key in ("annex_slugs", "annexes"):
            value = module_titles(value)
        return "; ".join(str(v) for v in value)
    if key == "model":
        return model_label(value)
    if key == "agency_id":
        agency = db.session.get(Agency, value)
        return f"{agency.name} ({agency.ori})" if agency else str(value)
    if key == "size" and isinstance(value, int):
        return f"{value / 1024:.0f} KB" if value >= 1024 else f"{value} bytes"
    if key == "action" and value in ("suspend", "revoke"):
        return "suspended" if value == "suspend" else "revoked"
    return str(value)
