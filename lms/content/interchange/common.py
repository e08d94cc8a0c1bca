"""What the interchange formats share: a parsed question, a problem with its place, and the step that
turns a format's draft into a question of the bank format (docs/CONTENT_FORMAT.md) and validates it.

A parser returns an ``Imported``: the questions it could read, each a dict of the bank format validated
by ``schemas.QUESTION`` and the same per-type rules as ``lms content check``, and the problems, each
with a place (``line 12`` for GIFT and Aiken, an element path such as ``/quiz/question[3]/answer[2]``
for XML). A problem of severity "error" means the question was not imported; "warning" means it was,
with the change the message names (a weight our types cannot express, a default feedback...).

Per-type conversion lives in small tables in each format's module (keyed by our type names); see the
note in the package docstring on moving it onto the question-type classes.
"""
import hashlib
import json
import re
from collections import Counter
from dataclasses import dataclass, field

from jsonschema import Draft202012Validator

from lms.content import schemas
from lms.questions.matching import Matching
from lms.questions.multiple import MultipleResponse
from lms.questions.numeric import Numeric
from lms.questions.short import ShortAnswer
from lms.questions.single import SingleChoice
from lms.questions.true_false import TrueFalse

ERROR, WARNING = "error", "warning"
# The types these formats convert, named through their classes. Interim: the per-type conversion sits in
# small tables in each format's module; it belongs on the type classes (see the package docstring).
SINGLE, MULTIPLE, TRUE_FALSE = SingleChoice.name, MultipleResponse.name, TrueFalse.name
SHORT, NUMERIC, MATCHING = ShortAnswer.name, Numeric.name, Matching.name
FORMATS = ("gift", "aiken", "moodle-xml")
EXPORT_FORMATS = ("gift", "moodle-xml", "qti")
DIFFICULTIES = tuple(schemas.DIFFICULTIES)

DEFAULT_RIGHT = "Correct."
DEFAULT_WRONG = "Not correct."
NO_RATIONALE = "No rationale was given in the imported file."
MAX_CHOICES = {SINGLE: (2, 6), MULTIPLE: (3, 8)}
MAX_PAIRS = (3, 6)

# What a type's own text is made of, for the content-derived id: everything but where it is filed.
_NOT_IDENTITY = ("id", "objective", "difficulty", "source", "status", "family")
_QUESTION_VALIDATOR = Draft202012Validator(schemas.QUESTION)


@dataclass(frozen=True, order=True)
class Problem:
    """Something in the file that could not be imported as written, at a place in the file."""

    where: str
    message: str
    severity: str = ERROR

    def __str__(self) -> str:
        return f"{self.where}: {self.severity}: {self.message}"


@dataclass
class ParsedQuestion:
    """One question read from a file: the bank-format dict, where it was, and what the file called it."""

    data: dict
    where: str
    title: str = ""
    category: str = ""


@dataclass
class Imported:
    """The result of reading a file: the questions that can be imported and what cannot, with places."""

    questions: list[ParsedQuestion] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def error(self, where: str, message: str) -> None:
        self.problems.append(Problem(where, message, ERROR))

    def warn(self, where: str, message: str) -> None:
        self.problems.append(Problem(where, message, WARNING))


@dataclass(frozen=True)
class Defaults:
    """What the bank format requires that these formats do not hold: where the questions are filed."""

    objective: str
    difficulty: str = "medium"
    source: str = "Imported question"


def identity(data: dict) -> str:
    """A stable id from a question's own content (type, stem, choices, key, feedback), so the same question
    imported twice gets the same id, whatever objective or bank it is filed under."""
    own = {k: v for k, v in data.items() if k not in _NOT_IDENTITY}
    digest = hashlib.sha256(json.dumps(own, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
    return f"imp-{digest[:12]}"


def question_problems(data: dict) -> list[str]:
    """Why a bank-format question is not valid: the schema, then the rules ``lms content check`` applies
    to one question (a key, duplicate choices, a numeric answer or range, distinct matching pairs)."""
    kind = data.get("type")
    counted = {SINGLE: ("choices", "choices", "a single-answer question"),
               MULTIPLE: ("choices", "choices", "a multiple-answer question"),
               MATCHING: ("pairs", "pairs", "a matching question")}.get(kind)
    if counted and isinstance(data.get(counted[0]), list):
        low, high = MAX_PAIRS if kind == MATCHING else MAX_CHOICES[kind]
        size = len(data[counted[0]])
        if not low <= size <= high:
            return [f"{size} {counted[1]}: {counted[2]} has {low} to {high}"]
    errors = [f"{'.'.join(map(str, e.absolute_path)) or 'question'}: {_short(e.message)}"
              for e in _QUESTION_VALIDATOR.iter_errors(data)]
    if errors:
        return errors
    if kind in (SINGLE, MULTIPLE):
        keys = [c for c in data["choices"] if c.get("correct")]
        if not keys:
            errors.append("no choice is marked correct")
        elif kind == SINGLE and len(keys) > 1:
            errors.append(f"{len(keys)} choices are correct in a single-answer question")
        if kind == MULTIPLE and len(keys) == len(data["choices"]):
            errors.append("every choice is correct")
        texts = Counter(" ".join(c["text"].lower().split()) for c in data["choices"])
        errors += [f"the choice '{t}' appears twice" for t, n in texts.items() if n > 1]
    elif kind == NUMERIC:
        if ("answer" in data) == ("range" in data):
            errors.append("a numeric question needs either an answer or a range")
        elif "range" in data and data["range"][0] > data["range"][1]:
            errors.append("the range's minimum is above its maximum")
    elif kind == MATCHING:
        for side in ("prompt", "answer"):
            counts = Counter(" ".join(p[side].lower().split()) for p in data["pairs"])
            errors += [f"the matching {side} '{t}' appears twice" for t, n in counts.items() if n > 1]
    return errors


def _short(message: str, width: int = 160) -> str:
    return message if len(message) <= width else message[: width - 1] + "…"


def finish(result: Imported, draft: dict, defaults: Defaults, where: str, *, title: str = "",
           category: str = "", rationale: str = "") -> None:
    """Complete a format's draft (type, stem, key, feedback) into a bank-format question and keep it, or
    report why it cannot be imported. A question the file already held is reported, not imported twice."""
    data = {"type": draft.pop("type"), "stem": draft.pop("stem"), **draft}
    if rationale.strip():
        data["rationale"] = rationale.strip()
    else:
        data["rationale"] = NO_RATIONALE
        result.warn(where, "no general feedback: the rationale says none was given; write one before an exam "
                           "draws this question")
    data["id"] = identity(data)
    data.update(objective=defaults.objective, difficulty=defaults.difficulty, source=defaults.source)
    problems = question_problems(data)
    if problems:
        for message in problems:
            result.error(where, message)
        return
    if any(q.data["id"] == data["id"] for q in result.questions):
        result.error(where, "the same question appears earlier in the file; imported once")
        return
    ordered = {"id": data.pop("id"), "type": data.pop("type"), "objective": data.pop("objective"),
               "difficulty": data.pop("difficulty"), **data}
    result.questions.append(ParsedQuestion(ordered, where, title, category))


def choice_ids(count: int) -> list[str]:
    """a, b, c... as the bank format names choices."""
    return [chr(ord("a") + i) for i in range(count)]


def default_feedback(result: Imported, where: str, choices: list[dict]) -> None:
    """Fill a choice's missing feedback with a plain "Correct." or "Not correct.", and say so once."""
    missing = [c for c in choices if not c.get("feedback", "").strip()]
    for choice in missing:
        choice["feedback"] = DEFAULT_RIGHT if choice.get("correct") else DEFAULT_WRONG
    if missing:
        result.warn(where, f"{len(missing)} of {len(choices)} choices had no feedback: "
                           f'"{DEFAULT_RIGHT}" or "{DEFAULT_WRONG}" was written for them')


def equal_weights(weights: list[float]) -> bool:
    return bool(weights) and max(weights) - min(weights) < 0.01


def number(text: str) -> float | int:
    """A number as the bank format keeps it: an int when it is whole."""
    value = float(text)
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError(f"{text!r} is not a finite number")
    return int(value) if value.is_integer() and "e" not in text.lower() else value


def weight_text(value: float) -> str:
    """A percentage as Moodle writes it: 100, 50, 33.33333, -12.5."""
    text = f"{value:.5f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


_MARKDOWN_SPECIAL = re.compile(r"[\\`*_\[\]#]")


def plain_to_markdown(text: str) -> str:
    """Plain text written so that it shows as written, never as Markdown or HTML."""
    return _MARKDOWN_SPECIAL.sub(r"\\\g<0>", text).replace("<", "&lt;").replace(">", "&gt;")


def plain_text(text: str) -> str:
    """Text with runs of whitespace collapsed, for one-line values (choices, answers, pairs)."""
    return re.sub(r"\s+", " ", text).strip()
