"""Matching: prompts matched to answers, a fraction of a point per pair matched."""
from collections import Counter
from fractions import Fraction

from lms.questions.base import TEXT, Grade, Option, QuestionType, ResponseInvalid, positions, records
from lms.questions.editor import TEXTAREA, EditorField, EditorRows


class Matching(QuestionType):
    """Prompts matched to answers; a fraction of a point per pair matched.

    Shown: {"prompts": [pair index...], "answers": [pair index...]} in display order. The page has one
    select per shown prompt (``a3.1``, ``a3.2``...) whose value is an answer's shown position. The
    response is {prompt pair index (text): answer pair index}.
    """

    name, label = "matching", "Matching"
    properties = {
        "pairs": records({"prompt": TEXT, "answer": TEXT}, required=["prompt", "answer"], min_items=3,
                         max_items=6),
        "feedback": TEXT,
    }
    required = ("pairs", "feedback")

    def editor_fields(self):
        return (EditorRows("pairs", "Pairs",
                           (EditorField(("prompt",), "Prompt"), EditorField(("answer",), "Its answer")),
                           rows=self.properties["pairs"]["maxItems"], hint="Blank rows are left out."),
                EditorField(("feedback",), "Feedback", TEXTAREA))

    def validate(self, q):
        answers = Counter(" ".join(p["answer"].lower().split()) for p in q["pairs"])
        prompts = Counter(" ".join(p["prompt"].lower().split()) for p in q["pairs"])
        if any(n > 1 for n in answers.values()) or any(n > 1 for n in prompts.values()):
            yield q.line_of("pairs"), f"question '{q['id']}' has duplicate matching prompts or answers"

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

    def form_values(self, shown, name, form):
        return [form.get(f"{name}.{i + 1}", "") for i in range(len(shown["prompts"]))]

    def parse(self, shown, values):
        """``values``: one value per shown prompt, in shown order: an answer's shown position or ""."""
        prompts, answers = shown["prompts"], shown["answers"]
        if len(values) != len(prompts):
            raise ResponseInvalid("one value per prompt")
        response = {}
        for prompt, value in zip(prompts, values):
            if value in ("", None):
                continue
            response[str(prompt)] = answers[positions([value], len(answers))[0]]
        return response or None

    def field_state(self, shown, response):
        response = response or {}
        return [shown["answers"].index(response[str(p)]) + 1 if str(p) in response else None
                for p in shown["prompts"]]

    def control(self, name, question, shown, response):
        pairs, state = question["pairs"], self.field_state(shown, response)
        return {
            "options": [Option(str(i + 1), pairs[p]["answer"]) for i, p in enumerate(shown["answers"])],
            "prompts": [(f"{name}.{i + 1}", pairs[p]["prompt"], str(sel) if sel else None)
                        for i, (p, sel) in enumerate(zip(shown["prompts"], state))],
        }

    def grade(self, question, response):
        response = response or {}
        size = len(question["pairs"])
        matched = sum(1 for i in range(size) if response.get(str(i)) == i)
        return Grade(Fraction(matched, size), Fraction(1), matched == size, {"matched": matched, "pairs": size})

    def partial_credit(self, question):
        return True

    def describe_answer(self, question, response):
        pairs = question["pairs"]
        return "; ".join(f"{pairs[int(p)]['prompt']} → {pairs[a]['answer']}" for p, a in sorted(
            response.items(), key=lambda kv: int(kv[0])))

    def describe_key(self, question):
        return "; ".join(f"{p['prompt']} → {p['answer']}" for p in question["pairs"])

    def sample_values(self, question, shown, *, correct, rng):
        answers = shown["answers"]
        values = [str(answers.index(p) + 1) for p in shown["prompts"]]
        if not correct and len(values) > 1:
            values[0], values[1] = values[1], values[0]
        return values
