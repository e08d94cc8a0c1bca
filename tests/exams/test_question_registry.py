"""A question type is one class: nothing outside its own module and partial names it, and every registered
type answers everything the application asks of a type."""
import ast
import re
from pathlib import Path

import pytest

from lms.questions import QUESTION_TYPES, QuestionType

ROOT = Path(__file__).resolve().parents[2]
TYPES_PACKAGE = ROOT / "lms" / "questions"
PARTIALS = ROOT / "templates" / "exams" / "questions"
# String constants equal to a type's name that are not about question types (file, value): why.
NOT_A_TYPE = {
    ("lms/forms/auth.py", "numeric"): "the HTML inputmode of the one-time-code field",
    ("lms/content/interchange/qti.py", "single"): "a QTI response or outcome cardinality",
    ("lms/content/interchange/qti.py", "multiple"): "a QTI response or outcome cardinality",
    ("lms/content/interchange/moodle_xml.py", "single"): "Moodle XML's <single> element of a multichoice question",
    ("lms/content/interchange/moodle_xml.py", "matching"): "Moodle's own question type name (qtype_match)",
}
JINJA = re.compile(r"\{[{%](.*?)[%}]\}", re.DOTALL)


def _names_in_python(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    return {node.value for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in QUESTION_TYPES}


def _names_in_template(path: Path) -> set[str]:
    found = set()
    for tag in JINJA.findall(path.read_text(encoding="utf-8")):
        found.update(re.findall(r"""["']([a-z_]+)["']""", tag))
    return found & set(QUESTION_TYPES)


def _own_names(path: Path) -> set[str]:
    """The types a module of the types package defines (it may name those)."""
    module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
    return {name for name, kind in QUESTION_TYPES.items() if type(kind).__module__ == module}


def test_no_module_or_template_outside_a_types_own_names_it():
    offenders = []
    for path in sorted((ROOT / "lms").rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        allowed = _own_names(path) if TYPES_PACKAGE in path.parents else set()
        for name in _names_in_python(path) - allowed:
            if (rel, name) not in NOT_A_TYPE:
                offenders.append(f"{rel} names the question type '{name}'")
    for path in sorted((ROOT / "templates").rglob("*.html")):
        rel = path.relative_to(ROOT).as_posix()
        allowed = {path.stem} if path.parent == PARTIALS else set()
        for name in _names_in_template(path) - allowed:
            offenders.append(f"{rel} names the question type '{name}'")
    assert offenders == [], "ask lms.questions.QUESTION_TYPES instead:\n" + "\n".join(offenders)


def test_the_static_check_finds_a_type_named_in_a_comparison(tmp_path):
    code = tmp_path / "example.py"
    code.write_text('def f(q):\n    return q.qtype in ("single", "multiple")\n')
    template = tmp_path / "example.html"
    template.write_text("{% if q.qtype == 'matching' %}x{% endif %} inputmode=\"numeric\"")
    assert _names_in_python(code) == {"single", "multiple"}
    assert _names_in_template(template) == {"matching"}


@pytest.mark.parametrize("name", sorted(QUESTION_TYPES))
def test_every_type_answers_what_the_application_asks(name):
    kind = QUESTION_TYPES[name]
    assert kind.name == name and kind.label
    assert (ROOT / "templates" / kind.template).is_file(), f"the partial {kind.template} is missing"
    clause = kind.schema()
    assert clause["if"]["properties"]["type"]["const"] == name
    assert set(kind.required) <= set(clause["then"]["properties"])
    for method in ("control", "parse", "grade", "describe_key", "sample_values"):
        assert getattr(type(kind), method) is not getattr(QuestionType, method), f"{name} does not define {method}"
    for script in kind.scripts:
        assert (ROOT / "static" / script).is_file()


def test_the_schema_of_questions_lists_every_registered_type():
    from lms.content.schemas import QUESTION

    assert QUESTION["properties"]["type"]["enum"] == list(QUESTION_TYPES)
    assert [c["if"]["properties"]["type"]["const"] for c in QUESTION["allOf"]] == list(QUESTION_TYPES)
