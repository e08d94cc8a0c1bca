"""The question editor's fields, described once and read both ways: form values -> a question in the bank
file format, and a question -> form values (lms/authoring/questions.py drives the editor with them).

A type lists its fields (``QuestionType.editor_fields``): an EditorField puts one form value at a path in
the question (``("feedback", "true")``, ``("range", 0)``); EditorRows edits a list (choices, pairs,
items) as a fixed number of rows, blank rows left out, as Moodle's "blanks for more choices". Values are
read as typed: a number that is not one stays text, so the type's schema names the problem in the words
of ``lms content check``, and the form shows back exactly what was typed.
"""
from dataclasses import dataclass

TEXT, TEXTAREA, LINES, NUMBER, CHECKBOX, BOOLEAN, SELECT = (
    "text", "textarea", "lines", "number", "checkbox", "boolean", "select")
TRUE_FALSE = (("true", "True"), ("false", "False"))


@dataclass(frozen=True)
class EditorField:
    """One value of the question: where it goes (``path``), its label and how it is entered (``kind``)."""

    path: tuple
    label: str
    kind: str = TEXT
    options: tuple = ()  # (value, label) pairs of a select or a true/false choice
    hint: str = ""

    def name(self, prefix: str = "") -> str:
        """The form field's name: the path joined by dashes (under a row's prefix)."""
        return "-".join(str(p) for p in (prefix, *self.path) if p != "") or prefix


@dataclass(frozen=True)
class EditorRows:
    """A list of the question edited as rows: each row one item (a mapping of ``columns``, or a text when
    the one column's path is empty)."""

    key: str
    label: str
    columns: tuple
    rows: int
    hint: str = ""

    def prefix(self, index: int) -> str:
        return f"{self.key}-{index}"


def _number(text: str):
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return text  # not a number: the schema says so, and the form keeps it


def _read_value(spec: EditorField, raw):
    """The question's value from a form value, or None when the field was left blank."""
    raw = (raw or "").replace("\r\n", "\n")
    if spec.kind == CHECKBOX:
        return True if raw else None
    raw = raw.strip()
    if not raw:
        return None
    if spec.kind == LINES:
        return [line.strip() for line in raw.split("\n") if line.strip()] or None
    if spec.kind == NUMBER:
        return _number(raw)
    if spec.kind == BOOLEAN:
        return {"true": True, "false": False}.get(raw, raw)
    return raw


def _put(target: dict, path: tuple, value) -> None:
    """Set ``value`` at ``path`` in ``target``, making mappings and lists on the way (holes are None)."""
    *head, last = path
    node = target
    for step, following in zip(head, (*head[1:], last)):
        if step not in node:
            node[step] = [] if isinstance(following, int) else {}
        node = node[step]
    if isinstance(last, int):
        node.extend([None] * (last + 1 - len(node)))
    node[last] = value


def _write_value(spec: EditorField, value) -> str:
    """The form value that shows ``value``."""
    if value is None:
        return ""
    if spec.kind == CHECKBOX:
        return "y" if value else ""
    if spec.kind == BOOLEAN:
        return "true" if value is True else "false" if value is False else str(value)
    if spec.kind == LINES:
        return "\n".join(str(v) for v in value) if isinstance(value, list) else str(value)
    return str(value)


def read(fields, form) -> dict:
    """The part of a question these fields edit, from form values (``form.get(name)``)."""
    question: dict = {}
    for spec in fields:
        if isinstance(spec, EditorRows):
            items = []
            for index in range(spec.rows):
                prefix = spec.prefix(index)
                values = [(column, _read_value(column, form.get(column.name(prefix)))) for column in spec.columns]
                if all(v is None for c, v in values if c.kind != CHECKBOX):
                    continue  # a blank row (a tick alone is no item)
                if len(spec.columns) == 1 and not spec.columns[0].path:
                    items.append(values[0][1])
                    continue
                item: dict = {}
                for column, value in values:
                    if value is not None:
                        _put(item, column.path, value)
                items.append(item)
            if items:
                question[spec.key] = items
            continue
        value = _read_value(spec, form.get(spec.name()))
        if value is not None:
            _put(question, spec.path, value)
    return question


def write(fields, question: dict) -> dict[str, str]:
    """The form values that show a question in these fields."""
    values = {}
    for spec in fields:
        if isinstance(spec, EditorRows):
            items = question.get(spec.key) or []
            for index, item in enumerate(items[: spec.rows]):
                for column in spec.columns:
                    value = item if not column.path else value_at(item, column.path)
                    values[column.name(spec.prefix(index))] = _write_value(column, value)
            continue
        values[spec.name()] = _write_value(spec, value_at(question, spec.path))
    return values


def value_at(data, path):
    """The value at ``path`` (keys and indexes) inside nested dicts and lists, or None where it leads nowhere:
    where a content-check error points, where an editor field reads its value."""
    node = data
    for step in path:
        try:
            node = node[step]
        except (KeyError, IndexError, TypeError):
            return None
    return node
