"""Markdown to sanitized HTML: the one renderer used for modules, questions and feedback."""
import threading
from dataclasses import dataclass
from functools import lru_cache

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
    "*": {"id", "class", "title"},  # class and id are narrowed by _filter_attribute
    "a": {"href"},
    "td": {"align", "colspan", "rowspan"},
    "th": {"align", "colspan", "rowspan", "scope"},
    "ol": {"start"},
}
URL_SCHEMES = {"http", "https", "mailto"}

# The only classes content may carry (docs/CONTENT_FORMAT.md lists them): those the extensions emit and
# the stylesheet styles. A page class (usa-alert, position-fixed, ...) would let content pass for the
# application's own interface, so every other class is dropped.
ALLOWED_CLASSES = frozenset({
    "admonition", "admonition-title", "note", "warning", "example",  # admonition
    "footnote", "footnote-ref", "footnote-backref",                   # footnotes
    "toc",                                                            # the table of contents
})
CODE_LANGUAGE_PREFIX = "language-"  # fenced code's language, on <code> only (unstyled, harmless)
# Every id from content is namespaced, so it can neither duplicate nor target an id of the page around
# it (the skip link's target, the exam form, ...); same-document links (#id) are rewritten to match.
ID_PREFIX = "content-"


@dataclass(frozen=True)
class Rendered:
    """Sanitized HTML of a document and of its generated table of contents."""

    html: str
    toc_html: str


def _filter_attribute(tag: str, attribute: str, value: str) -> str | None:
    """Narrow an allowed attribute's value: known classes only, prefixed ids and in-page links."""
    if attribute == "class":
        kept = [name for name in value.split()
                if name in ALLOWED_CLASSES or (tag == "code" and name.startswith(CODE_LANGUAGE_PREFIX))]
        return " ".join(kept) or None
    if attribute == "id":
        return ID_PREFIX + value if value else None
    if attribute == "href" and value.startswith("#") and len(value) > 1:
        return "#" + ID_PREFIX + value[1:]
    return value


def sanitize(html: str) -> str:
    """Keep a safe subset of HTML: no script, no event handlers, no javascript: URLs, only the
    documented classes, and ids namespaced under ID_PREFIX (with the in-page links that target them)."""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        attribute_filter=_filter_attribute,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )


_local = threading.local()


def _converter() -> md.Markdown:
    """This thread's converter, reset for a new document: building one loads every extension, which
    costs more than converting a question's stem (a content sync renders thousands of fragments)."""
    converter = getattr(_local, "converter", None)
    if converter is None:
        converter = _local.converter = md.Markdown(extensions=EXTENSIONS, extension_configs=EXTENSION_CONFIGS)
    return converter.reset()


@lru_cache(maxsize=8192)
def render_document(text: str) -> Rendered:
    """Render a module body: HTML plus a table of contents, both sanitized. The result depends on the text
    alone, so it is kept: a content check and the sync after it render the same stems and feedback, and
    a re-sync renders what has not changed (about 2 MB for the bundled course)."""
    converter = _converter()
    html = converter.convert(text)
    toc = getattr(converter, "toc", "") or ""
    return Rendered(html=sanitize(html), toc_html=sanitize(toc) if "<li" in toc else "")


def render_uncached(text: str) -> Rendered:
    """render_document without keeping the result: a preview typed in the browser changes at every pause, and
    keeping each draft would fill the cache with text no one reads again."""
    return render_document.__wrapped__(text)


def render_markdown(text: str) -> str:
    """Render a short Markdown fragment (a question stem, feedback) to sanitized HTML."""
    return render_document(text).html
