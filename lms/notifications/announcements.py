"""What the periodic jobs announce: weeks and exam windows that opened, refreshers falling due.

Each function is idempotent (a notification's key is unique per person) and returns how many people
it told, for the job's log line.
"""
from datetime import timedelta

from sqlalchemy import select

from lms.certification.status import due_for_refresher
from lms.clock import program_today
from lms.cohorts.schedule import open_weeks, week_start
from lms.extensions import db
from lms.models import Cohort, Enrollment, Exam
from lms.notifications.service import notify

RECENT_DAYS = 3  # a week opened longer ago than this is not announced (the first run, or a long outage)
REFRESHER_NOTICES = (30, 60, 90)  # days before expiry, nearest first


def _recently_opened(cohort: Cohort, now) -> list[int]:
    today = program_today(now)
    early = {o.week: o.opened_at for o in cohort.week_openings}
    recent = []
    for week in sorted(open_weeks(cohort, now)):
        opened_on = program_today(early[week]) if week in early else week_start(cohort, week)
        if today - opened_on <= timedelta(days=RECENT_DAYS):
            recent.append(week)
    return recent


def announce_open_weeks(*, now) -> int:
    """Tell each active trainee of a cohort that a week (and each exam in it) opened, once."""
    told = 0
    start_after = program_today(now) - timedelta(days=7 * 60)  # cohorts still running, however long
    cohorts = db.session.scalars(select(Cohort).where(Cohort.start_date >= start_after)).all()
    for cohort in cohorts:
        weeks = _recently_opened(cohort, now)
        if not weeks:
            continue
        trainees = [e.user for e in db.session.scalars(select(Enrollment).where(
            Enrollment.cohort_id == cohort.id, Enrollment.status == "active"))]
        track = cohort.track
        for week in weeks:
            items = [i for i in track.items if i.week == week]
            exams = [i.ref for i in items if i.kind == "exam"]
            titles = {e.slug: e.title for e in db.session.scalars(
                select(Exam).where(Exam.slug.in_(exams)))} if exams else {}
            title = next((i.week_title for i in items if i.week_title), f"Week {week}")
            for user in trainees:
                told += notify(user, kind="week_opened", key=f"week:{cohort.id}:{week}",
                               subject=f"Week {week} of {track.title} is open",
                               body=f"{title} of {track.title} ({cohort.name}) is open: its modules are ready.",
                               link="/course", now=now) is not None
                for slug in exams:
                    name = titles.get(slug, slug)
                    told += notify(user, kind="exam_window", key=f"exam-window:{cohort.id}:{slug}",
                                   subject=f"{name} is open to you",
                                   body=f"{name} ({track.title}, week {week}) is open: you may start it.",
                                   link=f"/exams/{slug}", now=now) is not None
    return told


def announce_refreshers_due(*, now) -> int:
    """Tell each holder of a certification expiring within 90, 60 and 30 days, once per threshold (the
    nearest one reached: a holder first found 25 days ahead is told once, not three times)."""
    told = 0
    for row in due_for_refresher(today=program_today(now), days=max(REFRESHER_NOTICES), limit=100_000):
        threshold = next(days for days in REFRESHER_NOTICES if row.days_left <= days)
        c = row.certification
        told += notify(c.user, kind="refresher_due", key=f"refresher:{c.id}:{threshold}",
                       subject=f"Your certificate {c.number} expires in {row.days_left} days",
                       body=f"Your certificate {c.number} ({c.track_title}) expires on {c.expires_on:%B %-d, %Y}. "
                            "Ask your agency's coordinator to nominate you for the refresher course.",
                       link=f"/certificates/{c.number}", now=now) is not None
    return told
