"""True or false: a statement, keyed true or false, with feedback for each answer."""
from collections import Counter
from fractions import Fraction

from lms.questions.base import TEXT, ChoiceCount, Grade, Option, QuestionType, ResponseInvalid, filled
from lms.questions.editor import BOOLEAN, TEXTAREA, TRUE_FALSE, EditorField


class TrueFalse(QuestionType):
    """A statement that is true or false; the response is a bool."""

    name, label = "true_false", "True or false"
    properties = {
        "answer": {"type": "boolean"},
        "feedback": {
            "type": "object",
            "required": ["true", "false"],
            "additionalProperties": False,
            "properties": {"true": TEXT, "false": TEXT},
        },
    }
    required = ("answer", "feedback")
    key_is_true_or_false = True
    template = "exams/questions/radio.html"  # the single-choice radio list, with the options True and False

    def editor_fields(self):
        return (EditorField(("answer",), "The statement is", BOOLEAN, TRUE_FALSE),
                EditorField(("feedback", "true"), "Feedback to the answer True", TEXTAREA),
                EditorField(("feedback", "false"), "Feedback to the answer False", TEXTAREA))

    def render_feedback(self, question, render):
        return {k: render(v) for k, v in question["feedback"].items()}

    def control(self, name, question, shown, response):
        return {"options": [Option("true", "True", response is True), Option("false", "False", response is False)]}

    def parse(self, shown, values):
        values = filled(values)
        if not values:
            return None
        if len(values) > 1 or values[0] not in ("true", "false"):
            raise ResponseInvalid("true or false")
        return values[0] == "true"

    def grade(self, question, response):
        correct = response is not None and response == bool(question["answer"])
        return Grade(Fraction(int(correct)), Fraction(1), correct)

    def describe_answer(self, question, response):
        return "True" if response else "False"

    def describe_key(self, question):
        return "True" if question["answer"] else "False"

    def review_feedback(self, rendered, response):
        return [] if response is None else [rendered["feedback"]["true" if response else "false"]]

    def choice_counts(self, question, responses):
        picked = Counter(r for r in responses if r is not None)
        return [ChoiceCount(str(v).lower(), str(v), question["answer"] == v, picked[v]) for v in (True, False)]

    def sample_values(self, question, shown, *, correct, rng):
        return [str(bool(question["answer"]) == correct).lower()]
