"""Public verification: what anyone may learn about a certificate number, and the rate limit.

The public answer is read from the signed snapshot (so what is shown is what was signed) and the
status as of today; it says nothing else: no scores, no e-mail, no MOU, no reasons.
"""
import json
import re
from dataclasses import dataclass
from datetime import date, timedelta

from flask import current_app
from sqlalchemy import case, delete, func, select

from ..extensions import db
from ..learning import program_today
from ..models import Certification, VerificationLookup
from ..models.certification import STATUS_LABELS
from .signing import verify_snapshot
from .status import effective_status

NUMBER_RE = re.compile(r"^\s*287G\s*-\s*(\d{4})\s*-\s*(\d{1,6})\s*$", re.IGNORECASE)


def normalize_number(text: str | None) -> str | None:
    """"287g-2026-123" -> "287G-2026-000123"; None when it cannot be a certificate number."""
    match = NUMBER_RE.match(text or "")
    if not match:
        return None
    return f"287G-{match.group(1)}-{int(match.group(2)):06d}"


@dataclass(frozen=True)
class PublicRecord:
    """Everything the public verification page shows."""

    number: str
    status: str  # active | suspended | revoked | expired
    name: str
    agency: str
    track: str
    issued_on: date
    expires_on: date
    signature_ok: bool

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]

    @property
    def is_valid(self) -> bool:
        return self.status == "active" and self.signature_ok


def public_record(certification: Certification, *, today: date) -> PublicRecord:
    """The public view of a certification, from its signed snapshot, with the signature checked."""
    snapshot = json.loads(certification.snapshot)
    agency = snapshot.get("agency") or {}
    return PublicRecord(
        number=snapshot["number"],
        status=effective_status(certification, today),
        name=snapshot["holder"]["name"],
        agency=f"{agency['name']} ({agency['ori']})" if agency else "",
        track=snapshot["track"]["title"],
        issued_on=date.fromisoformat(snapshot["issued_on"]),
        expires_on=date.fromisoformat(snapshot["expires_on"]),
        signature_ok=verify_snapshot(certification.snapshot, certification.signature, certification.key_id),
    )


def find_certification(number: str | None) -> Certification | None:
    """The certification with this number (any accepted spelling), or None."""
    normalized = normalize_number(number)
    if normalized is None:
        return None
    return db.session.scalar(select(Certification).where(Certification.number == normalized))


def lookup(number: str | None, *, now) -> PublicRecord | None:
    """The public record for a number, or None when there is no such certificate."""
    certification = find_certification(number)
    return public_record(certification, today=program_today(now)) if certification else None


def lookup_allowed(ip: str | None, *, now) -> bool:
    """False once the address made too many lookups, or too many of unknown numbers, in the window."""
    config = current_app.config
    since = now - timedelta(minutes=config["VERIFY_WINDOW_MINUTES"])
    total, misses = db.session.execute(
        select(func.count(VerificationLookup.id), func.count(case((VerificationLookup.found.is_(False), 1))))
        .where(VerificationLookup.ip == (ip or "-"), VerificationLookup.looked_up_at > since)
    ).one()
    return total < config["VERIFY_LOOKUP_LIMIT"] and misses < config["VERIFY_MISS_LIMIT"]


def record_lookup(ip: str | None, *, found: bool, now) -> None:
    """Count a lookup against the address; forget lookups older than a day. Flushes; caller commits."""
    db.session.execute(delete(VerificationLookup).where(VerificationLookup.looked_up_at < now - timedelta(days=1)))
    db.session.add(VerificationLookup(ip=(ip or "-")[:45], found=found, looked_up_at=now))
    db.session.flush()
