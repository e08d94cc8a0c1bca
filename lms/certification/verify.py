"""Public verification: what anyone may learn about a certificate, and the rate limit.

Two ways in, and neither lets anyone list certified officers:
- by the certification's verification code (the link and QR code on the certificate): the public
  record, read from the signed snapshot (so what is shown is what was signed) with the status as of
  today; nothing else (no scores, no e-mail, no MOU, no reasons);
- by its number and the holder's last name (numbers are sequential, so a number alone answers
  nothing): only whether that person holds that certificate, and its status.

A record whose signature does not check is never called valid: it "cannot be verified", and its
facts are not shown, since they may have been altered.
"""
import json
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta

from flask import current_app
from sqlalchemy import select

from lms import limits
from lms.certification.signing import verify_snapshot
from lms.certification.status import effective_status, renewed_by
from lms.clock import program_today
from lms.extensions import db
from lms.models import Certification
from lms.models.certification import STATUS_LABELS

NUMBER_RE = re.compile(r"^\s*287G\s*-\s*(\d{4})\s*-\s*(\d{1,6})\s*$", re.IGNORECASE)
CODE_RE = re.compile(r"^[A-Za-z0-9_-]{16,32}$")
UNVERIFIABLE = "unverifiable"
UNVERIFIABLE_LABEL = "Cannot be verified"
# Generational suffixes a last name may be followed by on the certificate ("Smith Jr.").
NAME_SUFFIXES = frozenset({"jr", "sr", "ii", "iii", "iv", "v"})


def normalize_number(text: str | None) -> str | None:
    """"287g-2026-123" -> "287G-2026-000123"; None when it cannot be a certificate number."""
    match = NUMBER_RE.match(text or "")
    if not match:
        return None
    return f"287G-{match.group(1)}-{int(match.group(2)):06d}"


@dataclass(frozen=True)
class Link:
    """Another certification of the same holder, as the public page links to it."""

    number: str
    code: str


class _SignatureChecked:
    """The one rule for what a public answer calls a certification: its status only if the signature checks."""

    status: str
    signature_ok: bool

    @property
    def state(self) -> str:
        """The status (active | suspended | revoked | expired), or "unverifiable" when the signature fails."""
        return self.status if self.signature_ok else UNVERIFIABLE

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status] if self.signature_ok else UNVERIFIABLE_LABEL


@dataclass(frozen=True)
class PublicRecord(_SignatureChecked):
    """Everything the public verification page shows."""

    number: str
    status: str  # active | suspended | revoked | expired
    name: str
    agency: str
    track: str
    issued_on: date
    expires_on: date
    signature_ok: bool
    renews: Link | None = None
    renewed_by: Link | None = None


def _link(certification: Certification | None) -> Link | None:
    return Link(certification.number, certification.verification_code) if certification else None


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
        renews=_link(certification.renews),
        renewed_by=_link(renewed_by(certification)),
    )


def find_certification(number: str | None) -> Certification | None:
    """The certification with this number (any accepted spelling), or None."""
    normalized = normalize_number(number)
    if normalized is None:
        return None
    return db.session.scalar(select(Certification).where(Certification.number == normalized))


def lookup(number: str | None, *, now) -> PublicRecord | None:
    """The full public record for a number, or None when there is no such certificate.

    For operators (``lms certs verify``): the public side never looks a record up by number alone."""
    certification = find_certification(number)
    return public_record(certification, today=program_today(now)) if certification else None


def lookup_code(code: str | None, *, now) -> PublicRecord | None:
    """The public record a verification code opens, or None when no certification has that code."""
    if not CODE_RE.match(code or ""):
        return None
    certification = db.session.scalar(select(Certification).where(Certification.verification_code == code))
    return public_record(certification, today=program_today(now)) if certification else None


def _name_words(text: str) -> list[str]:
    """A name as comparable words: case, accents and punctuation around words ignored."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
    plain = plain.replace("\u2019", "'")
    return [w for w in (word.strip(".,'\"") for word in plain.split()) if w]


def holds_last_name(holder_name: str, last_name: str) -> bool:
    """True when ``last_name`` is the end of the holder's name ("Álvarez" and "alvarez" for "Dana
    Álvarez"; "de la Cruz" or "Cruz" for "María de la Cruz"; a trailing "Jr." may be left out)."""
    typed, words = _name_words(last_name), _name_words(holder_name)
    if not typed or sum(len(w) for w in typed) < 2:
        return False
    candidates = [words]
    if len(words) > 1 and words[-1] in NAME_SUFFIXES:
        candidates.append(words[:-1])
    return any(len(typed) <= len(c) and c[-len(typed):] == typed for c in candidates)


@dataclass(frozen=True)
class HolderAnswer(_SignatureChecked):
    """The answer to a look-up by number and last name: that person holds it, and its status."""

    number: str
    status: str
    expires_on: date
    signature_ok: bool


def check_holder(number: str | None, last_name: str | None, *, now) -> HolderAnswer | None:
    """Whether the person with this last name holds the certificate with this number, and its status.

    None when there is no such certificate or it is someone else's: the two are not told apart.
    """
    certification = find_certification(number)
    if certification is None:
        return None
    snapshot = json.loads(certification.snapshot)
    if not holds_last_name(snapshot["holder"]["name"], last_name or ""):
        return None
    return HolderAnswer(
        number=certification.number, status=effective_status(certification, program_today(now)),
        expires_on=date.fromisoformat(snapshot["expires_on"]),
        signature_ok=verify_snapshot(certification.snapshot, certification.signature, certification.key_id))


def _lookup_keys(ip: str | None) -> tuple[str, str]:
    address = (ip or "-")[:45]
    return f"verify-lookup:{address}", f"verify-miss:{address}"


def lookup_allowed(ip: str | None, *, now) -> bool:
    """Take a place for one look-up from the address; False once it made too many look-ups, or too many
    misses (unknown codes, "No match"), in the window.

    Counts before the look-up (lms.limits): a look-up takes a place among the misses too, which
    ``record_lookup`` gives back when it found its record, so parallel misses cannot pass the limit."""
    config = current_app.config
    window = timedelta(minutes=config["VERIFY_WINDOW_MINUTES"])
    lookups, misses = _lookup_keys(ip)
    lookups_ok = limits.hit(lookups, window=window, now=now) <= config["VERIFY_LOOKUP_LIMIT"]
    allowed = limits.hit(misses, window=window, now=now) <= config["VERIFY_MISS_LIMIT"] and lookups_ok
    if not allowed:
        limits.give_back(misses, now=now)  # a refused look-up is no miss
    return allowed


def record_lookup(ip: str | None, *, found: bool, now) -> None:
    """Settle a look-up that ``lookup_allowed`` let through: one that found its record is no miss."""
    if found:
        limits.give_back(_lookup_keys(ip)[1], now=now)
