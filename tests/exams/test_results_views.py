"""Instructor pages: results per cohort and exam, the CSV, attempt records, grants and statistics."""
import csv
import io
from datetime import timedelta

from sqlalchemy import select

from lms.exams.attempts import submit_attempt
from lms.exams.results import safe_cell
from lms.extensions import db as _db
from lms.models import Attempt, AuditEvent, Enrollment, Role

from ..conftest import csrf_from, login
from ..factories import answer_all, start


def text(response):
    return response.get_data(as_text=True)


def test_safe_cell_neutralizes_formula_starters():
    for raw in ("=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx", "\nx"):
        assert safe_cell(raw) == "'" + raw
    assert safe_cell("Terry") == "Terry" and safe_cell(None) == "" and safe_cell(62.5) == "62.5"


def test_results_page_csv_and_attempt_record(client, world, factory, clock):
    sneaky = factory.user(Role.TRAINEE, agency=world.agency, name="=HYPERLINK(\"http://x\")", email="s@example.test")
    factory.enroll(sneaky, world.cohort)
    attempt = start(world.trainee, "mixed-exam", clock)
    answer_all(attempt, clock)
    submit_attempt(attempt, now=clock(), actor=world.trainee)
    start(sneaky, "mixed-exam", clock)
    _db.session.commit()

    login(client, world.instructor.email)
    index = text(client.get("/results"))
    assert f"/results/cohorts/{world.cohort.id}/exams/mixed-exam" in index
    page = text(client.get(f"/results/cohorts/{world.cohort.id}/exams/mixed-exam"))
    assert "Terry Trainee" in page and "Passed" in page and "100%" in page and "In progress" in page
    assert "Not started" in page  # Olive has not started

    response = client.get(f"/results/cohorts/{world.cohort.id}/exams/mixed-exam/results.csv")
    assert response.mimetype == "text/csv" and "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(text(response))))
    assert rows[0][:4] == ["cohort", "trainee", "email", "agency"]
    by_name = {r[1]: r for r in rows[1:]}
    assert by_name["Terry Trainee"][7:9] == ["finished", attempt.started_at.isoformat()]
    assert by_name["Terry Trainee"][13:15] == ["100", "yes"]
    assert by_name["'=HYPERLINK(\"http://x\")"][7] == "open"  # neutralized, not a formula

    record = text(client.get(f"/results/attempts/{attempt.id}"))
    assert "Answer log" in record and "gives the recorded points" in record
    assert "FBSINGLEA" in record and "(correct answer)" in record  # instructors see the key
    assert record.count("<tr><td>2026-03-02T14:00:00+00:00</td>") == 8


def test_grants_over_http_are_audited_and_move_an_open_deadline(client, world, clock):
    attempt = start(world.trainee, "mixed-exam", clock)
    login(client, world.instructor.email)
    page_url = f"/results/cohorts/{world.cohort.id}/trainees/{world.trainee.id}"
    page = text(client.get(page_url))
    token = csrf_from(page)
    assert "Extra time" in page and "Standing time multiplier" in page
    base = f"/results/cohorts/{world.cohort.id}/trainees/{world.trainee.id}"
    response = client.post(f"{base}/exams/mixed-exam/extra-time", data={"csrf_token": token, "minutes": "15",
                                                                        "reason": "fire alarm"})
    assert response.status_code == 302
    assert "15 extra minutes granted to Terry Trainee" in text(client.get(response.headers["Location"]))
    _db.session.rollback()
    assert _db.session.get(Attempt, attempt.id).deadline_at == attempt.started_at + timedelta(minutes=45)
    client.post(f"{base}/exams/mixed-exam/extra-attempt", data={"csrf_token": token, "reason": "illness"})
    client.post(f"{base}/multiplier", data={"csrf_token": token, "multiplier": "1.25", "reason": "accommodation"})
    bad = client.post(f"{base}/multiplier", data={"csrf_token": token, "multiplier": "9"})
    assert bad.status_code == 302
    _db.session.rollback()
    assert _db.session.get(Enrollment, world.enrollment.id).time_multiplier == 1.25
    actions = [e.action for e in _db.session.scalars(select(AuditEvent).order_by(AuditEvent.seq))]
    assert actions.count("exam.grant_extra_time") == 1 and actions.count("exam.grant_extra_attempt") == 1
    assert actions.count("enrollment.set_time_multiplier") == 1
    page = text(client.get(page_url))
    assert "fire alarm" in page and "one extra attempt" in page and "× 1.25" in page


def test_who_may_see_what(client, make_client, world, factory, clock):
    attempt = start(world.trainee, "mixed-exam", clock)
    outsider = factory.user(Role.INSTRUCTOR, email="elsewhere@example.test")
    coordinator = factory.user(Role.COORDINATOR, email="coord@example.test")  # another agency
    for email in (outsider.email, coordinator.email):
        c = make_client()
        login(c, email)
        for url in (f"/results/cohorts/{world.cohort.id}/exams/mixed-exam", f"/results/attempts/{attempt.id}",
                    f"/results/cohorts/{world.cohort.id}/trainees/{world.trainee.id}"):
            assert c.get(url).status_code == 404, (email, url)
    own = factory.user(Role.COORDINATOR, email="own@example.test", agency=world.agency)
    c = make_client()
    login(c, own.email)
    assert c.get(f"/results/cohorts/{world.cohort.id}/exams/mixed-exam").status_code == 200
    assert c.get(f"/results/cohorts/{world.cohort.id}/exams/mixed-exam/statistics").status_code == 403
    token = csrf_from(text(c.get(f"/results/cohorts/{world.cohort.id}/trainees/{world.trainee.id}")))
    refused = c.post(f"/results/cohorts/{world.cohort.id}/trainees/{world.trainee.id}/multiplier",
                     data={"csrf_token": token, "multiplier": "2"})
    assert refused.status_code == 403


def test_statistics_page_has_a_chart_and_its_data_table(client, world, clock):
    for user in (world.trainee, world.other):
        attempt = start(user, "mixed-exam", clock)
        answer_all(attempt, clock, right=user is world.trainee)
        submit_attempt(attempt, now=clock(), actor=user)
    _db.session.commit()
    login(client, world.instructor.email)
    page = text(client.get(f"/results/cohorts/{world.cohort.id}/exams/mixed-exam/statistics"))
    assert '<svg viewBox="0 0 640 260" role="img" aria-labelledby="chart-title chart-desc"' in page
    assert ("<caption>Score distribution</caption>" in page
            and "<th scope=\"row\">90–100%</th><td class=\"num\">1</td>" in page)
    assert "Not computed: not enough attempts" in page and "mx-matching v1" in page and "style=" not in page
    assert text(client.get("/results/exams/mixed-exam/statistics")).count("mx-single v1") == 1
