"""Attendance at a session: present, late (minutes), excused or absent, with a note. Every change is audited;
a change recorded after the session's day (in the program's time zone) is flagged as a correction."""
from dataclasses import dataclass

from sqlalchemy import select

from lms.audit import record_event
from lms.classroom import ClassroomError
from lms.clock import program_today
from lms.cohorts.roster import can_manage_cohort
from lms.extensions import db
from lms.models import Attendance, ClassSession, Enrollment, User
from lms.models.classroom import ATTENDANCE_STATUSES, CANCELLED, LATE, PRESENT
from lms.signals import classroom_progress, classroom_setback


@dataclass(frozen=True)
class Mark:
    """One trainee's attendance as entered."""

    status: str
    minutes_late: int = 0
    note: str = ""


def attended_hours(session_hours: float, status: str, minutes_late: int) -> float:
    """The one rule for the hours a mark earns: all of them when present, less the minutes missed when late,
    none when excused or absent (an excused absence is recorded, not credited)."""
    if status == PRESENT:
        return session_hours
    if status == LATE:
        return max(0.0, round(session_hours - minutes_late / 60, 2))
    return 0.0


def roster_enrollments(session: ClassSession) -> list[Enrollment]:
    """The trainees expected at a session: the cohort's enrollments not withdrawn, by name."""
    return list(db.session.scalars(
        select(Enrollment).join(User, User.id == Enrollment.user_id)
        .where(Enrollment.cohort_id == session.cohort_id, Enrollment.status != "withdrawn")
        .order_by(User.name, Enrollment.id)))


def marks_of(session: ClassSession) -> dict[int, Attendance]:
    """The session's attendance rows by enrollment id."""
    return {a.enrollment_id: a for a in db.session.scalars(
        select(Attendance).where(Attendance.session_id == session.id))}


def _validate(mark: Mark, session: ClassSession) -> Mark:
    if mark.status not in ATTENDANCE_STATUSES:
        raise ClassroomError(f"Unknown attendance status {mark.status!r}.")
    minutes = mark.minutes_late if mark.status == LATE else 0
    span = int((session.ends_at - session.starts_at).total_seconds() // 60)
    if mark.status == LATE and not 0 < minutes <= span:
        raise ClassroomError(f"Late by between 1 and {span} minutes.")
    return Mark(mark.status, minutes, (mark.note or "").strip()[:2000])


def record_attendance(session: ClassSession, marks: dict[int, Mark], *, actor, now) -> int:
    """Record marks (enrollment id -> Mark) for a session; returns how many changed. Unchanged marks are left
    alone; each change is audited with what it was before, flagged as a correction after the session's day."""
    if actor is not None and not can_manage_cohort(actor, session.cohort):
        raise ClassroomError("Only the cohort's instructors and program staff take its attendance.")
    if session.status == CANCELLED:
        raise ClassroomError("A cancelled session has no attendance.")
    if program_today(session.starts_at) > program_today(now):
        raise ClassroomError("Attendance is taken on or after the session's day.")
    expected = {e.id: e for e in roster_enrollments(session)}
    existing = marks_of(session)
    correction = program_today(now) > program_today(session.starts_at)
    changed = []
    for enrollment_id, raw in marks.items():
        if enrollment_id not in expected:
            raise ClassroomError("That trainee is not in the session's cohort.")
        mark = _validate(raw, session)
        row = existing.get(enrollment_id)
        before = (row.status, row.minutes_late, row.note) if row else None
        if before == (mark.status, mark.minutes_late, mark.note):
            continue
        if row is None:
            row = Attendance(session_id=session.id, enrollment_id=enrollment_id)
            db.session.add(row)
        row.status, row.minutes_late, row.note = mark.status, mark.minutes_late, mark.note
        row.recorded_by_id, row.recorded_at = getattr(actor, "id", None), now
        db.session.flush()
        record_event("attendance.correct" if correction and before else "attendance.record", actor=actor, obj=row,
                     now=now, details={"session_id": session.id, "enrollment_id": enrollment_id,
                                       "before": list(before) if before else None,
                                       "after": [mark.status, mark.minutes_late, mark.note],
                                       "correction": correction})
        hours_before = attended_hours(session.hours, before[0], before[1]) if before else 0.0
        hours_after = attended_hours(session.hours, mark.status, mark.minutes_late)
        changed.append((expected[enrollment_id], hours_before, hours_after))
    for enrollment, hours_before, hours_after in changed:
        if hours_after < hours_before:  # fewer hours: certification judges whether an issued one falls short
            classroom_setback.send(enrollment, now=now, actor=actor, cause="attendance")
        elif hours_after > 0:  # only a mark that earns hours can complete the track's attendance
            classroom_progress.send(enrollment, now=now, actor=actor)
    return len(changed)


def mark_everyone_present(session: ClassSession, *, actor, now) -> int:
    """Mark every trainee of the roster who has no mark yet as present (marks already taken stay)."""
    existing = marks_of(session)
    marks = {e.id: Mark(PRESENT) for e in roster_enrollments(session) if e.id not in existing}
    return record_attendance(session, marks, actor=actor, now=now)

