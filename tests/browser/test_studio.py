"""An instructor edits a module in the studio and sees the preview; a second instructor approves the draft
(two-person publish, this server's setting) and a trainee reads the new text. A server of its own, since
the shared one runs without two-person publish, as a development installation does."""
import re

import pytest
import yaml
from conftest import PROJECT_ROOT, follow_nav, log_in, start_server  # tests/browser/conftest.py

pytestmark = pytest.mark.browser

REVIEWER, REVIEWER_PASSWORD = "second.instructor@demo.example", "cedar window harbor ninety"
TEMPORARY = "temporary pass phrase one two"
NEW_TEXT = "A sentence written in the studio for this cohort."
PAYLOAD = "<script>window.studioXss = 1</script><img src=x onerror=\"window.studioXss = 2\">"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    server = start_server(tmp_path_factory.mktemp("studio-instance"), settings={"LMS_TWO_PERSON_PUBLISH": "true"})
    server.cli("users", "create", REVIEWER, "--name", "Ivy Reviewer", "--role", "instructor", "--password", TEMPORARY)
    yield server
    server.stop()


@pytest.fixture
def chromium(browser):
    """The suite's one browser (a process may run a single Playwright instance)."""
    return browser


def _first_module() -> str:
    track = yaml.safe_load((PROJECT_ROOT / "curriculum" / "tracks" / "officer-basic.yml").read_text())
    return track["schedule"][0]["modules"][0]


def _log_in(browser, server, email, password, *, privileged=True):
    context = browser.new_context(base_url=server.url)
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    log_in(page, email, password, privileged=privileged)
    return context, page, errors


def test_an_edit_is_previewed_approved_by_a_second_instructor_and_read_by_a_trainee(server, chromium):
    from playwright.sync_api import expect

    slug = _first_module()
    context, page, errors = _log_in(chromium, server, *server.account("instructor"))
    follow_nav(page, "Studio")
    expect(page.get_by_role("heading", level=1)).to_have_text("Studio")
    page.goto(f"/studio/modules/{slug}/edit")
    body = page.get_by_label("Markdown")
    body.press("End")  # the caret to the end of the body, then type as an author would
    body.evaluate("(area) => area.setSelectionRange(area.value.length, area.value.length)")
    body.press_sequentially(f"\n\n{NEW_TEXT}\n\n{PAYLOAD}\n", delay=5)
    preview = page.locator("#preview")
    expect(preview).to_contain_text(NEW_TEXT)  # refreshed after the pause in typing, without a click
    assert page.evaluate("window.studioXss") is None
    assert preview.locator("script, img").count() == 0
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_role("status")).to_contain_text("Draft revision 1 saved.")
    expect(page.get_by_text("A second instructor must approve this draft")).to_be_visible()
    expect(page.get_by_role("button", name="Approve and publish")).to_have_count(0)
    revision_url = page.url
    context.close()

    context, page, more_errors = _log_in(chromium, server, REVIEWER, TEMPORARY)
    expect(page.get_by_role("heading", level=1)).to_have_text("Change password")
    page.get_by_label("Current password").fill(TEMPORARY)
    page.get_by_label("New password", exact=True).fill(REVIEWER_PASSWORD)
    page.get_by_label("Repeat the new password").fill(REVIEWER_PASSWORD)
    page.get_by_role("button", name="Change password").click()
    page.goto(revision_url)
    expect(page.locator("#preview")).to_contain_text(NEW_TEXT)
    page.get_by_role("textbox", name="Comment").fill("Checked against the statute.")
    page.get_by_role("button", name="Add comment").click()
    expect(page.get_by_role("status")).to_contain_text("Comment added.")
    page.get_by_role("button", name="Approve and publish").click()
    expect(page.get_by_role("status")).to_contain_text(re.compile(r"Published as version \d+\."))
    context.close()

    context, page, trainee_errors = _log_in(chromium, server, *server.account("trainee"), privileged=False)
    page.goto(f"/course/modules/{slug}")
    expect(page.locator(".module-body")).to_contain_text(NEW_TEXT)
    assert page.evaluate("window.studioXss") is None
    context.close()
    assert errors + more_errors + trainee_errors == []
