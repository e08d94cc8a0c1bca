"""The log-in session's limits: the idle timeout, the absolute lifetime, and what counts as activity.

A request of a logged-in user first asks ``ended_reason``; ordinary requests then count as activity
(``mark_active``). Background checks from an open page do not, with one exception decided by the view
that answers them: the exam page's status check while its attempt is open, since an exam in progress
is activity however long the trainee thinks about a question. The absolute lifetime always applies.
"""
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

from flask import current_app, jsonify, request, session

IDLE, MAX_LENGTH = "idle", "max_length"
# A page keeps its session alive by checking in at most this often, and at least this often.
_MAX_CHECK_IN, _MIN_CHECK_IN = 60, 10


def idle_limit() -> timedelta:
    """How long a session may go without activity (config IDLE_TIMEOUT_MINUTES)."""
    return timedelta(minutes=current_app.config["IDLE_TIMEOUT_MINUTES"])


def ends_at(data: Mapping | None = None) -> datetime | None:
    """When the current session (or the session ``data``) reaches its absolute lifetime (config SESSION_MAX_HOURS),
    however active."""
    logged_in_at = (session if data is None else data).get("logged_in_at")
    if logged_in_at is None:
        return None
    return datetime.fromtimestamp(logged_in_at, timezone.utc) + timedelta(hours=current_app.config["SESSION_MAX_HOURS"])


def ended_reason(now: datetime, data: Mapping | None = None) -> str | None:
    """IDLE or MAX_LENGTH when the current session (or the session ``data``) has ended by now; None while it lasts."""
    data = session if data is None else data
    end = ends_at(data)
    if end is None or now > end:  # a session without a log-in time predates the rule: ended
        return MAX_LENGTH
    last_seen = data.get("last_seen")
    if last_seen is not None and now - datetime.fromtimestamp(last_seen, timezone.utc) > idle_limit():
        return IDLE
    return None


def ended_message(reason: str) -> str:
    """What the person is told when their session has ended."""
    why = "after its maximum length" if reason == MAX_LENGTH else "after a period of inactivity"
    return f"Your session ended {why}. Please log in again."


def check_in_seconds() -> int:
    """How often an open exam page checks in with the server: well inside the idle timeout."""
    return max(_MIN_CHECK_IN, min(_MAX_CHECK_IN, int(idle_limit().total_seconds()) // 3))


def mark_active(now: datetime) -> None:
    """Count this request as activity: the idle timeout starts again from ``now``.

    ``last_seen`` is rewritten only when it is a quarter of the idle timeout old (a minute at most), so
    most responses need not re-sign the cookie, while a short timeout is still kept exactly enough.
    """
    if activity_unrecorded(now):
        session["last_seen"] = now.timestamp()
        session.permanent = True


def activity_unrecorded(now: datetime, data: Mapping | None = None) -> bool:
    """True when activity at ``now`` must be written into the current session (or the session ``data``): its
    ``last_seen`` is missing or a quarter of the idle timeout old (mark_active)."""
    last_seen = (session if data is None else data).get("last_seen")
    refresh = min(timedelta(seconds=_MAX_CHECK_IN), idle_limit() / 4)
    return last_seen is None or now.timestamp() - last_seen >= refresh.total_seconds()


def wants_json() -> bool:
    """True for a page's background request (JSON body, or JSON asked for), which gets JSON, never a page."""
    return request.is_json or request.accept_mimetypes.best == "application/json"


def ended_json(message: str):
    """The answer to a background request whose session has ended: 401, with a message for the page."""
    return jsonify(error="session_ended", message=message), 401


def return_path() -> str | None:
    """Where to come back after logging in again: the page itself for a GET; for a form that was posted,
    the page of this site that it was posted from."""
    if request.method == "GET":
        return request.full_path.rstrip("?")
    referrer = urlsplit(request.referrer or "")
    if referrer.netloc != request.host or not referrer.path.startswith("/"):
        return None
    return referrer.path + (f"?{referrer.query}" if referrer.query else "")
