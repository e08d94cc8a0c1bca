"""Multiple response: several correct choices among 3 to 8, all or nothing or with partial credit."""
from fractions import Fraction

from lms.questions.base import Grade, filled, positions
from lms.questions.choices import CHOICE, ChoiceQuestion, choice_texts
from lms.questions.editor import SELECT, EditorField


class MultipleResponse(ChoiceQuestion):
    """Several correct choices; scored all-or-nothing or with partial credit without guessing gain.

    Partial: each correct choice picked earns 1/k (k correct choices), each wrong pick removes 1/k,
    floored at 0, so ticking every box earns nothing more than leaving the question blank would.
    The response is the sorted list of the picked choices' ids.
    """

    name, label = "multiple", "Multiple response"
    properties = {
        "choices": {"type": "array", "minItems": 3, "maxItems": 8, "items": CHOICE},
        "scoring": {"enum": ["all_or_nothing", "partial"]},
    }
    required = ("choices", "scoring")

    def editor_fields(self):
        return (EditorField(("scoring",), "Scoring", SELECT, (
            ("all_or_nothing", "All or nothing: the point only for exactly the correct choices"),
            ("partial", "Partial credit: each correct choice earns part, each wrong pick takes part away"))),
            *super().editor_fields())

    def validate_keys(self, q, keys):
        if len(keys) == len(q["choices"]):
            yield q.line_of("choices"), f"question '{q['id']}': every choice is correct"

    def parse(self, shown, values):
        values = filled(values)
        if not values:
            return None
        picked = sorted({shown[i] for i in positions(values, len(shown))})
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

    def partial_credit(self, question):
        return question.get("scoring") == "partial"

    def describe_answer(self, question, response):
        texts = choice_texts(question)
        return "; ".join(texts.get(c, "?") for c in response)

    def sample_values(self, question, shown, *, correct, rng):
        keys = self.keys(question)
        if correct:
            picks = keys
        else:
            # A partial knower: all keys but the first, and one wrong choice (only a wrong one when one key).
            wrong = rng.choice([c for c in shown if c not in keys])
            picks = keys[1:] + [wrong] if keys[1:] else [wrong]
        return [str(shown.index(c) + 1) for c in picks]
