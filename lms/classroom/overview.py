"""What the classroom pages show: a trainee's sessions, hours and practical results; a cohort's hours and
results per trainee. Read-only; rows as named fields for the templates."""
from dataclasses import dataclass

from sqlalchemy import select

from lms.classroom.attendance import attended_hours
from lms.classroom.grading import PracticalResult, practical_results
from lms.classroom.hours import Hours, classroom_hours_by_enrollment, hours_of, scheduled_hours
from lms.classroom.sessions import sessions_of
from lms.cohorts.roster import visible_enrollments
from lms.extensions import db
from lms.models import Attendance, ClassSession, Cohort, Enrollment, User


@dataclass
class SessionRow:
    session: ClassSession
    status: str | None  # the trainee's mark, if any
    minutes_late: int
    hours: float  # hours the mark earned


@dataclass
class TraineeClassroom:
    sessions: list[SessionRow]
    hours: Hours
    practicals: list[PracticalResult]


def trainee_classroom(enrollment: Enrollment) -> TraineeClassroom:
    """A trainee's schedule with their marks, their hours and their practical results."""
    marks = {a.session_id: a for a in db.session.scalars(
        select(Attendance).where(Attendance.enrollment_id == enrollment.id))}
    rows = []
    for session in sessions_of(enrollment.cohort):
        mark = marks.get(session.id)
        earned = (attended_hours(session.hours, mark.status, mark.minutes_late)
                  if mark and session.status != "cancelled" else 0.0)
        rows.append(SessionRow(session, mark.status if mark else None, mark.minutes_late if mark else 0, earned))
    return TraineeClassroom(rows, hours_of(enrollment), practical_results(enrollment))


@dataclass
class CohortRow:
    enrollment: Enrollment
    classroom: float
    practicals: list[PracticalResult]

    @property
    def passed_count(self) -> int:
        return sum(1 for r in self.practicals if r.passed)


def cohort_classroom(cohort: Cohort, viewer: User) -> tuple[list[CohortRow], float, float | None]:
    """Each visible trainee's classroom hours and practical results; the cohort's scheduled and required hours."""
    enrollments = visible_enrollments(cohort, viewer)
    hours = classroom_hours_by_enrollment([e.id for e in enrollments])
    rows = [CohortRow(e, hours[e.id], practical_results(e)) for e in enrollments]
    return rows, scheduled_hours(cohort.id), cohort.track.attendance_required_hours
