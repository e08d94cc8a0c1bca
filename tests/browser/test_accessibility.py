"""Accessibility of every page type, in a real browser, as each role that can see it.

axe-core (WCAG 2.1 A and AA rules, from static/node_modules, never a CDN) runs on every page and must find
nothing; a failure names the rule, the element and the page. Key pages must not scroll sideways at 320 px
nor at 200 % zoom (a 640 px wide window), except inside a labelled table region, and numbers and dates never
break across lines. Screenshots of the key pages at 1280 and 320 px go to test-artifacts/ to be looked at.

The pages come from the route inventory (tests/security/routes.py): every GET route is either visited here,
with the role that uses it, or listed in NOT_PAGES with the reason, so a new page is checked from day one.
"""
import re
import time
from pathlib import Path

import pytest
from conftest import DESKTOP, Recorder, second_factor  # tests/browser/conftest.py
from conftest import log_in as conftest_log_in

from tests.security.routes import GET_ROUTES

PROJECT_ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = PROJECT_ROOT / "test-artifacts" / "pages"
AXE = "/static/node_modules/axe-core/axe.min.js"  # served by the app itself, so the page's CSP allows it
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
PASSWORD = "amber lantern orchard forty"
NARROW, ZOOMED = {"width": 320, "height": 800}, {"width": 640, "height": 800}

# Runs inside the live server's instance through the app's own services: an agency of its own (so the
# other browser tests' demo agency is untouched) with an agreement, a nomination, a coordinator, an
# instructor's cohort five weeks old, a trainee certified through real exams and one mid-way through one.
SETUP = r"""
import json
from datetime import date, timedelta
from sqlalchemy import select
from lms.app import create_app
from lms.learning import course as learning
from lms.clock import program_today
from lms.accounts.users import create_user
from lms.agencies.agreements import create_mou
from lms.clock import utcnow
from lms.cohorts.roster import create_cohort, enroll
from lms.agencies.agencies import create_agency
from lms.classroom.attendance import Mark, record_attendance
from lms.exams.attempts import submit_attempt
from lms.extensions import db
from lms.models import Certification, ClassSession, Question, Role, Track
from lms.agencies.nominations import check_nominee, nominate
from lms.certification.exports import request_passlist_export
from lms.certification.passlist import PassListFilters
from lms.authoring.modules import front_from_version, module_by_slug, save_draft
from lms.authoring import exercises as exercise_authoring
from tests.factories import answer_all, pass_classroom, start

app = create_app()
with app.app_context():
    now = utcnow()
    clock = lambda: now
    today = program_today(now)
    agency = create_agency(name="Accessible County Sheriff's Office", state="VA", ori="VAACC0100", now=now)
    track = db.session.scalar(select(Track).where(Track.slug == "officer-basic"))
    mou = create_mou(agency=agency, model="jail_enforcement", signed_on=today - timedelta(days=60),
                     effective_on=today - timedelta(days=60), track_slugs=[track.slug],
                     authorized_functions=["Interview inmates in jail custody about their immigration status"],
                     now=now)
    people = [("coordinator", "Corinne Accessible-Coordinator", Role.COORDINATOR, agency),
              ("instructor", "Ivan Instructor", Role.INSTRUCTOR, None),
              ("certified", "Avery Certified", Role.TRAINEE, agency),
              ("trainee", "Taylor Examinee", Role.TRAINEE, agency)]
    users = {key: create_user(email=f"a11y.{key}@demo.example", name=name, role=role, password=%(pw)r,
                              agency=where, now=now) for key, name, role, where in people}
    cohort = create_cohort(name="Accessibility cohort", track=track, agencies=[agency],
                           instructors=[users["instructor"]],
                           start_date=today - timedelta(days=7 * track.weeks), now=now)
    certified = enroll(users["certified"], cohort, now=now)
    enroll(users["trainee"], cohort, now=now)
    db.session.commit()
    modules = track.module_slugs()
    for slug in modules:
        learning.mark_completed(learning.module_access([certified], slug, now), now)
    pass_classroom(certified, grader=users["instructor"], now=now)  # attendance and practical exercises
    db.session.commit()
    exams = [i.ref for i in track.items if i.kind == "exam"]
    for slug in exams:
        finished = start(users["certified"], slug, clock)
        answer_all(finished, clock, right=True)
        submit_attempt(finished, now=now, actor=users["certified"])
        db.session.commit()
    # A correction after the certificate was issued: one classroom session marked absent puts it up for review.
    first_session = db.session.scalar(select(ClassSession).where(ClassSession.cohort_id == cohort.id)
                                      .order_by(ClassSession.id).limit(1))
    record_attendance(first_session, {certified.id: Mark("absent")}, actor=users["instructor"], now=now)
    db.session.commit()
    open_attempt = start(users["trainee"], exams[0], clock)
    answer_all(open_attempt, clock, right=False)
    nominee, problems = check_nominee(
        mou=mou, name="Nora Nominee", email="a11y.nominee@demo.example", track_slug=track.slug,
        background_check_on=today - timedelta(days=90), years_experience=4, citizenship_attested=True,
        commits_two_years=True, today=today)
    assert not problems, problems
    nomination = nominate(nominee, mou=mou, actor=users["coordinator"], now=now)
    studied = module_by_slug(modules[0])  # a draft in the studio (the accessibility run's own module edit)
    draft = save_draft(studied.slug, front_from_version(studied), studied.current_version.body_md + "\nRevised.\n",
                       actor=users["instructor"], now=now)
    practical = exercise_authoring.exercise_by_slug("detainer-timing")  # and an exercise's draft
    exercise_draft = exercise_authoring.save_draft(
        practical.slug, exercise_authoring.front_from_version(practical),
        practical.current_version.instructions_md + "\nRevised.\n", actor=users["instructor"], now=now)
    db.session.commit()
    question = db.session.scalar(select(Question).where(Question.status == "active").order_by(Question.id))
    # An export the coordinator asked for, still waiting for a worker: its page shows the progress bar.
    export = request_passlist_export(PassListFilters(), "xlsx", actor=users["coordinator"], now=now)
    db.session.commit()
    print(json.dumps({
        "agency": agency.id, "mou": mou.id, "cohort": cohort.id, "nomination": nomination.id,
        "exam": exams[0], "module": modules[0], "open_attempt": open_attempt.id, "finished_attempt": finished.id,
        "trainee": users["trainee"].id, "certified": users["certified"].id, "draft": draft.number,
        "exercise_draft": exercise_draft.number,
        "enrollment": certified.id, "export": export.id,
        "bank": question.bank.slug, "question": question.slug, "qtype": question.current_version.qtype,
        "session": db.session.scalar(select(ClassSession.id).where(ClassSession.cohort_id == cohort.id).limit(1)),
        "number": db.session.scalar(select(Certification.number).where(Certification.user_id == users["certified"].id)),
        "code": db.session.scalar(select(Certification.verification_code)
                                  .where(Certification.user_id == users["certified"].id)),
    }))
""" % {"pw": PASSWORD}

# endpoint -> (role, URL from the set-up's ids). Roles: "public" is a visitor who has not logged in; the
# others log in once, in a browser context of their own.
PAGES = {
    "auth.notice": ("public", lambda d: "/notice"),
    "auth.login": ("public", lambda d: "/login"),
    "verify.verify_form": ("public", lambda d: "/verify"),
    "verify.verify_code": ("public", lambda d: f"/verify/{d['code']}"),
    "error.404": ("public", lambda d: "/no-such-page"),
    "course.my_course": ("trainee", lambda d: "/course"),
    "classroom.practical": ("trainee", lambda d: "/classroom/practicals/i-213-narrative"),
    "classroom.cohort": ("instructor", lambda d: f"/classroom/cohorts/{d['cohort']}"),
    "classroom.take_attendance": ("instructor", lambda d: f"/classroom/sessions/{d['session']}/attendance"),
    "classroom.edit_session": ("instructor", lambda d: f"/classroom/sessions/{d['session']}/edit"),
    "classroom.grade": ("instructor", lambda d: f"/classroom/cohorts/{d['cohort']}/trainees/{d['enrollment']}"
                                                "/practicals/i-213-narrative"),
    "course.module": ("trainee", lambda d: f"/course/modules/{d['module']}"),
    "exams.exam_page": ("trainee", lambda d: f"/exams/{d['exam']}"),
    "exams.attempt": ("trainee", lambda d: f"/exams/attempts/{d['open_attempt']}"),
    "exams.confirm_submit": ("trainee", lambda d: f"/exams/attempts/{d['open_attempt']}/submit"),
    "certificates.my_certificates": ("certified", lambda d: "/certificates"),
    "certificates.detail": ("certified", lambda d: f"/certificates/{d['number']}"),
    "exams.result": ("certified", lambda d: f"/exams/attempts/{d['finished_attempt']}/result"),
    "cohorts.cohort_list": ("instructor", lambda d: "/cohorts"),
    "cohorts.roster": ("instructor", lambda d: f"/cohorts/{d['cohort']}"),
    "cohorts.cohort_new": ("instructor", lambda d: "/cohorts/new"),
    "cohorts.roster_import": ("instructor", lambda d: f"/cohorts/{d['cohort']}/roster-import"),
    "results.index": ("instructor", lambda d: "/results"),
    "interchange.bank_list": ("instructor", lambda d: "/banks"),
    "interchange.import_preview": ("instructor", lambda d: "/banks/import?bank=agreement"),
    "results.exam_results": ("instructor", lambda d: f"/results/cohorts/{d['cohort']}/exams/{d['exam']}"),
    "results.cohort_statistics": ("instructor",
                                  lambda d: f"/results/cohorts/{d['cohort']}/exams/{d['exam']}/statistics"),
    "results.exam_statistics": ("instructor", lambda d: f"/results/exams/{d['exam']}/statistics"),
    "results.attempt_detail": ("instructor", lambda d: f"/results/attempts/{d['finished_attempt']}"),
    "results.trainee": ("instructor", lambda d: f"/results/cohorts/{d['cohort']}/trainees/{d['certified']}"),
    "studio.index": ("instructor", lambda d: "/studio"),
    "studio.new_module": ("instructor", lambda d: "/studio/modules/new"),
    "studio.edit": ("instructor", lambda d: f"/studio/modules/{d['module']}/edit"),
    "studio.history": ("instructor", lambda d: f"/studio/modules/{d['module']}/revisions"),
    "studio.revision": ("instructor", lambda d: f"/studio/modules/{d['module']}/revisions/{d['draft']}"),
    "studio.diff": ("instructor", lambda d: f"/studio/modules/{d['module']}/diff?a=live&b={d['draft']}"),
    "studio.due_for_review": ("instructor", lambda d: "/studio/reviews"),
    "studio.new_exercise": ("instructor", lambda d: "/studio/exercises/new"),
    "studio.edit_exercise": ("instructor", lambda d: "/studio/exercises/detainer-timing/edit"),
    "studio.exercise_history": ("instructor", lambda d: "/studio/exercises/detainer-timing/revisions"),
    "studio.exercise_revision": ("instructor",
                                 lambda d: f"/studio/exercises/detainer-timing/revisions/{d['exercise_draft']}"),
    "studio.exercise_diff": ("instructor",
                             lambda d: f"/studio/exercises/detainer-timing/diff?a=live&b={d['exercise_draft']}"),
    "error.403": ("instructor", lambda d: "/registry"),
    "studio_questions.bank_list": ("instructor", lambda d: "/studio/banks"),
    "studio_questions.new_bank": ("instructor", lambda d: "/studio/banks/new"),
    "studio_questions.bank_detail": ("instructor", lambda d: f"/studio/banks/{d['bank']}"),
    "studio_questions.new_question": ("instructor",
                                      lambda d: f"/studio/banks/{d['bank']}/questions/new?type={d['qtype']}"),
    "studio_questions.edit_question": ("instructor", lambda d: f"/studio/banks/{d['bank']}/questions/{d['question']}"),
    "studio_questions.retire_question": ("instructor",  # a confirmation page
                                         lambda d: f"/studio/banks/{d['bank']}/questions/{d['question']}/retire"),
    "challenges.queue": ("instructor", lambda d: "/challenges"),
    "standard_setting.index": ("instructor", lambda d: "/standard-setting"),
    "standard_setting.rating_page": ("instructor", lambda d: f"/standard-setting/exams/{d['exam']}"),
    "studio_questions.exam_list": ("instructor", lambda d: "/studio/exams"),
    "studio_questions.edit_exam": ("instructor", lambda d: f"/studio/exams/{d['exam']}"),
    "studio_questions.new_exam": ("instructor", lambda d: "/studio/exams/new"),
    "program.dashboard": ("coordinator", lambda d: "/program"),
    "program.people": ("coordinator", lambda d: f"/program/people?group=nominated&agency_id={d['agency']}"),
    "nominations.nomination_list": ("coordinator", lambda d: "/nominations"),
    "nominations.nomination_new": ("coordinator", lambda d: "/nominations/new"),
    "nominations.roster_import": ("coordinator", lambda d: "/nominations/import"),
    "agencies.agency_list": ("staff", lambda d: "/agencies"),
    "agencies.agency_new": ("staff", lambda d: "/agencies/new"),
    "agencies.agency_detail": ("staff", lambda d: f"/agencies/{d['agency']}"),
    "agencies.agency_edit": ("staff", lambda d: f"/agencies/{d['agency']}/edit"),
    "agencies.mou_new": ("staff", lambda d: f"/agencies/{d['agency']}/mous/new"),
    "agencies.mou_detail": ("staff", lambda d: f"/mous/{d['mou']}"),
    "agencies.mou_edit": ("staff", lambda d: f"/mous/{d['mou']}/edit"),
    "agencies.mou_models": ("staff", lambda d: "/mou-models"),
    "nominations.nomination_detail": ("staff", lambda d: f"/nominations/{d['nomination']}"),
    "nominations.enrollment_import": ("staff", lambda d: "/nominations/import-enrollments"),
    "registry.registry": ("staff", lambda d: "/registry"),
    "registry.detail": ("staff", lambda d: f"/registry/{d['number']}"),
    "registry.change_status": ("staff", lambda d: f"/registry/{d['number']}/suspend"),  # a confirmation page
    "agencies.mou_terminate": ("staff", lambda d: f"/mous/{d['mou']}/terminate"),
    "nominations.nomination_decline": ("staff", lambda d: f"/nominations/{d['nomination']}/decline"),
    "registry.due": ("staff", lambda d: "/registry/due?days=100000"),
    "registry.passlist": ("staff", lambda d: "/passlist"),
    "registry.add_note": ("staff", lambda d: f"/registry/{d['number']}/notes/new"),
    "registry.review_queue": ("staff", lambda d: "/registry/reviews"),  # the certified officer's, after a correction
    "exports.index": ("coordinator", lambda d: "/exports"),
    "exports.show": ("coordinator", lambda d: f"/exports/{d['export']}"),  # waiting: the progress bar
    "notifications.inbox": ("certified", lambda d: "/notifications"),
    "notifications.preferences": ("certified", lambda d: "/notifications/preferences"),
    "notifications.outbox": ("admin", lambda d: "/admin/outbox"),
    "search.search": ("trainee", lambda d: "/search?q=immigration"),
    "admin.audit": ("staff", lambda d: "/admin/audit"),
    "auth.change_password": ("staff", lambda d: "/account/password"),
    "auth.two_factor": ("staff", lambda d: "/account/two-factor"),
    "error.400": ("staff", None),  # a form sent without its CSRF token (see _visit)
    "admin.users": ("admin", lambda d: "/admin/users"),
    "admin.create_user": ("admin", lambda d: "/admin/users/new"),
    "admin.user_detail": ("admin", lambda d: f"/admin/users/{d['trainee']}"),
    "admin.disable": ("admin", lambda d: f"/admin/users/{d['trainee']}/disable"),
    "admin.access_review": ("admin", lambda d: "/admin/access-review"),
}
# Steps of a privileged role's log-in, checked by axe on the way in (which one depends on whether the account
# has set up its authenticator yet).
LOGIN_STEPS = {"auth.login_code", "auth.enrol"}
PRIVILEGED = {"instructor", "coordinator", "staff", "admin"}
ERROR_STATUS = {"error.400": 400, "error.403": 403, "error.404": 404}
# GET routes that are not pages people read, and why.
NOT_PAGES = {
    "main.healthz": "JSON liveness", "static": "files", "main.index": "a redirect by role",
    "verify.signing_keys": "JSON keys", "exams.status": "JSON for the exam page's script",
    "certificates.pdf": "PDF download", "certificates.record": "JSON download", "registry.pdf": "PDF download",
    "registry.record": "JSON download", "registry.passlist_download": "CSV/XLSX/JSON download",
    "results.exam_results_csv": "CSV download", "agencies.mou_document": "document download",
    "nominations.nomination_evidence": "evidence download", "interchange.bank_export": "GIFT/XML/QTI download",
    "classroom.calendar": "iCalendar download", "classroom.training_record": "CSV/XLSX download",
    "classroom.my_transcript": "PDF download", "classroom.trainee_transcript": "PDF download",
    "classroom.submission_document": "document download", "exports.download": "CSV/XLSX/JSON download",
    "exports.status": "JSON for the export page's script",
    "cohorts.open_week": "a confirmation page (templates/confirm.html, checked as registry.change_status); every "
                         "week of this set-up's cohort is already open",
}
# Screenshots at 1280 and 320 px, and the reflow checks at 320 px and 200 % zoom.
KEY_PAGES = {
    "verify.verify_code", "course.my_course", "exams.attempt", "exams.result", "certificates.detail",
    "cohorts.roster", "results.exam_statistics", "program.dashboard", "registry.registry", "registry.passlist",
    "admin.access_review",
}
ROLES = ["public", "trainee", "certified", "instructor", "coordinator", "staff", "admin"]

# Numbers and dates shown on one line each: an inline box broken across lines has several client rects.
BROKEN_TOKENS = """() => Array.from(document.querySelectorAll('.nowrap, .cert-number'))
    .filter(e => e.getClientRects().length > 1).map(e => e.textContent.trim())"""
SIDEWAYS = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
RUN_AXE = """async (tags) => {
  const result = await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']});
  return result.violations.map(v => ({rule: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map(n => ({target: n.target.join(' '), html: n.html.slice(0, 160),
                              summary: (n.failureSummary || '').split('\\n').slice(0, 2).join(' ')}))}));
}"""


def test_every_page_is_checked():
    """Every GET route is visited by the accessibility test, or is named here as something else."""
    routes = {endpoint for endpoint, _ in GET_ROUTES}
    pages = {e for e in PAGES if not e.startswith("error.")}
    assert routes - pages - LOGIN_STEPS - NOT_PAGES.keys() == set(), "add the new page to PAGES (or NOT_PAGES)"
    assert (pages | LOGIN_STEPS | NOT_PAGES.keys()) - routes == set(), "PAGES names routes that no longer exist"
    assert KEY_PAGES <= PAGES.keys()


@pytest.fixture(scope="module")
def data(live_server):
    started = time.monotonic()
    data = live_server.run_script(SETUP)
    print(f"accessibility set-up: {time.monotonic() - started:.1f} s")
    return data


def account(live_server, role):
    """The e-mail and password a role logs in with (staff and admin are the demo's own)."""
    if role in ("staff", "admin"):
        return live_server.account(role)
    return f"a11y.{role}@demo.example", PASSWORD


def new_context(browser, live_server, **options):
    context = browser.new_context(viewport=DESKTOP, base_url=live_server.url, **options)
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.recorder = Recorder(context)
    return context, page


def acknowledge_notice(page):
    page.goto("/notice")
    page.get_by_text("I have read and understand this notice").click()
    page.get_by_role("button", name="Acknowledge and continue").click()


def log_in(page, email, password, *, privileged, check=True):
    """Log in; a privileged role's second step (set up or type a code) is checked by axe on the way.
    The axe problems found on that step."""
    from playwright.sync_api import expect

    conftest_log_in(page, email, password)  # the password step; the second one is checked below
    expect(page).not_to_have_url(re.compile(r"/login(\?|$)"))
    problems = []
    if privileged:
        problems = _axe(page, f"log-in step {page.url}") if check else []
        second_factor(page, email)
    return problems


def _visit(page, name, url):
    """Open the page; the status it answered with."""
    if name == "error.400":
        page.goto("/account/password")
        with page.expect_navigation():
            page.evaluate("""() => { const f = document.createElement('form'); f.method = 'post';
                f.action = '/account/password'; document.body.append(f); f.submit(); }""")
        return 400 if "Form expired" in page.title() else 200
    return page.goto(url).status


def _axe(page, label):
    page.add_script_tag(url=AXE)
    return [f"{label}: {v['rule']} ({v['impact']}: {v['help']}) at {n['target']} {n['html']!r}: {n['summary']}"
            for v in page.evaluate(RUN_AXE, AXE_TAGS) for n in v["nodes"]]


def _layout_problems(page, label):
    broken = page.evaluate(BROKEN_TOKENS)
    return [f"{label}: broken across lines: {text!r}" for text in broken]


def _screenshot(page, path):
    """The page from its top, at most 2,400 px of it: enough to judge the layout, and quick."""
    height = min(page.evaluate("document.documentElement.scrollHeight"), 2400)
    page.screenshot(path=path, full_page=True,
                    clip={"x": 0, "y": 0, "width": page.viewport_size["width"], "height": height})


def check(page, name, url):
    """Every problem found on one page: axe violations, broken tokens, sideways scrolling at small widths."""
    label = f"{name} {url or ''}"
    status = _visit(page, name, url)
    expected = ERROR_STATUS.get(name, 200)
    if status != expected:
        return [f"{label}: answered {status}, not {expected}"]
    problems = _axe(page, label) + _layout_problems(page, label)
    if name in KEY_PAGES:
        slug = name.replace(".", "-")
        _screenshot(page, ARTIFACTS / f"{slug}-1280.png")
        for size, what in ((NARROW, "320 px"), (ZOOMED, "200 % zoom")):
            page.set_viewport_size(size)
            overflow = page.evaluate(SIDEWAYS)
            if overflow > 0:
                problems.append(f"{label}: scrolls sideways by {overflow} px at {what}")
            problems += _layout_problems(page, f"{label} at {what}")
            if size is NARROW:
                _screenshot(page, ARTIFACTS / f"{slug}-320.png")
        page.set_viewport_size(DESKTOP)
    return problems


@pytest.mark.browser
@pytest.mark.parametrize("role", ROLES)
def test_every_page_passes_axe_and_fits_small_screens(role, browser, live_server, data):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    context, page = new_context(browser, live_server)
    try:
        if role == "public":
            problems = check(page, "auth.notice", "/notice")
            acknowledge_notice(page)
            pages = [(n, u) for n, (r, u) in PAGES.items() if r == role and n != "auth.notice"]
        else:
            problems = log_in(page, *account(live_server, role), privileged=role in PRIVILEGED)
            pages = [(n, u) for n, (r, u) in PAGES.items() if r == role]
        for name, url in pages:
            problems += check(page, name, url(data) if url else None)
        script_errors = [e for e in page.recorder.errors if e.startswith("page error")]
    finally:
        context.close()
    assert problems == [], "\n".join(problems)
    assert script_errors == []


@pytest.mark.browser
def test_the_header_menus_hold_the_staff_areas_on_one_row(browser, live_server, data):
    from playwright.sync_api import expect

    context, page = new_context(browser, live_server)
    try:
        log_in(page, *live_server.account("admin"), privileged=True)
        nav = page.get_by_role("navigation", name="Primary navigation")
        tops = page.evaluate("""() => Array.from(document.querySelectorAll('.usa-nav__primary > li'))
            .map(li => Math.round(li.getBoundingClientRect().top))""")
        # Search and the five menus, plus the notifications link and the account's menu.
        assert len(tops) == 8 and len(set(tops)) == 1, f"the header wraps: item tops {tops}"
        name_lines = page.evaluate("""() => { const e = document.querySelector('.nav-user__name');
            return Math.round(e.getBoundingClientRect().height / parseFloat(getComputedStyle(e).lineHeight)); }""")
        assert name_lines == 1

        registry = nav.get_by_role("link", name="Registry")
        expect(registry).to_be_hidden()
        nav.get_by_role("button", name="Certification").click()  # USWDS's own script opens the menu
        expect(nav.get_by_role("button", name="Certification")).to_have_attribute("aria-expanded", "true")
        registry.click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Certification registry")
        expect(nav.get_by_role("button", name="Certification")).to_have_class(re.compile(r"\busa-current\b"))
        expect(nav.get_by_role("link", name="Registry", include_hidden=True)).to_have_attribute("aria-current", "page")

        user_menu = nav.get_by_role("button", name="Ada Admin")
        user_menu.click()
        expect(nav.get_by_text("Administrator")).to_be_visible()
        page.keyboard.press("Escape")  # closes the menu
        expect(user_menu).to_have_attribute("aria-expanded", "false")
        user_menu.click()
        nav.get_by_role("button", name="Log out").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("System use notice")
        assert [e for e in page.recorder.errors if e.startswith("page error")] == []
    finally:
        context.close()


@pytest.mark.browser
def test_without_javascript_the_header_offers_every_link_and_log_out(browser, live_server, data):
    from playwright.sync_api import expect

    context, page = new_context(browser, live_server, java_script_enabled=False)
    try:
        log_in(page, *live_server.account("staff"), privileged=True, check=False)  # axe needs scripts
        expect(page.get_by_role("navigation", name="Primary navigation")).to_be_hidden()
        plain = page.get_by_role("navigation", name="Site pages")
        for name in ("Program dashboard", "Nominations", "Registry", "Pass list", "Cohorts", "Results", "Audit log",
                     "Change password"):
            expect(plain.get_by_role("link", name=name)).to_be_visible()
        plain.get_by_role("link", name="Pass list").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Pass list")
        plain.get_by_role("button", name=re.compile(r"^Log out")).click()
        expect(page.get_by_role("heading", level=1)).to_have_text("System use notice")
    finally:
        context.close()
