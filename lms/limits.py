"""Counters that enforce limits, in one place: each change is a single atomic statement, so requests
that arrive together never lose a count, on SQLite or on PostgreSQL.

A counter counts the events under a key (``login-account:42``, ``verify-miss:192.0.2.1``) in a fixed
window that opens with its first event; once the window has passed the count starts again at 1.

A limit is held by counting *before* the work it limits (checking a password, answering a look-up): the
caller takes a place with ``hit`` and goes ahead only while the count is within the limit, and gives the
place back (``give_back``) when the event turns out not to count (a log-in that succeeded). Counting
afterwards would let every request that arrived together through.

Each change is committed at once on a connection of its own: a count holds even when the request that
made it fails later, and no lock is held while the caller goes on (to hash a password, say). On SQLite,
which has one writer at a time, a change made while the caller's session has a transaction open goes into
that transaction instead: a second connection would wait for the session's own write lock.
"""
from contextlib import contextmanager
from datetime import timedelta

from sqlalchemy import case, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite

from lms.extensions import db
from lms.models import RateCounter

_INSERT = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


@contextmanager
def _connection():
    """Where a counter changes: its own committed transaction (see the module's docstring)."""
    if db.engine.dialect.name == "sqlite" and db.session().in_transaction():
        yield db.session.connection()
        return
    with db.engine.begin() as conn:
        yield conn


def hit(key: str, *, window: timedelta, now) -> int:
    """Count one event under ``key`` and return the count, this event included, in one statement."""
    table = RateCounter.__table__
    with _connection() as conn:
        statement = _INSERT[conn.dialect.name](table).values(key=key, count=1, window_ends_at=now + window)
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
    table = RateCounter.__table__
    with _connection() as conn:
        conn.execute(update(table).where(table.c.key == key, table.c.count > 0, table.c.window_ends_at > now)
                     .values(count=table.c.count - 1))


def clear(key: str) -> None:
    """Start ``key`` again from zero (a successful log-in, an administrator's unlock)."""
    table = RateCounter.__table__
    with _connection() as conn:
        conn.execute(delete(table).where(table.c.key == key))


def current(key: str, *, now) -> int:
    """The count under ``key`` in its current window (0 when its window has ended)."""
    table = RateCounter.__table__
    with _connection() as conn:
        count = conn.execute(select(table.c.count).where(table.c.key == key, table.c.window_ends_at > now)).scalar()
    return count or 0
