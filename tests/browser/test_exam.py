"""A trainee takes an exam end to end in a real browser: start, answer (autosaved), reload mid-way
(the answers are still there), submit, see the result. No script errors, no CSP violations."""
import re

import pytest
from conftest import log_in  # tests/browser/conftest.py

pytestmark = pytest.mark.browser


def answer_page(page):
    """Answer every question on the page the way a person would, and wait until each is saved."""
    from playwright.sync_api import expect

    questions = page.locator("fieldset.exam-question")
    for i in range(questions.count()):
        q = questions.nth(i)
        kind = q.get_attribute("data-qtype")
        if kind in ("single", "true_false"):
            q.locator("label.usa-radio__label").first.click()
        elif kind == "multiple":
            q.locator(".usa-checkbox:not(.exam-flag) label").first.click()
        elif kind == "short":
            q.locator("input[type=text]").fill("a typed answer")
        elif kind == "numeric":
            q.locator("input[type=text]").fill("12")
        elif kind == "matching":
            selects = q.locator("select")
            for j in range(selects.count()):
                selects.nth(j).select_option(index=j + 1)
        expect(q.locator(".exam-save-state")).to_have_attribute("data-state", "answered", timeout=10_000)
    return questions.count()


def snapshot(page):
    """What the page's controls hold: checked boxes, typed text, chosen options."""
    return page.evaluate("""() => Array.from(document.querySelectorAll('fieldset.exam-question input, """
                         """fieldset.exam-question select'))
        .map(el => el.name + '=' + ((el.type === 'radio' || el.type === 'checkbox') ? el.checked : el.value))""")


def test_a_trainee_takes_an_exam_end_to_end(page, live_server):
    from playwright.sync_api import expect

    log_in(page, "custody.trainee@demo.example", live_server.passwords["custody.trainee@demo.example"])
    expect(page).to_have_title(re.compile(r"^My course"))
    exam_link = page.locator("#week-1 a[href^='/exams/']").first
    expect(exam_link.locator("xpath=..")).to_have_attribute("data-state", "not_started")
    exam_link.click()
    expect(page.get_by_role("heading", name="Rules")).to_be_visible()
    page.get_by_role("button", name="Start attempt 1").click()

    expect(page.locator("#exam-timer")).to_be_visible()
    expect(page.locator("#exam-timer-value")).to_have_text(re.compile(r"^0:2\d:\d\d$"))
    answered = answer_page(page)
    assert answered >= 1
    expect(page.get_by_role("button", name=re.compile(r"^Question 1, answered"))).to_be_visible()
    before = snapshot(page)
    page.locator("fieldset.exam-question").first.locator(".exam-flag label").click()
    expect(page.get_by_role("button", name=re.compile(r"^Question 1, answered, flagged"))).to_be_visible()

    page.reload()  # mid-way: everything acknowledged as saved is still there
    expect(page.locator("fieldset.exam-question").first.locator(".exam-save-state")).to_have_attribute(
        "data-state", "answered")
    assert snapshot(page) == [s.replace("flag0=false", "flag0=true") for s in before]

    page.get_by_role("button", name="Next page").click()
    expect(page).to_have_title(re.compile(r"page 2 of"))
    answer_page(page)
    page.get_by_role("button", name="Review and submit").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Submit your answers?")
    expect(page.get_by_text(re.compile(r"questions? not answered"))).to_be_visible()
    page.get_by_role("button", name="Submit my answers for grading").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"^Result: "))
    expect(page.locator(".exam-score")).to_have_text(re.compile(r"^\d+(\.\d)?%$"))
    expect(page.locator(".exam-outcome")).to_be_visible()
    page.emulate_media(media="print")
    expect(page.locator(".usa-header")).to_be_hidden()
    foreign = [url for url in page.recorder.requests if not live_server.is_local(url)]
    assert foreign == [] and page.recorder.errors == []
