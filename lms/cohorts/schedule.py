"""A cohort's week schedule: when each week opens (by the calendar or early, by an instructor)."""
from datetime import date, timedelta

from lms.audit import record_event
from lms.clock import program_today
from lms.extensions import db
from lms.models import Cohort, WeekOpening


def week_start(cohort: Cohort, week: int) -> date:
    """Week N opens on the start date + 7(N-1) days."""
    return week_starts_on(cohort.start_date, week)


def week_starts_on(start_date: date, week: int) -> date:
    """Week N of a cohort that starts on ``start_date`` opens on that date + 7(N-1) days."""
    return start_date + timedelta(days=7 * (week - 1))


def open_weeks(cohort: Cohort, now) -> set[int]:
    """The weeks of the cohort that are open now: by the calendar, or opened early by an instructor."""
    today = program_today(now)
    by_date = {w for w in range(1, cohort.track.weeks + 1) if week_start(cohort, w) <= today}
    early = {o.week for o in cohort.week_openings}
    return by_date | early


def is_week_open(start_date: date, weeks: int, week: int, *, opened_early: bool, now) -> bool:
    """One week is open now (``open_weeks``' rule for one week, from plain values): opened early by an
    instructor, or one of the track's ``weeks`` whose date has come."""
    return opened_early or (1 <= week <= weeks and week_starts_on(start_date, week) <= program_today(now))


def current_week(cohort: Cohort, now) -> int:
    """The latest open week (0 before the course starts)."""
    return max(open_weeks(cohort, now), default=0)


ANNEX_WEEK = 1  # annex modules open with the course's first week


def open_week_early(cohort: Cohort, week: int, *, actor, now) -> WeekOpening | None:
    """An instructor opens a week of the cohort before its date (no-op if already open)."""
    if not 1 <= week <= cohort.track.weeks:
        raise ValueError(f"Week {week} is not part of this {cohort.track.weeks}-week track.")
    existing = next((o for o in cohort.week_openings if o.week == week), None)
    if existing is not None:
        return existing
    opening = WeekOpening(cohort_id=cohort.id, week=week, opened_by_id=actor.id, opened_at=now)
    cohort.week_openings.append(opening)
    db.session.flush()
    record_event("cohort.open_week", actor=actor, obj=cohort, now=now, details={"week": week})
    return opening
