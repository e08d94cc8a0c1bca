"""A practical exercise's rubric in the studio, in a real browser: an instructor, with the keyboard, adds and
removes a level (buttons the server answers), changes a level's points, saves and publishes; the grading page
then offers the new rubric."""

import pytest
from conftest import log_in  # tests/browser/conftest.py

SLUG = "consular-notification"  # week 5 of the demo officer cohort's track; no other browser test edits it

pytestmark = pytest.mark.browser

# Runs inside the live server's instance: the demo officer cohort and its trainee's enrollment.
SETUP = r"""
import json
from sqlalchemy import select
from lms.app import create_app
from lms.extensions import db
from lms.models import Cohort, Enrollment, User

app = create_app()
with app.app_context():
    cohort = db.session.scalar(select(Cohort).where(Cohort.name == "Demo officer cohort"))
    trainee = db.session.scalar(select(User).where(User.email == "trainee@demo.example"))
    enrollment = db.session.scalar(select(Enrollment).where(Enrollment.cohort_id == cohort.id,
                                                            Enrollment.user_id == trainee.id))
    print(json.dumps({"cohort": cohort.id, "enrollment": enrollment.id}))
"""


@pytest.fixture(scope="module")
def cohort(live_server):
    return live_server.run_script(SETUP)


def test_an_instructor_changes_a_levels_points_publishes_and_grades_against_the_new_rubric(
        page, live_server, cohort):
    from playwright.sync_api import expect

    log_in(page, *live_server.account("instructor"), privileged=True)
    page.goto("/studio")
    page.get_by_role("link", name="Edit Making a consular notification").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Edit “Making a consular notification”")

    # A level added and removed again from the keyboard: each button is answered by the server.
    page.get_by_role("button", name="Add a level to criterion 1").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("group", name="Level 4 of criterion 1")).to_be_visible()
    page.get_by_role("button", name="Remove level 4 of criterion 1").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("group", name="Level 4 of criterion 1")).to_have_count(0)

    # The best level of "Nationality determined" now gives 3 points instead of 2.
    points = page.get_by_role("group", name="Level 3 of criterion 1").get_by_label("Points")
    expect(points).to_have_value("2")
    points.focus()
    page.keyboard.press("Control+A")
    page.keyboard.type("3")
    page.get_by_role("button", name="Save draft").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("saved.")
    expect(page.locator("#preview")).to_contain_text("3 · Established")
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_role("status")).to_contain_text("Published as version 2.")

    page.goto(f"/classroom/cohorts/{cohort['cohort']}/trainees/{cohort['enrollment']}/practicals/{SLUG}")
    nationality = page.get_by_role("group", name="Nationality determined")
    expect(nationality.get_by_label("3 · Established", exact=False)).to_have_count(1)
    expect(nationality.get_by_label("2 · Established", exact=False)).to_have_count(0)
    expect(page.get_by_text("Pass: at least 6 of 9 points")).to_be_visible()
