"""An exam never ends on an error page: the session lasts while the attempt is open (within the absolute
limit), an ended session or an out-of-date form leads to log-in or to the result, never to "Form
expired"; Enter saves in place; times are shown in the program's time zone."""
import re
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from lms.extensions import db as _db

from ..conftest import PASSWORD, csrf_from, csrf_token, login
from ..factories import form_values_for
from .test_views import Browser, attempt_of, page_text

JSON = {"Accept": "application/json"}


@pytest.fixture
def short_idle(app, monkeypatch):
    """A 10-minute idle timeout (the mixed exam lasts 30 minutes)."""
    monkeypatch.setitem(app.config, "IDLE_TIMEOUT_MINUTES", 10)


def start_mixed(me):
    page = page_text(me.get("/exams/mixed-exam"))
    me.post("/exams/mixed-exam/start", {"csrf_token": csrf_from(page)})


def answer_body(aq, *, right=True):
    return {"position": aq.position, "fields": [[f"a{aq.position}.{i + 1}" if aq.qtype == "matching" else
                                                 f"a{aq.position}", v]
                                                for i, v in enumerate(form_values_for(aq, right=right))]}


def next_of(location: str) -> str:
    return unquote(parse_qs(urlsplit(location).query)["next"][0])


# -- the session lasts while the attempt is open --------------------------------------------------


def test_an_open_exam_page_keeps_the_session_alive_past_the_idle_timeout(client, world, clock, short_idle):
    me = Browser(client, world.trainee.email)
    start_mixed(me)
    attempt = attempt_of(world.trainee)
    token = csrf_from(page_text(me.get(f"/exams/attempts/{attempt.id}")))
    for _ in range(3):  # 24 minutes without an answer changed: only the page's status checks
        clock.advance(minutes=8)
        status = client.get(f"/exams/attempts/{attempt.id}/status", headers=JSON)
        assert status.status_code == 200 and status.json["status"] == "open"
    saved = me.autosave(attempt.id, answer_body(attempt.questions[0]), token)
    assert saved.status_code == 200 and saved.json["ok"]


def test_status_checks_of_a_finished_or_overdue_attempt_are_not_activity(client, world, clock, short_idle):
    me = Browser(client, world.trainee.email)
    start_mixed(me)
    attempt = attempt_of(world.trainee)
    page = page_text(me.get(f"/exams/attempts/{attempt.id}/submit"))
    me.post(f"/exams/attempts/{attempt.id}/submit", {"csrf_token": csrf_from(page)})
    assert attempt_of(world.trainee).status == "finished"
    clock.advance(minutes=8)
    assert client.get(f"/exams/attempts/{attempt.id}/status", headers=JSON).status_code == 200
    clock.advance(minutes=8)  # 16 minutes since the last real request
    ended = client.get(f"/exams/attempts/{attempt.id}/status", headers=JSON)
    assert ended.status_code == 401 and ended.json["error"] == "session_ended"
    assert "inactivity" in ended.json["message"]
    assert client.get("/course").status_code == 302


def test_status_checks_after_the_deadline_do_not_keep_the_session(client, world, clock, short_idle):
    me = Browser(client, world.trainee.email)
    start_mixed(me)
    attempt = attempt_of(world.trainee)
    clock.advance(minutes=25)
    me.get(f"/exams/attempts/{attempt.id}")
    for _ in range(2):  # the attempt is overdue (30 minutes), unfinished only because nobody asked
        clock.advance(minutes=6)
        status = client.get(f"/exams/attempts/{attempt.id}/status", headers=JSON)
    assert status.status_code == 401
    # After log-in, the attempt (finished at its deadline) shows its result.
    assert login(client, world.trainee.email).status_code == 302
    assert client.get(f"/exams/attempts/{attempt.id}").headers["Location"].endswith("/result")


def test_the_absolute_session_limit_still_ends_an_exam_session(client, world, clock, app, monkeypatch, short_idle):
    from lms.exams import grants
    from lms.models import Exam
    from sqlalchemy import select

    monkeypatch.setitem(app.config, "SESSION_MAX_HOURS", 1)
    exam = _db.session.scalar(select(Exam).where(Exam.slug == "mixed-exam"))
    grants.grant_extra_time(world.enrollment, exam, minutes=90, actor=world.instructor, now=clock())
    _db.session.commit()
    me = Browser(client, world.trainee.email)
    logged_in_at = clock()
    start_mixed(me)
    attempt = attempt_of(world.trainee)
    html = page_text(me.get(f"/exams/attempts/{attempt.id}"))
    # The page knows when the session ends, so it can warn before; and how often to check in.
    ends = (logged_in_at + timedelta(hours=1)).isoformat()
    assert f'data-session-ends="{ends}"' in html and 'data-check-in="60"' in html
    for _ in range(8):  # alive at 56 minutes, ended at 64
        clock.advance(minutes=8)
        status = client.get(f"/exams/attempts/{attempt.id}/status", headers=JSON)
        if status.status_code != 200:
            break
    assert clock() - logged_in_at > timedelta(hours=1)
    assert status.status_code == 401 and "maximum length" in status.json["message"]


def test_the_check_in_interval_is_well_inside_a_short_idle_timeout(client, world, app, monkeypatch):
    monkeypatch.setitem(app.config, "IDLE_TIMEOUT_MINUTES", 1)
    me = Browser(client, world.trainee.email)
    start_mixed(me)
    attempt = attempt_of(world.trainee)
    html = page_text(me.get(f"/exams/attempts/{attempt.id}"))
    assert 'data-check-in="20"' in html


# -- an ended session or an out-of-date form: log-in or the result, never an error page ---------------


def test_the_deadline_submit_after_the_session_ended_leads_to_log_in_then_the_result(client, world, clock):
    me = Browser(client, world.trainee.email)
    start_mixed(me)
    attempt = attempt_of(world.trainee)
    html = page_text(me.get(f"/exams/attempts/{attempt.id}?page=2"))
    token = csrf_from(html)
    assert me.autosave(attempt.id, answer_body(attempt.questions[0]), token).status_code == 200
    # The login link the page offers when the session ends comes back to this page.
    link = re.search(r'id="exam-login-link" href="([^"]+)"', html).group(1).replace("&amp;", "&")
    assert next_of(link) == f"/exams/attempts/{attempt.id}?page=2"

    client.delete_cookie("lms_session")  # the browser dropped the expired session cookie
    clock.advance(minutes=30)
    autosave = client.post(f"/exams/attempts/{attempt.id}/autosave", json=answer_body(attempt.questions[1]),
                           headers={"X-CSRFToken": token})
    assert autosave.status_code == 401 and autosave.json["error"] == "session_ended"
    status = client.get(f"/exams/attempts/{attempt.id}/status", headers=JSON)
    assert status.status_code == 401 and status.json["error"] == "session_ended"

    submit = client.post(f"/exams/attempts/{attempt.id}/submit", data={"csrf_token": token})
    assert submit.status_code == 302 and urlsplit(submit.headers["Location"]).path == "/login"
    assert next_of(submit.headers["Location"]) == f"/exams/attempts/{attempt.id}"
    notice = client.get(submit.headers["Location"], follow_redirects=True)
    assert notice.status_code == 200 and "Your session had ended" in page_text(notice)
    assert "Form expired" not in page_text(notice)
    assert attempt_of(world.trainee).status == "open"  # nothing was submitted by that request

    clock.advance(seconds=31)  # past the grace: the attempt is graded at its deadline when next seen
    client.post("/notice", data={"acknowledge": "y", "csrf_token": csrf_token(client, "/notice")})
    back = client.post(f"/login?next=/exams/attempts/{attempt.id}",
                       data={"email": world.trainee.email, "password": PASSWORD,
                             "csrf_token": csrf_token(client, "/login")})
    assert back.headers["Location"] == f"/exams/attempts/{attempt.id}"
    result = client.get(back.headers["Location"], follow_redirects=True)
    finished = attempt_of(world.trainee)
    assert finished.finish_reason == "expired" and finished.points == 1
    assert result.status_code == 200 and "Result:" in page_text(result)


def test_a_stale_form_on_an_attempt_graded_at_the_deadline_shows_its_result(client, world, clock):
    me = Browser(client, world.trainee.email)
    start_mixed(me)
    attempt = attempt_of(world.trainee)
    old = csrf_from(page_text(me.get(f"/exams/attempts/{attempt.id}")))
    me.post("/logout", {"csrf_token": old})  # then logged in again (another tab): a new session, a new token
    login(client, world.trainee.email)
    clock.advance(minutes=30, seconds=31)
    response = client.post(f"/exams/attempts/{attempt.id}/submit", data={"csrf_token": old})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/attempts/{attempt.id}/result")
    assert attempt_of(world.trainee).finish_reason == "expired"


def test_a_stale_form_on_an_open_attempt_submits_nothing_and_says_so(client, world, clock):
    me = Browser(client, world.trainee.email)
    start_mixed(me)
    attempt = attempt_of(world.trainee)
    old = csrf_from(page_text(me.get(f"/exams/attempts/{attempt.id}")))
    me.post("/logout", {"csrf_token": old})
    login(client, world.trainee.email)
    for action, data in (("submit", {}), ("save", {"page": "0", "go": "stay", "flag0": "y"})):
        response = client.post(f"/exams/attempts/{attempt.id}/{action}", data={"csrf_token": old, **data})
        html = page_text(response)
        assert response.status_code == 400 and "Your exam page was out of date" in html
        assert f'href="/exams/attempts/{attempt.id}">Return to your exam' in html and "Form expired" not in html
    assert attempt_of(world.trainee).status == "open" and not attempt_of(world.trainee).questions[0].is_flagged
    autosave = client.post(f"/exams/attempts/{attempt.id}/autosave", json=answer_body(attempt.questions[0]),
                           headers={"X-CSRFToken": old})
    assert autosave.status_code == 400 and autosave.json["error"] == "token"
    # The page's status check hands it the session's token, and the save goes through.
    fresh = client.get(f"/exams/attempts/{attempt.id}/status", headers=JSON).json["csrf"]
    autosave = client.post(f"/exams/attempts/{attempt.id}/autosave", json=answer_body(attempt.questions[0]),
                           headers={"X-CSRFToken": fresh})
    assert autosave.status_code == 200
    # When the time is up (inside the grace), the deadline submit lands on the submit page, whose script
    # submits again with the session's token.
    clock.advance(minutes=30, seconds=5)
    response = client.post(f"/exams/attempts/{attempt.id}/submit", data={"csrf_token": old})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/attempts/{attempt.id}/submit")
    assert attempt_of(world.trainee).status == "open"


def _tokens_out(html: str) -> str:
    return re.sub(r'(name="csrf_token"[^>]*value=")[^"]+"', r'\1…"', html)


def test_a_stale_form_on_someone_elses_attempt_reveals_nothing(client, make_client, world, clock):
    other = Browser(make_client(), world.other.email)
    start_mixed(other)
    theirs = attempt_of(world.other)
    login(client, world.trainee.email)
    clock.advance(minutes=45)  # theirs is overdue: a stale form must not finish it either
    response = client.post(f"/exams/attempts/{theirs.id}/submit", data={"csrf_token": "stale"})
    nothing = client.post("/exams/attempts/999999/submit", data={"csrf_token": "stale"})
    assert response.status_code == nothing.status_code == 400
    # The same page (the CSRF tokens aside: they carry the second they were signed in).
    assert _tokens_out(page_text(response).replace(f"/attempts/{theirs.id}\"", "/attempts/N\"")) == \
        _tokens_out(page_text(nothing).replace("/attempts/999999\"", "/attempts/N\""))
    assert "Return to the exam page" in page_text(response)
    assert attempt_of(world.other).status == "open"


def test_an_idle_session_ending_on_a_form_post_returns_to_the_page_it_came_from(client, world, clock):
    me = Browser(client, world.trainee.email)
    start_mixed(me)
    attempt = attempt_of(world.trainee)
    page = f"/exams/attempts/{attempt.id}/submit"
    token = csrf_from(page_text(me.get(page)))
    clock.advance(minutes=31)  # the cookie is still there (the browser's clock), the session is idle
    response = client.post(page, data={"csrf_token": token}, headers={"Referer": f"http://localhost{page}"})
    assert response.status_code == 302 and next_of(response.headers["Location"]) == page
    assert attempt_of(world.trainee).status == "open"


# -- Enter saves in place ---------------------------------------------------------------------------


def test_the_attempt_forms_default_button_saves_the_page_in_place(client, world, clock):
    me = Browser(client, world.trainee.email)
    start_mixed(me)
    attempt = attempt_of(world.trainee)
    html = page_text(me.get(f"/exams/attempts/{attempt.id}?page=2"))
    form = html[html.index('id="exam-form"'):]
    # Enter in a field presses the form's first submit button: it must be "save and stay".
    first = re.search(r'<button[^>]*type="submit"[^>]*>', form).group(0)
    assert 'name="go"' in first and 'value="stay"' in first
    assert form.index(first) < form.index('data-nav="1"')
    aq = attempt.questions[3]
    data = {"csrf_token": csrf_from(html), "page": "1", "go": "stay"}
    data.update({k: v for k, v in answer_body(aq)["fields"]})
    response = client.post(f"/exams/attempts/{attempt.id}/save", data=data)
    assert response.headers["Location"].endswith(f"/exams/attempts/{attempt.id}?page=2")
    assert attempt_of(world.trainee).questions[3].response is not None


def test_a_skip_link_leads_past_the_question_panel_to_the_first_question(client, world, clock):
    me = Browser(client, world.trainee.email)
    start_mixed(me)
    attempt = attempt_of(world.trainee)
    html = page_text(me.get(f"/exams/attempts/{attempt.id}?page=2"))
    skip = re.search(r'<a class="exam-skip" href="#q(\d+)">Skip to question (\d+)</a>', html)
    assert skip and skip.group(1) == skip.group(2) == "4"
    assert html.index("exam-skip") < html.index('data-nav="1"') < html.index('id="q4"')
    assert re.search(r'<fieldset[^>]*id="q4"[^>]*tabindex="-1"', html)


# -- times in the program's time zone ---------------------------------------------------------------


def test_times_are_shown_in_the_program_time_zone_with_its_abbreviation(app):
    from lms.clock import format_date, format_time, format_utc

    winter = datetime(2026, 3, 2, 14, 45, tzinfo=timezone.utc)
    summer = datetime(2026, 7, 1, 3, 5, tzinfo=timezone.utc)
    with app.app_context():
        assert format_time(winter) == "March 2, 2026, 9:45 AM EST"
        assert format_time(winter, "time") == "9:45 AM EST"
        assert format_time(summer, "time") == "11:05 PM EDT"
        assert format_date(summer) == "June 30, 2026"  # the program's date, not UTC's
        assert format_utc(summer) == "2026-07-01 03:05 UTC"
        assert format_time(None) == format_date(None) == format_utc(None) == ""


def test_exam_and_result_pages_show_program_time_and_the_audit_log_utc(client, make_client, world, clock, app,
                                                                        monkeypatch, factory):
    from lms.models import Role

    me = Browser(client, world.trainee.email)
    start_mixed(me)
    attempt = attempt_of(world.trainee)
    html = page_text(me.get(f"/exams/attempts/{attempt.id}"))
    assert "Deadline <span class=\"exam-time\">9:30 AM EST</span>" in html and "UTC" not in html
    assert 'data-timezone="America/New_York"' in html
    exam_page = page_text(me.get("/exams/mixed-exam"))
    assert "the deadline is <strong>March 2, 2026, 9:30 AM EST</strong>" in exam_page
    monkeypatch.setitem(app.config, "TIMEZONE", "America/Los_Angeles")
    page = page_text(me.get(f"/exams/attempts/{attempt.id}/submit"))
    me.post(f"/exams/attempts/{attempt.id}/submit", {"csrf_token": csrf_from(page)})
    result = page_text(me.get(f"/exams/attempts/{attempt.id}/result"))
    assert "March 2, 2026, 6:00 AM PST" in result and "UTC" not in result
    factory.user(Role.ADMIN, email="admin@example.test")
    admin = make_client()
    login(admin, "admin@example.test")
    audit = page_text(admin.get("/admin/audit"))
    assert "2026-03-02 14:00 UTC" in audit and "PST" not in audit
