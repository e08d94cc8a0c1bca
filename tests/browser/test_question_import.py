"""An instructor imports a GIFT file into a bank through the preview: in a real browser against a real server
(`lms quickstart --no-serve`)."""
import re

import pytest
from conftest import DESKTOP, Recorder, follow_nav, log_in  # tests/browser/conftest.py

pytestmark = pytest.mark.browser

BANK = "The 287(g) agreement: statute, models, terms and supervision"
GIFT = """// Two questions and an essay, which cannot be imported.
::Supervisor::Who supervises a designated officer's immigration work? {
  =ICE#Right: the agreement places it under ICE supervision.
  ~The county executive#No: the county has no part in it.
  ~A state court#No.
}

::Written agreement:: A 287(g) delegation requires a written agreement. {TRUE#Right: 8 U.S.C. 1357(g)(1).}

::Essay::Describe the agreement in your own words. {}
"""


def test_an_instructor_imports_a_gift_file_through_the_preview(browser, live_server, tmp_path):
    from playwright.sync_api import expect

    context = browser.new_context(viewport=DESKTOP, base_url=live_server.url)
    context.set_default_timeout(10_000)
    try:
        page = context.new_page()
        page.recorder = Recorder(context)
        email, password = live_server.account("instructor")
        log_in(page, email, password, privileged=True)

        follow_nav(page, "Question banks")
        expect(page.get_by_role("heading", level=1)).to_have_text("Question banks")
        page.get_by_role("link", name=re.compile("Import questions from Moodle")).click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Import and export questions")
        row = page.get_by_role("row", name=re.compile(re.escape(BANK)))
        before = int(row.locator("td.num").inner_text())
        row.get_by_role("link", name=f"Import into {BANK}").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Import questions")
        expect(page.get_by_label("Question bank")).to_have_value("agreement")

        gift = tmp_path / "from-moodle.gift"
        gift.write_text(GIFT)
        page.get_by_label("Format of the file").select_option("gift")
        page.locator("input#questions").set_input_files(str(gift))  # USWDS relabels the control
        page.get_by_label("Objective the questions test").select_option("AG-1.1")
        page.get_by_role("button", name="Preview").click()

        expect(page.get_by_role("heading", level=1)).to_have_text("Preview of from-moodle.gift")
        preview = page.locator("#preview")
        expect(preview.get_by_role("row")).to_have_count(3)  # the header and two questions
        expect(preview).to_contain_text("Single choice")
        expect(preview).to_contain_text("key: ICE")
        expect(preview).to_contain_text("feedback: No: the county has no part in it.")
        expect(preview).to_contain_text("True or false")
        expect(page.locator("#problems")).to_contain_text("line 10")
        expect(page.locator("#problems")).to_contain_text("essay")

        page.get_by_role("button", name="Import 2 questions into agreement").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Import and export questions")
        expect(page.locator("main")).to_contain_text("Imported into agreement: 2 new")
        row = page.get_by_role("row", name=re.compile(re.escape(BANK)))
        expect(row.locator("td.num")).to_have_text(str(before + 2))
        assert page.recorder.errors == []
    finally:
        context.close()
