"""Exam day in a real browser: an exam never ends on an error page.

A server of its own with a one-minute idle timeout, sessions of an hour at most, and short exams (its content
is the bundled course with the first week's exam shortened to three minutes over a fixed set of every question
type, and the second week's to one minute) holds the session tests: an exam left alone past the idle timeout still
submits; the timer reaches zero and the page submits to the result; a session that ends mid-exam is
announced at once, the answers stay, and log-in leads back to the attempt. On the shared server, a whole
exam taken with the keyboard alone, and timer warnings announced without moving focus (the page's own
clock is fast-forwarded; the server's is real). Waits are for browser events only.
"""
import re
import shutil
import subprocess
import sys
import time

import pytest
import yaml

from conftest import DESKTOP, PHONE, PROJECT_ROOT, Recorder, start_server  # tests/browser/conftest.py
from conftest import log_in as conftest_log_in

pytestmark = pytest.mark.browser

PASSWORD = "amber meadow compass ninety"
CUSTODY_COHORT = "Demo custody assistant cohort"
OFFICER_COHORT = "Demo officer cohort"

# Run in a server's instance (its database), through the app's services: trainees of the demo agency
# enrolled in a demo cohort, with a known password.
ADD_TRAINEES = r"""
import sys
from sqlalchemy import select
from lms.app import create_app
from lms.accounts.users import create_user
from lms.clock import utcnow
from lms.cohorts.roster import enroll
from lms.extensions import db
from lms.models import Cohort, Role

cohort_name, password, emails = sys.argv[1], sys.argv[2], sys.argv[3:]
app = create_app()
with app.app_context():
    cohort = db.session.scalar(select(Cohort).where(Cohort.name == cohort_name))
    for email in emails:
        user = create_user(email=email, name=email.split("@")[0].replace(".", " ").title(), role=Role.TRAINEE,
                           password=password, agency=cohort.agencies[0], now=utcnow())
        enroll(user, cohort, now=utcnow())
    db.session.commit()
"""


def add_trainee(server, email, cohort=CUSTODY_COHORT):
    """A new trainee of the demo agency in a demo cohort (weeks 1 and 2 open), password PASSWORD."""
    result = subprocess.run([sys.executable, "-c", ADD_TRAINEES, cohort, PASSWORD, email], cwd=PROJECT_ROOT,
                            env=server.env(), capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return email


GRANT_EXTRA_TIME = r"""
import sys
from sqlalchemy import select
from lms.app import create_app
from lms.clock import utcnow
from lms.exams.grants import grant_extra_time
from lms.extensions import db
from lms.models import Enrollment, Exam, User

email, slug, minutes = sys.argv[1], sys.argv[2], int(sys.argv[3])
app = create_app()
with app.app_context():
    trainee = db.session.scalar(select(User).where(User.email == email))
    enrollment = db.session.scalar(select(Enrollment).where(Enrollment.user_id == trainee.id))
    instructor = db.session.scalar(select(User).where(User.email == "instructor@demo.example"))
    exam = db.session.scalar(select(Exam).where(Exam.slug == slug))
    grant_extra_time(enrollment, exam, minutes=minutes, actor=instructor, now=utcnow())
    db.session.commit()
"""


def grant_extra_time(server, email, slug, minutes):
    """The demo instructor gives the trainee extra minutes for their next attempt of the exam."""
    result = subprocess.run([sys.executable, "-c", GRANT_EXTRA_TIME, email, slug, str(minutes)], cwd=PROJECT_ROOT,
                            env=server.env(), capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr


def short_content(folder):
    """The bundled course, with week 1's exam three minutes long over the fixture bank of every question
    type (fixed order, three per page) and week 2's exam one minute long."""
    for name in ("curriculum", "question_banks"):
        shutil.copytree(PROJECT_ROOT / name, folder / name)
    shutil.copy(PROJECT_ROOT / "tests" / "fixtures" / "exam_content" / "question_banks" / "mixed.yml",
                folder / "question_banks" / "mixed.yml")
    exams = folder / "curriculum" / "exams"
    agreement = (exams / "agreement-exam.yml").read_text()
    agreement = re.sub(r"time_limit_minutes: \d+", "time_limit_minutes: 3", agreement)
    agreement = re.sub(r"shuffle_questions: true", "shuffle_questions: false", agreement)
    agreement = re.sub(r"per_page: \d+", "per_page: 3", agreement)
    agreement = re.sub(r"no_repeats: true", "no_repeats: false", agreement)
    agreement = agreement[:agreement.index("draw:")] + "draw:\n  - {bank: mixed, count: 8}\n"
    (exams / "agreement-exam.yml").write_text(agreement)
    law = (exams / "immigration-law-exam.yml").read_text()
    (exams / "immigration-law-exam.yml").write_text(re.sub(r"time_limit_minutes: \d+", "time_limit_minutes: 1", law))
    return folder


@pytest.fixture(scope="module")
def short_server(tmp_path_factory):
    content = short_content(tmp_path_factory.mktemp("short-content"))
    server = start_server(tmp_path_factory.mktemp("short-instance"),
                          settings={"LMS_IDLE_TIMEOUT_MINUTES": "1", "LMS_SESSION_MAX_HOURS": "1",
                                    "LMS_CONTENT_ROOT": str(content)})
    yield server
    server.stop()


def new_page(browser, server, viewport=DESKTOP, **options):
    context = browser.new_context(viewport=viewport, base_url=server.url, **options)
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.recorder = Recorder(context)
    return context, page


@pytest.fixture
def short_page(browser, short_server):
    context, page = new_page(browser, short_server)
    yield page
    context.close()


def log_in(page, email, *, from_notice=True):
    conftest_log_in(page, email, PASSWORD, from_notice=from_notice)


def logged_in(page):
    """Wait until the log-in has landed (checking a password takes a while on a busy machine)."""
    page.wait_for_url(lambda url: "/login" not in url and "/notice" not in url, timeout=30_000)


def start_exam(page, slug):
    from playwright.sync_api import expect

    page.goto(f"/exams/{slug}")
    page.get_by_role("button", name="Start attempt 1").click()
    expect(page.locator("#exam-timer")).to_be_visible()
    # The page's script has run once the page has loaded: it reads the server's clock against the browser's when
    # it starts, so a test that moves the browser's clock before that would move the server's clock with it.
    page.wait_for_load_state("load")
    return int(re.search(r"/attempts/(\d+)", page.url).group(1))


def answer(question, text="a typed answer"):
    """Answer one question the way a person would (by mouse), and wait until it is saved."""
    from playwright.sync_api import expect

    kind = question.get_attribute("data-qtype")
    if kind in ("single", "true_false"):
        question.locator("label.usa-radio__label").first.click()
    elif kind == "multiple":
        question.locator(".usa-checkbox:not(.exam-flag) label").first.click()
    elif kind in ("short", "numeric"):
        question.locator("input[type=text]").fill("12" if kind == "numeric" else text)
    elif kind == "matching":
        selects = question.locator("select")
        for j in range(selects.count()):
            selects.nth(j).select_option(index=j + 1)
    expect(question.locator(".exam-save-state")).to_have_attribute("data-state", "answered")


def submit_from_the_page(page):
    from playwright.sync_api import expect

    page.get_by_role("button", name="Review and submit").click()
    page.get_by_role("button", name="Submit my answers for grading").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"^Result: "))


def kept_in_browser(page, attempt_id):
    return page.evaluate("id => JSON.parse(localStorage.getItem('lms-exam-' + id) || '{}')", attempt_id)


def test_an_exam_left_alone_past_the_idle_timeout_still_submits(short_page, short_server):
    from playwright.sync_api import expect

    page = short_page
    log_in(page, add_trainee(short_server, "idle.ida@demo.example"))
    start_exam(page, "agreement-exam")
    questions = page.locator("fieldset.exam-question")
    answer(questions.nth(0))
    # Then nothing for longer than the one-minute idle timeout: only the page's own check-ins reach the
    # server (every 20 seconds). Each is waited for as it happens.
    quiet_since = time.monotonic()
    while time.monotonic() - quiet_since < 70:
        response = page.wait_for_event("response", lambda r: "/status" in r.url, timeout=45_000)
        assert response.status == 200
    expect(page.locator("#exam-session-ended")).to_be_hidden()
    answer(questions.nth(1))  # the session is alive: the next answer is saved
    submit_from_the_page(page)
    assert "Form expired" not in page.content()
    assert page.recorder.errors == []


def test_the_timer_reaches_zero_and_the_page_submits_to_the_result(short_page, short_server):
    from playwright.sync_api import expect

    page = short_page
    log_in(page, add_trainee(short_server, "timer.tom@demo.example"))
    attempt_id = start_exam(page, "immigration-law-exam")  # one minute
    answer(page.locator("fieldset.exam-question").first)
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"^Result: "), timeout=100_000)
    assert page.url.endswith(f"/exams/attempts/{attempt_id}/result")
    expect(page.locator(".exam-score")).to_have_text(re.compile(r"^\d+(\.\d)?%$"))
    assert "Form expired" not in page.content()
    assert page.recorder.errors == []


def test_a_session_that_ends_mid_exam_is_announced_and_log_in_returns_to_the_attempt(short_page, short_server):
    from playwright.sync_api import expect

    page = short_page
    page.clock.install()  # the page's clock runs as usual until the test moves it
    log_in(page, add_trainee(short_server, "ended.eve@demo.example"))
    attempt_id = start_exam(page, "agreement-exam")
    questions = page.locator("fieldset.exam-question")
    answer(questions.nth(0))

    page.context.clear_cookies()  # the session ends (its cookie is gone, as after the idle timeout)
    questions.nth(1).locator(".usa-checkbox:not(.exam-flag) label").first.click()
    expect(page.locator("#exam-session-ended")).to_be_visible()
    expect(page.locator("#exam-alert")).to_have_text(re.compile("session has ended"))
    expect(questions.nth(1).locator(".exam-save-state")).to_have_text(re.compile("Kept in this browser"))
    assert questions.nth(1).locator("input[type=checkbox]").first.is_checked()
    assert "1" in kept_in_browser(page, attempt_id)

    page.locator("#exam-login-link").click()  # no "leave this page?" prompt: nothing is lost
    log_in(page, "ended.eve@demo.example", from_notice=False)
    expect(page).to_have_url(re.compile(rf"/exams/attempts/{attempt_id}\?page=1$"))
    expect(questions.nth(1).locator(".exam-save-state")).to_have_attribute("data-state", "answered")
    assert questions.nth(1).locator("input[type=checkbox]").first.is_checked()
    assert kept_in_browser(page, attempt_id) == {}

    # The session ends again, then the page's timer reaches zero: log-in, with a clear message, not an error.
    page.context.clear_cookies()
    page.clock.fast_forward("03:05")
    expect(page.get_by_role("heading", level=1)).to_have_text("System use notice")
    expect(page.get_by_text(re.compile("Your session had ended"))).to_be_visible()
    assert "Form expired" not in page.content()
    log_in(page, "ended.eve@demo.example", from_notice=False)
    expect(page).to_have_url(re.compile(rf"/exams/attempts/{attempt_id}(\?.*)?$"))
    submit_from_the_page(page)


def test_the_exam_page_warns_before_the_session_reaches_its_limit(short_page, short_server):
    from playwright.sync_api import expect

    page = short_page
    page.clock.install()
    email = add_trainee(short_server, "limit.lou@demo.example")
    grant_extra_time(short_server, email, "agreement-exam", 90)
    log_in(page, email)
    start_exam(page, "agreement-exam")  # 93 minutes; the session ends an hour after log-in
    expect(page.locator("#exam-session-warning")).to_be_hidden()
    control = page.locator("fieldset.exam-question input").first
    control.focus()
    page.clock.fast_forward("56:00")
    expect(page.locator("#exam-session-warning")).to_be_visible()
    expect(page.locator("#exam-session-warning-text")).to_have_text(
        re.compile(r"^Your session reaches its time limit at \d{1,2}:\d\d [AP]M [A-Z]{3,4}, before this exam ends"))
    expect(page.locator("#exam-announcer")).to_have_text(re.compile(r"^Your session ends in [3-5] minutes"))
    assert page.evaluate("document.activeElement.id") == control.get_attribute("id")


def test_enter_in_a_typed_answer_saves_it_in_place(short_page, short_server):
    from playwright.sync_api import expect

    page = short_page
    log_in(page, add_trainee(short_server, "enter.ed@demo.example"))
    start_exam(page, "agreement-exam")
    page.get_by_role("button", name="Next page").click()
    expect(page).to_have_title(re.compile(r"page 2 of"))
    short = page.locator("fieldset.exam-question[data-qtype=short]")
    field = short.locator("input[type=text]")
    field.click()
    page.keyboard.type("steering committee")
    page.keyboard.press("Enter")
    expect(short.locator(".exam-save-state")).to_have_attribute("data-state", "answered")
    expect(page.locator("#exam-announcer")).to_have_text(re.compile(r"answer saved"))
    expect(page).to_have_title(re.compile(r"page 2 of"))
    assert page.evaluate("document.activeElement.id") == field.get_attribute("id")


def test_without_javascript_enter_saves_the_page_and_stays(browser, short_server):
    from playwright.sync_api import expect

    context, page = new_page(browser, short_server, java_script_enabled=False)
    try:
        log_in(page, add_trainee(short_server, "nojs.nora@demo.example"))
        start_exam(page, "agreement-exam")
        page.get_by_role("button", name="Next page").click()
        numeric = page.locator("fieldset.exam-question[data-qtype=numeric]").first
        numeric.locator("input[type=text]").fill("12")
        numeric.locator("input[type=text]").press("Enter")
        expect(page.get_by_text("Your answers on this page are saved.")).to_be_visible()
        expect(page).to_have_title(re.compile(r"page 2 of"))
        expect(page.locator("fieldset.exam-question[data-qtype=numeric]").first.locator("input[type=text]")).to_have_value("12")
    finally:
        context.close()


# -- on the shared server: the bundled exam as it is ------------------------------------------------


def focused(page) -> dict:
    return page.evaluate("""() => { const el = document.activeElement;
        const q = el.closest('fieldset.exam-question');
        return {tag: el.tagName.toLowerCase(), type: el.type || '', name: el.name || '', id: el.id || '',
                text: (el.innerText || el.value || '').trim(), cls: el.className || '',
                href: el.getAttribute('href'),
                question: q ? q.id : null, qtype: q ? q.dataset.qtype : null}; }""")


def tab_to(page, matches, limit=60):
    """Press Tab until the focused element satisfies ``matches``; it, or a failure."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        el = focused(page)
        if matches(el):
            return el
    raise AssertionError("Tab never reached the element; last focused: " + repr(el))


def keyboard_answer_page(page):
    """Answer every question of the page with the keyboard alone, Tab by Tab; return the button that
    leads on ("Next page", or "Review and submit" on the last page) and the questions answered."""
    answered, done = set(), set()
    el = focused(page)
    while not (el["tag"] == "button" and el["text"] in ("Next page", "Review and submit")):
        name = el["name"]
        if el["question"] and name.startswith("a") and name not in done:
            done.add(name)
            answered.add(el["question"])
            if el["type"] == "radio":
                page.keyboard.press("ArrowDown")  # moves to the next choice and selects it
            elif el["type"] == "checkbox":
                page.keyboard.press("Space")  # the group's first box; the others are left as they are
            elif el["type"] == "text":
                page.keyboard.type("12" if el["qtype"] == "numeric" else "a typed answer")
                page.keyboard.press("Enter")  # saves in place: focus and page stay
                assert focused(page)["id"] == el["id"]
            elif el["tag"] == "select":  # matching: the n-th prompt gets the n-th answer
                for _ in range(int(name.rsplit(".", 1)[1])):
                    page.keyboard.press("ArrowDown")
        page.keyboard.press("Tab")
        el = focused(page)
    return el["text"], answered


def test_a_whole_exam_with_the_keyboard_alone(browser, live_server):
    from playwright.sync_api import expect

    email = add_trainee(live_server, "kim.keyboard@demo.example")
    context, page = new_page(browser, live_server)
    try:
        page.goto("/")
        tab_to(page, lambda el: el["type"] == "checkbox")
        page.keyboard.press("Space")
        tab_to(page, lambda el: el["text"] == "Acknowledge and continue")
        page.keyboard.press("Enter")
        expect(page.get_by_role("heading", level=1)).to_have_text("Log in")
        tab_to(page, lambda el: el["type"] == "email" or el["name"] == "email")
        page.keyboard.type(email)
        page.keyboard.press("Tab")
        page.keyboard.type(PASSWORD)
        page.keyboard.press("Enter")
        logged_in(page)
        expect(page).to_have_title(re.compile(r"^My course"))
        tab_to(page, lambda el: el["href"] == "/exams/agreement-exam", limit=120)
        page.keyboard.press("Enter")
        expect(page.get_by_role("heading", name="Rules")).to_be_visible()
        tab_to(page, lambda el: el["text"] == "Start attempt 1")
        page.keyboard.press("Enter")
        expect(page.locator("#exam-timer")).to_be_visible()

        pages = 0
        while True:
            pages += 1
            # From the top of the page: the site's skip link, then the exam's, then question N (once the page
            # has loaded: a Tab pressed while the document is still loading leaves focus on its body).
            page.wait_for_load_state("load")
            page.keyboard.press("Tab")
            assert focused(page)["text"] == "Skip to main content"
            page.keyboard.press("Enter")
            skip = tab_to(page, lambda el: True, limit=1)
            assert "exam-skip" in skip["cls"] and skip["text"].startswith("Skip to question")
            expect(page.locator(".exam-skip")).to_be_visible()
            page.keyboard.press("Enter")
            first = skip["text"].rsplit(" ", 1)[1]
            assert focused(page)["id"] == f"q{first}"
            page.keyboard.press("Tab")
            assert focused(page)["question"] == f"q{first}"  # the first control of the page's first question
            way_on, answered = keyboard_answer_page(page)
            assert len(answered) == page.locator("fieldset.exam-question").count()
            page.keyboard.press("Enter")
            if way_on == "Review and submit":
                break
            expect(page).to_have_title(re.compile(rf"page {pages + 1} of"))
        expect(page.get_by_role("heading", level=1)).to_have_text("Submit your answers?")
        expect(page.get_by_text(re.compile(r"You have answered all \d+ questions"))).to_be_visible()
        tab_to(page, lambda el: el["text"] == "Submit my answers for grading")
        page.keyboard.press("Enter")
        expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"^Result: "))
        assert pages >= 2 and page.recorder.errors == []
    finally:
        context.close()


def test_timer_warnings_are_announced_without_moving_focus(browser, live_server):
    from playwright.sync_api import expect

    email = add_trainee(live_server, "wanda.warning@demo.example")
    context, page = new_page(browser, live_server)
    try:
        page.clock.install()  # the page's clock; the server's deadline stays real
        log_in(page, email)
        start_exam(page, "agreement-exam")
        control = page.locator("fieldset.exam-question input").first
        control.focus()
        control_id = control.get_attribute("id")
        limit = yaml.safe_load((PROJECT_ROOT / "curriculum/exams/agreement-exam.yml").read_text())["time_limit_minutes"]
        page.clock.fast_forward((limit * 60 - 295) * 1000)  # in ms: 4 min 55 s left
        expect(page.locator("#exam-announcer")).to_have_text("5 minutes remaining.")
        expect(page.locator("#exam-warning")).to_be_visible()
        expect(page.locator("#exam-warning-text")).to_have_text(re.compile(r"^Less than 5 minutes left"))
        assert page.evaluate("document.activeElement.id") == control_id
        page.clock.fast_forward("04:00")  # 55 s left: the assertive region
        expect(page.locator("#exam-alert")).to_have_text("1 minute remaining.")
        expect(page.locator("#exam-alert")).to_have_attribute("role", "alert")
        assert page.evaluate("document.activeElement.id") == control_id
        assert page.recorder.errors == []
    finally:
        context.close()


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280px", "390px"])
def test_exam_page_screenshots(browser, short_server, tmp_path, viewport):
    """The attempt page at desktop and phone width, saved for a person to look at (LMS_SCREENSHOTS=dir)."""
    import os

    from playwright.sync_api import expect

    context, page = new_page(browser, short_server, viewport=viewport)
    try:
        log_in(page, add_trainee(short_server, f"shot.{viewport['width']}@demo.example"))
        start_exam(page, "agreement-exam")
        answer(page.locator("fieldset.exam-question").first)
        expect(page.locator("#exam-timer-value")).to_have_text(re.compile(r"^0:0[0-3]:\d\d$"))
        # No horizontal scrolling at this width.
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        folder = os.environ.get("LMS_SCREENSHOTS")
        folder = PROJECT_ROOT / folder if folder else tmp_path
        folder.mkdir(parents=True, exist_ok=True)
        width = viewport["width"]
        page.screenshot(path=str(folder / f"exam-attempt-{width}.png"), full_page=True)
        page.locator(".exam-skip").focus()  # the skip link shows when focused
        expect(page.locator(".exam-skip")).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        page.screenshot(path=str(folder / f"exam-skip-link-{width}.png"))
        page.context.clear_cookies()  # the session ends: the page says so where the timer is
        page.locator("fieldset.exam-question").nth(1).locator(".usa-checkbox:not(.exam-flag) label").first.click()
        expect(page.locator("#exam-session-ended")).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        page.screenshot(path=str(folder / f"exam-session-ended-{width}.png"), full_page=True)
        assert all((folder / f"{name}-{width}.png").stat().st_size > 0
                   for name in ("exam-attempt", "exam-skip-link", "exam-session-ended"))
    finally:
        context.close()
