"""The one source of "now" for request code, so tests can freeze or move time."""
from datetime import datetime, timezone

from flask import current_app, has_app_context


def system_now() -> datetime:
    """The real current time, timezone-aware UTC."""
    return datetime.now(timezone.utc)


def utcnow() -> datetime:
    """Now, from the app's configured clock (``app.config["CLOCK"]``) when there is one."""
    if has_app_context():
        clock = current_app.config.get("CLOCK")
        if clock is not None:
            return clock()
    return system_now()


class FrozenClock:
    """A clock that stands still until moved; used by tests and simulations."""

    def __init__(self, when: datetime):
        self.when = when

    def __call__(self) -> datetime:
        return self.when

    def advance(self, **delta) -> datetime:
        """Move the clock forward by a timedelta's keyword arguments."""
        from datetime import timedelta

        self.when = self.when + timedelta(**delta)
        return self.when
