"""Classroom sessions: scheduled by a cohort's instructors in the program's time zone, changed or cancelled
(each change audited and announced), listed, and exported as iCalendar for a trainee's calendar."""
from dataclasses import dataclass
from datetime import date, datetime, time

from icalendar import Calendar, Event
from sqlalchemy import select

from lms.audit import record_event
from lms.classroom import ClassroomError
from lms.clock import program_timezone
from lms.cohorts.roster import can_manage_cohort
from lms.extensions import db
from lms.models import ClassSession, Cohort
from lms.models.classroom import CANCELLED, SCHEDULED
from lms.signals import session_changed

PRODUCT_ID = "-//287(g) Training//Classroom schedule//EN"


@dataclass
class SessionPlan:
    """What an instructor enters for a session: the local date and times, place, hours, week, coverage."""

    title: str
    day: date
    start: time
    end: time
    place: str
    hours: float
    week: int
    covers: list[str]


def _check(cohort: Cohort, plan: SessionPlan, actor) -> tuple[datetime, datetime]:
    if actor is not None and not can_manage_cohort(actor, cohort):
        raise ClassroomError("Only the cohort's instructors and program staff schedule its sessions.")
    if not plan.title.strip() or not plan.place.strip():
        raise ClassroomError("A session needs a title and a place.")
    if not 1 <= plan.week <= cohort.track.weeks:
        raise ClassroomError(f"Week {plan.week} is not a week of the track (1 to {cohort.track.weeks}).")
    zone = program_timezone()
    starts, ends = datetime.combine(plan.day, plan.start, zone), datetime.combine(plan.day, plan.end, zone)
    if ends <= starts:
        raise ClassroomError("A session ends after it starts.")
    span = (ends - starts).total_seconds() / 3600
    if not 0 < plan.hours <= span:
        raise ClassroomError(f"A session counts for more than 0 and at most its {span:g} hours.")
    known = set(cohort.track.module_slugs()) | set(cohort.track.exercise_slugs())
    unknown = [slug for slug in plan.covers if slug not in known]
    if unknown:
        raise ClassroomError(f"Not in the track: {', '.join(unknown)}.")
    return starts, ends


def _facts(session: ClassSession) -> dict:
    return {"title": session.title, "starts_at": session.starts_at.isoformat(), "ends_at": session.ends_at.isoformat(),
            "place": session.place, "hours": session.hours, "week": session.week, "covers": list(session.covers)}


def schedule_session(cohort: Cohort, plan: SessionPlan, *, actor, now) -> ClassSession:
    """Schedule a session of a cohort."""
    starts, ends = _check(cohort, plan, actor)
    session = ClassSession(cohort_id=cohort.id, title=plan.title.strip(), starts_at=starts, ends_at=ends,
                           place=plan.place.strip(), hours=plan.hours, week=plan.week, covers=list(plan.covers),
                           status=SCHEDULED, cancel_reason="", sequence=0, created_at=now, updated_at=now)
    db.session.add(session)
    db.session.flush()
    record_event("session.schedule", actor=actor, obj=session, now=now,
                 details={"cohort_id": cohort.id, **_facts(session)})
    return session


def change_session(session: ClassSession, plan: SessionPlan, *, actor, now) -> ClassSession:
    """Change a scheduled session (time, place, hours, coverage); trainees are told through the signal."""
    if session.status == CANCELLED:
        raise ClassroomError("A cancelled session cannot be changed.")
    starts, ends = _check(session.cohort, plan, actor)
    before = _facts(session)
    session.title, session.starts_at, session.ends_at = plan.title.strip(), starts, ends
    session.place, session.hours, session.week, session.covers = (plan.place.strip(), plan.hours, plan.week,
                                                                  list(plan.covers))
    after = _facts(session)
    if after == before:
        return session
    session.sequence += 1
    session.updated_at = now
    db.session.flush()
    record_event("session.change", actor=actor, obj=session, now=now,
                 details={"before": {k: v for k, v in before.items() if after[k] != v},
                          "after": {k: v for k, v in after.items() if before[k] != v}})
    session_changed.send(session, now=now, change="changed")
    return session


def cancel_session(session: ClassSession, *, reason: str, actor, now) -> ClassSession:
    """Cancel a session: it no longer counts toward anyone's hours; trainees are told through the signal."""
    if actor is not None and not can_manage_cohort(actor, session.cohort):
        raise ClassroomError("Only the cohort's instructors and program staff cancel its sessions.")
    if session.status == CANCELLED:
        raise ClassroomError("The session is already cancelled.")
    if not reason.strip():
        raise ClassroomError("Say why the session is cancelled.")
    session.status, session.cancel_reason = CANCELLED, reason.strip()
    session.sequence += 1
    session.updated_at = now
    db.session.flush()
    record_event("session.cancel", actor=actor, obj=session, now=now, details={"reason": session.cancel_reason})
    session_changed.send(session, now=now, change="cancelled")
    return session


def sessions_of(cohort: Cohort, *, include_cancelled: bool = True) -> list[ClassSession]:
    """The cohort's sessions in time order."""
    query = select(ClassSession).where(ClassSession.cohort_id == cohort.id)
    if not include_cancelled:
        query = query.where(ClassSession.status == SCHEDULED)
    return list(db.session.scalars(query.order_by(ClassSession.starts_at, ClassSession.id)))


def calendar_uid(session: ClassSession, site: str) -> str:
    """A session's stable iCalendar UID: a change keeps it, with a higher SEQUENCE."""
    return f"session-{session.id}@{site}"


def icalendar_bytes(cohort: Cohort, sessions: list[ClassSession], *, site: str, now) -> bytes:
    """The sessions as an iCalendar file, times in the program's time zone (with its VTIMEZONE); a cancelled
    session stays in the file as STATUS:CANCELLED so calendars that imported it remove it."""
    zone = program_timezone()
    calendar = Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", f"{cohort.name}: classroom sessions")
    for session in sessions:
        event = Event()
        event.add("uid", calendar_uid(session, site))
        event.add("summary", session.title)
        event.add("dtstart", session.starts_at.astimezone(zone))
        event.add("dtend", session.ends_at.astimezone(zone))
        event.add("dtstamp", now)
        event.add("location", session.place)
        event.add("sequence", session.sequence)
        event.add("status", "CANCELLED" if session.status == CANCELLED else "CONFIRMED")
        event.add("description", f"Week {session.week}; counts for {session.hours:g} classroom hours."
                  + (f" Covers: {', '.join(session.covers)}." if session.covers else ""))
        calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()
