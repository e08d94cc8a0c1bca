"""A coordinator nominates an officer, staff accept and enroll them, and the officer logs in with the
temporary password shown once to staff, chooses their own, and sees the course: in a real browser against
a real server (`lms quickstart --no-serve`)."""
import re
from datetime import date, timedelta

import pytest
from conftest import DESKTOP, Recorder, follow_nav, log_in  # tests/browser/conftest.py

pytestmark = pytest.mark.browser

OFFICER = {"name": "Nadia Nominee", "email": "nadia.nominee@demo.example"}
COURSE = "287(g) Basic Course for Law Enforcement Officers (sample)"
NEW_PASSWORD = "quiet meadow compass ninety"


@pytest.fixture(scope="module")
def demo_mou(live_server):
    """The demo agency signs an agreement, recorded by its operator with `lms mou create`."""
    signed = (date.today() - timedelta(days=30)).isoformat()
    output = live_server.cli("mou", "create", "--agency", "VA9999900", "--model", "jail_enforcement",
                             "--signed", signed, "--effective", signed,
                             "--function", "Interview inmates in jail custody about their immigration status",
                             "--function", "Prepare detainers for ICE supervisory review")
    return int(re.search(r"Created MOU (\d+)", output).group(1))


def nav(page, name):
    follow_nav(page, name)


def assert_only_local_traffic(page, live_server):
    foreign = [url for url in page.recorder.requests if not live_server.is_local(url)]
    assert foreign == [], f"requests left the server under test: {foreign}"
    assert page.recorder.errors == []


def test_coordinator_nominates_staff_accept_and_the_officer_sees_the_course(browser, live_server, demo_mou):
    from playwright.sync_api import expect

    contexts = []

    def new_page():
        context = browser.new_context(viewport=DESKTOP, base_url=live_server.url)
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        page.recorder = Recorder(context)
        return page

    try:
        # The coordinator nominates an officer of their agency under the new agreement.
        coordinator = new_page()
        log_in(coordinator, *live_server.account("coordinator"), privileged=True)
        nav(coordinator, "Nominations")
        expect(coordinator.get_by_role("heading", level=1)).to_have_text("Nominations")
        coordinator.get_by_role("link", name="Nominate an officer").click()
        expect(coordinator.get_by_role("heading", level=1)).to_have_text("Nominate an officer")
        expect(coordinator.get_by_label("Agreement")).to_contain_text(f"MOU {demo_mou}: Jail Enforcement")
        coordinator.get_by_label("Track").select_option(label=COURSE)
        coordinator.get_by_label("Full name").fill(OFFICER["name"])
        coordinator.get_by_label("E-mail address").fill(OFFICER["email"])
        coordinator.get_by_label("Date of the last background check").fill(
            (date.today() - timedelta(days=200)).isoformat())
        coordinator.get_by_label("Years of law-enforcement or custody experience").fill("7")
        coordinator.get_by_text("I attest that the nominee is a U.S. citizen").click()
        coordinator.get_by_text("The nominee commits to serve in the role for two years").click()
        coordinator.get_by_role("button", name="Nominate").click()
        expect(coordinator.get_by_role("heading", level=1)).to_have_text(f"Nomination of {OFFICER['name']}")
        expect(coordinator.locator("#nomination-status")).to_have_text("Awaiting decision")
        assert coordinator.get_by_role("button", name="Accept and enroll").count() == 0  # staff decide

        # ICE staff accept and enroll the officer in the demo officer cohort.
        staff = new_page()
        log_in(staff, *live_server.account("staff"), privileged=True)
        nav(staff, "Nominations")
        # Staff have many destinations; at desktop width the navigation wraps instead of widening the page.
        assert staff.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), "the page scrolls sideways"
        staff.get_by_role("link", name=OFFICER["name"]).click()
        expect(staff.get_by_role("heading", level=1)).to_have_text(f"Nomination of {OFFICER['name']}")
        cohort = staff.get_by_label("Cohort")
        cohort.select_option(label=cohort.locator("option", has_text="Demo officer cohort").inner_text().strip())
        staff.get_by_role("button", name="Accept and enroll").click()
        expect(staff.get_by_role("heading", level=1)).to_have_text(f"{OFFICER['name']} is enrolled")
        expect(staff.get_by_role("heading", name="Temporary password, shown only once")).to_be_visible()
        temporary = staff.locator(".temporary-password").inner_text().strip()
        assert len(temporary) >= 15
        staff.get_by_role("link", name="Back to the nomination").click()
        expect(staff.locator("#nomination-status")).to_have_text("Accepted and enrolled")
        expect(staff.locator("main")).not_to_contain_text(temporary)  # shown once, on that page only

        # The coordinator sees the decision.
        nav(coordinator, "Nominations")
        expect(coordinator.get_by_role("row", name=re.compile(OFFICER["name"]))).to_contain_text(
            "Accepted and enrolled")

        # The officer logs in with the temporary password, must choose their own, then sees the course.
        officer = new_page()
        log_in(officer, OFFICER["email"], temporary)
        expect(officer.get_by_role("heading", level=1)).to_have_text("Change password")
        expect(officer.locator("body")).to_contain_text("You must choose a new password before continuing.")
        officer.get_by_label("Current password").fill(temporary)
        officer.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
        officer.get_by_label("Repeat the new password").fill(NEW_PASSWORD)
        officer.get_by_role("button", name="Change password").click()
        expect(officer).to_have_title(re.compile(r"^My course"))
        expect(officer.locator("main")).to_contain_text(COURSE)
        expect(officer.get_by_role("heading", name="Week by week")).to_be_visible()
        expect(officer.locator("#week-1 li[data-state=open]").first).to_be_visible()

        # The temporary password no longer works (the log-in page answers 401); the new one does.
        assert_only_local_traffic(officer, live_server)
        officer.context.clear_cookies()
        log_in(officer, OFFICER["email"], temporary, lands=False)
        expect(officer.get_by_role("heading", level=1)).to_have_text("Log in")
        expect(officer.locator("main")).to_contain_text(
            "The e-mail address or password is not correct, or the account is locked")
        assert [e for e in officer.recorder.errors if "401" not in e] == []
        officer.recorder.errors.clear()
        officer.get_by_label("Password").fill(NEW_PASSWORD)
        officer.get_by_role("button", name="Log in").click()
        expect(officer).to_have_title(re.compile(r"^My course"))

        for page in (coordinator, staff, officer):
            assert_only_local_traffic(page, live_server)
    finally:
        for context in contexts:
            context.close()
