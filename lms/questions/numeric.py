"""Numeric: a number, within a tolerance of the answer or inside a range."""
import re
from decimal import Decimal, InvalidOperation
from fractions import Fraction

from lms.questions.base import TEXT, Grade
from lms.questions.editor import NUMBER, TEXTAREA, EditorField
from lms.questions.text import TypedAnswer

_NUMBER = re.compile(r"^[+-]?(\d{1,3}(,\d{3})+|\d+)?(\.\d+)?$")


def parse_number(text: str | None, unit: str | None = None) -> Decimal | None:
    """A number as a trainee may type it ("1,500", "48 hours" when the unit is hours), else None."""
    if text is None:
        return None
    text = " ".join(text.split())
    if unit and text.lower().endswith(unit.lower()):
        text = text[: -len(unit)].strip()
    if not text or not _NUMBER.match(text) or not any(ch.isdigit() for ch in text):
        return None
    try:
        return Decimal(text.replace(",", ""))
    except InvalidOperation:  # pragma: no cover - the pattern admits only numbers
        return None


class Numeric(TypedAnswer):
    """A number: the answer within an absolute tolerance, or inside a range (inclusive)."""

    name, label = "numeric", "Numeric"
    properties = {
        "answer": {"type": "number"},
        "tolerance": {"type": "number", "minimum": 0},
        "range": {"type": "array", "minItems": 2, "maxItems": 2, "items": {"type": "number"}},
        "unit": TEXT,
        "feedback": TEXT,
    }
    required = ("feedback",)

    def editor_fields(self):
        return (EditorField(("answer",), "Answer", NUMBER, hint="Either an answer (with a tolerance) or a range."),
                EditorField(("tolerance",), "Tolerance (±)", NUMBER),
                EditorField(("range", 0), "Range from", NUMBER),
                EditorField(("range", 1), "Range to", NUMBER),
                EditorField(("unit",), "Unit", hint="For example: hours. A trainee may type it after the number."),
                EditorField(("feedback",), "Feedback", TEXTAREA))

    def validate(self, q):
        has_answer, has_range = "answer" in q, "range" in q
        if has_answer == has_range:
            yield q.line, f"question '{q['id']}': a numeric question needs either 'answer' or 'range'"
        if has_range and q["range"][0] > q["range"][1]:
            yield q.line_of("range"), f"question '{q['id']}': range minimum is above its maximum"
        if has_range and "tolerance" in q:
            yield q.line_of("tolerance"), f"question '{q['id']}': tolerance applies to 'answer', not 'range'"

    def control(self, name, question, shown, response):
        unit = question.get("unit")
        return {"text": response or "", "unit": unit,
                "unreadable": response is not None and parse_number(response, unit) is None}

    def grade(self, question, response):
        value = parse_number(response, question.get("unit"))
        if value is None:
            return Grade(Fraction(0), Fraction(1), False, {"readable": response is None})
        if "range" in question:
            low, high = (Decimal(str(x)) for x in question["range"])
        else:
            answer, tolerance = Decimal(str(question["answer"])), Decimal(str(question.get("tolerance", 0)))
            low, high = answer - tolerance, answer + tolerance
        correct = low <= value <= high
        return Grade(Fraction(int(correct)), Fraction(1), correct, {"readable": True})

    def same_response(self, question, response, other):
        value = parse_number(response, question.get("unit"))
        return value is not None and value == parse_number(other, question.get("unit"))

    def describe_key(self, question):
        unit = f" {question['unit']}" if question.get("unit") else ""
        if "range" in question:
            return f"from {question['range'][0]:g} to {question['range'][1]:g}{unit}"
        tolerance = f" (± {question['tolerance']:g})" if question.get("tolerance") else ""
        return f"{question['answer']:g}{unit}{tolerance}"

    def sample_values(self, question, shown, *, correct, rng):
        if "range" in question:
            low, high = question["range"]
            value = (low + high) / 2 if correct else high + abs(high - low) + 10
        else:
            value = question["answer"] if correct else question["answer"] + float(question.get("tolerance", 0)) + 7
        return [f"{value:g}" if isinstance(value, float) else str(value)]
