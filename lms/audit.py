"""The append-only audit log, chained by hash off the request path (docs/AUDIT.md).

A request appends its events with no hash and no place in the chain: the database numbers them (``id``,
a PostgreSQL sequence or SQLite's rowid) and no lock is taken. The *sealer* (``seal_pending``) chains the
committed, unsealed events in ``id`` order: each gets its place (``seq``), the previous event's hash and
its own, in a short transaction of its own that holds the chain's tip (``audit_head``) only for itself.

When it runs (AUDIT_SEALING): "background", each process's sealer thread (``Sealer``), woken by every
commit that appended events, seals them off the request thread after lingering a moment for more
(AUDIT_SEAL_LINGER_MS), many requests' events per round;
"inline" (tests), right after the commit, in the committing thread. Either way in a transaction of its
own, on both engines: a sealer that finds the tip held by another (PostgreSQL) leaves, and every sealer
looks again for unsealed events after releasing the tip, so none is left behind. ``lms audit seal`` is
the backstop for a process killed between its commit and its seal.
"""
import atexit
import hashlib
import json
import logging
import os
import threading
import time
import weakref
from dataclasses import dataclass
from types import SimpleNamespace

from flask import current_app, has_app_context
from sqlalchemy import bindparam, event, exists, func, insert, select, update
from sqlalchemy.orm import Session, make_transient_to_detached

from lms import origin
from lms.clock import utcnow
from lms.db_engine import reading, run_statement, writing
from lms.extensions import db, session_connection
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
    """Append an event in the caller's transaction (the caller commits); it is sealed after the commit. Flushes."""
    if obj is not None:
        object_type = object_type or type(obj).__tablename__
        object_id = obj.id
    values = {
        "created_at": now or utcnow(),
        "actor_id": getattr(actor, "id", None),
        "actor": (actor_label or getattr(actor, "email", None) or "system")[:254],
        "action": action,
        "object_type": object_type,
        "object_id": None if object_id is None else str(object_id),
        "ip": ip if ip is not None else client_address(),
        "outcome": outcome,
        "details": details or {},
    }
    event_id = run_statement(session_connection(), _APPEND, values).scalar_one()
    # The row as appended, in the session without reading it back (the sealer's columns load when asked for).
    event_ = AuditEvent(id=event_id, seq=None, prev_hash=None, hash=None, **values)
    make_transient_to_detached(event_)
    db.session.add(event_)
    db.session.info[_APPENDED] = True
    audit_recorded.send(event_)
    return event_


_APPEND_COLUMNS = ("created_at", "actor_id", "actor", "action", "object_type", "object_id", "ip", "outcome", "details")
# One Core statement built once: an event appended without the unit of work (every audited write runs it).
_APPEND = (insert(AuditEvent.__table__)
           .values({name: bindparam(name, type_=AuditEvent.__table__.c[name].type) for name in _APPEND_COLUMNS})
           .returning(AuditEvent.__table__.c.id))


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


def _seal_rounds() -> tuple[int, bool]:
    """Seal in rounds until none is left: (how many this call sealed, whether it stopped because another
    sealer held the tip, leaving what is left to that sealer)."""
    total, engine = 0, writing(db.engine)  # a seal reads the tip, then writes it
    while True:
        with engine.begin() as conn:
            sealed = _seal_batch(conn)
        if sealed is None:
            return total, True
        total += sealed
        with reading(db.engine).connect() as conn:  # a read: on SQLite it takes no write lock
            left = conn.execute(select(exists().where(_UNSEALED)))
            if not left.scalar():
                return total, False


def seal_pending() -> int:
    """Seal every committed unsealed event, in transactions of their own; returns how many this call
    sealed. Safe to run from any number of processes at once: a sealer that finds the tip held leaves it
    to the holder, and each holder looks again after releasing it (so an event committed while the tip
    was held is sealed by the holder's next round)."""
    return _seal_rounds()[0]


# -- when sealing runs ---------------------------------------------------------------------------------

BACKGROUND, INLINE = "background", "inline"
MAX_LINGER_MS = 2000  # well within Sealer.finish_seconds
SEALING_MODES = (BACKGROUND, INLINE)
_EXTENSION = "lms.audit.sealer"


class Sealer:
    """One app's background sealer: a daemon thread of the process that runs ``seal_pending`` whenever a
    commit that appended events wakes it (``wake``, the only thing a request does), then waits again.
    Commits that arrive while it seals wake it again, so under load one round seals many requests' events.

    It never stops: a failed round is logged and tried again on the next wake, or after ``retry_seconds``
    if none comes (as is a round that left events to a sealer of another process). The thread is started
    by the first wake in a process, so a forked worker starts its own; at exit the process finishes the
    round due, if any (``finish``)."""

    retry_seconds = 5.0
    finish_seconds = 10.0

    def __init__(self, app, linger_seconds: float = 0.0):
        self._app = app
        self.linger_seconds = linger_seconds
        self._reset()
        _sealers.add(self)

    def _reset(self) -> None:
        """Fresh state, without a thread (a new sealer, or the child of a fork: the parent's thread and locks
        did not come along)."""
        self._wake = threading.Event()
        self._state = threading.Condition()
        self._start_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._busy = self._retry = False
        self.rounds = self.failures = 0

    def wake(self) -> None:
        """A commit appended events: seal them soon (starts the thread on the first call)."""
        if self._thread is None:
            self.start()
        self._wake.set()

    def start(self) -> None:
        """Start the thread (once). The first wake does it; a server's worker does it before its first request
        (deploy/gunicorn.conf.py), so that the thread keeps the worker's CPU priority, not that of the request
        thread whose commit would start it (a general-lane request's is lower)."""
        with self._start_lock:
            if self._thread is not None:
                return
            thread = threading.Thread(target=self._run, name="lms-audit-sealer", daemon=True)
            thread.start()
            self._thread = thread
        atexit.register(self.finish)

    def _idle(self) -> bool:
        return not (self._busy or self._retry or self._wake.is_set())

    def wait_idle(self, timeout: float) -> bool:
        """Wait until no round runs and none is due (a wake or a retry); False if ``timeout`` seconds passed
        first. For tests and for ``finish``."""
        with self._state:
            return self._state.wait_for(self._idle, timeout)

    def finish(self) -> None:
        """At exit: seal what is due before the process ends (bounded: `lms audit seal` is the backstop)."""
        if self._thread is None or self._idle():
            return
        self._wake.set()
        self.wait_idle(self.finish_seconds)

    def _run(self) -> None:
        while True:
            self._wake.wait(self.retry_seconds if self._retry else None)
            self._linger()
            with self._state:
                self._wake.clear()
                self._busy = True
            retry = self._round()
            with self._state:
                self._busy, self._retry = False, retry
                self.rounds += 1
                self._state.notify_all()

    def _linger(self) -> None:
        """Woken, let the commits of the next moments join this round (``linger_seconds``, AUDIT_SEAL_LINGER_MS).
        A round costs the same whether it seals one event or hundreds (two short transactions; on SQLite the
        write lock, for one read and two updates), and a wave's requests commit faster than rounds end: without
        the wait, each round sealed the events of one or two requests, and the rounds took a tenth of the app's
        CPU in a wave of starts (bench/README.md, "The sealer's rounds"). The events stay unsealed that much
        longer, nothing else changes: wait_idle and finish wait for the round as before (a wake is pending)."""
        if self.linger_seconds > 0:
            time.sleep(self.linger_seconds)

    def _round(self) -> bool:
        """One wake's work; True when it should be tried again without a wake."""
        try:
            with self._app.app_context():
                return _seal_rounds()[1]
        except Exception as error:  # noqa: BLE001 (the thread must outlive any error; retried)
            self.failures += 1
            _log_failure(error, "the sealer tries again on the next commit or in a few seconds")
            return True


_sealers: "weakref.WeakSet[Sealer]" = weakref.WeakSet()


def _forget_threads_after_fork() -> None:
    for sealer in list(_sealers):
        sealer._reset()


os.register_at_fork(after_in_child=_forget_threads_after_fork)


def configure(app) -> None:
    """Give the app its sealer (create_app); AUDIT_SEALING says when sealing runs (lms.config)."""
    mode = app.config.get("AUDIT_SEALING", BACKGROUND)
    if mode not in SEALING_MODES:
        raise RuntimeError(f"LMS_AUDIT_SEALING must be one of {', '.join(SEALING_MODES)}, not {mode!r}; "
                           "refusing to start.")
    linger = app.config.get("AUDIT_SEAL_LINGER_MS", 0)
    if not 0 <= linger <= MAX_LINGER_MS:  # longer, and an exiting process's last events would wait for `lms audit seal`
        raise RuntimeError(f"LMS_AUDIT_SEAL_LINGER_MS must be between 0 and {MAX_LINGER_MS} (milliseconds), not "
                           f"{linger}; refusing to start.")
    app.extensions[_EXTENSION] = Sealer(app, linger_seconds=linger / 1000)


def sealer(app=None) -> Sealer:
    """The app's sealer (the current app's by default)."""
    return (app or current_app).extensions[_EXTENSION]


@event.listens_for(Session, "after_commit")
def _seal_after_commit(session):
    """The writer's commit is done; its events are sealed once the session lets go of its connection
    (below)."""
    if session.info.pop(_APPENDED, False):
        session.info[_SEAL_DUE] = True


@event.listens_for(Session, "after_transaction_end")
def _seal_once_the_connection_is_back(session, transaction):
    """Background (AUDIT_SEALING): wake the process's sealer, and nothing more. Inline: chain the committed
    events (and any others) here, in a short transaction of their own, after the session has returned its
    connection to the pool: a sealer holding one connection while it waits for another would, with every
    pooled connection held by a committing writer, wait for ever."""
    if transaction.parent is not None or not session.info.pop(_SEAL_DUE, False):
        return
    app = current_app._get_current_object() if has_app_context() else None
    if app is not None and app.config.get("AUDIT_SEALING") == BACKGROUND and _EXTENSION in app.extensions:
        sealer(app).wake()
        return
    try:
        seal_pending()
    except Exception as error:  # noqa: BLE001 (the commit stands)
        _log_failure(error, "the next seal or `lms audit seal` seals what is left")


def _log_failure(error: Exception, then: str) -> None:
    """Log a failed seal by the error's kind and first line only: SQLAlchemy appends the statement and its
    parameters to the message, and a traceback would carry them too."""
    first_line = (str(error).splitlines() or [""])[0][:300]
    log.error("sealing the audit log failed (%s: %s); %s", type(error).__name__, first_line, then)


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
