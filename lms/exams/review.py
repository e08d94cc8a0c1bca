"""What the review of a finished attempt shows: correctness and the key only to the level its policy allows now."""
from dataclasses import dataclass, field

from sqlalchemy import select

from lms.exams import policy as rules
from lms.exams.pages import choice_texts, pinned_versions
from lms.exams.questions import QUESTION_TYPES, grade
from lms.extensions import db
from lms.models import AnswerLog


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
        return choice_texts(data).get(response, "?")
    if qtype == "multiple":
        texts = choice_texts(data)
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
    versions = pinned_versions({q.question_version_id for q in questions})
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
    versions = pinned_versions({q.question_version_id for q in attempt.questions})
    return all(
        q.points is not None and abs(float(grade(versions[q.question_version_id][0], q.response).points) - q.points)
        < 1e-9 for q in attempt.questions
    )
