"""Attendance: the marks and the hours they earn, everyone present at once, corrections after the day flagged in
the audit log, cancelled sessions counting for nothing; the roster page as an instructor uses it."""
from datetime import date

import pytest
from sqlalchemy import select

from lms.classroom import ClassroomError
from lms.classroom.attendance import Mark, mark_everyone_present, record_attendance
from lms.classroom.hours import hours_of
from lms.classroom.sessions import cancel_session, schedule_session
from lms.models import AuditEvent

from ..conftest import csrf_from, login
from ..factories import session_plan

TODAY = date(2026, 3, 2)  # the frozen clock's day in New York


def _session(cw, clock, day=TODAY, hours=4.0):
    return schedule_session(cw.cohort, session_plan(day, hours=hours), actor=cw.instructor, now=clock())


def test_each_mark_earns_its_hours(cw, db, clock):
    session = _session(cw, clock)
    record_attendance(session, {cw.enrollment.id: Mark("late", 30, "Traffic"), cw.other_enrollment.id: Mark("excused")},
                      actor=cw.instructor, now=clock())
    assert hours_of(cw.enrollment).classroom == 3.5  # four hours less the half hour missed
    assert hours_of(cw.other_enrollment).classroom == 0  # excused is recorded, not credited
    record_attendance(session, {cw.other_enrollment.id: Mark("present")}, actor=cw.instructor, now=clock())
    assert hours_of(cw.other_enrollment).classroom == 4


def test_everyone_present_leaves_the_marks_already_taken(cw, db, clock):
    session = _session(cw, clock)
    record_attendance(session, {cw.enrollment.id: Mark("absent", note="No call")}, actor=cw.instructor, now=clock())
    assert mark_everyone_present(session, actor=cw.instructor, now=clock()) == 1
    assert hours_of(cw.enrollment).classroom == 0 and hours_of(cw.other_enrollment).classroom == 4


@pytest.mark.parametrize("mark, message", [(Mark("late", 0), "Late by between"), (Mark("late", 500), "Late by between"),
                                           (Mark("sleeping"), "Unknown attendance status")])
def test_impossible_marks_are_refused(cw, db, clock, mark, message):
    with pytest.raises(ClassroomError, match=message):
        record_attendance(_session(cw, clock), {cw.enrollment.id: mark}, actor=cw.instructor, now=clock())


def test_attendance_waits_for_the_sessions_day_and_a_cancelled_session_counts_nothing(cw, db, clock):
    tomorrow = _session(cw, clock, day=date(2026, 3, 3))
    with pytest.raises(ClassroomError, match="on or after the session's day"):
        record_attendance(tomorrow, {cw.enrollment.id: Mark("present")}, actor=cw.instructor, now=clock())
    today = _session(cw, clock)
    record_attendance(today, {cw.enrollment.id: Mark("present")}, actor=cw.instructor, now=clock())
    cancel_session(today, reason="Wrong room", actor=cw.instructor, now=clock())
    assert hours_of(cw.enrollment).classroom == 0 and hours_of(cw.enrollment).scheduled == 4
    with pytest.raises(ClassroomError, match="cancelled"):
        record_attendance(today, {cw.enrollment.id: Mark("absent")}, actor=cw.instructor, now=clock())


def test_every_change_is_audited_and_a_correction_after_the_day_is_flagged(cw, db, clock):
    session = _session(cw, clock)
    record_attendance(session, {cw.enrollment.id: Mark("absent")}, actor=cw.instructor, now=clock())
    record_attendance(session, {cw.enrollment.id: Mark("absent")}, actor=cw.instructor, now=clock())  # no change
    clock.advance(days=2)
    record_attendance(session, {cw.enrollment.id: Mark("present", note="Was in the back row")}, actor=cw.instructor,
                      now=clock())
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.object_type == "attendance")
                                .order_by(AuditEvent.seq)).all()
    assert [e.action for e in events] == ["attendance.record", "attendance.correct"]
    assert events[1].details["before"] == ["absent", 0, ""] and events[1].details["correction"] is True
    assert events[1].details["after"] == ["present", 0, "Was in the back row"]


def test_a_trainee_of_another_cohort_cannot_be_marked(cw, db, clock, factory):
    stranger = factory.user("trainee", agency=cw.agency)
    other_cohort = factory.cohort("classroom-track", agencies=[cw.agency], instructors=[cw.instructor])
    elsewhere = factory.enroll(stranger, other_cohort)
    with pytest.raises(ClassroomError, match="not in the session's cohort"):
        record_attendance(_session(cw, clock), {elsewhere.id: Mark("present")}, actor=cw.instructor, now=clock())


def test_the_roster_page_takes_marks_and_everyone_present(cw, db, clock, client):
    session = _session(cw, clock)
    db.session.commit()
    login(client, cw.instructor.email)
    url = f"/classroom/sessions/{session.id}/attendance"
    page = client.get(url).get_data(as_text=True)
    assert "Terry Trainee" in page and "Mark everyone not yet marked present" in page
    client.post(url, data={"csrf_token": csrf_from(page), f"status-{cw.enrollment.id}": "late",
                           f"late-{cw.enrollment.id}": "60", "save": "1"})
    page = client.get(url).get_data(as_text=True)
    client.post(url, data={"csrf_token": csrf_from(page), "everyone_present": "1"})
    assert hours_of(cw.enrollment).classroom == 3 and hours_of(cw.other_enrollment).classroom == 4
