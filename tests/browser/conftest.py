"""Browser fixtures: a real LMS server process on its own SQLite, driven by Debian's chromium.

The server is what a new user gets: `lms quickstart --no-serve` (migrations, the bundled course, the demo
agency, cohort and accounts) in a temporary instance folder, then gunicorn on a free local port. It never
touches the test database of the rest of the suite.

Tests marked ``browser`` are skipped when /usr/bin/chromium is missing, unless LMS_REQUIRE_BROWSER=1 (the
CI), where a missing browser is an error. Playwright's own browser downloads are never used.
"""
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pyotp
import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
# A demo account line of quickstart's output ("|   trainee   trainee@demo.example   <password>   |", boxed).
ACCOUNT_LINE = re.compile(r"^[|\s]+(\w+)\s+(\S+@\S+)\s+(\S+?)\s*\|?\s*$", re.MULTILINE)


def browser_required() -> bool:
    """LMS_REQUIRE_BROWSER=1: a missing browser fails the run instead of skipping the tests."""
    return os.environ.get("LMS_REQUIRE_BROWSER", "").strip().lower() in {"1", "true", "yes"}


def pytest_runtest_setup(item):
    if item.get_closest_marker("browser") is None:
        return
    problem = None
    if not os.access(CHROMIUM, os.X_OK):
        problem = f"{CHROMIUM} is missing (apt-get install chromium)"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            problem = "the playwright package is missing (pip install -e '.[test]')"
    if problem:
        if browser_required():
            pytest.fail(f"LMS_REQUIRE_BROWSER=1 but {problem}.", pytrace=False)
        pytest.skip(f"browser test: {problem}")


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class LiveServer:
    """A running LMS: its base URL and the demo accounts' passwords printed by quickstart."""

    url: str
    instance: Path
    process: subprocess.Popen
    log_path: Path
    passwords: dict[str, str] = field(default_factory=dict)  # e-mail -> password
    settings: dict[str, str] = field(default_factory=dict)  # its own LMS_* settings beyond the defaults

    def account(self, role: str) -> tuple[str, str]:
        """The demo account (e-mail, password) of a role."""
        email = f"{role}@demo.example"
        return email, self.passwords[email]

    def is_local(self, url: str) -> bool:
        """True for this server's own URLs (and the browser's internal data:/about: ones)."""
        parts = urlsplit(url)
        return parts.scheme in {"data", "about", "blob"} or f"{parts.scheme}://{parts.netloc}" == self.url

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def cli(self, *args: str) -> str:
        """Run an `lms` command on this server's instance (its own database), as its operator would; its output."""
        result = subprocess.run([sys.executable, "-c", "from lms.app import run_cli; run_cli()", *args],
                                cwd=PROJECT_ROOT, env=self.env(), capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            raise RuntimeError(f"lms {' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
        return result.stdout

    def run_script(self, script: str, *args: str):
        """Run a Python set-up script in this server's instance (its own database, through the app's services);
        the JSON object it prints last."""
        result = subprocess.run([sys.executable, "-c", script, *args], cwd=PROJECT_ROOT, env=self.env(),
                                capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout.strip().splitlines()[-1])

    def env(self) -> dict[str, str]:
        """The environment of this server's processes (its instance, its database, its settings)."""
        return _server_env(self.instance, self.url, self.settings)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@dataclass
class Authenticator:
    """The authenticator app of one account: its secret (read from the enrolment page) and the last time
    step it gave a code for, since the server accepts each step once."""

    secret: str
    last_step: int

    def code(self) -> str:
        """The next code to type: the earliest step the server accepts (now ± 1) that was not used yet."""
        totp = pyotp.TOTP(self.secret)
        moment = time.time()
        now = totp.timecode(moment)
        # The previous step's code leaves the server's window at the next step boundary: use it only when
        # that is well ahead, so a slow machine's click does not land after it (the code is then refused).
        earliest = now - 1 if totp.interval - moment % totp.interval > 15 else now
        step = max(earliest, self.last_step + 1)
        if step > now + 1:
            raise RuntimeError("more than three log-ins of one account within 30 seconds")
        self.last_step = step
        return totp.generate_otp(step)


AUTHENTICATORS: dict[tuple[str, str], Authenticator] = {}  # (server origin, e-mail) -> its app


def log_in(page, email, password, *, privileged=False, from_notice=True, lands=True):
    """Through the notice and the log-in form, as a person would, until the log-in has landed; a privileged
    account's second step too. ``from_notice=False``: the page already shows the notice (a session ended);
    ``lands=False``: the log-in is meant to be refused (the caller checks how)."""
    from playwright.sync_api import expect

    if from_notice:
        page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_have_text("System use notice")
    # USWDS draws its own checkbox and moves the real input off-screen: a user clicks the label.
    page.get_by_text("I have read and understand this notice").click()
    expect(page.get_by_label("I have read and understand this notice")).to_be_checked()
    page.get_by_role("button", name="Acknowledge and continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    if lands:  # checking a password takes a while on a busy machine
        page.wait_for_url(lambda url: urlsplit(url).path not in ("/login", "/notice"), timeout=30_000)
    if privileged:
        second_factor(page, email)


def second_factor(page, email: str) -> None:
    """After a privileged account's right password: the first time, set up an authenticator as a person
    would (the secret read from the page, the first code typed, the recovery codes acknowledged); after that,
    type the code the authenticator shows."""
    from playwright.sync_api import expect

    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text(re.compile(r"^(Two-factor log-in|Set up two-factor log-in)$"))
    parts = urlsplit(page.url)
    key = (f"{parts.scheme}://{parts.netloc}", email)
    if heading.inner_text() == "Set up two-factor log-in":
        secret = page.locator(".totp-secret").inner_text().replace(" ", "")
        totp = pyotp.TOTP(secret)
        AUTHENTICATORS[key] = Authenticator(secret, totp.timecode(time.time()) - 2)
        page.get_by_label("Code from the app").fill(AUTHENTICATORS[key].code())
        page.get_by_role("button", name="Turn on two-factor log-in").click()
        expect(page.get_by_role("heading", name="Recovery codes, shown only once")).to_be_visible()
        page.get_by_role("link", name="I have saved my recovery codes — continue").click()
    else:
        page.get_by_label("Authentication code").fill(AUTHENTICATORS[key].code())
        page.get_by_role("button", name="Verify").click()
    expect(heading).not_to_have_text(re.compile(r"two-factor", re.IGNORECASE))


def _server_env(instance: Path, url: str, settings: dict[str, str] | None = None) -> dict[str, str]:
    # The server's settings come only from here: not the suite's test database, not the caller's LMS_*.
    env = {k: v for k, v in os.environ.items() if not k.startswith("LMS_")}
    env.update(LMS_INSTANCE_PATH=str(instance), LMS_PUBLIC_URL=url, PYTHONUNBUFFERED="1")
    env.update(settings or {})
    return env


def start_server(instance: Path, *, timeout: float = 60, settings: dict[str, str] | None = None) -> LiveServer:
    """Run quickstart (without serving) in ``instance``, then gunicorn on a free port; wait until it answers.

    ``settings``: LMS_* variables of this server only (a short idle timeout, its own content folder).
    """
    instance.mkdir(parents=True, exist_ok=True)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = _server_env(instance, url, settings)
    setup = subprocess.run([sys.executable, "-c", "from lms.app import run_cli; run_cli()", "quickstart", "--no-serve"],
                           cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=300)
    if setup.returncode != 0:
        raise RuntimeError(f"lms quickstart failed ({setup.returncode}):\n{setup.stdout}\n{setup.stderr}")
    passwords = {email: password for _, email, password in ACCOUNT_LINE.findall(setup.stdout)}
    log_path = instance / "server.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "2", "--threads", "4",
             "--access-logfile", "-", "lms.app:create_app()"],
            cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )
    server = LiveServer(url=url, instance=instance, process=process, log_path=log_path, passwords=passwords,
                        settings=dict(settings or {}))
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited ({process.returncode}):\n{server.log()}")
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2) as response:
                if response.status == 200:
                    return server
        except OSError:
            pass
        if time.monotonic() > deadline:
            server.stop()
            raise RuntimeError(f"the server did not answer within {timeout} s:\n{server.log()}")
        time.sleep(0.1)  # polling a process that is starting, not waiting on the page


def launch_chromium(playwright):
    """Debian's chromium, headless, with nothing that phones home."""
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    server = start_server(tmp_path_factory.mktemp("live-instance"))
    assert server.passwords, "quickstart printed no demo passwords"
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        yield browser
        browser.close()


class Recorder:
    """Every request the page made, and every script error or console error it showed."""

    def __init__(self, context):
        self.requests: list[str] = []
        self.errors: list[str] = []
        context.on("request", lambda request: self.requests.append(request.url))
        context.on("weberror", lambda error: self.errors.append(f"page error: {error.error}"))
        context.on("console", lambda msg: self.errors.append(f"console: {msg.text}") if msg.type == "error" else None)


def _page(browser, live_server, viewport):
    context = browser.new_context(viewport=viewport, base_url=live_server.url)
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.recorder = Recorder(context)
    return context, page


@pytest.fixture
def page(browser, live_server):
    """A fresh browser context (no cookies) at desktop width; ``page.recorder`` holds what it saw."""
    context, page = _page(browser, live_server, DESKTOP)
    yield page
    context.close()


@pytest.fixture
def phone_page(browser, live_server):
    """A fresh browser context at a phone's width."""
    context, page = _page(browser, live_server, PHONE)
    yield page
    context.close()


def follow_nav(page, name):
    """Follow a link of the header's primary navigation, opening its dropdown menu first when it is in one."""
    nav = page.get_by_role("navigation", name="Primary navigation")
    link = nav.get_by_role("link", name=name, exact=True, include_hidden=True)
    if not link.is_visible():
        in_menu = page.get_by_role("link", name=name, exact=True, include_hidden=True)  # relative to the menu's item
        nav.locator("li.usa-nav__primary-item").filter(has=in_menu).get_by_role("button").click()
    path = urlsplit(link.get_attribute("href")).path
    link.click()
    # The click returns before the next page loads: a script evaluated then may find no document at all.
    page.wait_for_url(lambda url: urlsplit(url).path == path)


def log_out(page):
    """Log out through the user's menu at the end of the header (its button is the user's name)."""
    page.locator(".nav-user__button").click()
    page.get_by_role("navigation", name="Primary navigation").get_by_role("button", name="Log out").click()
