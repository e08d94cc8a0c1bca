"""Record notifications once per person and event, read them, mark them read; people's preferences.

A notification is recorded in the producer's transaction (a signal's receiver, or a periodic job); its
e-mail is a pending EmailDelivery that the delivery job sends after the commit (lms.jobs), never the
request. The ids of the deliveries a transaction created wait in ``session.info`` for the job queue.
"""
import functools
from contextlib import contextmanager
from contextvars import ContextVar

from sqlalchemy import bindparam, func, insert, literal, select, true, update
from sqlalchemy.orm import make_transient_to_detached

from lms.audit import record_event
from lms.db_engine import insert_for, run_read, run_statement
from lms.extensions import db, session_connection
from lms.models import EmailDelivery, Notification, NotificationPreference, User
from lms.models.notification import PENDING
from lms.notifications.kinds import KINDS, optional_kinds

PENDING_KEY = "lms.pending_deliveries"  # session.info: delivery ids to enqueue once committed

# A preference, as the page offers it: (in the app, by e-mail).
CHOICES = {"all": (True, True), "app": (True, False), "off": (False, False)}


_silent: ContextVar[bool] = ContextVar("lms.notifications.silent", default=False)


@contextmanager
def silenced():
    """Tell no one about what happens inside: for a simulated history (the fact-sheet demo loads months
    of results that nobody is waiting to hear about, with nowhere real to send them)."""
    token = _silent.set(True)
    try:
        yield
    finally:
        _silent.reset(token)


class PreferenceError(ValueError):
    """A preference that cannot be set."""


# Core statements built once (per dialect and whether the person's preference counts: the insert skips a duplicate with
# the database's ON CONFLICT), run on the session's connection: a submit tells its result through these. A kind that
# may be turned off is recorded only if the person has not turned it off, in the insert's own statement (no read of
# the preference first: one statement fewer for every such notification); an essential kind always.
_NOTIFICATION = Notification.__table__
_DELIVERY = EmailDelivery.__table__
_PREFERENCE = NotificationPreference.__table__
_RECORDED = ("user_id", "kind", "key", "subject", "body", "link", "essential", "created_at")


def _turned_off(channel):
    """The person's preference for this kind turns ``channel`` (a column of notification_preference) off."""
    return (select(_PREFERENCE.c.user_id)
            .where(_PREFERENCE.c.user_id == bindparam("user_id"), _PREFERENCE.c.kind == bindparam("kind"),
                   channel.is_(False))
            .exists())


@functools.cache  # built once per dialect and kind of kind
def _record_statement(dialect_name: str, optional: bool):
    """INSERT a notification unless the person was told of the event already (or, ``optional``, turned the kind
    off in the app), RETURNING its id."""
    values = select(*(bindparam(name, type_=_NOTIFICATION.c[name].type) for name in _RECORDED))
    values = values.where(~_turned_off(_PREFERENCE.c.in_app) if optional else true())
    return (insert_for(dialect_name, _NOTIFICATION).from_select(_RECORDED, values)
            .on_conflict_do_nothing(index_elements=["user_id", "key"]).returning(_NOTIFICATION.c.id))


@functools.cache
def _delivery_statement(optional: bool):
    """INSERT the notification's pending e-mail (unless, ``optional``, the person turned its e-mail off), RETURNING
    its id."""
    values = select(bindparam("notification_id", type_=_DELIVERY.c.notification_id.type),
                    bindparam("to_address", type_=_DELIVERY.c.to_address.type), literal(PENDING), literal(0),
                    bindparam("created_at", type_=_DELIVERY.c.created_at.type))
    values = values.where(~_turned_off(_PREFERENCE.c.email) if optional else true())
    return (insert(_DELIVERY).from_select(("notification_id", "to_address", "status", "tries", "created_at"), values)
            .returning(_DELIVERY.c.id))


def notify(user: User | None, *, kind: str, key: str, subject: str, body: str, link: str | None = None,
           now, to_disabled: bool = False) -> Notification | None:
    """Tell ``user`` about the event ``key`` once, as their preference for ``kind`` says; None when the
    person was already told, turned the kind off, or cannot be told (no account, disabled unless
    ``to_disabled`` (the notice that the account was disabled), or inside ``silenced()``). Flushes."""
    if _silent.get() or user is None or (user.disabled_at is not None and not to_disabled):
        return None
    conn = session_connection()  # (what the session holds goes first)
    optional = not KINDS[kind].essential
    # One statement: recorded unless the person was told already (here or by another transaction at the
    # same moment: the unique key (user, key) says so, and the insert is skipped) or turned the kind off.
    values = {"user_id": user.id, "kind": kind, "key": key[:120], "subject": subject[:200], "body": body,
              "link": link, "essential": not optional, "created_at": now}
    notification_id = run_statement(conn, _record_statement(conn.dialect.name, optional), values).scalar()
    if notification_id is None:
        return None
    if user.email:
        delivery_id = run_statement(conn, _delivery_statement(optional), {
            "notification_id": notification_id, "to_address": user.email, "created_at": now, "user_id": user.id,
            "kind": kind}).scalar()
        if delivery_id is not None:
            db.session.info.setdefault(PENDING_KEY, []).append(delivery_id)
    # The row as written, in the session without reading it back (its delivery loads when asked for).
    notification = Notification(id=notification_id, read_at=None, **values)
    make_transient_to_detached(notification)
    db.session.add(notification)
    return notification


_UNREAD_COUNT = select(func.count(Notification.id)).where(Notification.user_id == bindparam("user_id"),
                                                          Notification.read_at.is_(None))


def unread_count(user: User) -> int:
    """How many of the person's notifications are unread (the header's badge, on every page with the site's
    header): one Core statement, built once, without the ORM's work per query; outside a transaction when the request
    holds none (lms.db_engine.run_read)."""
    return run_read(db.session, db.engine, _UNREAD_COUNT, {"user_id": user.id}).scalar() or 0


def notifications_for(user: User, *, limit: int = 100) -> list[Notification]:
    """The person's notifications, newest first."""
    return list(db.session.scalars(select(Notification).where(Notification.user_id == user.id)
                                   .order_by(Notification.created_at.desc(), Notification.id.desc()).limit(limit)))


def mark_read(notification: Notification, *, now) -> None:
    """Mark one notification read (the view checked it is the person's own). Flushes."""
    if notification.read_at is None:
        notification.read_at = now
        db.session.flush()


def mark_all_read(user: User, *, now) -> int:
    """Mark every unread notification of the person read; returns how many."""
    count = db.session.execute(update(Notification).where(
        Notification.user_id == user.id, Notification.read_at.is_(None)).values(read_at=now)).rowcount
    db.session.flush()
    return count


def preferences_of(user: User) -> dict[str, str]:
    """The person's choice (a key of CHOICES) for every kind that may be turned off."""
    stored = {p.kind: p for p in db.session.scalars(
        select(NotificationPreference).where(NotificationPreference.user_id == user.id))}
    result = {}
    for kind in optional_kinds():
        p = stored.get(kind)
        result[kind] = "all" if p is None else next(c for c, pair in CHOICES.items() if pair == (p.in_app, p.email))
    return result


def set_preferences(user: User, choices: dict[str, str], *, actor, now) -> dict[str, str]:
    """Store the person's choices for the kinds that may be turned off (essential ones cannot be); audited."""
    changes = {}
    current = preferences_of(user)
    for kind, choice in choices.items():
        if kind not in optional_kinds():
            raise PreferenceError(f"{KINDS[kind].label if kind in KINDS else kind} cannot be turned off.")
        if choice not in CHOICES:
            raise PreferenceError("Choose how to be told.")
        if current.get(kind) == choice:
            continue
        in_app, email = CHOICES[choice]
        preference = db.session.get(NotificationPreference, (user.id, kind))
        if preference is None:
            preference = NotificationPreference(user_id=user.id, kind=kind)
            db.session.add(preference)
        preference.in_app, preference.email = in_app, email
        changes[kind] = choice
    db.session.flush()
    if changes:
        record_event("notification.preferences", actor=actor, obj=user, now=now, details={"changes": changes})
    return changes


def take_pending_deliveries(session) -> list[int]:
    """The ids of the deliveries the session's committed transaction created (and forget them)."""
    return session.info.pop(PENDING_KEY, [])
