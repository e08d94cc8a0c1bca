"""The one source of "now" for request code, so tests can freeze or move time; and the one way times
are shown to people (in the program's time zone, with its abbreviation) or in records (UTC, labelled)."""
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context

DEFAULT_TIMEZONE = "America/New_York"


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

        self.when = self.when + timedelta(**delta)
        return self.when


def program_timezone() -> ZoneInfo:
    """The program's time zone (config TIMEZONE, an IANA name): its calendar and the times people read."""
    name = current_app.config.get("TIMEZONE") if has_app_context() else None
    return ZoneInfo(name or DEFAULT_TIMEZONE)


def local_time(value: datetime) -> datetime:
    """An aware datetime in the program's time zone."""
    return value.astimezone(program_timezone())


def format_time(value: datetime | None, style: str = "datetime") -> str:
    """A moment as people read it, in the program's time zone with its abbreviation: "March 2, 2026,
    9:45 AM EST" (style "datetime") or "9:45 AM EST" (style "time"); "" for None."""
    if value is None:
        return ""
    local = local_time(value)
    clock = f"{local.hour % 12 or 12}:{local:%M} {'AM' if local.hour < 12 else 'PM'} {local.tzname()}"
    if style == "time":
        return clock
    return f"{local:%B} {local.day}, {local.year}, {clock}"


def format_date(value: date | datetime | None) -> str:
    """A calendar date as people read it ("March 2, 2026"); a moment's date is the program's local date."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = local_time(value).date()
    return f"{value:%B} {value.day}, {value.year}"


def format_utc(value: datetime | None) -> str:
    """A moment for records (the audit log): UTC, labelled, "2026-03-02 14:45 UTC"."""
    return value.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC") if value else ""


def program_today(now) -> date:
    """The calendar date in the program's time zone (weeks open at local midnight)."""
    return now.astimezone(program_timezone()).date()


def add_years(day: date, years: int) -> date:
    """The same calendar day ``years`` later (29 February becomes 28 February)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)
