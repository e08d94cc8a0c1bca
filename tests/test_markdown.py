"""Markdown is rendered with the course extensions and always sanitized."""
import pytest

from lms.markdown import render_document, render_markdown

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
    assert '<h2 id="stops">Stops</h2>' in doc.html
    assert "<table>" in doc.html and "<td>1</td>" in doc.html
    assert 'class="admonition example"' in doc.html and "Scenario: a traffic stop" in doc.html
    assert 'class="footnote"' in doc.html
    assert 'href="#stops"' in doc.toc_html and 'href="#detail"' in doc.toc_html


def test_safe_links_keep_their_target_with_noopener():
    html = render_markdown("[USCIS](https://www.uscis.gov/)")
    assert 'href="https://www.uscis.gov/"' in html and "noopener" in html
