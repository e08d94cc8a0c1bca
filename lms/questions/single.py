"""Single choice: one correct choice among 2 to 6."""
from fractions import Fraction

from lms.questions.base import Grade, ResponseInvalid, filled, positions
from lms.questions.choices import CHOICE, ChoiceQuestion, choice_texts


class SingleChoice(ChoiceQuestion):
    """One correct choice among 2 to 6; the response is the chosen choice's id."""

    name, label = "single", "Single choice"
    template = "exams/questions/radio.html"  # shared with true or false
    properties = {"choices": {"type": "array", "minItems": 2, "maxItems": 6, "items": CHOICE}}
    required = ("choices",)
    key_is_one_of_options = True

    def validate_keys(self, q, keys):
        if len(keys) > 1:
            yield q.line_of("choices"), f"question '{q['id']}' is single choice but has {len(keys)} correct choices"

    def parse(self, shown, values):
        values = filled(values)
        if not values:
            return None
        if len(values) > 1:
            raise ResponseInvalid("a single-choice question takes one answer")
        return shown[positions(values, len(shown))[0]]

    def grade(self, question, response):
        correct = response is not None and response in self.keys(question)
        return Grade(Fraction(int(correct)), Fraction(1), correct)

    def describe_answer(self, question, response):
        return choice_texts(question).get(response, "?")

    def answers_to_accept(self, question, responses):
        keys = self.keys(question)
        return [(c["id"], c["text"]) for c in question["choices"] if c["id"] not in keys]

    def sample_values(self, question, shown, *, correct, rng):
        keys = self.keys(question)
        picks = keys[:1] if correct else [rng.choice([c for c in shown if c not in keys])]
        return [str(shown.index(c) + 1) for c in picks]
