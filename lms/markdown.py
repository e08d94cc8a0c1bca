"""Markdown to sanitized HTML: the one renderer used for modules, questions and feedback."""
from dataclasses import dataclass

import markdown as md
import nh3

EXTENSIONS = [
    "tables",
    "fenced_code",
    "toc",
    "footnotes",
    "admonition",
    "attr_list",
    "def_list",
    "sane_lists",
]
EXTENSION_CONFIGS = {"toc": {"toc_depth": "2-3", "permalink": False}}

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "code", "dd", "del", "div", "dl", "dt", "em",
    "h2", "h3", "h4", "h5", "h6", "hr", "i", "li", "ol", "p", "pre", "s", "span", "strong", "sub",
    "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
}
ALLOWED_ATTRIBUTES = {
    "*": {"id", "class", "title"},
    "a": {"href"},
    "td": {"align", "colspan", "rowspan"},
    "th": {"align", "colspan", "rowspan", "scope"},
    "ol": {"start"},
}
URL_SCHEMES = {"http", "https", "mailto"}


@dataclass(frozen=True)
class Rendered:
    """Sanitized HTML of a document and of its generated table of contents."""

    html: str
    toc_html: str


def sanitize(html: str) -> str:
    """Keep a safe subset of HTML: no script, no event handlers, no javascript: URLs."""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )


def render_document(text: str) -> Rendered:
    """Render a module body: HTML plus a table of contents, both sanitized."""
    converter = md.Markdown(extensions=EXTENSIONS, extension_configs=EXTENSION_CONFIGS)
    html = converter.convert(text)
    toc = getattr(converter, "toc", "") or ""
    return Rendered(html=sanitize(html), toc_html=sanitize(toc) if "<li" in toc else "")


def render_markdown(text: str) -> str:
    """Render a short Markdown fragment (a question stem, feedback) to sanitized HTML."""
    return render_document(text).html
