"""Take the README's screenshot (and, with --all, a review set of pages) in headless Debian chromium.

It starts the same kind of server the browser tests use: `lms quickstart --no-serve` in a temporary
instance folder, then gunicorn on a free port. Needs the test extra and /usr/bin/chromium.

    .venv/bin/python docs/screenshots.py            # docs/screenshot-course.png
    .venv/bin/python docs/screenshots.py --all      # also test-artifacts/screenshots/*.png
"""
import argparse
import sys
import tempfile
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

from playwright.sync_api import expect, sync_playwright  # noqa: E402

from tests.browser.conftest import DESKTOP, PHONE, launch_chromium, start_server  # noqa: E402


def log_in(page, server, role):
    """Acknowledge the notice and log in as the demo account of ``role``."""
    email, password = server.account(role)
    page.goto("/notice")
    page.get_by_text("I have read and understand this notice").click()
    page.get_by_role("button", name="Acknowledge and continue").click()
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda url: "/login" not in url and "/notice" not in url)


def complete_first_modules(page, count):
    """Mark the first ``count`` open modules completed, so the course page shows some progress."""
    for _ in range(count):
        page.goto("/course")
        page.locator(".timeline li[data-state=open] a").first.click()
        page.get_by_role("button", name="Mark as completed").click()
        expect(page.get_by_role("status")).to_contain_text("marked as completed")


def course_screenshot(browser, server, path: Path):
    """The trainee's "My course" page at desktop width: the README's picture."""
    context = browser.new_context(viewport={"width": 1200, "height": 1000}, base_url=server.url)
    page = context.new_page()
    log_in(page, server, "trainee")
    complete_first_modules(page, 2)
    page.goto("/course")
    page.locator(".timeline li[data-state=open] a").first.click()  # one more read, not completed
    page.goto("/course")
    page.screenshot(path=str(path))
    context.close()


def review_set(browser, server, folder: Path):
    """The pages a reviewer looks at, at desktop and phone widths, full length."""
    folder.mkdir(parents=True, exist_ok=True)
    for label, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        shots = []
        context = browser.new_context(viewport=viewport, base_url=server.url)
        page = context.new_page()
        page.goto("/notice")
        shots.append(("notice", page.screenshot(full_page=True)))
        page.get_by_text("I have read and understand this notice").click()
        page.get_by_role("button", name="Acknowledge and continue").click()
        shots.append(("login", page.screenshot(full_page=True)))
        context.close()

        for role, pages in (
            ("trainee", [("course", "/course"), ("module", None)]),
            ("instructor", [("cohorts", "/cohorts"), ("roster", "roster")]),
            ("admin", [("accounts", "/admin/users"), ("audit", "/admin/audit")]),
        ):
            context = browser.new_context(viewport=viewport, base_url=server.url)
            page = context.new_page()
            log_in(page, server, role)
            for name, url in pages:
                if name == "module":
                    page.goto("/course")
                    page.locator("#week-1 li[data-state] a").first.click()
                elif url == "roster":
                    page.goto("/cohorts")
                    page.get_by_role("main").get_by_role("link").first.click()
                else:
                    page.goto(url)
                shots.append((name, page.screenshot(full_page=True)))
            if label == "phone":
                page.get_by_role("button", name="Menu").click()
                expect(page.get_by_role("navigation", name="Primary navigation")).to_be_visible()
                shots.append((f"{role}-menu", page.screenshot(animations="disabled")))
            context.close()
        for name, png in shots:
            (folder / f"{label}-{name}.png").write_bytes(png)
            print(folder / f"{label}-{name}.png")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=PROJECT_ROOT / "docs" / "screenshot-course.png")
    parser.add_argument("--all", action="store_true", help="also the review set of pages")
    parser.add_argument("--folder", type=Path, default=PROJECT_ROOT / "test-artifacts" / "screenshots")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as playwright:
        server = start_server(Path(tmp) / "instance")
        try:
            browser = launch_chromium(playwright)
            course_screenshot(browser, server, args.output)
            print(args.output, f"{args.output.stat().st_size // 1024} KB")
            if args.all:
                review_set(browser, server, args.folder)
            browser.close()
        finally:
            server.stop()


if __name__ == "__main__":
    main()
