"""Instructors run their cohorts in the browser: create one, enroll trainees one by one or from a CSV roster
(bad rows reported by line, nobody enrolled from a bad file), and post notices their trainees see."""
import io
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from lms.cohorts.instructor_tools import enroll_roster, post_notice
from lms.cohorts.roster import CohortError
from lms.models import AuditEvent, Cohort, Enrollment, Role

from .conftest import csrf_from, login


@pytest.fixture
def world(db, factory):
    factory.synced_content(Path(__file__).parent / "fixtures" / "content")
    agency, other = factory.agency("North County Sheriff"), factory.agency("South County Sheriff")
    instructor = factory.user(Role.INSTRUCTOR, email="ina@example.test")
    cohort = factory.cohort("test-track", start=date(2026, 3, 2), agencies=[agency], instructors=[instructor],
                            name="Spring")
    people = {name: factory.user(Role.TRAINEE, agency=agency, email=f"{name}@example.test", name=name.title())
              for name in ("ann", "bob", "cat")}
    people["zed"] = factory.user(Role.TRAINEE, agency=other, email="zed@example.test")
    return {"instructor": instructor, "cohort": cohort, "people": people, "agency": agency}


def enrolled(db, cohort) -> int:
    return db.session.scalar(select(func.count()).select_from(Enrollment).where(Enrollment.cohort_id == cohort.id))


def test_a_roster_with_a_bad_row_enrolls_nobody_and_names_each_bad_line(db, clock, world):
    cohort = world["cohort"]
    data = (b"email,name\nann@example.test,Ann\n\nnobody@example.test,No One\nzed@example.test,Zed\n"
            b"ina@example.test,Ina\nANN@example.test,Ann again\n")
    report = enroll_roster(data, cohort, actor=world["instructor"], now=clock())
    db.session.commit()
    assert [str(e) for e in report.errors] == [
        "line 4: no account for nobody@example.test (an officer without one is nominated, and staff enroll them)",
        "line 5: zed@example.test's agency is not one of this cohort's agencies",
        "line 6: ina@example.test is not a trainee's account",
        "line 7: the same person as line 2",
    ]
    assert report.enrolled == [] and enrolled(db, cohort) == 0
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "cohort.roster_import"))
    assert event.outcome == "denied" and event.details["bad_lines"] == [4, 5, 6, 7]

    good = enroll_roster(b"email\r\nann@example.test\r\nbob@example.test\r\n", cohort, actor=world["instructor"],
                         now=clock())
    db.session.commit()
    assert len(good.enrolled) == 2 and enrolled(db, cohort) == 2
    again = enroll_roster(b"email\nbob@example.test\n", cohort, actor=world["instructor"], now=clock())
    assert [str(e) for e in again.errors] == ["line 2: bob@example.test is already enrolled in this cohort"]
    assert enroll_roster(b"mail\nx\n", cohort, actor=world["instructor"], now=clock()).file_error == \
        "line 1: the header must name the columns email (missing: email) (unknown: mail)."


def test_a_notice_is_markdown_sanitized(db, clock, world):
    notice = post_notice(world["cohort"], "**Bring** your ID <script>alert(1)</script>", actor=world["instructor"],
                         now=clock())
    assert "<strong>Bring</strong>" in notice.body_html and "<script" not in notice.body_html
    with pytest.raises(CohortError, match="Write the notice first"):
        post_notice(world["cohort"], "  ", actor=world["instructor"], now=clock())


def page_token(client, url):
    return csrf_from(client.get(url).get_data(as_text=True))


def test_an_instructor_creates_a_cohort_enrolls_and_posts_a_notice_that_trainees_see(app, db, clock, world):
    client = app.test_client()
    login(client, "ina@example.test")
    created = client.post("/cohorts/new", data={
        "csrf_token": page_token(client, "/cohorts/new"), "name": "Summer", "track": "test-track",
        "start_date": "2026-06-01", "agencies": [str(world["agency"].id)]})
    cohort = db.session.scalar(select(Cohort).where(Cohort.name == "Summer"))
    assert created.headers["Location"] == f"/cohorts/{cohort.id}"
    assert [i.email for i in cohort.instructors] == ["ina@example.test"]  # the instructor teaches it

    page = f"/cohorts/{cohort.id}"
    client.post(f"{page}/enroll", data={"csrf_token": page_token(client, page), "email": "Ann@example.test"})
    roster = client.get(page).get_data(as_text=True)
    assert "Ann is enrolled in Summer." in roster and "Ann</a>" in roster
    client.post(f"{page}/enroll", data={"csrf_token": page_token(client, page), "email": "zed@example.test"})
    assert "Not enrolled: zed@example.test&#39;s agency is not one of this cohort&#39;s agencies." in \
        client.get(page).get_data(as_text=True)
    imported = client.post(f"{page}/roster-import", data={
        "csrf_token": page_token(client, f"{page}/roster-import"),
        "roster": (io.BytesIO(b"email\nbob@example.test\ncat@example.test\n"), "roster.csv")},
        content_type="multipart/form-data").get_data(as_text=True)
    assert "2 trainees enrolled in Summer." in imported and enrolled(db, cohort) == 3

    client.post(f"{page}/notices", data={"csrf_token": page_token(client, page),
                                         "body": "Week 1 starts **Monday**. <img src=x onerror=alert(1)>"})
    assert "<strong>Monday</strong>" in client.get(page).get_data(as_text=True)

    trainee = app.test_client()
    login(trainee, "bob@example.test")
    course = trainee.get("/course").get_data(as_text=True)
    assert "Notices from your instructors" in course and "Week 1 starts <strong>Monday</strong>." in course
    assert "onerror" not in course
