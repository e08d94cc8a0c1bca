"""An ordering question in a real browser: answered with the keyboard alone (Tab to an item's "Move up"
button, Enter or Space moves it, focus stays on it, each move is announced and autosaved), shown in the
saved order after a reload and graded; and without JavaScript, by the position select of each item.

A server of its own: the bundled course with the first week's exam drawing, in a fixed order, the ordering
fixture bank (tests/fixtures/ordering_content: two ordering questions and one single-choice question).
"""
import re
import shutil

import pytest

from conftest import PROJECT_ROOT, start_server  # tests/browser/conftest.py
from test_accessibility import SIDEWAYS, _axe
from test_exam_day import add_trainee, log_in, new_page, start_exam, submit_from_the_page

pytestmark = pytest.mark.browser

BANK = PROJECT_ROOT / "tests" / "fixtures" / "ordering_content" / "question_banks" / "ordering.yml"
PATH = ["Read the agreement", "Complete the course", "Pass the exams", "Receive the certificate"]


def ordering_content(folder):
    """The bundled course, week 1's exam drawing the ordering fixture bank in its order, three per page."""
    for name in ("curriculum", "question_banks"):
        shutil.copytree(PROJECT_ROOT / name, folder / name)
    shutil.copy(BANK, folder / "question_banks" / "ordering.yml")
    exam = folder / "curriculum" / "exams" / "agreement-exam.yml"
    text = exam.read_text()
    text = re.sub(r"shuffle_questions: true", "shuffle_questions: false", text)
    text = re.sub(r"per_page: \d+", "per_page: 3", text)
    text = re.sub(r"no_repeats: true", "no_repeats: false", text)
    exam.write_text(text[:text.index("draw:")] + "draw:\n  - {bank: ordering, count: 3}\n")
    return folder


@pytest.fixture(scope="module")
def ordering_server(tmp_path_factory):
    content = ordering_content(tmp_path_factory.mktemp("ordering-content"))
    server = start_server(tmp_path_factory.mktemp("ordering-instance"), settings={"LMS_CONTENT_ROOT": str(content)})
    yield server
    server.stop()


def focused(page) -> dict:
    return page.evaluate("""() => { const el = document.activeElement;
        return {tag: el.tagName.toLowerCase(), label: el.getAttribute('aria-label') || '', id: el.id || ''}; }""")


def tab_to(page, label, limit=40):
    """Press Tab until the focused element's accessible label is ``label``."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if focused(page)["label"] == label:
            return
    raise AssertionError(f"Tab never reached {label!r}; last focused: {focused(page)!r}")


def shown_items(question):
    return [text.strip().removeprefix("Position of ").strip()
            for text in question.locator("li label").all_text_contents()]


def test_an_ordering_question_answered_with_the_keyboard_alone(browser, ordering_server):
    from playwright.sync_api import expect

    context, page = new_page(browser, ordering_server)
    try:
        log_in(page, add_trainee(ordering_server, "order.olga@demo.example"))
        attempt_id = start_exam(page, "agreement-exam")
        question = page.locator("fieldset.exam-question[data-qtype=ordering]").first
        expect(question.get_by_role("button", name=re.compile(r"^Move up: "))).to_have_count(4)
        expect(question.get_by_role("button", name=re.compile(r"^Move down: "))).to_have_count(4)
        assert shown_items(question) != PATH and sorted(shown_items(question)) == sorted(PATH)
        expect(question.locator(".exam-save-state")).to_have_attribute("data-state", "unanswered")
        assert _axe(page, "ordering question") == []
        page.set_viewport_size({"width": 320, "height": 800})
        assert page.evaluate(SIDEWAYS) <= 0
        page.screenshot(path=str(ordering_server.instance / "ordering-320.png"), full_page=True)
        page.set_viewport_size({"width": 1280, "height": 900})

        # Put each item in its place from the top: Tab to its "Move up" button, press it until it is there.
        question.focus()  # where the page's "Skip to question 1" link puts the keyboard
        for place, text in enumerate(PATH):
            now = shown_items(question).index(text)
            if now == place:
                continue
            tab_to(page, f"Move up: {text}")
            for step in range(now - place):
                page.keyboard.press("Enter" if step % 2 == 0 else "Space")
                expect(question.locator("li").nth(now - step - 1).locator("label")).to_contain_text(text)
                assert focused(page)["label"] == f"Move up: {text}"  # focus stays on the moved item's button
            expect(question.locator(".exam-order__status")).to_have_text(
                f"“{text}” moved to position {place + 1} of 4.")
        assert shown_items(question) == PATH
        assert [s.input_value() for s in question.locator("li select").all()] == ["1", "2", "3", "4"]
        expect(question.locator(".exam-save-state")).to_have_attribute("data-state", "answered")
        # At the bottom, "Move down" says the item is already last, and changes nothing.
        tab_to(page, f"Move down: {PATH[-1]}")
        page.keyboard.press("Enter")
        expect(question.locator(".exam-order__status")).to_have_text(f"“{PATH[-1]}” is already last.")
        assert shown_items(question) == PATH

        page.reload()  # the saved order comes back from the server
        question = page.locator("fieldset.exam-question[data-qtype=ordering]").first
        expect(question.locator(".exam-save-state")).to_have_attribute("data-state", "answered")
        assert shown_items(question) == PATH
        assert [s.input_value() for s in question.locator("li select").all()] == ["1", "2", "3", "4"]

        submit_from_the_page(page)
        expect(page.locator(".exam-score")).to_have_text(re.compile(r"^33(\.3+)?%$"))
        assert str(attempt_id) in page.url and page.recorder.errors == []
    finally:
        context.close()


def test_without_javascript_each_item_has_a_position_select(browser, ordering_server):
    from playwright.sync_api import expect

    context, page = new_page(browser, ordering_server, java_script_enabled=False)
    try:
        log_in(page, add_trainee(ordering_server, "order.nojs@demo.example"))
        start_exam(page, "agreement-exam")
        question = page.locator("fieldset.exam-question[data-qtype=ordering]").first
        expect(question.get_by_role("button", name=re.compile(r"^Move "))).to_have_count(0)
        for text in shown_items(question):
            question.get_by_label(f"Position of {text}").select_option(str(PATH.index(text) + 1))
        page.get_by_role("button", name="Save answers").click()
        expect(page.get_by_text("Your answers on this page are saved.")).to_be_visible()
        question = page.locator("fieldset.exam-question[data-qtype=ordering]").first
        assert shown_items(question) == PATH
        expect(question.locator(".exam-save-state")).to_have_attribute("data-state", "answered")
    finally:
        context.close()


def test_a_position_chosen_in_a_select_moves_the_item_and_kept_answers_come_back_in_order(browser, ordering_server):
    from playwright.sync_api import expect

    context, page = new_page(browser, ordering_server)
    try:
        log_in(page, add_trainee(ordering_server, "order.sam@demo.example"))
        attempt_id = start_exam(page, "agreement-exam")
        question = page.locator("fieldset.exam-question[data-qtype=ordering]").first
        before = shown_items(question)
        last = before[-1]
        select = question.get_by_label(f"Position of {last}")
        select.select_option("1")  # with the script, the item moves to the top and the others close up
        expect(question.locator("li label")).to_contain_text([last] + before[:-1])  # (waits for the script's move)
        assert shown_items(question) == [last] + before[:-1]
        assert [s.input_value() for s in question.locator("li select").all()] == ["1", "2", "3", "4"]
        assert page.evaluate("document.activeElement.id") == select.get_attribute("id")
        expect(question.locator(".exam-save-state")).to_have_attribute("data-state", "answered")

        # An answer kept in this browser and not yet saved (the session had ended) comes back in its order.
        names = {text: question.get_by_label(f"Position of {text}").get_attribute("name") for text in PATH}
        entry = {"0": {"fields": [[names[text], str(PATH.index(text) + 1)] for text in PATH], "flagged": False}}
        page.evaluate("([id, entry]) => localStorage.setItem('lms-exam-' + id, JSON.stringify(entry))",
                      [attempt_id, entry])
        page.reload()
        question = page.locator("fieldset.exam-question[data-qtype=ordering]").first
        expect(question.locator("li").first.locator("label")).to_contain_text(PATH[0])
        assert shown_items(question) == PATH
        expect(question.locator(".exam-save-state")).to_have_attribute("data-state", "answered")
        page.reload()  # and the server has it
        assert shown_items(page.locator("fieldset.exam-question[data-qtype=ordering]").first) == PATH
        assert page.recorder.errors == []
    finally:
        context.close()
