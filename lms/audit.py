"""The append-only audit log, chained by hash off the request path (docs/AUDIT.md).

A request appends its events with no hash and no place in the chain: the database numbers them (``id``,
a PostgreSQL sequence or SQLite's rowid) and no lock is taken. The *sealer* (``seal_pending``) chains the
committed, unsealed events in ``id`` order: each gets its place (``seq``), the previous event's hash and
its own, in a short transaction of its own that holds the chain's tip (``audit_head``) only for itself.

When it runs: on PostgreSQL right after every commit that appended events (a separate transaction; a
sealer that finds the tip held by another sealer leaves, and every sealer looks again for unsealed events
after releasing the tip, so none is left behind); on SQLite, where one writer holds the database at a
time anyway, inside the writer's own transaction just before it commits. ``lms audit seal`` is the
backstop for a process killed between its commit and its seal.
"""
import hashlib
import json
import logging
from dataclasses import dataclass
from types import SimpleNamespace

from sqlalchemy import bindparam, event, exists, func, insert, select, update
from sqlalchemy.orm import Session

from lms import origin
from lms.clock import utcnow
from lms.extensions import db
from lms.models import AuditEvent, AuditHead
from lms.signals import audit_recorded

GENESIS_HASH = "0" * 64
SEAL_BATCH = 1000
_APPENDED = "audit_appended"  # session.info key: this transaction appended events
_SEAL_DUE = "audit_seal_due"  # session.info key: committed events to seal once the connection is returned

log = logging.getLogger(__name__)

_HASHED = ("seq", "created_at", "actor_id", "actor", "action", "object_type", "object_id", "ip",
           "outcome", "details", "prev_hash")


def _digest(event) -> str:
    """SHA-256 over the event's fields, its place in the chain and the previous event's hash."""
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
    """Append an event in the caller's transaction (the caller commits); it is sealed after the commit."""
    if obj is not None:
        object_type = object_type or type(obj).__tablename__
        object_id = obj.id
    event_ = AuditEvent(
        created_at=now or utcnow(),
        actor_id=getattr(actor, "id", None),
        actor=(actor_label or getattr(actor, "email", None) or "system")[:254],
        action=action,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        ip=ip if ip is not None else client_address(),
        outcome=outcome,
        details=details or {},
    )
    db.session.add(event_)
    db.session.flush()
    db.session.info[_APPENDED] = True
    audit_recorded.send(event_)
    return event_


# -- the sealer ----------------------------------------------------------------------------------------


_UNSEALED = AuditEvent.hash.is_(None)
_SEAL = (update(AuditEvent.__table__).where(AuditEvent.__table__.c.id == bindparam("event_id"))
         .values(seq=bindparam("new_seq"), prev_hash=bindparam("new_prev"), hash=bindparam("new_hash")))


def _take_head(conn):
    """The tip (seq, hash), locked for this transaction; None when another sealer holds it (PostgreSQL)."""
    statement = select(AuditHead.seq, AuditHead.hash).where(AuditHead.id == 1)
    if conn.dialect.name == "postgresql":
        statement = statement.with_for_update(skip_locked=True)
    head = conn.execute(statement).first()
    if head is None and conn.execute(select(AuditHead.id).where(AuditHead.id == 1)).first() is None:
        conn.execute(insert(AuditHead).values(id=1, seq=0, hash=GENESIS_HASH))
        return conn.execute(statement).first()
    return head


def _seal_batch(conn) -> int | None:
    """Chain up to SEAL_BATCH unsealed events in id order on ``conn`` (inside its transaction); the number
    sealed, or None when another sealer holds the tip."""
    head = _take_head(conn)
    if head is None:
        return None
    columns = [getattr(AuditEvent, name) for name in ("id", *_HASHED)]
    rows = conn.execute(select(*columns).where(_UNSEALED).order_by(AuditEvent.id).limit(SEAL_BATCH)).all()
    if not rows:
        return 0
    seq, prev, params = head.seq, head.hash, []
    for row in rows:
        seq += 1
        sealed = row._asdict() | {"seq": seq, "prev_hash": prev}
        digest = _digest(SimpleNamespace(**sealed))
        params.append({"event_id": row.id, "new_seq": seq, "new_prev": prev, "new_hash": digest})
        prev = digest
    conn.execute(_SEAL, params)
    conn.execute(update(AuditHead).where(AuditHead.id == 1).values(seq=seq, hash=prev))
    return len(rows)


def unsealed_count(conn=None) -> int:
    """How many committed events await sealing."""
    statement = select(func.count()).select_from(AuditEvent).where(_UNSEALED)
    return (conn or db.session).execute(statement).scalar_one()


def seal_pending() -> int:
    """Seal every committed unsealed event, in transactions of their own; returns how many this call
    sealed. Safe to run from any number of processes at once: a sealer that finds the tip held leaves it
    to the holder, and each holder looks again after releasing it (so an event committed while the tip
    was held is sealed by the holder's next round)."""
    total = 0
    while True:
        with db.engine.begin() as conn:
            sealed = _seal_batch(conn)
        if sealed is None:
            return total
        total += sealed
        with db.engine.connect() as conn:
            if not conn.execute(select(exists().where(_UNSEALED))).scalar():
                return total


@event.listens_for(Session, "before_commit")
def _seal_in_the_writers_transaction(session):
    """SQLite: the writer already holds the database, so it chains its events before it commits."""
    if not session.info.get(_APPENDED) or session.get_bind().dialect.name != "sqlite":
        return
    session.flush()
    while _seal_batch(session.connection()) == SEAL_BATCH:
        pass
    session.info.pop(_APPENDED, None)


@event.listens_for(Session, "after_commit")
def _seal_after_commit(session):
    """PostgreSQL: the writer's commit is done; its events are sealed once the session lets go of its
    connection (below)."""
    if session.info.pop(_APPENDED, False):
        session.info[_SEAL_DUE] = True


@event.listens_for(Session, "after_transaction_end")
def _seal_once_the_connection_is_back(session, transaction):
    """Chain the committed events (and any others) in a short transaction of their own, after the session
    has returned its connection to the pool: a sealer holding one connection while it waits for another
    would, with every pooled connection held by a committing writer, wait for ever."""
    if transaction.parent is not None or not session.info.pop(_SEAL_DUE, False):
        return
    try:
        seal_pending()
    except Exception:  # the commit stands; the next writer or `lms audit seal` seals what is left
        log.exception("sealing the audit log failed")


@event.listens_for(Session, "after_rollback")
def _forget_appended(session):
    session.info.pop(_APPENDED, None)


# -- verification -------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class ChainReport:
    """The result of checking the chain: ``events`` sealed and unbroken, ``unsealed`` awaiting the sealer;
    when broken, the ``problem`` and the ``seq`` of the first event it concerns."""

    ok: bool
    events: int
    unsealed: int = 0
    problem: str | None = None
    seq: int | None = None


def _tip():
    """The chain's tip as committed now (seq, hash), or None in a database without one."""
    return db.session.execute(select(AuditHead.seq, AuditHead.hash).where(AuditHead.id == 1)).first()


def verify_chain(batch: int = 1000) -> ChainReport:
    """Walk the sealed events in chain order up to the tip, recomputing each hash; report the first break,
    and how many events await sealing. Sealers may go on meanwhile: the walk follows the tip as it moves,
    and an event beyond a tip that no longer moves is a break (a forged or left-over event)."""
    prev_hash, expected_seq, count = GENESIS_HASH, 1, 0
    unsealed = unsealed_count()
    columns = [getattr(AuditEvent, name) for name in ("id", "hash", *_HASHED)]

    def broken(problem, seq):
        return ChainReport(ok=False, events=count, problem=problem, seq=seq, unsealed=unsealed)

    tip = _tip()
    while True:
        limit = tip.seq if tip is not None else None
        query = select(*columns).where(AuditEvent.seq >= expected_seq)
        if limit is not None:
            query = query.where(AuditEvent.seq <= limit)
        rows = db.session.execute(query.order_by(AuditEvent.seq).limit(batch)).all()
        for event_ in rows:
            if event_.seq != expected_seq:
                return broken(f"event {event_.id} has seq {event_.seq}, expected {expected_seq}", event_.seq)
            if event_.prev_hash != prev_hash:
                return broken(f"event seq {event_.seq} does not follow the one before it", event_.seq)
            if _digest(event_) != event_.hash:
                return broken(f"event seq {event_.seq} was altered (hash mismatch)", event_.seq)
            prev_hash, expected_seq, count = event_.hash, expected_seq + 1, count + 1
        if rows and (limit is None or count < limit):
            continue
        if tip is None:
            return ChainReport(ok=True, events=count, unsealed=unsealed)
        if tip.seq != count or tip.hash != prev_hash:
            return broken("the chain's tip does not match its last event (events removed?)", tip.seq)
        newer = _tip()
        if newer.seq > tip.seq:  # sealed meanwhile: follow
            tip = newer
            continue
        beyond = db.session.scalar(select(func.min(AuditEvent.seq)).where(AuditEvent.seq > tip.seq))
        if beyond is not None:
            return broken(f"event seq {beyond} lies beyond the chain's tip", beyond)
        return ChainReport(ok=True, events=count, unsealed=unsealed)
