"""Counters that enforce limits, in one place: each change is a single atomic statement, so requests
that arrive together never lose a count, on SQLite or on PostgreSQL.

A counter counts the events under a key (``login-account:42``, ``verify-miss:192.0.2.1``) in a fixed
window that opens with its first event; once the window has passed the count starts again at 1.

A limit is held by counting *before* the work it limits (checking a password, answering a look-up): the
caller takes a place with ``hit`` and goes ahead only while the count is within the limit, and gives the
place back (``give_back``) when the event turns out not to count (a log-in that succeeded). Counting
afterwards would let every request that arrived together through.

Each count is committed at once on a connection of its own: a count holds even when the request that
made it fails later, and no lock is held while the caller goes on (to hash a password, say). On SQLite
that transaction begins IMMEDIATE even in a request that otherwise only reads (lms.db_engine.writing), so
a burst of counts takes turns among the writers instead of polling for the lock. A count
lowered (given back, cleared) goes with the request's own transaction when it has one. On SQLite,
which has one writer at a time, a change made while the caller's session has a transaction open goes into
that transaction instead: a second connection would wait for the session's own write lock.

Where the counters live is a setting (``LIMITS_STORE``, from LMS_LIMITS_STORE): ``database`` (the
``rate_counter`` table, the default) or a ``redis://`` URL. Every app instance that shares the store
shares the limits, so a lockout holds whichever instance the next attempt reaches (README, "Deployment").
In Redis each change is one Lua script, as atomic as the SQL statement; the window is kept against the
app's clock (``now``) exactly as in the table, and each key also expires by itself after its window.
"""
import threading
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import redis
from flask import current_app
from sqlalchemy import case, delete, select, update

from lms.db_engine import insert_for, reading, writing
from lms.extensions import db
from lms.models import RateCounter

# -- Redis ------------------------------------------------------------------------------------------------
# A key is a hash {count, ends} (ends: the window's end in ms since the epoch, by the app's clock).

_HIT = """
local ends = tonumber(redis.call('HGET', KEYS[1], 'ends'))
if ends == nil or ends <= tonumber(ARGV[1]) then
  redis.call('HSET', KEYS[1], 'count', 1, 'ends', ARGV[2])
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
  return 1
end
return redis.call('HINCRBY', KEYS[1], 'count', 1)
"""
_GIVE_BACK = """
local ends = tonumber(redis.call('HGET', KEYS[1], 'ends'))
local count = tonumber(redis.call('HGET', KEYS[1], 'count'))
if ends ~= nil and ends > tonumber(ARGV[1]) and count > 0 then
  redis.call('HINCRBY', KEYS[1], 'count', -1)
end
return 0
"""
_clients: dict = {}
_clients_lock = threading.Lock()


def _redis():
    """The Redis client of the configured store, or None for the database (one client, and so one
    connection pool, per URL per process)."""
    store = current_app.config.get("LIMITS_STORE") or "database"
    if store == "database":
        return None
    with _clients_lock:
        if store not in _clients:
            _clients[store] = redis.Redis.from_url(store, socket_timeout=5, health_check_interval=30)
        return _clients[store]


def _name(key: str) -> str:
    return current_app.config.get("LIMITS_PREFIX", "lms:limit:") + key


def _ms(moment: datetime) -> int:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)


# -- the counters -----------------------------------------------------------------------------------------


@contextmanager
def _connection(*, own: bool = True, writes: bool = True):
    """Where a counter changes: its own committed transaction (see the module's docstring). A change that
    lowers a count (``own=False``: a place given back, a count cleared) rides on the request's open
    transaction instead: if the request fails, the count stays higher, the safe side, and a request holding
    a pooled connection never asks for a second one (many at once would wait on each other for the pool).
    ``writes=False``: a count read, on SQLite in a transaction that takes no lock."""
    if (not own or db.engine.dialect.name == "sqlite") and db.session().in_transaction():
        yield db.session.connection()
        return
    with (writing if writes else reading)(db.engine).begin() as conn:
        yield conn


def hit(key: str, *, window: timedelta, now) -> int:
    """Count one event under ``key`` and return the count, this event included, in one statement."""
    client = _redis()
    if client is not None:
        expiry = int(window.total_seconds() * 1000) + 60_000  # the clean-up; the window itself is ``ends``
        return int(client.eval(_HIT, 1, _name(key), _ms(now), _ms(now + window), expiry))
    table = RateCounter.__table__
    with _connection() as conn:
        statement = insert_for(conn.dialect.name, table).values(key=key, count=1, window_ends_at=now + window)
        ended = table.c.window_ends_at <= now
        statement = statement.on_conflict_do_update(
            index_elements=[table.c.key],
            set_={"count": case((ended, 1), else_=table.c.count + 1),
                  "window_ends_at": case((ended, statement.excluded.window_ends_at), else_=table.c.window_ends_at)},
        ).returning(table.c.count)
        count = conn.execute(statement).scalar_one()
        if count == 1:  # a window opened: forget the counters whose windows have ended
            conn.execute(delete(table).where(table.c.window_ends_at <= now))
        return count


def give_back(key: str, *, now) -> None:
    """Take back one event counted under ``key`` in its current window (it turned out not to count)."""
    client = _redis()
    if client is not None:
        client.eval(_GIVE_BACK, 1, _name(key), _ms(now))
        return
    table = RateCounter.__table__
    with _connection(own=False) as conn:
        conn.execute(update(table).where(table.c.key == key, table.c.count > 0, table.c.window_ends_at > now)
                     .values(count=table.c.count - 1))


def clear(key: str) -> None:
    """Start ``key`` again from zero (a successful log-in, an administrator's unlock)."""
    client = _redis()
    if client is not None:
        client.delete(_name(key))
        return
    table = RateCounter.__table__
    with _connection(own=False) as conn:
        conn.execute(delete(table).where(table.c.key == key))


def current(key: str, *, now) -> int:
    """The count under ``key`` in its current window (0 when its window has ended)."""
    client = _redis()
    if client is not None:
        count, ends = client.hmget(_name(key), "count", "ends")
        return int(count) if ends is not None and int(ends) > _ms(now) else 0
    table = RateCounter.__table__
    with _connection(writes=False) as conn:
        count = conn.execute(select(table.c.count).where(table.c.key == key, table.c.window_ends_at > now)).scalar()
    return count or 0
