"""The base of every question type: what a type must answer, and the small values types share.

A type is one subclass of QuestionType in its own module of this package, with a ``name``; defining it
registers it (lms.questions imports every module here). Everything the rest of the application
knows about a type, it asks the registry: the file schema and its checks, how a version is stored and
rendered, how its options are shuffled, the partial that shows it, how form values become a response,
how a response is graded, what the review and the item analysis show, and a sample answer.

``question`` is always a question version's authored data (stem, choices or answers, the key);
``response`` is the canonical answer an attempt stores; ``shown`` is what the attempt stored when it
was drawn (the order the trainee sees). The browser never sees choice ids or indices: only positions
in the shown order, so neither the authored order nor the key can be read from the page.
"""
from dataclasses import dataclass, field
from fractions import Fraction

from lms.questions import editor

MAX_TEXT = 500
TEXT = {"type": "string", "minLength": 1}  # JSON Schema of a non-empty text


def records(properties: dict, *, required: list[str], min_items: int = 1, max_items: int | None = None) -> dict:
    """JSON Schema of a list of records that have ``required`` and may have the other ``properties``, nothing
    else (of ``min_items`` to ``max_items`` records)."""
    schema = {"type": "array", "minItems": min_items}
    if max_items is not None:
        schema["maxItems"] = max_items
    schema["items"] = {"type": "object", "required": required, "additionalProperties": False,
                       "properties": properties}
    return schema

# Keys of a question that are metadata, not content: changing them makes no new version.
NOT_VERSIONED = ("id", "status", "family")


# How a decision on a challenged question changes its grading (lms.exams.challenges records them).
ACCEPT_ANSWER, CREDIT_ALL, DROP = "accept_answer", "credit_all", "drop"


class ResponseInvalid(ValueError):
    """Form values that no control of the question could have sent."""


@dataclass(frozen=True)
class Grade:
    """The grade of one question: points out of max_points, and whether it is fully correct."""

    points: Fraction
    max_points: Fraction
    correct: bool
    detail: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Adjustment:
    """A decision that changes how one question version is graded: accept another answer (``answer``, a
    canonical response), credit every response, or drop the question from the score."""

    kind: str
    answer: object = None


@dataclass
class Option:
    """A choice (or a matching answer) as shown: its position-based value and its text."""

    value: str
    text: str
    selected: bool = False


@dataclass
class ReviewChoice:
    """A choice in the review: picked or not, and (answers level) whether it is a key, its feedback."""

    text: str
    picked: bool
    is_key: bool | None = None
    feedback_html: str | None = None


@dataclass
class ChoiceCount:
    """How often an option was picked, in the item analysis (a wrong option is a distractor)."""

    label: str
    text: str
    is_key: bool
    count: int


def positions(values, size: int) -> list[int]:
    """1-based display positions from form values -> 0-based indices; anything else is invalid."""
    out = []
    for value in values:
        if not str(value).isdigit() or not 1 <= int(value) <= size:
            raise ResponseInvalid(f"{value!r} is not one of the {size} options")
        out.append(int(value) - 1)
    return out


def filled(values) -> list[str]:
    """The values a control actually sent (an empty string is nothing chosen)."""
    return [v for v in values if v != ""]


def registry() -> dict[str, "QuestionType"]:
    """The types defined so far, by name (lms.questions imports them all)."""
    return _REGISTRY


_REGISTRY: dict[str, "QuestionType"] = {}


class QuestionType:
    """The behaviour of one type of question. Subclasses with a ``name`` register themselves."""

    name = ""  # as written after ``type:`` in a bank file, and stored with versions and attempts
    label = ""  # in words, for people ("Single choice")
    properties: dict = {}  # JSON Schema of the keys this type adds to a question
    required: tuple = ()  # which of them a question of this type must have
    scripts: tuple = ()  # static scripts its partial needs on the exam page (paths under static/)
    # Traits the content quality checks ask for (they judge a bank's questions of such types together).
    key_is_one_of_options = False  # one keyed option among others shown in order: its position and length
    key_is_true_or_false = False  # the key is true or false: a bank's keys should be balanced

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.__dict__.get("name"):
            _REGISTRY[cls.name] = cls()

    # -- the content file -----------------------------------------------------------------------

    def schema(self) -> dict:
        """The JSON Schema clause for questions of this type (one item of the question's allOf)."""
        return {"if": {"properties": {"type": {"const": self.name}}, "required": ["type"]},
                "then": {"required": list(self.required), "properties": self.properties}}

    def prepare(self, q) -> None:
        """Adjust a question as YAML read it, before the schema sees it (in place)."""

    def validate(self, q):
        """Problems the schema cannot express: (line, message) pairs. ``q`` is the question as read,
        a mapping that knows its lines (``q.line``, ``q.line_of(key)``, a list's ``item_lines``)."""
        return ()

    # -- the editor in the browser ----------------------------------------------------------------

    def editor_fields(self) -> tuple:
        """This type's fields in the question editor (editor.EditorField, editor.EditorRows), in order;
        the fields every question has (stem, objective, rationale...) come before them."""
        return ()

    def from_editor(self, form) -> dict:
        """This type's keys of a question, in the bank file format, from the editor's form values."""
        return editor.read(self.editor_fields(), form)

    def editor_values(self, question: dict) -> dict[str, str]:
        """The editor's form values that show this type's keys of ``question``."""
        return editor.write(self.editor_fields(), question)

    # -- a version in the database ----------------------------------------------------------------

    def stored(self, spec: dict) -> dict:
        """The part of a question that makes its version (a change here is a new version)."""
        return {k: v for k, v in spec.items() if k not in NOT_VERSIONED}

    def file_entry(self, meta: dict, data: dict) -> dict:
        """The question as a bank file writes it (the inverse of ``stored``): ``meta`` (id, status,
        family; None when absent) and a version's ``data``, keys in the documented order, so that reading
        the entry back stores the same data."""
        head = {"id": meta["id"], "type": data["type"], "objective": data["objective"],
                "difficulty": data["difficulty"]}
        head.update({k: meta[k] for k in ("status", "family") if meta.get(k) is not None})
        order = ("stem", *self.properties, "rationale", "source")
        return {**head, **{k: data[k] for k in order if k in data},
                **{k: v for k, v in data.items() if k not in head and k not in order}}

    def render_feedback(self, question: dict, render) -> dict:
        """Feedback as sanitized HTML, rendered once per version: {"": one text} unless overridden."""
        return {"": render(question["feedback"])}

    # -- drawing and the exam page --------------------------------------------------------------

    def shown(self, question: dict, rng, shuffle: bool):
        """What the attempt stores as the shown order (empty when nothing is ordered). ``shuffle`` is
        the exam's shuffle_choices setting."""
        return []

    @property
    def template(self) -> str:
        """The partial that shows the question's controls on the exam page."""
        return f"exams/questions/{self.name}.html"

    def control(self, name: str, question: dict, shown, response):
        """What the partial shows (no key, no feedback): its options, prompts or text, pre-filled."""
        raise NotImplementedError

    def form_values(self, shown, name: str, form) -> list[str]:
        """The values of the question's form fields (``name``: its field; a MultiDict ``form``)."""
        return form.getlist(name)

    def parse(self, shown, values: list[str]):
        """The canonical response from the values of the question's form fields (nothing: None)."""
        raise NotImplementedError

    def field_state(self, shown, response):
        """What the page pre-fills: display positions (1-based) or text."""
        return response

    # -- grading ---------------------------------------------------------------------------------

    def grade(self, question: dict, response) -> Grade:
        """Points for ``response`` against the key in ``question``."""
        raise NotImplementedError

    def adjusted_grade(self, question: dict, response, adjustments=()) -> Grade:
        """The grade once decisions on challenges apply: a dropped question counts nothing (0 of 0); one
        credited for every response earns its points whatever the answer; an accepted answer earns them
        when the response is the same answer (``same_response``)."""
        graded = self.grade(question, response)
        kinds = {a.kind for a in adjustments}
        if DROP in kinds:
            return Grade(Fraction(0), Fraction(0), graded.correct, {**graded.detail, "adjusted": DROP})
        if CREDIT_ALL in kinds:
            return Grade(graded.max_points, graded.max_points, True, {**graded.detail, "adjusted": CREDIT_ALL})
        if response is not None and not graded.correct and any(
                a.kind == ACCEPT_ANSWER and self.same_response(question, response, a.answer) for a in adjustments):
            return Grade(graded.max_points, graded.max_points, True, {**graded.detail, "adjusted": ACCEPT_ANSWER})
        return graded

    def same_response(self, question: dict, response, other) -> bool:
        """True when two canonical responses are the same answer (an accepted answer matches them all)."""
        return response == other

    def answers_to_accept(self, question: dict, responses: list) -> list[tuple[object, str]]:
        """The answers an instructor may accept besides the key, as (canonical response, words): by
        default the distinct wrong answers trainees gave, once each."""
        out = []
        for response in responses:
            if response is None or self.grade(question, response).correct:
                continue
            if not any(self.same_response(question, response, seen) for seen, _ in out):
                out.append((response, self.describe_response(question, response)))
        return out

    def partial_credit(self, question: dict) -> bool:
        """True when a response can earn part of the point (item analysis then uses alpha, not KR-20)."""
        return False

    # -- review, item analysis, exports -----------------------------------------------------------

    def describe_response(self, question: dict, response) -> str:
        """The trainee's answer in words (the review, the most common wrong answers, exports); "No answer" for
        none. A type words an answer in ``describe_answer``."""
        return "No answer" if response is None else self.describe_answer(question, response)

    def describe_answer(self, question: dict, response) -> str:
        """An answer given (never None), in words."""
        return str(response)

    def describe_key(self, question: dict) -> str:
        """The correct answer in words."""
        raise NotImplementedError

    def accepted_variants(self, question: dict) -> list[str]:
        """Other answers graded as correct besides the one describe_key gives (shown to staff only)."""
        return []

    def review_choices(self, question: dict, rendered: dict, shown, response, full: bool) -> list[ReviewChoice]:
        """The options the review lists, picked or not (``full``: with the key and their feedback)."""
        return []

    def review_feedback(self, rendered: dict, response) -> list[str]:
        """The feedback the review shows at the answers level (besides any per option)."""
        return [rendered["feedback"][""]]

    def choice_counts(self, question: dict, responses: list) -> list[ChoiceCount] | None:
        """How often each option was picked, or None when the type has no options to count (the item
        analysis then lists the most common wrong answers, in describe_response's words)."""
        return None

    # -- demos and simulations ----------------------------------------------------------------------

    def sample_values(self, question: dict, shown, *, correct: bool, rng) -> list[str]:
        """Form values a trainee who knows (``correct``) or does not know the answer would send."""
        raise NotImplementedError
