"""Ordering: put the items in the right sequence."""
from fractions import Fraction
from itertools import combinations

from lms.questions.base import TEXT, Grade, QuestionType, ResponseInvalid, positions
from lms.questions.editor import TEXTAREA, EditorField, EditorRows


class Ordering(QuestionType):
    """Items to put in the right sequence (the steps of a procedure, events in time).

    Authored: ``items``, 3 to 8 texts in the correct order. Shown: the item indices in display order,
    always shuffled (whatever the exam's shuffle_choices says, as matching's answers are) and never
    in the correct order, which is the answer. The page has one position select per item, named after
    the item's shown place (``a3.1``, ``a3.2``...), whose value is the position the trainee gives it:
    without JavaScript that is the control; static/js/ordering.js adds move-up and move-down buttons
    that reorder the list and set the selects (which autosave then sends). The response is the item
    indices in the trainee's order. Positions given twice keep the shown order between them, and
    items left without a position go last: every save is a complete order, shown back as saved.

    Partial credit is by pairs, not by the longest correctly ordered run. A run score depends on
    where a mistake sits (one item misplaced in the middle halves a contiguous run; moved from first
    to last, it still leaves a long run) and ignores how far an item is out of place. Pairs count
    every misplacement by how far it is off: each pair of items in the wrong relative order is one
    swap of neighbours needed to put the answer right (Kendall's distance), the usual measure of
    agreement between two rankings. The points are Kendall's tau floored at 0:
    (pairs right - pairs wrong) / pairs. An order no better than chance (as many pairs wrong as right,
    what a random order gets on average) earns nothing, and none earns less than nothing, the same
    rule against guessing gain as multiple response's partial credit; one pair of neighbours swapped
    in n items costs 2 / (n (n - 1) / 2) of the point.
    """

    name, label = "ordering", "Ordering"
    properties = {
        "items": {"type": "array", "minItems": 3, "maxItems": 8, "items": TEXT},
        "feedback": TEXT,
    }
    required = ("items", "feedback")
    scripts = ("js/ordering.js",)

    def editor_fields(self):
        return (EditorRows("items", "Items, in the correct order", (EditorField((), "Item"),),
                           rows=self.properties["items"]["maxItems"], hint="Blank rows are left out."),
                EditorField(("feedback",), "Feedback", TEXTAREA))

    def validate(self, q):
        seen = {}
        lines = getattr(q["items"], "item_lines", [])
        for index, text in enumerate(q["items"]):
            key = " ".join(text.lower().split())
            if key in seen:
                line = lines[index] if index < len(lines) else q.line_of("items")
                yield line, (f"question '{q['id']}': item {index + 1} is the same as item {seen[key] + 1} "
                             f"('{text}'); the items of an ordering question must differ")
            seen.setdefault(key, index)

    def shown(self, question, rng, shuffle):
        order = list(range(len(question["items"])))
        while True:
            rng.shuffle(order)
            if len(order) < 2 or order != sorted(order):
                return order

    def form_values(self, shown, name, form):
        return [form.get(f"{name}.{i + 1}", "") for i in range(len(shown))]

    def parse(self, shown, values):
        """``values``: one per shown item, in shown order: the position given to it (1-based) or ""."""
        if len(values) != len(shown):
            raise ResponseInvalid("one position per item")
        ranks = [None if value in ("", None) else positions([value], len(shown))[0] for value in values]
        if all(rank is None for rank in ranks):
            return None
        place = sorted(range(len(shown)), key=lambda i: (len(shown) if ranks[i] is None else ranks[i], i))
        return [shown[i] for i in place]

    def field_state(self, shown, response):
        return [response.index(item) + 1 if response else None for item in shown]

    def control(self, name, question, shown, response):
        texts, state = question["items"], self.field_state(shown, response)
        fields = {item: (f"{name}.{i + 1}", state[i]) for i, item in enumerate(shown)}
        return {
            "positions": [str(p) for p in range(1, len(shown) + 1)],
            "items": [{"name": fields[item][0], "text": texts[item],
                       "position": str(fields[item][1]) if fields[item][1] else None}
                      for item in (response or shown)],
        }

    def grade(self, question, response):
        size = len(question["items"])
        pairs = size * (size - 1) // 2
        if not isinstance(response, list) or sorted(response) != list(range(size)):
            return Grade(Fraction(0), Fraction(1), False, {"pairs_right": 0, "pairs": pairs})
        right = sum(1 for a, b in combinations(response, 2) if a < b)
        points = max(Fraction(0), Fraction(right - (pairs - right), pairs))
        return Grade(points, Fraction(1), right == pairs, {"pairs_right": right, "pairs": pairs})

    def partial_credit(self, question):
        return True

    def describe_answer(self, question, response):
        items = question["items"]
        return " → ".join(items[i] if isinstance(i, int) and 0 <= i < len(items) else "?" for i in response)

    def describe_key(self, question):
        return " → ".join(question["items"])

    def sample_values(self, question, shown, *, correct, rng):
        order = list(range(len(question["items"])))
        if not correct:
            order[0], order[1] = order[1], order[0]  # knows all but which of the first two comes first
        return [str(order.index(item) + 1) for item in shown]
