"""Two-factor log-in in a real browser: a new staff account sets up an authenticator on its first log-in
(the QR code decodes to its secret; the code is made from the secret read on the page), then logs in again
with a code."""
import re
import shutil
import subprocess
import time
from urllib.parse import parse_qs, urlsplit

import pyotp
import pytest
from conftest import log_out, second_factor  # tests/browser/conftest.py

pytestmark = pytest.mark.browser

EMAIL = "nia.newstaff@demo.example"
TEMPORARY = "temporary staff passphrase 7781"
NEW_PASSWORD = "blue heron quietly crossing 2026"


def start_log_in(page, password):
    from playwright.sync_api import expect

    page.goto("/")
    page.get_by_text("I have read and understand this notice").click()
    page.get_by_role("button", name="Acknowledge and continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in")
    page.get_by_label("E-mail address").fill(EMAIL)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def test_a_staff_account_enrols_on_its_first_log_in_and_then_logs_in_with_a_code(browser, live_server, page,
                                                                                   tmp_path):
    from playwright.sync_api import expect

    live_server.cli("users", "create", EMAIL, "--name", "Nia Newstaff", "--role", "staff", "--password", TEMPORARY)
    start_log_in(page, TEMPORARY)
    # Straight to enrolment; nothing else is reachable yet.
    expect(page.get_by_role("heading", level=1)).to_have_text("Set up two-factor log-in")
    secret = page.locator(".totp-secret").inner_text().replace(" ", "")
    assert re.fullmatch(r"[A-Z2-7]{32}", secret)
    if shutil.which("zbarimg"):  # the QR code carries the same secret, drawn by the server itself
        page.locator(".totp-qr svg").screenshot(path=tmp_path / "qr.png")
        uri = subprocess.run(["zbarimg", "--raw", "-q", str(tmp_path / "qr.png")], capture_output=True, text=True,
                             check=True).stdout.strip()
        assert uri.startswith("otpauth://totp/") and parse_qs(urlsplit(uri).query)["secret"] == [secret]
    page.goto("/registry")
    expect(page.get_by_role("heading", level=1)).to_have_text("Set up two-factor log-in")
    page.get_by_label("Code from the app").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Turn on two-factor log-in").click()
    expect(page.get_by_role("heading", name="Recovery codes, shown only once")).to_be_visible()
    assert page.locator(".recovery-codes li").count() == 10
    page.get_by_role("link", name="I have saved my recovery codes — continue").click()
    # A new account chooses its own password next.
    expect(page.get_by_role("heading", level=1)).to_have_text("Change password")
    page.get_by_label("Current password").fill(TEMPORARY)
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Repeat the new password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Cohorts")
    log_out(page)

    # The next log-in asks for a code from the authenticator (the first one's time step is used up).
    start_log_in(page, NEW_PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_have_text("Two-factor log-in")
    totp = pyotp.TOTP(secret)
    page.get_by_label("Authentication code").fill(totp.at(time.time(), counter_offset=1))
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Cohorts")
    expect(page.locator(".nav-user")).to_contain_text("Nia Newstaff")
    assert page.recorder.errors == []
    assert [url for url in page.recorder.requests if not live_server.is_local(url)] == []


def test_demo_accounts_of_every_privileged_role_get_in_with_a_second_factor(page, live_server):
    """The quickstart's demo administrator (the others are driven by the other browser tests): the first
    log-in sets up the authenticator, as a newcomer would."""
    from playwright.sync_api import expect

    email, password = live_server.account("admin")
    page.goto("/")
    page.get_by_text("I have read and understand this notice").click()
    page.get_by_role("button", name="Acknowledge and continue").click()
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    second_factor(page, email)
    expect(page.get_by_role("heading", level=1)).to_have_text("Accounts")
