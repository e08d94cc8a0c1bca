"""The append-only audit log: every event carries the hash of the one before it."""
import hashlib
import json
from dataclasses import dataclass

from sqlalchemy import select

from lms import origin
from lms.clock import utcnow
from lms.extensions import db
from lms.models import AuditEvent, AuditHead

GENESIS_HASH = "0" * 64


_HASHED = ("seq", "created_at", "actor_id", "actor", "action", "object_type", "object_id", "ip",
           "outcome", "details", "prev_hash")


def _digest(event) -> str:
    """SHA-256 over the event's fields and the previous event's hash."""
    payload = [getattr(event, name) for name in _HASHED]
    payload[1] = payload[1].isoformat()
    data = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(data.encode()).hexdigest()


def client_address() -> str | None:
    """The requesting client's address, as the web layer set it (ProxyFix makes it the real client behind a
    proxy); None outside a request."""
    return origin.current().client_ip


def ensure_head() -> None:
    """Create the chain's tip row if the database has none (new databases)."""
    if db.session.get(AuditHead, 1) is None:
        db.session.add(AuditHead(id=1, seq=0, hash=GENESIS_HASH))
        db.session.flush()


def record_event(
    action: str,
    *,
    actor=None,
    actor_label: str | None = None,
    obj=None,
    object_type: str | None = None,
    object_id=None,
    outcome: str = "success",
    details: dict | None = None,
    now=None,
    ip: str | None = None,
) -> AuditEvent:
    """Append an event to the chain in the caller's transaction (the caller commits)."""
    head = db.session.execute(
        select(AuditHead).where(AuditHead.id == 1).with_for_update()
    ).scalar_one_or_none()
    if head is None:
        ensure_head()
        head = db.session.get(AuditHead, 1)
    if obj is not None:
        object_type = object_type or type(obj).__tablename__
        object_id = obj.id
    event = AuditEvent(
        seq=head.seq + 1,
        created_at=now or utcnow(),
        actor_id=getattr(actor, "id", None),
        actor=(actor_label or getattr(actor, "email", None) or "system")[:254],
        action=action,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        ip=ip if ip is not None else client_address(),
        outcome=outcome,
        details=details or {},
        prev_hash=head.hash,
    )
    event.hash = _digest(event)
    head.seq, head.hash = event.seq, event.hash
    db.session.add(event)
    db.session.flush()
    return event


@dataclass
class ChainReport:
    """The result of checking the chain."""

    ok: bool
    events: int
    problem: str | None = None
    seq: int | None = None


def verify_chain(batch: int = 1000) -> ChainReport:
    """Walk the chain in order, recomputing each hash; report the first break."""
    prev_hash, expected_seq, count, last_id = GENESIS_HASH, 1, 0, 0
    while True:
        columns = [getattr(AuditEvent, name) for name in ("id", "hash", *_HASHED)]
        rows = db.session.execute(
            select(*columns).where(AuditEvent.id > last_id).order_by(AuditEvent.id).limit(batch)
        ).all()
        if not rows:
            break
        for event in rows:
            if event.seq != expected_seq:
                return ChainReport(False, count, f"event {event.id} has seq {event.seq}, expected {expected_seq}", event.seq)
            if event.prev_hash != prev_hash:
                return ChainReport(False, count, f"event seq {event.seq} does not follow the one before it", event.seq)
            if _digest(event) != event.hash:
                return ChainReport(False, count, f"event seq {event.seq} was altered (hash mismatch)", event.seq)
            prev_hash, expected_seq, count, last_id = event.hash, expected_seq + 1, count + 1, event.id
    head = db.session.get(AuditHead, 1)
    if head is not None and (head.seq != count or head.hash != prev_hash):
        return ChainReport(False, count, "the chain's tip does not match its last event (events removed?)", head.seq)
    return ChainReport(True, count)
