"""The attempt's pages as issue #15 left them lean: the exam's own header instead of the site's menus, one row
for the attempt, only the page's own questions read (the panel from columns), the pinned versions kept per
process by (version id, content hash), and the same rules as before (only the owner, only while open)."""
import re

from sqlalchemy import event, update

from lms.exams.draw import forget_version_data
from lms.extensions import db as _db
from lms.models import QuestionVersion
from lms.notifications.service import notify

from ..conftest import csrf_from
from .test_exam_day import answer_body, start_mixed
from .test_views import Browser, attempt_of, page_text


def test_the_exam_pages_have_their_own_header_without_the_site_menus(client, world, clock):
    notify(world.trainee, kind="exam_result", key="unread", subject="Unread", body="Unread", now=clock())
    _db.session.commit()
    me = Browser(client, world.trainee.email)
    rules = page_text(me.get("/exams/mixed-exam"))
    assert 'aria-label="Primary navigation"' in rules and 'id="unread-count"' in rules  # the site's header
    start_mixed(me)
    attempt = attempt_of(world.trainee)
    for url in (f"/exams/attempts/{attempt.id}?page=1", f"/exams/attempts/{attempt.id}/submit"):
        html = page_text(me.get(url))
        assert "Primary navigation" not in html and "Site pages" not in html, url  # no menus while answering
        assert "Notifications" not in html and "unread-count" not in html, url
        start = html.index('<header class="usa-header')
        header = html[start:html.index("</header>", start)]
        assert "Terry Trainee" in header
        logout = re.search(r'<form method="post" action="/logout"[^>]*>\s*<input type="hidden" name="csrf_token" '
                           r'value="([^"]+)">\s*<button[^>]*>Log out</button>', header)
        assert logout and logout.group(1) == csrf_from(html)
        # The landmarks and the skip link of every page stay.
        assert '<a class="usa-skipnav" href="#main-content">' in html and '<main id="main-content"' in html
        assert "<footer" in html and "Mixed question types exam" in html


def started_with_two_saves(client, world):
    """The trainee's mixed exam started, its first question answered and its fifth answered and flagged:
    (the trainee's Browser, the attempt)."""
    me = Browser(client, world.trainee.email)
    start_mixed(me)
    attempt = attempt_of(world.trainee)
    token = csrf_from(page_text(me.get(f"/exams/attempts/{attempt.id}")))
    first, fifth = attempt.questions[0], attempt.questions[4]
    assert me.autosave(attempt.id, answer_body(first), token).status_code == 200
    assert me.autosave(attempt.id, {**answer_body(fifth), "flagged": True}, token).status_code == 200
    return me, attempt


def test_a_page_shows_its_own_questions_with_their_answers_and_the_panel_all_of_them(client, world, clock):
    me, attempt = started_with_two_saves(client, world)

    html = page_text(me.get(f"/exams/attempts/{attempt.id}?page=2"))  # questions 4 to 6 (3 a page)
    assert re.findall(r'<fieldset[^>]*id="q(\d+)"', html) == ["4", "5", "6"]
    assert re.findall(r'data-nav="(\d+)"', html) == [str(n) for n in range(1, 9)]
    assert 'aria-label="Question 1, answered"' in html and 'aria-label="Question 2, unanswered"' in html
    assert 'aria-label="Question 5, answered, flagged, on this page"' in html
    assert re.search(r'id="flag4" type="checkbox" name="flag4" value="y" checked', html)
    assert 'id="q5-state" data-state="answered"' in html and 'id="q6-state" data-state="unanswered"' in html
    assert "of 8</span>" in html and "page 2 of 3" in html
    # A page beyond the last shows the last one.
    last = page_text(me.get(f"/exams/attempts/{attempt.id}?page=99"))
    assert re.findall(r'<fieldset[^>]*id="q(\d+)"', last) == ["7", "8"] and "page 3 of 3" in last


def test_pinned_versions_are_kept_by_content_hash_and_read_again_when_it_differs(app, client, world, clock):
    """A question version never changes, so a page reads its data once per process; a database rebuilt under
    the same ids (another content hash) is read again, never served the data kept for the old one."""
    me = Browser(client, world.trainee.email)
    start_mixed(me)
    attempt = attempt_of(world.trainee)
    url = f"/exams/attempts/{attempt.id}?page=1"
    version_id = attempt.questions[0].question_version_id
    forget_version_data()
    statements = []
    listen = lambda *args: statements.append(args[2])  # noqa: E731 (the statement)
    event.listen(_db.engine, "before_cursor_execute", listen)
    try:
        me.get(url)
        read_first = [s for s in statements if "FROM question_version" in s.split("JOIN")[0]]
        statements.clear()
        me.get(url)
        read_again = [s for s in statements if "FROM question_version" in s.split("JOIN")[0]]
    finally:
        event.remove(_db.engine, "before_cursor_execute", listen)
    assert len(read_first) == 1 and read_again == []

    version = _db.session.get(QuestionVersion, version_id)
    rendered = {**version.rendered, "stem": "<p>Rebuilt under the same id</p>"}
    _db.session.execute(update(QuestionVersion).where(QuestionVersion.id == version_id)
                        .values(content_hash="0" * 64, rendered=rendered))
    _db.session.commit()
    assert "Rebuilt under the same id" in page_text(me.get(url))


def test_a_finished_or_overdue_attempt_leads_its_pages_to_the_result(client, world, clock):
    me = Browser(client, world.trainee.email)
    start_mixed(me)
    attempt = attempt_of(world.trainee)
    for _ in range(3):  # the open exam's check-ins keep the session alive
        clock.advance(minutes=10)
        assert me.get(f"/exams/attempts/{attempt.id}/status").status_code == 200
    clock.advance(minutes=1)  # past the 30 minutes and the grace: the first page asked finishes it
    response = me.get(f"/exams/attempts/{attempt.id}?page=1")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/exams/attempts/{attempt.id}/result")
    finished = attempt_of(world.trainee)
    assert finished.status == "finished" and finished.finish_reason == "expired"
    assert finished.finished_at == finished.deadline_at
    for url in (f"/exams/attempts/{attempt.id}", f"/exams/attempts/{attempt.id}/submit"):
        response = me.get(url)
        assert response.status_code == 302 and response.headers["Location"].endswith("/result"), url
