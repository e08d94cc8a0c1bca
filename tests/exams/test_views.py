"""The trainee's exam pages over HTTP (no JavaScript: forms; and the JSON autosave), ownership, and
the answer key kept out of every page served before the review allows it."""
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from lms.exams.policy import ExamPolicy
from lms.extensions import db as _db
from lms.models import AnswerLog, Attempt, AuditEvent, User

from ..conftest import csrf_from, login
from ..factories import form_values_for


def page_text(response):
    return response.get_data(as_text=True)


class Browser:
    """A logged-in trainee's client that keeps every page it was served."""

    def __init__(self, client, email):
        self.client = client
        self.pages: list[str] = []
        login(client, email)

    def get(self, url, **kw):
        response = self.client.get(url, **kw)
        self.pages.append(page_text(response))
        return response

    def post(self, url, data, **kw):
        response = self.client.post(url, data=data, **kw)
        self.pages.append(page_text(response))
        return response

    def autosave(self, attempt_id, body, token):
        response = self.client.post(f"/exams/attempts/{attempt_id}/autosave", json=body,
                                    headers={"X-CSRFToken": token})
        self.pages.append(page_text(response))
        return response


def attempt_of(user):
    _db.session.rollback()
    return _db.session.scalar(select(Attempt).where(Attempt.user_id == user.id).order_by(Attempt.id.desc()))


def typed_right(aq):
    """Right answers, except typed ones (the page shows what the trainee typed: the key-leak check
    must not find the trainee's own words)."""
    return aq.qtype not in ("short", "numeric")


def page_form_data(attempt, page_html, page, *, go="next", right=None, skip=()):
    """The attempt page's form as a browser without JavaScript would post it."""
    data = {"csrf_token": csrf_from(page_html), "page": str(page), "go": go}
    per_page = attempt.policy["per_page"]
    for aq in attempt.questions:
        if aq.position // per_page != page or aq.position in skip:
            continue
        values = form_values_for(aq, right=typed_right(aq) if right is None else right)
        if aq.qtype == "matching":
            for i, value in enumerate(values):
                data[f"a{aq.position}.{i + 1}"] = value
        else:
            data[f"a{aq.position}"] = values if len(values) > 1 else values[0]
    return data


KEY_MARKERS = ["FBSINGLE", "FBMULT", "FBAON", "FBTF", "FBSHORT", "FBNUMERIC", "FBRANGE", "FBMATCH", "RATSINGLE",
               "RATMULT", "RATAON", "RATTF", "RATSHORT", "RATNUMERIC", "RATRANGE", "RATMATCH", "zebra omega",
               "zulu omega", "7341", "9120", "9130", "Terry v. Ohio", "1357(g)(1)", "1357(g)(3)", "is-key",
               "(correct answer)", "correct answer:", "data-correct", '"correct"', "correct=", "exam-review"]


def assert_no_key(pages):
    for html in pages:
        for marker in KEY_MARKERS:
            assert marker.lower() not in html.lower(), f"{marker!r} reached the browser"
        # Choice values are shown positions, never the authored ids (a, b, c...) that might reveal the key.
        for value in re.findall(r'<(?:input|option)[^>]*value="([^"]*)"', html):
            assert value == "" or value.isdigit() or value in ("true", "false", "y") or len(value) > 20 \
                or not value.isalpha(), value


def test_a_trainee_takes_an_exam_without_javascript_and_the_key_never_shows(client, world, clock):
    me = Browser(client, world.trainee.email)
    course = page_text(me.get("/course"))
    assert 'href="/exams/mixed-exam"' in course and "Mixed question types exam" in course
    assert re.search(r'data-state="not_started"[^>]*>\s*<a[^>]*href="/exams/mixed-exam"', course)
    exam_page = page_text(me.get("/exams/mixed-exam"))
    assert "30 minutes" in exam_page and "0 used, 2 left" in exam_page and "Start attempt 1" in exam_page

    response = me.post("/exams/mixed-exam/start", {"csrf_token": csrf_from(exam_page)})
    assert response.status_code == 302
    attempt = attempt_of(world.trainee)
    html = page_text(me.get(response.headers["Location"]))
    assert "page 1 of 3" in html and html.count('class="usa-fieldset exam-question"') == 3
    assert 'name="csrf-token"' in html and 'data-deadline="2026-03-02T14:30:00+00:00"' in html
    assert "style=" not in html and "onclick" not in html and "<script>" not in html

    # Page 1 by the form (the Save / Next buttons), page 2 by autosave, then the form again.
    response = me.post(f"/exams/attempts/{attempt.id}/save", page_form_data(attempt, html, 0))
    assert response.headers["Location"].endswith("page=2")
    html = page_text(me.get(response.headers["Location"]))
    token = csrf_from(html)
    for aq in [q for q in attempt.questions if q.position // 3 == 1]:
        values = form_values_for(aq, right=typed_right(aq))
        if aq.qtype == "matching":
            fields = [[f"a{aq.position}.{i + 1}", v] for i, v in enumerate(values)]
        else:
            fields = [[f"a{aq.position}", v] for v in values]
        saved = me.autosave(attempt.id, {"position": aq.position, "fields": fields, "flagged": aq.position == 4},
                            token)
        assert saved.status_code == 200 and saved.json["answered"] and saved.json["flagged"] == (aq.position == 4)
        assert saved.json["deadline"] == "2026-03-02T14:30:00+00:00"
    clock.advance(minutes=3)
    html = page_text(me.get(f"/exams/attempts/{attempt.id}?page=2"))  # a reload: the answers are there
    assert html.count('data-state="answered"') == 3
    assert 'aria-label="Question 5, answered, flagged, on this page"' in html
    last = page_form_data(attempt, html, 2, go="review", skip={7})
    response = me.post(f"/exams/attempts/{attempt.id}/save", last)
    assert response.headers["Location"].endswith(f"/exams/attempts/{attempt.id}/submit")
    confirm = page_text(me.get(response.headers["Location"]))
    assert "1 question not answered" in confirm and "Question 8." in confirm and "question 5 for review" in confirm

    assert_no_key(me.pages)  # everything served before submitting: no key, no feedback, no rationale

    response = me.post(f"/exams/attempts/{attempt.id}/submit", {"csrf_token": csrf_from(confirm)})
    assert response.headers["Location"].endswith(f"/exams/attempts/{attempt.id}/result")
    result = page_text(me.get(response.headers["Location"]))
    right = sum(1 for q in attempt.questions if typed_right(q) and q.position != 7)
    assert f"{100 * right / 8:g}%" in result and "FBSINGLEA" in result  # review: answers, after submit
    assert ("Passed" if right / 8 >= 0.6 else "Not passed") in result
    assert "RATMATCH" in result and "Question 8" in result and "Not answered" in result
    # A double click, a second tab, a replayed request: the same result, graded once.
    again = me.post(f"/exams/attempts/{attempt.id}/submit", {"csrf_token": csrf_from(confirm)})
    assert again.headers["Location"].endswith("/result")
    assert _db.session.scalar(select(func.count()).select_from(AuditEvent)
                              .where(AuditEvent.action == "attempt.finish")) == 1
    course = page_text(me.get("/course"))
    assert f'data-state="{"passed" if right / 8 >= 0.6 else "failed"}"' in course


def test_the_review_waits_for_the_policy_and_never_shows_keys_early(client, world, clock):
    me = Browser(client, world.trainee.email)
    exam_page = page_text(me.get("/exams/pool-exam"))
    assert "forward" in exam_page.lower()
    me.post("/exams/pool-exam/start", {"csrf_token": csrf_from(exam_page)})
    attempt = attempt_of(world.trainee)
    html = page_text(me.get(f"/exams/attempts/{attempt.id}"))
    assert "Previous page" not in html and 'name="go" value="q' not in html  # forward only: no way back
    response = me.post(f"/exams/attempts/{attempt.id}/save", page_form_data(attempt, html, 0, right=False))
    html = page_text(me.get(response.headers["Location"]))
    assert "page 2 of 3" in html
    stale = me.get(f"/exams/attempts/{attempt.id}?page=1")  # going back shows the page reached
    assert "page 2 of 3" in page_text(stale)
    refused = me.autosave(attempt.id, {"position": 0, "fields": [["a0", "1"]]}, csrf_from(html))
    assert refused.status_code == 409 and "forward only" in refused.json["message"]
    me.post(f"/exams/attempts/{attempt.id}/submit", {"csrf_token": csrf_from(html)})
    result = page_text(me.get(f"/exams/attempts/{attempt.id}/result"))
    assert "Not passed" in result and "review of your answers opens" in result
    assert "Right answer" not in result and "(your answer)" not in result
    # The "Right answer ..." choice texts are this bank's keys: only the review may show them as such.
    for page in me.pages:
        assert "(correct answer)" not in page


def test_the_result_of_an_attempt_past_its_time_finishes_it_at_its_deadline_then_shows_it(client, make_client, world,
                                                                                          clock):
    """An open attempt's result page leads back into it while time remains; past the deadline and grace it finishes the
    attempt (expired, at its deadline) and shows the result (lms.exams.review.finished_attempt reads it again)."""
    me = Browser(client, world.trainee.email)
    exam_page = page_text(me.get("/exams/mixed-exam"))
    me.post("/exams/mixed-exam/start", {"csrf_token": csrf_from(exam_page)})
    attempt = attempt_of(world.trainee)
    early = me.get(f"/exams/attempts/{attempt.id}/result")
    assert early.status_code == 302 and early.headers["Location"].endswith(f"/exams/attempts/{attempt.id}")
    clock.advance(hours=6)
    me = Browser(make_client(), world.trainee.email)  # (the session idled out meanwhile: a new log-in)
    result = page_text(me.get(f"/exams/attempts/{attempt.id}/result"))
    assert "the time ran out; finished at the deadline" in result and "You are certified" not in result
    attempt = attempt_of(world.trainee)
    assert attempt.status == "finished" and attempt.finish_reason == "expired"
    assert attempt.finished_at == attempt.deadline_at


def test_the_result_page_of_the_attempt_that_completed_the_track_announces_the_certificate(client, kit):
    certification = kit.certified()
    attempt = _db.session.scalars(select(Attempt).where(Attempt.enrollment_id == certification.enrollment_id)
                                  .order_by(Attempt.id.desc())).first()
    # (the kit grades with a bare pass mark: the policy of an exam that shows the score once submitted)
    attempt.policy = ExamPolicy.from_blueprint({"pass_mark": 70, "time_limit_minutes": 30, "attempts": 2,
                                                "review": {"show": "score"}}).as_dict()
    _db.session.commit()
    login(client, _db.session.get(User, certification.user_id).email)
    result = page_text(client.get(f"/exams/attempts/{attempt.id}/result"))
    assert "You are certified" in result and certification.number in result
    assert f"/certificates/{certification.number}" in result


def test_another_trainees_attempt_is_a_404_everywhere(client, make_client, world, clock):
    owner = Browser(client, world.trainee.email)
    exam_page = page_text(owner.get("/exams/mixed-exam"))
    owner.post("/exams/mixed-exam/start", {"csrf_token": csrf_from(exam_page)})
    attempt = attempt_of(world.trainee)
    intruder = Browser(make_client(), world.other.email)
    token = csrf_from(page_text(intruder.get("/exams/mixed-exam")))
    for url in (f"/exams/attempts/{attempt.id}", f"/exams/attempts/{attempt.id}/result",
                f"/exams/attempts/{attempt.id}/submit", f"/exams/attempts/{attempt.id}/status"):
        assert intruder.get(url).status_code == 404, url
    assert intruder.post(f"/exams/attempts/{attempt.id}/save", {"csrf_token": token, "page": "0"}).status_code == 404
    assert intruder.post(f"/exams/attempts/{attempt.id}/submit", {"csrf_token": token}).status_code == 404
    assert intruder.autosave(attempt.id, {"position": 0, "fields": [["a0", "1"]]}, token).status_code == 404
    assert _db.session.scalar(select(func.count()).select_from(AnswerLog)) == 0
    assert attempt_of(world.trainee).status == "open"


def test_autosave_needs_the_csrf_header_and_refuses_after_the_deadline(client, world, clock):
    me = Browser(client, world.trainee.email)
    exam_page = page_text(me.get("/exams/mixed-exam"))
    me.post("/exams/mixed-exam/start", {"csrf_token": csrf_from(exam_page)})
    attempt = attempt_of(world.trainee)
    token = csrf_from(page_text(me.get(f"/exams/attempts/{attempt.id}")))
    aq = attempt.questions[0]
    body = {"position": 0, "fields": [[f"a0.{i + 1}" if aq.qtype == "matching" else "a0", v]
                                      for i, v in enumerate(form_values_for(aq))]}
    assert client.post(f"/exams/attempts/{attempt.id}/autosave", json=body).status_code == 400  # no token
    assert me.autosave(attempt.id, {"position": "0"}, token).status_code == 400
    assert me.autosave(attempt.id, {"position": 99, "fields": []}, token).status_code == 404
    single = next(q for q in attempt.questions if q.qtype == "single")
    for value in ("a", "0", "4", "zz"):
        bad = me.autosave(attempt.id, {"position": single.position, "fields": [[f"a{single.position}", value]]}, token)
        assert bad.status_code == 400, value
    wrong = {"position": 0, "fields": [[f"a0.{i + 1}" if aq.qtype == "matching" else "a0", v]
                                       for i, v in enumerate(form_values_for(aq, right=False))]}
    clock.advance(minutes=20)
    assert me.autosave(attempt.id, wrong, token).status_code == 200  # activity keeps the session alive
    clock.advance(minutes=10, seconds=20)  # after the deadline, inside the grace: still accepted
    assert me.autosave(attempt.id, body, token).status_code == 200
    clock.advance(minutes=1)
    late = me.autosave(attempt.id, body, token)
    assert late.status_code == 409 and late.json["error"] == "closed"
    # The next page load finishes the attempt at its deadline.
    assert me.get(f"/exams/attempts/{attempt.id}").headers["Location"].endswith("/result")
    finished = attempt_of(world.trainee)
    assert finished.finish_reason == "expired" and finished.finished_at == finished.deadline_at
    assert finished.points == 1


def test_start_is_refused_while_the_week_is_closed(client, world, clock):
    me = Browser(client, world.trainee.email)
    page = page_text(me.get("/exams/later-exam"))
    assert "not open yet" in page and "Start attempt" not in page
    response = me.post("/exams/later-exam/start", {"csrf_token": csrf_from(page)})
    assert response.status_code == 302
    assert "not open yet" in page_text(me.get("/exams/later-exam"))
    assert attempt_of(world.trainee) is None
    assert me.get("/exams/no-such-exam").status_code == 404


def test_the_timer_and_the_rules_page_know_the_time(client, world, clock):
    from lms.exams import grants
    from lms.models import Exam

    grants.set_time_multiplier(world.enrollment, 1.5, actor=world.instructor, now=clock())
    _db.session.commit()
    me = Browser(client, world.trainee.email)
    page = page_text(me.get("/exams/mixed-exam"))
    assert "45 minutes" in page
    me.post("/exams/mixed-exam/start", {"csrf_token": csrf_from(page)})
    attempt = attempt_of(world.trainee)
    clock.advance(minutes=10)
    html = page_text(me.get(f"/exams/attempts/{attempt.id}"))
    assert 'data-deadline="2026-03-02T14:45:00+00:00"' in html and 'data-server-now="2026-03-02T14:10:00+00:00"' in html
    assert "0:35:00" in html and 'role="timer"' in html and 'aria-live="polite"' in html
    exam = _db.session.scalar(select(Exam).where(Exam.slug == "mixed-exam"))
    grants.grant_extra_time(world.enrollment, exam, minutes=5, actor=world.instructor, now=clock())
    _db.session.commit()
    status = client.get(f"/exams/attempts/{attempt.id}/status").json
    assert status["deadline"] == "2026-03-02T14:50:00+00:00" and status["status"] == "open"
    assert (attempt_of(world.trainee).deadline_at - attempt.started_at) == timedelta(minutes=50)


@pytest.mark.parametrize("url", ["/exams/mixed-exam", "/results"])
def test_pages_need_the_right_role(client, world, url):
    login(client, world.instructor.email if url.startswith("/exams") else world.trainee.email)
    assert client.get(url).status_code == 403
