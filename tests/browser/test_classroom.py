"""The classroom in a real browser: an instructor takes attendance for today's session with the keyboard and
grades a practical exercise against its rubric; the trainee then sees the hours attended, the notification of
the grade and the rubric result."""
import re

import pytest
from conftest import log_in  # tests/browser/conftest.py


pytestmark = pytest.mark.browser

# Runs inside the live server's instance: a four-hour session of the demo officer cohort today.
SETUP = r"""
import json
from datetime import time
from sqlalchemy import select
from lms.app import create_app
from lms.classroom.sessions import SessionPlan, schedule_session
from lms.clock import program_today, utcnow
from lms.extensions import db
from lms.models import Cohort, Enrollment, User

app = create_app()
with app.app_context():
    now = utcnow()
    cohort = db.session.scalar(select(Cohort).where(Cohort.name == "Demo officer cohort"))
    session = schedule_session(cohort, SessionPlan("Interviews through an interpreter", program_today(now), time(0, 30),
                               time(4, 30), "Academy room 2", 4, 1, ["interview-through-interpreter"]),
                               actor=None, now=now)
    db.session.commit()
    trainee = db.session.scalar(select(User).where(User.email == "trainee@demo.example"))
    enrollment = db.session.scalar(select(Enrollment).where(Enrollment.cohort_id == cohort.id,
                                                            Enrollment.user_id == trainee.id))
    print(json.dumps({"session": session.id, "cohort": cohort.id, "enrollment": enrollment.id}))
"""


@pytest.fixture(scope="module")
def classroom_session(live_server):
    return live_server.run_script(SETUP)


def test_instructor_takes_attendance_and_grades_and_the_trainee_sees_hours_and_result(
        page, live_server, classroom_session):
    from playwright.sync_api import expect

    log_in(page, *live_server.account("instructor"), privileged=True)
    page.goto(f"/classroom/cohorts/{classroom_session['cohort']}")
    page.get_by_role("link", name="Attendance for Interviews through an interpreter").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Attendance: Interviews through an interpreter")
    # Keyboard only: Dana Trainee came 30 minutes late.
    dana = page.get_by_role("group", name="Dana Trainee")
    dana.get_by_label("Present").focus()
    page.keyboard.press("ArrowRight")  # radio buttons move with the arrow keys: Present -> Late
    expect(dana.get_by_label("Late", exact=True)).to_be_checked()
    page.keyboard.press("Tab")
    page.keyboard.type("30")
    page.keyboard.press("Tab")
    page.keyboard.type("Held up at the booking desk")
    page.get_by_role("button", name="Save attendance").focus()
    page.keyboard.press("Enter")
    expect(page.locator(".usa-alert--success, .flash-success, [role=status]").first).to_contain_text("Attendance saved")
    page.get_by_role("button", name="Mark everyone not yet marked present").click()
    expect(dana.get_by_label("Late", exact=True)).to_be_checked()  # a mark already taken stays

    page.goto(f"/classroom/cohorts/{classroom_session['cohort']}/trainees/{classroom_session['enrollment']}"
              "/practicals/interview-through-interpreter")
    for criterion, level in (("Interpreter briefed", "2 · Done"), ("Speaks to the person", "4 · Skilled"),
                             ("Open questions", "2 · Adequate"), ("The interpretation recorded", "2 · Recorded")):
        group = page.get_by_role("group", name=re.compile("^" + re.escape(criterion)))
        group.locator("label", has_text=re.compile("^" + re.escape(level))).click()  # USWDS hides the input itself
        expect(group.get_by_label(re.compile("^" + re.escape(level)))).to_be_checked()
    page.get_by_label("Comments for the trainee").fill("Confirm the dialect before you start.")
    page.get_by_role("button", name="Save the grade").click()
    expect(page.locator(".usa-summary-box__heading")).to_contain_text("Passed: 10 points")

    page.context.clear_cookies()
    log_in(page, *live_server.account("trainee"))
    expect(page).to_have_title(re.compile(r"^My course"))
    expect(page.locator(".classroom-hours")).to_contain_text("3.5 classroom hours attended of 162 required")
    # The grade is announced: the unread count in the header, the message, and its link to the result.
    expect(page.locator("#unread-count")).to_be_visible()
    page.get_by_role("link", name=re.compile("^Notifications")).first.click()
    message = page.locator(".notification").filter(has_text="An interview through an interpreter: passed")
    expect(message).to_contain_text("10 points")
    message.get_by_role("button", name=re.compile("^Open")).click()
    expect(page.get_by_role("heading", level=2, name=re.compile("Your result"))).to_have_text(
        "Your result: Passed, 10 of 12 points")
    expect(page.get_by_text("Confirm the dialect before you start.")).to_be_visible()
    assert page.recorder.errors == []
