"""What the two choice types share: authored choices with ids, shown in a shuffled order, some keyed."""
from collections import Counter
from string import ascii_lowercase

from lms.questions.base import TEXT, ChoiceCount, Option, QuestionType, ReviewChoice
from lms.questions.editor import CHECKBOX, EditorField, EditorRows

CHOICE = {
    "type": "object",
    "required": ["id", "text", "feedback"],
    "additionalProperties": False,
    "properties": {
        "id": {"type": "string", "pattern": r"^[a-z0-9]+$"},
        "text": TEXT,
        "correct": {"type": "boolean"},
        "feedback": TEXT,
    },
}


def choice_texts(question: dict) -> dict[str, str]:
    """Choice id -> its text."""
    return {c["id"]: c["text"] for c in question["choices"]}


def _picked(response) -> list:
    return response if isinstance(response, list) else [response] if response is not None else []


class ChoiceQuestion(QuestionType):
    """Choices with ids and feedback each; the response holds choice ids; the page, positions."""

    def validate(self, q):
        choices = q["choices"]
        keys = [ch for ch in choices if ch.get("correct")]
        if not keys:
            yield q.line_of("choices"), f"question '{q['id']}' has no correct choice (no key)"
        else:
            yield from self.validate_keys(q, keys)
        for counter, what in ((Counter(ch["id"] for ch in choices), "choice id"),
                              (Counter(" ".join(ch["text"].lower().split()) for ch in choices), "choice text")):
            for value, n in counter.items():
                if n > 1:
                    yield q.line_of("choices"), f"question '{q['id']}' has a duplicate {what} '{value}'"

    def validate_keys(self, q, keys):
        """Problems with how many choices are keyed (at least one is)."""
        return ()

    def editor_fields(self):
        return (EditorRows("choices", "Choices", (
            EditorField(("id",), "Id", hint="a, b, c...: left blank, the next free letter"),
            EditorField(("text",), "Choice"),
            EditorField(("correct",), "Correct", CHECKBOX),
            EditorField(("feedback",), "Feedback"),
        ), rows=self.properties["choices"]["maxItems"], hint="Blank rows are left out."),)

    def from_editor(self, form):
        question = super().from_editor(form)
        # A choice typed without an id gets the first letter no other choice uses.
        free = iter(letter for letter in ascii_lowercase
                    if letter not in {c.get("id") for c in question.get("choices", [])})
        for choice in question.get("choices", []):
            if "id" not in choice:
                choice["id"] = next(free)
        return question

    def render_feedback(self, question, render):
        return {c["id"]: render(c["feedback"]) for c in question["choices"]}

    def shown(self, question, rng, shuffle):
        ids = [c["id"] for c in question["choices"]]
        if shuffle:
            rng.shuffle(ids)
        return ids

    def field_state(self, shown, response):
        return {shown.index(c) + 1 for c in _picked(response) if c in shown}

    def control(self, name, question, shown, response):
        texts, state = choice_texts(question), self.field_state(shown, response)
        return {"options": [Option(str(i + 1), texts[cid], (i + 1) in state) for i, cid in enumerate(shown)]}

    @staticmethod
    def keys(question) -> list[str]:
        """The ids of the correct choices."""
        return [c["id"] for c in question["choices"] if c.get("correct")]

    def describe_key(self, question):
        return "; ".join(c["text"] for c in question["choices"] if c.get("correct"))

    def review_choices(self, question, rendered, shown, response, full):
        picked = set(response if isinstance(response, list) else [response])
        by_id = {c["id"]: c for c in question["choices"]}
        items = []
        for cid in shown:
            choice = by_id[cid]
            items.append(ReviewChoice(
                choice["text"], cid in picked, bool(choice.get("correct")) if full else None,
                rendered["feedback"].get(cid) if full and (cid in picked or choice.get("correct")) else None))
        return items

    def review_feedback(self, rendered, response):
        return []  # each choice's own feedback is shown with it

    def choice_counts(self, question, responses):
        picked = Counter()
        for response in responses:
            picked.update(response if isinstance(response, list) else [response] if response else [])
        return [ChoiceCount(c["id"], c["text"], bool(c.get("correct")), picked[c["id"]]) for c in question["choices"]]
