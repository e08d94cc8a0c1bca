"""What the review of a finished attempt shows: correctness and the key only to the level its policy allows now."""
from dataclasses import dataclass, field

from sqlalchemy import bindparam, select

from lms.exams import policy as rules
from lms.exams.grading import grade_attempt
from lms.exams.versions import pinned_versions
from lms.extensions import db, session_connection
from lms.models import AnswerLog, AttemptQuestion, QuestionVersion
from lms.questions import QUESTION_TYPES, ReviewChoice


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


# The attempt's questions as the review shows them, as plain rows, with each pinned version's content hash: the
# versions' data and rendered HTML are kept per process by it (lms.exams.versions, as the draw, the pages and the
# grading keep them), so a result page right after the submit reads none of it again.
_REVIEWED = (
    select(AttemptQuestion.position, AttemptQuestion.qtype, AttemptQuestion.question_version_id,
           QuestionVersion.content_hash, AttemptQuestion.shown, AttemptQuestion.response, AttemptQuestion.points,
           AttemptQuestion.max_points, AttemptQuestion.is_correct)
    .join(QuestionVersion, QuestionVersion.id == AttemptQuestion.question_version_id)
    .where(AttemptQuestion.attempt_id == bindparam("attempt_id"))
    .order_by(AttemptQuestion.position)
)


def review(attempt, level: str, *, show_variants: bool = False) -> list[ReviewItem]:
    """A finished attempt's questions at review ``level`` (score: none; wrong: marks; answers: all).

    ``show_variants`` (instructors' and staff's record view) adds every accepted answer to the
    canonical one a trainee sees."""
    if not rules.shows(level, rules.WRONG):
        return []
    questions = session_connection().execute(_REVIEWED, {"attempt_id": attempt.id}).all()
    versions = pinned_versions({(q.question_version_id, q.content_hash) for q in questions})
    items = []
    for aq in questions:
        data, rendered = versions[aq.question_version_id]
        kind = QUESTION_TYPES[aq.qtype]
        item = ReviewItem(aq.position + 1, aq.qtype, kind.label, rendered["stem"],
                          kind.describe_response(data, aq.response), points=aq.points,
                          max_points=aq.max_points, is_correct=aq.is_correct)
        full = rules.shows(level, rules.ANSWERS)
        item.choices = kind.review_choices(data, rendered, aq.shown, aq.response, full)
        if full:
            item.correct_answer = kind.describe_key(data)
            if show_variants:
                item.also_accepted = kind.accepted_variants(data)
            item.feedback_html = kind.review_feedback(rendered, aq.response)
            item.rationale_html = rendered["rationale"]
            item.source = data["source"]
        items.append(item)
    return items


def answer_log(attempt_id: int) -> list[AnswerLog]:
    """Every saved answer of an attempt, in order (for the instructor's record view)."""
    return list(db.session.scalars(select(AnswerLog).where(AnswerLog.attempt_id == attempt_id)
                                   .order_by(AnswerLog.id)))


def regrade_matches(attempt) -> bool:
    """True when re-grading the stored responses against the pinned versions (and the decisions on
    challenges that apply to the attempt) gives the recorded points."""
    per_question = grade_attempt(attempt.id).per_question
    return all(
        q.points is not None and abs(float(per_question[q.id][0]) - q.points) < 1e-9 for q in attempt.questions
    )
