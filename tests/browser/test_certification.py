"""Certification in a real browser: a trainee submits the last exam of the course, is told they are
certified, sees the certificate and downloads the PDF; staff filter the pass list and download the CSV;
anyone verifies the certificate by its number."""
import csv
import io
import re

import pytest
from conftest import follow_nav, log_in  # tests/browser/conftest.py


pytestmark = pytest.mark.browser

TRAINEE_EMAIL = "casey.certified@demo.example"
TRAINEE_PASSWORD = "violet harbor lantern seventeen"
# This file's own staff member: an authenticator gives a code once per 30 s step, and the demo staff
# account logs in from other test files on the same server too.
STAFF_EMAIL = "registry.staff@demo.example"
STAFF_PASSWORD = "copper meadow signal forty"

# Runs inside the live server's instance (its own database), through the app's own services: a trainee of
# the demo agency in a cohort of the officer course that started five weeks ago, every module completed,
# every exam passed but the last one, whose attempt is answered and waits to be submitted.
SETUP = r"""
import json
from datetime import timedelta
from sqlalchemy import select
from lms.app import create_app
from lms.learning import course as learning
from lms.clock import program_today
from lms.accounts.users import create_user
from lms.clock import utcnow
from lms.cohorts.roster import create_cohort, enroll
from lms.demo.setup import DEMO_AGENCY
from lms.extensions import db
from lms.models import Agency, Role, Track
from tests.factories import answer_all, pass_classroom, start

app = create_app()
with app.app_context():
    now = utcnow()
    clock = lambda: now
    agency = db.session.scalar(select(Agency).where(Agency.ori == DEMO_AGENCY["ori"]))
    track = db.session.scalar(select(Track).where(Track.slug == "officer-basic"))
    cohort = create_cohort(name="Browser certification cohort", track=track, agencies=[agency],
                           start_date=program_today(now) - timedelta(days=7 * track.weeks), now=now)
    user = create_user(email=%(email)r, name="Casey Certified", role=Role.TRAINEE, password=%(password)r,
                       agency=agency, now=now)
    enrollment = enroll(user, cohort, now=now)
    db.session.commit()
    for slug in track.module_slugs():
        learning.mark_completed(learning.module_access([enrollment], slug, now), now)
    grader = create_user(email="classroom.staff@demo.example", name="Classroom Staff", role=Role.STAFF, password=None,
                         now=now)
    create_user(email=%(staff_email)r, name="Registry Staff", role=Role.STAFF, password=%(staff_password)r, now=now)
    pass_classroom(enrollment, grader=grader, now=now)  # the course's attendance and practical exercises
    db.session.commit()
    exams = [i.ref for i in track.items if i.kind == "exam"]
    from lms.exams.attempts import submit_attempt
    for slug in exams[:-1]:
        attempt = start(user, slug, clock)
        answer_all(attempt, clock, right=True)
        submit_attempt(attempt, now=now, actor=user)
        db.session.commit()
    last = start(user, exams[-1], clock)
    answer_all(last, clock, right=True)
    print(json.dumps({"attempt_id": last.id, "exam": exams[-1], "agency_id": agency.id}))
""" % {"email": TRAINEE_EMAIL, "password": TRAINEE_PASSWORD, "staff_email": STAFF_EMAIL,
       "staff_password": STAFF_PASSWORD}


@pytest.fixture(scope="module")
def nearly_certified(live_server):
    return live_server.run_script(SETUP)


def _submit_the_last_exam(page, nearly_certified):
    from playwright.sync_api import expect

    page.goto(f"/exams/attempts/{nearly_certified['attempt_id']}/submit")
    page.get_by_role("button", name="Submit my answers for grading").click()
    expect(page.locator(".exam-outcome")).to_have_text("Passed")


def test_a_trainee_passes_the_last_exam_sees_the_certificate_and_downloads_the_pdf(page, live_server,
                                                                                   nearly_certified, tmp_path):
    import pypdf
    from playwright.sync_api import expect

    log_in(page, TRAINEE_EMAIL, TRAINEE_PASSWORD)
    expect(page).to_have_title(re.compile(r"^My course"))
    expect(page.locator(".certificate-earned")).to_have_count(0)
    _submit_the_last_exam(page, nearly_certified)
    earned = page.get_by_role("region", name="You are certified")
    expect(earned).to_contain_text(re.compile(r"certificate 287G-\d{4}-\d{6}"))
    number = re.search(r"287G-\d{4}-\d{6}", earned.inner_text()).group(0)

    earned.get_by_role("link", name="See your certificate").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("certification")
    expect(page.locator(".cert-number-line")).to_contain_text(number)
    expect(page.locator(".cert-status")).to_have_text("Valid")
    public_link = page.get_by_role("link", name="Public verification page").get_attribute("href")
    code = re.fullmatch(r"/verify/([A-Za-z0-9_-]{22})", public_link).group(1)
    with page.expect_download() as info:
        page.get_by_role("link", name="Download the PDF certificate").click()
    download = info.value
    assert download.suggested_filename == f"certificate-{number}.pdf"
    path = tmp_path / "certificate.pdf"
    download.save_as(path)
    data = path.read_bytes()
    text = "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(data)).pages).replace("\n", "")
    # The link (and QR code) carry the unguessable code, at the address the server answers on.
    assert number in text and "Casey Certified" in text and f"{live_server.url}/verify/{code}" in text
    assert f"/verify/{number}" not in text

    page.get_by_role("navigation", name="Primary navigation").get_by_role("link", name="My certificates").click()
    expect(page.get_by_role("heading", level=2, name=re.compile("287"))).to_be_visible()
    expect(page.locator(".cert-number")).to_have_text(number)
    assert page.recorder.errors == []


def test_staff_filter_the_pass_list_and_download_the_csv(page, live_server, nearly_certified, tmp_path):
    from playwright.sync_api import expect

    _staff_find_caseys_certificate(page, live_server, nearly_certified)  # whichever test of this file runs first
    follow_nav(page, "Pass list")
    expect(page.get_by_role("heading", level=1)).to_have_text("Pass list")
    page.get_by_label("Agency").select_option(str(nearly_certified["agency_id"]))
    page.get_by_label("Status").select_option("active")
    page.get_by_role("button", name="Apply filters").click()
    expect(page).to_have_url(re.compile(r"agency_id=%d" % nearly_certified["agency_id"]))
    table = page.locator("table.passlist-table")
    expect(table).to_contain_text("Casey Certified")
    with page.expect_download() as info:
        page.get_by_role("link", name="CSV").click()
    download = info.value
    assert re.fullmatch(r"pass-list-\d{4}-\d{2}-\d{2}\.csv", download.suggested_filename)
    path = tmp_path / "pass-list.csv"
    download.save_as(path)
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    assert rows[0][:2] == ["Certificate number", "Name"]
    assert any(r[1] == "Casey Certified" and r[8] == "Valid" for r in rows[1:])
    assert all(r[3] == "VA9999900" for r in rows[1:])  # the filter holds in the file
    assert page.recorder.errors == []


def _staff_find_caseys_certificate(page, live_server, nearly_certified) -> tuple[str, str]:
    """Casey's certificate number and its public link, as staff find them in the registry (the trainee
    submits the last exam first if the first test of this file did not run: each test stands alone). Staff
    stay logged in (an authenticator gives a code once per 30 s step: no needless second log-in)."""
    from playwright.sync_api import expect

    email, password = STAFF_EMAIL, STAFF_PASSWORD
    log_in(page, email, password, privileged=True)
    page.goto("/registry?q=Casey")
    if page.locator("table tbody tr a").count() == 0:  # no certificate yet (an empty table says so in a row)
        page.context.clear_cookies()
        log_in(page, TRAINEE_EMAIL, TRAINEE_PASSWORD)
        _submit_the_last_exam(page, nearly_certified)
        page.context.clear_cookies()
        log_in(page, email, password, privileged=True)
        page.goto("/registry?q=Casey")
    page.locator("table tbody tr").first.get_by_role("link").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Certification 287G-")
    number = re.search(r"287G-\d{4}-\d{6}", page.get_by_role("heading", level=1).inner_text()).group(0)
    link = page.get_by_role("link", name="Public verification page").get_attribute("href")
    return number, link


def test_anyone_verifies_the_certificate_without_logging_in(page, live_server, nearly_certified, tmp_path):
    from playwright.sync_api import expect

    number, link = _staff_find_caseys_certificate(page, live_server, nearly_certified)
    page.context.clear_cookies()  # from here on, nobody is logged in
    # The QR code's link opens the public record.
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Certificate {number}")
    expect(page.locator(".verify-status")).to_have_attribute("data-status", "active")
    expect(page.locator(".verify-status h2")).to_have_text("Valid")
    expect(page.locator(".verify-facts")).to_contain_text("Casey Certified")
    page.screenshot(path=str(tmp_path / "verify-record.png"), full_page=True)

    # A number alone answers nothing: the old link form asks for the holder's last name.
    page.goto(f"/verify/{number}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Verify a 287(g) training certificate")
    expect(page.get_by_label("Certificate number")).to_have_value(number)
    expect(page.get_by_text("Casey")).to_have_count(0)
    page.get_by_label("Holder's last name").fill("Smith")
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("alert")).to_contain_text("No match")
    page.goto("/verify")
    page.get_by_label("Certificate number").fill(number.lower())
    page.get_by_label("Holder's last name").fill("certified")
    page.get_by_role("button", name="Verify").click()
    expect(page.locator(".verify-status h2")).to_have_text("Valid")
    expect(page.locator(".verify-status")).to_contain_text(f"holds certificate {number}")
    expect(page.get_by_text("Casey")).to_have_count(0)
    page.screenshot(path=str(tmp_path / "verify-answer.png"), full_page=True)
    assert all("404" in e for e in page.recorder.errors)  # only the "No match" answer's status
