"""The controls of the two hottest exam pages, pinned: every link, form, field, button, label, id and ARIA
attribute of an attempt's pages (every question type) and of a result with its review and challenges.

The templates of these pages are tuned for CPU (issue #15); what a trainee receives must not change with
them. Each page is reduced to its elements that carry an id, a link, a name, a label or an ARIA attribute,
with the text of its labels, buttons and links, and compared with tests/exams/markup/*.txt. After a
deliberate change of these pages, write the files again: ``LMS_WRITE_MARKUP=1 pytest tests/exams/test_page_markup.py``.
"""
import os
import re
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace

import pytest

from lms.exams import attempts

from ..conftest import csrf_from, login
from .test_attempt_page import started_with_two_saves
from .test_challenges import FOUR_RIGHT, challenge, sit
from .test_views import page_text

MARKUP = Path(__file__).parent / "markup"
KEPT = re.compile(r"^(id|for|name|value|type|href|action|method|src|role|tabindex|hidden|checked|selected|required|"
                  r"maxlength|aria-.*|data-.*|content|title|rel)$")
TEXT_OF = {"a", "button", "label", "legend", "option", "summary", "h1", "h2", "h3", "title", "textarea", "span", "p",
           "dt", "dd"}


class Controls(HTMLParser):
    """The page's elements with a kept attribute, one line each; and the text of those named in TEXT_OF."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self.open: list[tuple[str, int]] = []  # (tag, index of its line) whose text is collected

    def handle_starttag(self, tag, attrs):
        kept = [(k, v) for k, v in attrs if KEPT.match(k)]
        if kept or tag in ("form", "input", "select", "textarea", "button", "a", "label", "nav", "fieldset"):
            self.lines.append(f"<{tag} " + " ".join(f"{k}={v!r}" for k, v in kept) + ">")
            if tag in TEXT_OF:
                self.open.append((tag, len(self.lines) - 1))

    def handle_endtag(self, tag):
        if self.open and self.open[-1][0] == tag:
            self.open.pop()

    def handle_data(self, data):
        words = " ".join(data.split())
        if words and self.open:
            index = self.open[-1][1]
            self.lines[index] += " " + words


def controls(html: str, attempt_id: int) -> str:
    """The page's controls, with what differs between runs (the CSRF token, the attempt's id) named."""
    html = html.replace(csrf_from(html), "{csrf}")
    html = re.sub(rf"/attempts/{attempt_id}\b", "/attempts/{attempt}", html)
    html = re.sub(rf'data-attempt="{attempt_id}"', 'data-attempt="{attempt}"', html)
    html = re.sub(r"%2Fattempts%2F\d+%", "%2Fattempts%2F{attempt}%", html)
    parser = Controls()
    parser.feed(html)
    return "\n".join(parser.lines) + "\n"


@pytest.fixture(autouse=True)
def same_draw(monkeypatch):
    """Every attempt drawn with one seed: the same questions in the same order, run after run."""
    monkeypatch.setattr(attempts, "secrets", SimpleNamespace(token_hex=lambda nbytes: "5eed" * (nbytes // 2)))


def assert_same(name: str, found: str):
    path = MARKUP / f"{name}.txt"
    if os.environ.get("LMS_WRITE_MARKUP"):
        MARKUP.mkdir(exist_ok=True)
        path.write_text(found)
    assert found == path.read_text(), f"the controls of {name} changed (see the module's docstring)"


def test_the_attempt_pages_keep_their_links_forms_labels_and_aria(client, world, clock):
    me, attempt = started_with_two_saves(client, world)
    for page in (1, 2, 3):
        html = page_text(me.get(f"/exams/attempts/{attempt.id}?page={page}"))
        assert_same(f"attempt-page-{page}", controls(html, attempt.id))


def test_the_result_page_keeps_its_links_forms_labels_and_aria(client, world, clock):
    attempt = sit(world.trainee, clock, right=FOUR_RIGHT, single="b")
    challenge(attempt, "mx-single", clock)
    login(client, world.trainee.email)
    html = page_text(client.get(f"/exams/attempts/{attempt.id}/result"))
    assert "Challenge this question" in html and "Your challenge:" in html
    assert_same("result", controls(html, attempt.id))
