"""Scheduling sessions in the program's time zone, changing and cancelling them (announced, audited), and the
iCalendar file a trainee downloads, read back with the icalendar library."""
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar
from sqlalchemy import select

from lms.classroom import ClassroomError
from lms.classroom.sessions import cancel_session, change_session, icalendar_bytes, schedule_session, sessions_of
from lms.models import AuditEvent
from lms.signals import session_changed

from ..conftest import csrf_from, login
from ..factories import session_plan

NEW_YORK = ZoneInfo("America/New_York")


def test_a_session_is_stored_at_the_program_time_it_was_entered(cw, db, clock):
    # 9:00 in New York on a day after the change to daylight time is 13:00 UTC; before it, 14:00 UTC.
    summer = schedule_session(cw.cohort, session_plan(date(2026, 3, 9)), actor=cw.instructor, now=clock())
    winter = schedule_session(cw.cohort, session_plan(date(2026, 3, 3)), actor=cw.instructor, now=clock())
    assert summer.starts_at == datetime(2026, 3, 9, 13, tzinfo=UTC)
    assert winter.starts_at == datetime(2026, 3, 3, 14, tzinfo=UTC)
    assert [s.id for s in sessions_of(cw.cohort)] == [winter.id, summer.id]


@pytest.mark.parametrize("plan, message", [
    (session_plan(date(2026, 3, 3), start=13, end=9), "ends after it starts"),
    (session_plan(date(2026, 3, 3), hours=5), "at most its 4 hours"),
    (session_plan(date(2026, 3, 3), week=3), "not a week of the track"),
    (session_plan(date(2026, 3, 3), covers=["no-such-thing"]), "Not in the track"),
])
def test_a_session_that_cannot_be_is_refused(cw, db, clock, plan, message):
    with pytest.raises(ClassroomError, match=message):
        schedule_session(cw.cohort, plan, actor=cw.instructor, now=clock())


def test_only_the_cohorts_instructors_schedule(cw, db, clock, factory):
    outsider = factory.user("instructor")
    with pytest.raises(ClassroomError):
        schedule_session(cw.cohort, session_plan(date(2026, 3, 3)), actor=outsider, now=clock())


def test_changes_and_cancellations_are_announced_audited_and_counted_in_the_calendar(cw, db, clock):
    session = schedule_session(cw.cohort, session_plan(date(2026, 3, 3), covers=["drill-report"]),
                               actor=cw.instructor, now=clock())
    heard = []
    with session_changed.connected_to(lambda s, **kw: heard.append((s.id, kw["change"]))):
        change_session(session, session_plan(date(2026, 3, 4), covers=["drill-report"]), actor=cw.instructor,
                       now=clock())
        change_session(session, session_plan(date(2026, 3, 4), covers=["drill-report"]), actor=cw.instructor,
                       now=clock())  # nothing changed: no announcement
        cancel_session(session, reason="Range closed", actor=cw.instructor, now=clock())
    assert heard == [(session.id, "changed"), (session.id, "cancelled")]
    assert session.sequence == 2
    actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.object_type == "class_session")).all()
    assert actions == ["session.schedule", "session.change", "session.cancel"]
    with pytest.raises(ClassroomError):
        change_session(session, session_plan(date(2026, 3, 5)), actor=cw.instructor, now=clock())


def test_the_calendar_file_reads_back_with_times_in_the_program_zone(cw, db, clock):
    first = schedule_session(cw.cohort, session_plan(date(2026, 3, 3), title="Interviews", covers=["drill-observed"]),
                             actor=cw.instructor, now=clock())
    second = schedule_session(cw.cohort, session_plan(date(2026, 3, 4), start=13, end=17, title="Reports"),
                              actor=cw.instructor, now=clock())
    cancel_session(second, reason="Instructor ill", actor=cw.instructor, now=clock())
    calendar = Calendar.from_ical(icalendar_bytes(cw.cohort, sessions_of(cw.cohort), site="lms.example", now=clock()))
    events = {str(e["SUMMARY"]): e for e in calendar.walk("VEVENT")}
    assert set(events) == {"Interviews", "Reports"}
    interviews = events["Interviews"]
    assert interviews.decoded("DTSTART") == datetime(2026, 3, 3, 9, tzinfo=NEW_YORK)
    assert interviews["DTSTART"].params["TZID"] == "America/New_York"
    assert interviews.decoded("DTEND") == datetime(2026, 3, 3, 13, tzinfo=NEW_YORK)
    assert (str(interviews["LOCATION"]) == "Academy room 2"
            and str(interviews["UID"]) == f"session-{first.id}@lms.example")
    assert str(events["Reports"]["STATUS"]) == "CANCELLED" and int(events["Reports"]["SEQUENCE"]) == 1
    assert calendar.walk("VTIMEZONE")  # the zone travels with the file


def test_a_trainee_downloads_their_schedule_and_sees_it_on_the_course_page(cw, db, clock, client):
    schedule_session(cw.cohort, session_plan(date(2026, 3, 3), title="Interviews"), actor=cw.instructor, now=clock())
    db.session.commit()
    login(client, cw.trainee.email)
    page = client.get("/course").get_data(as_text=True)
    assert "Interviews" in page and "0</strong> classroom hours attended of <strong>6</strong> required" in page
    response = client.get("/classroom/schedule.ics")
    assert response.mimetype == "text/calendar"
    assert [str(e["SUMMARY"]) for e in Calendar.from_ical(response.data).walk("VEVENT")] == ["Interviews"]


def test_time_is_entered_as_local_time_in_the_form(cw, db, clock, client):
    login(client, cw.instructor.email)
    page = client.get(f"/classroom/cohorts/{cw.cohort.id}").get_data(as_text=True)
    response = client.post(f"/classroom/cohorts/{cw.cohort.id}/sessions", data={
        "csrf_token": csrf_from(page), "title": "Report writing", "day": "2026-03-05", "start": "08:30",
        "end": "12:30", "place": "Room 4", "hours": "4", "week": "1", "covers": ["drill-report"]})
    assert response.status_code == 302
    session, = sessions_of(cw.cohort)
    assert session.starts_at == datetime.combine(date(2026, 3, 5), time(8, 30), NEW_YORK)
    assert session.covers == ["drill-report"]


def test_the_change_page_shows_the_local_times_and_saves_a_change(cw, db, clock, client):
    session = schedule_session(cw.cohort, session_plan(date(2026, 3, 3), title="Interviews"), actor=cw.instructor,
                               now=clock())
    db.session.commit()
    login(client, cw.instructor.email)
    url = f"/classroom/sessions/{session.id}/edit"
    page = client.get(url).get_data(as_text=True)
    assert 'value="09:00"' in page and 'value="2026-03-03"' in page
    response = client.post(url, data={"csrf_token": csrf_from(page), "title": "Interviews", "day": "2026-03-03",
                                      "start": "10:00", "end": "13:00", "place": "Room 9", "hours": "3", "week": "1"})
    assert response.status_code == 302
    db.session.refresh(session)
    assert session.starts_at == datetime(2026, 3, 3, 15, tzinfo=UTC) and session.place == "Room 9"
    assert session.sequence == 1
