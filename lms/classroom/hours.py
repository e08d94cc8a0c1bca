"""Hours: classroom hours attended (by the rule in attendance.attended_hours, over sessions not cancelled),
the hours the track requires, and online hours (modules completed, at their stated minutes, and the time
spent in finished exam attempts)."""
from dataclasses import dataclass

from sqlalchemy import func, select

from lms.classroom.attendance import attended_hours
from lms.extensions import db
from lms.models import Attempt, Attendance, ClassSession, Enrollment, ModuleProgress, ModuleVersion
from lms.models.classroom import CANCELLED
from lms.models.exam import FINISHED


@dataclass(frozen=True)
class Hours:
    """A trainee's hours by kind, and the attendance the track requires."""

    online: float
    classroom: float  # attended
    scheduled: float  # classroom hours of the cohort's sessions not cancelled
    required: float | None  # None: the track requires no attendance

    @property
    def attendance_met(self) -> bool:
        return self.required is None or self.classroom + 1e-9 >= self.required


def classroom_hours_by_enrollment(enrollment_ids: list[int]) -> dict[int, float]:
    """Classroom hours attended, per enrollment (one query)."""
    if not enrollment_ids:
        return {}
    rows = db.session.execute(
        select(Attendance.enrollment_id, Attendance.status, Attendance.minutes_late, ClassSession.hours)
        .join(ClassSession, ClassSession.id == Attendance.session_id)
        .where(Attendance.enrollment_id.in_(enrollment_ids), ClassSession.status != CANCELLED))
    totals = dict.fromkeys(enrollment_ids, 0.0)
    for enrollment_id, status, minutes_late, hours in rows:
        totals[enrollment_id] += attended_hours(hours, status, minutes_late)
    return {k: round(v, 2) for k, v in totals.items()}


def scheduled_hours(cohort_id: int) -> float:
    """The classroom hours of a cohort's sessions not cancelled."""
    return round(db.session.scalar(select(func.coalesce(func.sum(ClassSession.hours), 0.0)).where(
        ClassSession.cohort_id == cohort_id, ClassSession.status != CANCELLED)) or 0.0, 2)


def online_hours(enrollment: Enrollment) -> float:
    """Modules completed (their stated minutes) and time in finished exam attempts, in hours."""
    minutes = db.session.scalar(
        select(func.coalesce(func.sum(ModuleVersion.minutes), 0))
        .join(ModuleProgress, ModuleProgress.completed_version_id == ModuleVersion.id)
        .where(ModuleProgress.enrollment_id == enrollment.id, ModuleProgress.completed_at.is_not(None))) or 0
    seconds = sum((finished - started).total_seconds() for started, finished in db.session.execute(
        select(Attempt.started_at, Attempt.finished_at).where(
            Attempt.enrollment_id == enrollment.id, Attempt.status == FINISHED)))
    return round(minutes / 60 + seconds / 3600, 1)


def hours_of(enrollment: Enrollment) -> Hours:
    """The enrollment's hours by kind and the attendance its track requires."""
    track = enrollment.cohort.track
    return Hours(online=online_hours(enrollment),
                 classroom=classroom_hours_by_enrollment([enrollment.id])[enrollment.id],
                 scheduled=scheduled_hours(enrollment.cohort_id), required=track.attendance_required_hours)


def attendance_met(enrollment: Enrollment) -> bool:
    """The track's attendance requirement is met (or it has none)."""
    required = enrollment.cohort.track.attendance_required_hours
    if required is None:
        return True
    return classroom_hours_by_enrollment([enrollment.id])[enrollment.id] + 1e-9 >= required
