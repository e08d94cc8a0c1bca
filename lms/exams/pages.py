"""What the attempt and review pages show, built server-side so a template cannot leak the key.

``attempt_page`` copies only what a trainee may see during an attempt (stems, choice texts in the
shown order, their own answers); the key, feedback and rationale never enter it. ``review`` adds
correctness and the key only to the level the review policy allows now.
"""
import math
from dataclasses import dataclass, field

from sqlalchemy import select

from ..extensions import db
from ..models import AnswerLog, AttemptQuestion, QuestionVersion
from . import policy as rules
from .attempts import accepts_answers_until, field_name, page_of
from .grading import QUESTION_TYPES, grade, parse_number

UNANSWERED, ANSWERED, FLAGGED = "unanswered", "answered", "flagged"


@dataclass
class Option:
    """A choice or a matching answer as shown: its position-based value and its text."""

    value: str
    text: str
    selected: bool = False


@dataclass
class QuestionView:
    """One question on the attempt page."""

    position: int
    number: int
    qtype: str
    label: str
    name: str
    stem_html: str
    options: list[Option] = field(default_factory=list)  # single, multiple, true/false; matching answers
    prompts: list[tuple[str, str, str | None]] = field(default_factory=list)  # matching: (name, text, selected)
    text: str = ""  # short, numeric
    unit: str | None = None
    unreadable_number: bool = False
    answered: bool = False
    flagged: bool = False


@dataclass
class NavItem:
    """A question in the navigation panel."""

    number: int
    page: int
    state: str
    flagged: bool
    current: bool


@dataclass
class AttemptPage:
    """One page of an open attempt."""

    page: int
    pages: int
    questions: list[QuestionView]
    nav: list[NavItem]
    forward_only: bool
    deadline_at: object
    accepts_until: object

    @property
    def unanswered(self) -> list[int]:
        return [n.number for n in self.nav if n.state == UNANSWERED]

    @property
    def flagged(self) -> list[int]:
        return [n.number for n in self.nav if n.flagged]


def _choice_texts(data: dict) -> dict[str, str]:
    return {c["id"]: c["text"] for c in data["choices"]}


def question_view(aq: AttemptQuestion, data: dict, rendered: dict) -> QuestionView:
    """The question as shown, with the trainee's saved answer filled in and nothing of the key."""
    kind = QUESTION_TYPES[aq.qtype]
    view = QuestionView(aq.position, aq.position + 1, aq.qtype, kind.label, field_name(aq.position),
                        rendered["stem"], answered=aq.response is not None, flagged=aq.is_flagged)
    state = kind.field_state(aq.shown, aq.response)
    if aq.qtype in ("single", "multiple"):
        texts = _choice_texts(data)
        view.options = [Option(str(i + 1), texts[cid], (i + 1) in state) for i, cid in enumerate(aq.shown)]
    elif aq.qtype == "true_false":
        view.options = [Option("true", "True", aq.response is True), Option("false", "False", aq.response is False)]
    elif aq.qtype in ("short", "numeric"):
        view.text = aq.response or ""
        view.unit = data.get("unit")
        view.unreadable_number = aq.qtype == "numeric" and aq.response is not None and \
            parse_number(aq.response, view.unit) is None
    elif aq.qtype == "matching":
        pairs = data["pairs"]
        view.options = [Option(str(i + 1), pairs[p]["answer"]) for i, p in enumerate(aq.shown["answers"])]
        view.prompts = [(f"{view.name}.{i + 1}", pairs[p]["prompt"], str(sel) if sel else None)
                        for i, (p, sel) in enumerate(zip(aq.shown["prompts"], state))]
    return view


def _versions(ids) -> dict[int, tuple[dict, dict]]:
    rows = db.session.execute(
        select(QuestionVersion.id, QuestionVersion.data, QuestionVersion.rendered).where(QuestionVersion.id.in_(ids))
    ).all()
    return {vid: (data, rendered) for vid, data, rendered in rows}


def attempt_page(attempt, page: int) -> AttemptPage:
    """Page ``page`` (0-based) of an open attempt, and the navigation panel of all its questions."""
    per_page = attempt.policy["per_page"]
    questions = attempt.questions
    pages = max(1, math.ceil(len(questions) / per_page))
    page = max(0, min(page, pages - 1))
    on_page = [q for q in questions if page_of(q.position, per_page) == page]
    versions = _versions({q.question_version_id for q in on_page})
    views = [question_view(q, *versions[q.question_version_id]) for q in on_page]
    nav = [NavItem(q.position + 1, page_of(q.position, per_page), ANSWERED if q.response is not None else UNANSWERED,
                   q.is_flagged, page_of(q.position, per_page) == page) for q in questions]
    return AttemptPage(page, pages, views, nav, attempt.policy["navigation"] == "forward", attempt.deadline_at,
                       accepts_answers_until(attempt.deadline_at))


# -- review ------------------------------------------------------------------------------------


@dataclass
class ReviewChoice:
    """A choice in the review: picked or not, and (answers level) whether it is a key, its feedback."""

    text: str
    picked: bool
    is_key: bool | None = None
    feedback_html: str | None = None


@dataclass
class ReviewItem:
    """One question of a finished attempt, as far as the review level allows."""

    number: int
    qtype: str
    label: str
    stem_html: str
    your_answer: str
    choices: list[ReviewChoice] = field(default_factory=list)
    points: float | None = None
    max_points: float | None = None
    is_correct: bool | None = None
    correct_answer: str | None = None
    also_accepted: list[str] = field(default_factory=list)  # other accepted answers (staff only)
    feedback_html: list[str] = field(default_factory=list)
    rationale_html: str | None = None
    source: str | None = None


def describe_response(qtype: str, data: dict, response) -> str:
    """The trainee's answer in words."""
    if response is None:
        return "No answer"
    if qtype == "single":
        return _choice_texts(data).get(response, "?")
    if qtype == "multiple":
        texts = _choice_texts(data)
        return "; ".join(texts.get(c, "?") for c in response)
    if qtype == "true_false":
        return "True" if response else "False"
    if qtype == "matching":
        pairs = data["pairs"]
        return "; ".join(f"{pairs[int(p)]['prompt']} → {pairs[a]['answer']}" for p, a in sorted(
            response.items(), key=lambda kv: int(kv[0])))
    return str(response)


def describe_key(qtype: str, data: dict) -> str:
    """The correct answer in words (a short answer: its canonical form, the first accepted answer)."""
    if qtype in ("single", "multiple"):
        return "; ".join(c["text"] for c in data["choices"] if c.get("correct"))
    if qtype == "true_false":
        return "True" if data["answer"] else "False"
    if qtype == "short":
        return data["answers"][0]
    if qtype == "numeric":
        unit = f" {data['unit']}" if data.get("unit") else ""
        if "range" in data:
            return f"from {data['range'][0]:g} to {data['range'][1]:g}{unit}"
        tolerance = f" (± {data['tolerance']:g})" if data.get("tolerance") else ""
        return f"{data['answer']:g}{unit}{tolerance}"
    if qtype == "matching":
        return "; ".join(f"{p['prompt']} → {p['answer']}" for p in data["pairs"])
    return ""


def accepted_variants(qtype: str, data: dict) -> list[str]:
    """The other answers graded as correct besides the canonical one (short answers' accepted variants).

    They include the misspellings and odd forms an author chose to accept, which must not be taught
    as correct: only instructors and staff see them."""
    return list(data["answers"][1:]) if qtype == "short" else []


def review(attempt, level: str, *, show_variants: bool = False) -> list[ReviewItem]:
    """A finished attempt's questions at review ``level`` (score: none; wrong: marks; answers: all).

    ``show_variants`` (instructors' and staff's record view) adds every accepted answer to the
    canonical one a trainee sees."""
    if not rules.shows(level, rules.WRONG):
        return []
    questions = attempt.questions
    versions = _versions({q.question_version_id for q in questions})
    items = []
    for aq in questions:
        data, rendered = versions[aq.question_version_id]
        kind = QUESTION_TYPES[aq.qtype]
        item = ReviewItem(aq.position + 1, aq.qtype, kind.label, rendered["stem"],
                          describe_response(aq.qtype, data, aq.response), points=aq.points,
                          max_points=aq.max_points, is_correct=aq.is_correct)
        full = rules.shows(level, rules.ANSWERS)
        if aq.qtype in ("single", "multiple"):
            picked = set(aq.response if isinstance(aq.response, list) else [aq.response])
            texts = {c["id"]: c for c in data["choices"]}
            for cid in aq.shown:
                choice = texts[cid]
                item.choices.append(ReviewChoice(
                    choice["text"], cid in picked, bool(choice.get("correct")) if full else None,
                    rendered["feedback"].get(cid) if full and (cid in picked or choice.get("correct")) else None))
        if full:
            item.correct_answer = describe_key(aq.qtype, data)
            if show_variants:
                item.also_accepted = accepted_variants(aq.qtype, data)
            if aq.qtype == "true_false" and aq.response is not None:
                item.feedback_html = [rendered["feedback"]["true" if aq.response else "false"]]
            elif aq.qtype not in ("single", "multiple", "true_false"):
                item.feedback_html = [rendered["feedback"][""]]
            item.rationale_html = rendered["rationale"]
            item.source = data["source"]
        items.append(item)
    return items


def answer_log(attempt_id: int) -> list[AnswerLog]:
    """Every saved answer of an attempt, in order (for the instructor's record view)."""
    return list(db.session.scalars(select(AnswerLog).where(AnswerLog.attempt_id == attempt_id)
                                   .order_by(AnswerLog.id)))


def regrade_matches(attempt) -> bool:
    """True when re-grading the stored responses against the pinned versions gives the recorded points."""
    versions = _versions({q.question_version_id for q in attempt.questions})
    return all(
        q.points is not None and abs(float(grade(versions[q.question_version_id][0], q.response).points) - q.points)
        < 1e-9 for q in attempt.questions
    )
