"""Short answer: a short text compared with the accepted answers."""
import unicodedata
from fractions import Fraction

from lms.questions.base import TEXT, Grade
from lms.questions.editor import CHECKBOX, LINES, TEXTAREA, EditorField
from lms.questions.text import TypedAnswer


def normalize_text(text: str, case_sensitive: bool = False) -> str:
    """Unicode-normalized, whitespace collapsed and trimmed, case folded unless case matters."""
    text = " ".join(unicodedata.normalize("NFKC", text).split())
    return text if case_sensitive else text.casefold()


class ShortAnswer(TypedAnswer):
    """A short text compared with accepted answers (whitespace collapsed; case per the question).

    The first accepted answer is the canonical one every review shows; the others (misspellings and odd
    forms an author chose to accept) must not be taught as correct: only staff see them."""

    name, label = "short", "Short answer"
    properties = {
        "answers": {"type": "array", "minItems": 1, "items": TEXT},
        "case_sensitive": {"type": "boolean"},
        "feedback": TEXT,
    }
    required = ("answers", "feedback")

    def editor_fields(self):
        return (EditorField(("answers",), "Accepted answers", LINES,
                            hint="One per line. The first is the answer every review shows; the others "
                                 "(other spellings) only staff see."),
                EditorField(("case_sensitive",), "Capital letters matter", CHECKBOX),
                EditorField(("feedback",), "Feedback", TEXTAREA))

    def grade(self, question, response):
        sensitive = bool(question.get("case_sensitive", False))
        accepted = {normalize_text(a, sensitive) for a in question["answers"]}
        correct = response is not None and normalize_text(response, sensitive) in accepted
        return Grade(Fraction(int(correct)), Fraction(1), correct)

    def describe_key(self, question):
        return question["answers"][0]

    def same_response(self, question, response, other):
        sensitive = bool(question.get("case_sensitive", False))
        return response is not None and other is not None and \
            normalize_text(response, sensitive) == normalize_text(other, sensitive)

    def accepted_variants(self, question):
        return list(question["answers"][1:])

    def sample_values(self, question, shown, *, correct, rng):
        return [question["answers"][0] if correct else "not sure"]
