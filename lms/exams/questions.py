"""Question types: one class per type in one registry, each with the same grade(question, response).

``question`` is a question version's authored data (stem, choices or answers, the key); ``response``
is the canonical answer an attempt stores: a choice id (single), a sorted list of choice ids
(multiple), a bool (true/false), the text as typed (short, numeric), or {prompt pair index: answer
pair index} as strings/ints (matching). ``None`` is unanswered.

The browser never sees choice ids or pair indices: it sees positions in the order the attempt shows
(``shown``), so neither the authored order nor the key can be read from the page. ``parse`` turns a
page's form values back into the canonical response, using ``shown`` alone (autosave does not load
the question).
"""
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from fractions import Fraction

MAX_TEXT = 500


class ResponseInvalid(ValueError):
    """Form values that no control of the question could have sent."""


@dataclass(frozen=True)
class Grade:
    """The grade of one question: points out of max_points, and whether it is fully correct."""

    points: Fraction
    max_points: Fraction
    correct: bool
    detail: dict = field(default_factory=dict)


def _positions(values, size: int) -> list[int]:
    out = []
    for value in values:
        if not str(value).isdigit() or not 1 <= int(value) <= size:
            raise ResponseInvalid(f"{value!r} is not one of the {size} options")
        out.append(int(value) - 1)
    return out


class QuestionType:
    """The behaviour of one type of question."""

    name = ""
    label = ""

    def shown(self, question: dict, rng, shuffle: bool):
        """What the attempt stores as the shown order (empty when nothing is ordered)."""
        return []

    def parse(self, shown, values: list[str]):
        """The canonical response from the values of the question's form field (empty: None)."""
        raise NotImplementedError

    def grade(self, question: dict, response) -> Grade:
        """Points for ``response`` against the key in ``question``."""
        raise NotImplementedError

    def field_state(self, shown, response):
        """What the page pre-fills: display positions (1-based) or text."""
        return response


class _Choices(QuestionType):
    def shown(self, question, rng, shuffle):
        ids = [c["id"] for c in question["choices"]]
        if shuffle:
            rng.shuffle(ids)
        return ids

    def field_state(self, shown, response):
        chosen = response if isinstance(response, list) else [response] if response is not None else []
        return {shown.index(c) + 1 for c in chosen if c in shown}

    @staticmethod
    def keys(question) -> list[str]:
        return [c["id"] for c in question["choices"] if c.get("correct")]


class SingleChoice(_Choices):
    """One correct choice among 2 to 6."""

    name, label = "single", "Single choice"

    def parse(self, shown, values):
        values = [v for v in values if v != ""]
        if not values:
            return None
        if len(values) > 1:
            raise ResponseInvalid("a single-choice question takes one answer")
        return shown[_positions(values, len(shown))[0]]

    def grade(self, question, response):
        correct = response is not None and response in self.keys(question)
        return Grade(Fraction(int(correct)), Fraction(1), correct)


class MultipleResponse(_Choices):
    """Several correct choices; scored all-or-nothing or with partial credit without guessing gain.

    Partial: each correct choice picked earns 1/k (k correct choices), each wrong pick removes 1/k,
    floored at 0, so ticking every box earns nothing more than leaving the question blank would.
    """

    name, label = "multiple", "Multiple response"

    def parse(self, shown, values):
        values = [v for v in values if v != ""]
        if not values:
            return None
        picked = sorted({shown[i] for i in _positions(values, len(shown))})
        return picked or None

    def grade(self, question, response):
        keys = set(self.keys(question))
        picked = set(response or [])
        correct = picked == keys
        if question.get("scoring") == "partial":
            hits, wrong = len(picked & keys), len(picked - keys)
            points = max(Fraction(0), Fraction(hits - wrong, len(keys)))
        else:
            points = Fraction(int(correct))
        return Grade(points, Fraction(1), correct, {"hits": len(picked & keys), "wrong_picks": len(picked - keys)})


class TrueFalse(QuestionType):
    """A statement that is true or false."""

    name, label = "true_false", "True or false"

    def parse(self, shown, values):
        values = [v for v in values if v != ""]
        if not values:
            return None
        if len(values) > 1 or values[0] not in ("true", "false"):
            raise ResponseInvalid("true or false")
        return values[0] == "true"

    def grade(self, question, response):
        correct = response is not None and response == bool(question["answer"])
        return Grade(Fraction(int(correct)), Fraction(1), correct)


def _single_text(values) -> str | None:
    values = [v for v in values if v is not None]
    if len(values) > 1:
        raise ResponseInvalid("one text answer")
    text = (values[0] if values else "").strip()
    if len(text) > MAX_TEXT:
        raise ResponseInvalid(f"at most {MAX_TEXT} characters")
    return text or None


def normalize_text(text: str, case_sensitive: bool = False) -> str:
    """Unicode-normalized, whitespace collapsed and trimmed, case folded unless case matters."""
    text = " ".join(unicodedata.normalize("NFKC", text).split())
    return text if case_sensitive else text.casefold()


class ShortAnswer(QuestionType):
    """A short text compared with accepted answers (whitespace collapsed; case per the question)."""

    name, label = "short", "Short answer"

    def parse(self, shown, values):
        return _single_text(values)

    def grade(self, question, response):
        sensitive = bool(question.get("case_sensitive", False))
        accepted = {normalize_text(a, sensitive) for a in question["answers"]}
        correct = response is not None and normalize_text(response, sensitive) in accepted
        return Grade(Fraction(int(correct)), Fraction(1), correct)


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


class Numeric(QuestionType):
    """A number: the answer within an absolute tolerance, or inside a range (inclusive)."""

    name, label = "numeric", "Numeric"

    def parse(self, shown, values):
        return _single_text(values)

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


class Matching(QuestionType):
    """Prompts matched to answers; a fraction of a point per pair matched."""

    name, label = "matching", "Matching"

    def shown(self, question, rng, shuffle):
        size = len(question["pairs"])
        prompts = list(range(size))
        if shuffle:
            rng.shuffle(prompts)
        answers = list(range(size))
        # The answers are always shuffled, and never left in the prompts' order: that order is the key.
        while True:
            rng.shuffle(answers)
            if size < 2 or answers != prompts:
                break
        return {"prompts": prompts, "answers": answers}

    def parse(self, shown, values):
        """``values``: one value per shown prompt, in shown order: an answer's shown position or ""."""
        prompts, answers = shown["prompts"], shown["answers"]
        if len(values) != len(prompts):
            raise ResponseInvalid("one value per prompt")
        response = {}
        for prompt, value in zip(prompts, values):
            if value in ("", None):
                continue
            response[str(prompt)] = answers[_positions([value], len(answers))[0]]
        return response or None

    def field_state(self, shown, response):
        response = response or {}
        return [shown["answers"].index(response[str(p)]) + 1 if str(p) in response else None
                for p in shown["prompts"]]

    def grade(self, question, response):
        response = response or {}
        size = len(question["pairs"])
        matched = sum(1 for i in range(size) if response.get(str(i)) == i)
        return Grade(Fraction(matched, size), Fraction(1), matched == size, {"matched": matched, "pairs": size})


QUESTION_TYPES: dict[str, QuestionType] = {
    t.name: t for t in (SingleChoice(), MultipleResponse(), TrueFalse(), ShortAnswer(), Numeric(), Matching())
}


def question_type(name: str) -> QuestionType:
    """The registered type called ``name``."""
    return QUESTION_TYPES[name]


def grade(question: dict, response) -> Grade:
    """Grade a response to a question version's data, by its type."""
    return QUESTION_TYPES[question["type"]].grade(question, response)


