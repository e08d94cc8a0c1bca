"""What text the application accepts, in one place.

Two rules:
- No input carries a control character (NUL, escape, ...; Unicode category Cc) or half of a surrogate
  pair: PostgreSQL cannot store NUL, and none of them belongs in anything a person types. A multi-line
  field may hold tab, line feed and carriage return. Requests are checked as a whole before any view
  runs (``request_problem``), uploaded CSV files by their readers (``text_problem``).
- Identity fields (names, e-mail addresses, agency names, ORIs, badge numbers) carry no control and no
  format character either (category Cf: right-to-left overrides and other invisible marks), nor a line
  or paragraph separator, so what a certificate or a list shows is what was typed
  (``check_identity``, called by the services that store them, whichever way the text came in).
"""
import re
import unicodedata

from werkzeug.wrappers import Request

_REFUSED_IN_IDENTITY = {"Cc", "Cs", "Cf", "Zl", "Zp"}
# Unicode's categories Cc (the C0 and C1 controls and DEL) and Cs (the surrogates) are fixed ranges, which the
# standard's stability policy keeps as they are: one regular expression finds them in C, where a loop over a
# text's characters took a Python call per character (an essay's autosave, a whole CSV file). The identity
# fields' Cf changes with Unicode's versions, so it is asked of unicodedata (short fields, few calls).
# tests/test_inputs.py checks both expressions against unicodedata.category for every code point.
_REFUSED = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_REFUSED_MULTILINE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")  # tab, \n, \r allowed

CONTROL_MESSAGE = ("Some of what was sent contains a control character (such as NUL) that no field accepts. "
                   "Nothing was saved; remove it and try again.")


class InputError(ValueError):
    """Text that cannot be accepted, with a message for the person who typed it."""


def _first_refused(text: str, categories: set[str]) -> str | None:
    for char in text:
        if unicodedata.category(char) in categories:
            return char
    return None


def describe(char: str) -> str:
    """A refused character as a person can look it up: U+202E (RIGHT-TO-LEFT OVERRIDE)."""
    name = unicodedata.name(char, "") or {"\x00": "NUL"}.get(char, "control character")
    return f"U+{ord(char):04X} ({name})"


def text_problem(text: str, *, multiline: bool = True) -> str | None:
    """The first control character in ``text`` (tab and line breaks allowed when ``multiline``), or None."""
    found = (_REFUSED_MULTILINE if multiline else _REFUSED).search(text)
    return found.group() if found else None


def identity_problem(value: str | None, label: str) -> str | None:
    """Why ``value`` cannot be stored as an identity field (``label``: "The name"), or None."""
    char = _first_refused(value or "", _REFUSED_IN_IDENTITY)
    if char is None:
        return None
    return (f"{label} contains an invisible control or formatting character, {describe(char)}. "
            "Type it again without it.")


def check_identity(**fields: tuple[str | None, str]) -> None:
    """Raise InputError for the first identity field that holds a refused character.

    ``fields``: name=(value, label), e.g. ``check_identity(name=(name, "The name"))``."""
    for value, label in fields.values():
        problem = identity_problem(value, label)
        if problem:
            raise InputError(problem)


def _strings(value):
    """Every string in a decoded JSON document, keys included."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def request_problem(request: Request) -> str | None:
    """The first refused character anywhere in what the request sends as text, or None.

    URL parts and query strings are single-line; form fields and JSON bodies may hold line breaks
    (text areas, short answers); each field's own validation decides what else it accepts. ``request`` is Flask's, or
    werkzeug's before any routing (the URL's parts then unchecked: lms.views.autosave_path matches digits only)."""
    single = [*(text for pair in request.args.items(multi=True) for text in pair),
              *(v for v in (getattr(request, "view_args", None) or {}).values() if isinstance(v, str))]
    multi = [*(text for pair in request.form.items(multi=True) for text in pair),
             *(f.filename or "" for f in request.files.values())]
    if request.is_json:
        multi.extend(_strings(request.get_json(silent=True)))
    for text in single:
        if text_problem(text, multiline=False):
            return CONTROL_MESSAGE
    for text in multi:
        if text_problem(text):
            return CONTROL_MESSAGE
    return None
