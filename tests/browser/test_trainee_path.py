"""The demo trainee's first visit, in a real browser against a real server."""
import re

import pytest
from conftest import log_in  # tests/browser/conftest.py

pytestmark = pytest.mark.browser


def log_in_as(page, live_server, role="trainee"):
    """From the home page, with the demo account of ``role`` (every role but trainee has a second factor)."""
    log_in(page, *live_server.account(role), privileged=role != "trainee")


def assert_only_local_traffic(page, live_server):
    foreign = [url for url in page.recorder.requests if not live_server.is_local(url)]
    assert page.recorder.requests, "no request was recorded"
    assert foreign == [], f"requests left the server under test: {foreign}"
    assert page.recorder.errors == []


def test_trainee_logs_in_opens_a_module_and_marks_it_completed(page, live_server):
    from playwright.sync_api import expect

    log_in_as(page, live_server)
    expect(page).to_have_title(re.compile(r"^My course"))
    expect(page.get_by_role("heading", name="Week by week")).to_be_visible()

    item = page.locator("#week-1 li[data-state=open]").first
    link = item.get_by_role("link")
    title, href = link.inner_text(), link.get_attribute("href")
    link.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    expect(page.get_by_role("heading", name="Objectives")).to_be_visible()
    page.get_by_role("button", name="Mark as completed").click()
    expect(page.get_by_role("status")).to_contain_text(f"“{title}” is marked as completed.")

    page.get_by_role("navigation", name="Primary navigation").get_by_role("link", name="My course").click()
    expect(page).to_have_title(re.compile(r"^My course"))
    done = page.locator(f"#week-1 li:has(a[href='{href}'])")
    expect(done).to_have_attribute("data-state", "completed")
    expect(done.locator(".state")).to_have_text("Completed")
    expect(page.get_by_role("region", name="Progress")).to_contain_text(re.compile(r"\b1 of \d+ modules completed"))
    assert_only_local_traffic(page, live_server)


def test_a_phone_user_reaches_the_course_through_the_menu(phone_page, live_server):
    from playwright.sync_api import expect

    page = phone_page
    log_in_as(page, live_server)
    expect(page).to_have_title(re.compile(r"^My course"))
    nav_link = page.get_by_role("navigation", name="Primary navigation").get_by_role("link", name="My course")
    expect(nav_link).to_be_hidden()  # folded away behind the menu button on a narrow screen
    page.get_by_role("button", name="Menu").click()  # needs the USWDS script, served locally under the CSP
    expect(nav_link).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), "the page scrolls sideways"
    assert_only_local_traffic(page, live_server)
