"""The trainee's week-by-week path, module pages, completion, and cohort rosters."""
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from lms.cohorts import schedule
from lms.models import AuditEvent, ModuleProgress, Role

from .conftest import login, post

FIXTURE = Path(__file__).parent / "fixtures" / "content"
# START in conftest is Monday 2026-03-02, 9:00 in New York.


@pytest.fixture
def course(factory):
    factory.synced_content(FIXTURE)
    agency = factory.agency()
    instructor = factory.user(Role.INSTRUCTOR, email="teacher@example.test")
    cohort = factory.cohort("test-track", start=date(2026, 3, 2), agencies=[agency], instructors=[instructor])
    trainee = factory.user(Role.TRAINEE, email="t@example.test", agency=agency)
    enrollment = factory.enroll(trainee, cohort)
    return {"agency": agency, "cohort": cohort, "trainee": trainee, "enrollment": enrollment, "instructor": instructor}


def test_week_n_opens_on_start_plus_7_n_minus_1_days(db, course, clock):
    cohort = course["cohort"]
    assert schedule.week_start(cohort, 2) == date(2026, 3, 9)
    assert schedule.open_weeks(cohort, clock()) == {1}
    clock.advance(days=6, hours=12)  # Sunday 22:00 in New York (daylight time began March 8): still week 1
    assert schedule.open_weeks(cohort, clock()) == {1}
    clock.advance(hours=2)  # Monday 00:00 in New York
    assert schedule.open_weeks(cohort, clock()) == {1, 2}


def test_nothing_is_open_before_the_start_date(db, factory, clock):
    factory.synced_content(FIXTURE)
    cohort = factory.cohort("test-track", start=date(2026, 3, 9))
    assert schedule.open_weeks(cohort, clock()) == set()
    assert schedule.current_week(cohort, clock()) == 0


def test_my_course_shows_weeks_states_and_progress(client, course, db):
    login(client, "t@example.test")
    page = client.get("/course").get_data(as_text=True)
    assert "Test track" in page and "week 1</strong> of 2" in page
    assert 'id="week-1"' in page and 'id="week-2"' in page
    # week 1: 2 modules open, 1 exam not started; week 2: 1 module locked
    assert page.count('data-state="open"') == 2 and page.count('data-state="not_started"') == 1
    assert page.count('data-state="locked"') == 1
    assert "Opens March 9, 2026" in page
    assert "0</strong> of 3 modules completed (0%)" in page
    client.get("/course/modules/agreement/basics")
    post(client, "/course/modules/agreement/basics/complete", page="/course/modules/agreement/basics")
    client.get("/course/modules/agreement/supervision")
    page = client.get("/course").get_data(as_text=True)
    assert page.count('data-state="completed"') == 1 and page.count('data-state="read"') == 1
    assert "1</strong> of 3 modules completed (33%)" in page


def test_module_page_shows_content_objectives_sources_toc_and_navigation(client, course):
    login(client, "t@example.test")
    page = client.get("/course/modules/agreement/basics").get_data(as_text=True)
    assert "<h1>Basics of the agreement</h1>" in page
    assert "AG-9.1" in page and "State what Section 287(g) allows." in page
    assert "8 U.S.C. 1357(g)" in page and "20 minutes" in page
    assert 'href="#content-what-the-law-allows"' in page  # generated table of contents
    assert 'href="/course/modules/agreement/supervision"' in page and "Previous module" not in page
    assert "Mark as completed" in page


def test_mark_completed_records_the_version_read(client, course, db):
    login(client, "t@example.test")
    response = post(client, "/course/modules/agreement/basics/complete", page="/course/modules/agreement/basics")
    assert (response.status_code == 302
            and response.headers["Location"].endswith("/course/modules/agreement/supervision"))
    progress = db.session.scalar(select(ModuleProgress))
    assert progress.completed_at is not None
    assert progress.completed_version.module.slug == "agreement/basics" and progress.completed_version.number == 1
    # Completing twice is harmless.
    post(client, "/course/modules/agreement/basics/complete", page="/course/modules/agreement/basics")
    assert (db.session.scalar(select(ModuleProgress).where(ModuleProgress.id == progress.id)).completed_at
            == progress.completed_at)


def test_a_locked_module_cannot_be_read_or_completed_by_url(client, course, db):
    login(client, "t@example.test")
    response = client.get("/course/modules/civil-rights/encounters")
    assert response.status_code == 403 and "opens on March 9, 2026" in response.get_data(as_text=True)
    response = post(client, "/course/modules/civil-rights/encounters/complete", page="/course")
    assert response.status_code == 403
    assert db.session.scalar(select(ModuleProgress)) is None


def test_a_module_outside_the_trainees_track_is_not_found(client, course, factory):
    factory.synced_content(FIXTURE)
    login(client, "t@example.test")
    assert client.get("/course/modules/no/such-module").status_code == 404


def test_an_instructor_can_open_a_week_early(make_client, course, db):
    trainee, teacher = make_client(), make_client()
    login(teacher, "teacher@example.test")
    cohort_id = course["cohort"].id
    response = post(teacher, f"/cohorts/{cohort_id}/weeks/open", {"week": "2", "confirm": "yes"},
                    page=f"/cohorts/{cohort_id}/weeks/open?week=2")
    assert response.status_code == 302
    [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "cohort.open_week")).all()
    assert event.details == {"week": 2} and event.actor == "teacher@example.test"
    login(trainee, "t@example.test")
    assert trainee.get("/course/modules/civil-rights/encounters").status_code == 200


def test_roster_shows_progress_per_module(make_client, course, factory):
    trainee, teacher = make_client(), make_client()
    login(trainee, "t@example.test")
    post(trainee, "/course/modules/agreement/basics/complete", page="/course/modules/agreement/basics")
    trainee.get("/course/modules/agreement/supervision")
    login(teacher, "teacher@example.test")
    page = teacher.get(f"/cohorts/{course['cohort'].id}").get_data(as_text=True)
    assert course["trainee"].name in page
    assert "1 / 3" in page and 'usa-sr-only">completed<' in page and 'usa-sr-only">read<' in page


def test_who_may_see_a_roster(make_client, course, factory):
    cohort_id = course["cohort"].id
    other_teacher = factory.user(Role.INSTRUCTOR, email="other@example.test")
    other_coord = factory.user(Role.COORDINATOR, email="coord2@example.test")
    own_coord = factory.user(Role.COORDINATOR, email="coord1@example.test", agency=course["agency"])
    staff = factory.user(Role.STAFF, email="staff@example.test")
    cases = [("t@example.test", 403), (other_teacher.email, 404), (other_coord.email, 404),
             (own_coord.email, 200), (staff.email, 200), ("teacher@example.test", 200)]
    for email, status in cases:
        client = make_client()
        login(client, email)
        assert client.get(f"/cohorts/{cohort_id}").status_code == status, email
    # An instructor of another cohort cannot open its weeks either.
    client = make_client()
    login(client, other_teacher.email)
    assert post(client, f"/cohorts/{cohort_id}/weeks/open", {"week": "2", "confirm": "yes"},
                page="/cohorts").status_code == 404
    assert client.get(f"/cohorts/{cohort_id}/weeks/open?week=2").status_code == 404


def test_a_trainee_cannot_see_another_cohorts_roster_or_module_progress(make_client, course, factory):
    other_cohort = factory.cohort("test-track", start=date(2026, 3, 2))
    client = make_client()
    login(client, "t@example.test")
    assert client.get(f"/cohorts/{other_cohort.id}").status_code == 403
    assert client.get("/cohorts").status_code == 403


def test_course_page_for_someone_not_enrolled(client, factory):
    factory.user(Role.TRAINEE, email="new@example.test")
    login(client, "new@example.test")
    assert "not enrolled" in client.get("/course").get_data(as_text=True)


def test_week_zero_and_out_of_range_weeks_are_refused(db, course):
    with pytest.raises(ValueError):
        schedule.open_week_early(course["cohort"], 3, actor=course["instructor"], now=None)
