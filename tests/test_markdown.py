"""Markdown is rendered with the course extensions and always sanitized."""
import re

import pytest

from lms.markdown import ALLOWED_CLASSES, ID_PREFIX, render_document, render_markdown

XSS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "<a href=\"javascript&#58;alert(1)\">x</a>",
    "<svg onload=alert(1)><circle/></svg>",
    "<iframe src=\"https://evil.example\"></iframe>",
    "<div onclick=\"alert(1)\">hi</div>",
    "<style>body{display:none}</style>",
    "<a href=\"data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==\">x</a>",
    "![x](javascript:alert(1))",
    "<form action=\"https://evil.example\"><input name=p></form>",
    "<object data=\"x.swf\"></object>",
    "<p style=\"background:url(javascript:alert(1))\">x</p>",
    "```\n<script>alert(1)</script>\n```",
    "<math><mi xlink:href=\"javascript:alert(1)\">x</mi></math>",
]


@pytest.mark.parametrize("payload", XSS)
def test_sanitizer_strips_active_content(payload):
    html = render_markdown(payload).lower()
    for bad in ("<script", "onerror", "onload", "onclick", "javascript:", "<iframe", "<style", "data:text",
                "<form", "<object", "style=", "<svg", "<math", "xlink"):
        assert bad not in html, (payload, html)


def test_fenced_code_is_shown_as_text_not_run():
    html = render_markdown("```\n<script>alert(1)</script>\n```")
    assert "&lt;script&gt;" in html


def test_course_extensions_render():
    doc = render_document(
        "## Stops\n\nText[^1]\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n!!! example \"Scenario: a traffic stop\"\n"
        "    The officer asks.\n\n### Detail\n\n[^1]: Terry v. Ohio.\n"
    )
    assert '<h2 id="content-stops">Stops</h2>' in doc.html
    assert "<table>" in doc.html and "<td>1</td>" in doc.html
    assert 'class="admonition example"' in doc.html and "Scenario: a traffic stop" in doc.html
    assert 'class="footnote"' in doc.html
    assert 'href="#content-stops"' in doc.toc_html and 'href="#content-detail"' in doc.toc_html


def test_safe_links_keep_their_target_with_noopener():
    html = render_markdown("[USCIS](https://www.uscis.gov/)")
    assert 'href="https://www.uscis.gov/"' in html and "noopener" in html


def _attributes(html: str, name: str) -> list[str]:
    return re.findall(rf'\b{name}="([^"]*)"', html)


HOSTILE_CLASSES = [
    # an attribute list on a paragraph, a heading and a link; raw HTML; admonition types
    "Your session has ended. Log in again.\n{: .usa-alert .usa-alert--error .position-fixed .top-0 }",
    "## Warning {: .usa-modal-wrapper .is-visible }",
    "[Log in](https://evil.example/){: .usa-button .usa-button--big }",
    '<div class="usa-alert usa-alert--emergency" role="alert">System compromised</div>',
    '!!! usa-alert "Session expired"\n    Log in again.',
]


@pytest.mark.parametrize("payload", HOSTILE_CLASSES)
def test_content_cannot_borrow_the_pages_classes(payload):
    html = render_markdown(payload)
    classes = {name for value in _attributes(html, "class") for name in value.split()}
    assert classes <= ALLOWED_CLASSES, html
    assert "role=" not in html


def test_allowed_classes_survive_and_others_are_dropped_from_the_same_list():
    html = render_markdown("Text\n{: .note .usa-alert }\n\n```python\nx = 1\n```")
    assert '<p class="note">Text</p>' in html
    assert '<code class="language-python">' in html
    assert "usa-alert" not in html


HOSTILE_IDS = [
    "## Heading {: #main-content }",  # the skip link's target
    "Answer\n{: #exam-form }",  # the exam page's form, read by exam.js
    '<span id="exam-timer">00:00</span>',
    "## Intro\n\n## Intro\n\n## Other {: #intro }",  # duplicates within the content
]


@pytest.mark.parametrize("payload", HOSTILE_IDS)
def test_content_ids_are_namespaced_and_unique(payload):
    html = render_markdown(payload)
    ids = _attributes(html, "id")
    assert ids and all(i.startswith(ID_PREFIX) for i in ids), html
    assert len(ids) == len(set(ids)), html
    for page_id in ("main-content", "exam-form", "exam-timer"):
        assert f'id="{page_id}"' not in html


def test_in_page_links_the_toc_and_footnotes_still_reach_their_targets():
    doc = render_document(
        "## Stops {: #stops-and-arrests }\n\nSee [detail](#detail) and a note[^1].\n\n### Detail\n\n"
        "[Elsewhere](https://www.uscis.gov/#top) and [home](/course)\n\n[^1]: Terry v. Ohio.\n"
    )
    ids = set(_attributes(doc.html, "id"))
    fragments = [h[1:] for h in _attributes(doc.html + doc.toc_html, "href") if h.startswith("#")]
    assert fragments and all(f in ids for f in fragments), (fragments, ids)
    assert {"content-stops-and-arrests", "content-detail"} <= ids
    assert 'href="#content-stops-and-arrests"' in doc.toc_html
    assert 'href="https://www.uscis.gov/#top"' in doc.html and 'href="/course"' in doc.html
