"""Content review dates: when each module was last reviewed for accuracy and currency, and by whom;
the modules due for review (not reviewed within the interval, LMS_CONTENT_REVIEW_DAYS)."""
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from lms.audit import record_event
from lms.clock import program_today
from lms.extensions import db
from lms.models import Module


@dataclass(frozen=True)
class ReviewRow:
    """A module's review state on a day."""

    module: Module
    reviewed_on: date | None
    reviewed_by: str
    days_since: int | None
    due: bool


def review_state(module: Module, today: date, interval_days: int) -> ReviewRow:
    """When ``module`` was last reviewed, and whether it is due (never reviewed, or longer ago than the interval)."""
    days = (today - module.reviewed_on).days if module.reviewed_on else None
    return ReviewRow(module, module.reviewed_on, module.reviewed_by or "", days, days is None or days > interval_days)


def review_list(today: date, interval_days: int, *, due_only: bool = False) -> list[ReviewRow]:
    """Every live module's review state, the longest unreviewed first (never reviewed before all)."""
    modules = db.session.scalars(select(Module).where(Module.retired_at.is_(None),
                                                      Module.current_version_id.is_not(None)))
    rows = [review_state(m, today, interval_days) for m in modules]
    rows.sort(key=lambda r: (r.reviewed_on is not None, r.reviewed_on or date.min, r.module.slug))
    return [r for r in rows if r.due or not due_only]


def mark_reviewed(module: Module, *, actor, now) -> date:
    """Record that ``actor`` reviewed the module today (the program's calendar day); audited."""
    today = program_today(now)
    previous = module.reviewed_on
    module.reviewed_on, module.reviewed_by = today, actor.name
    db.session.flush()
    record_event("module.review", actor=actor, obj=module, now=now,
                 details={"reviewed_on": today.isoformat(),
                          "previously": previous.isoformat() if previous else None})
    return today
