"""What the review of a finished attempt shows: correctness and the key only to the level its policy allows now."""
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import bindparam, select

from lms.db_engine import run_read
from lms.exams import policy as rules
from lms.exams.attempts import ExamRef
from lms.exams.grading import grade_attempt
from lms.exams.versions import pinned_versions
from lms.extensions import db
from lms.models import AnswerLog, Attempt, AttemptQuestion, Certification, Exam, ExamVersion, QuestionVersion, User
from lms.models.exam import FINISHED
from lms.models.user import SESSION_USER_COLUMNS, SessionUser
from lms.questions import QUESTION_TYPES, ReviewChoice


@dataclass(frozen=True)
class Titled:
    """An exam version as a finished attempt's page names it."""

    title: str
    number: int


@dataclass(frozen=True)
class Earned:
    """The certification an attempt's enrollment earned, as its result page announces it."""

    number: str
    track_title: str
    expires_on: date


@dataclass(frozen=True)
class FinishedAttempt:
    """A finished attempt as its result page shows it: one row of plain columns, no ORM object (the page reads
    nothing else of it), with its exam version, its exam, its user and the certification its enrollment earned."""

    id: int
    user_id: int
    exam_id: int
    enrollment_id: int | None
    number: int
    status: str
    policy: dict
    started_at: datetime
    finished_at: datetime
    finish_reason: str
    points: float
    max_points: float
    percent: float
    passed: bool
    exam_version: Titled
    exam: ExamRef
    earned: Earned | None
    user: SessionUser


_FINISHED = (
    select(Attempt.id, Attempt.user_id, Attempt.exam_id, Attempt.enrollment_id, Attempt.number, Attempt.status,
           Attempt.policy, Attempt.started_at, Attempt.finished_at, Attempt.finish_reason, Attempt.points,
           Attempt.max_points, Attempt.percent, Attempt.passed, ExamVersion.title, ExamVersion.number, Exam.slug,
           Certification.number, Certification.track_title, Certification.expires_on, *SESSION_USER_COLUMNS)
    .join(ExamVersion, ExamVersion.id == Attempt.exam_version_id)
    .join(Exam, Exam.id == Attempt.exam_id)
    .join(User, User.id == Attempt.user_id)
    .outerjoin(Certification, Certification.enrollment_id == Attempt.enrollment_id)
    .where(Attempt.id == bindparam("attempt_id"), Attempt.user_id == bindparam("user_id"))
)


def finished_attempt(attempt_id: int, user_id: int, *,
                     admit: Callable[[SessionUser], None]) -> FinishedAttempt | None:
    """The attempt if it is ``user_id``'s and finished, in one statement; None otherwise (anyone else's, or still
    open: the caller loads it to say which, and to finish it if its time is up). ``admit`` is called with the
    attempt's user (read by the same statement) first, and raises to refuse (lms.views.helpers.SessionCheck)."""
    row = run_read(db.session, db.engine, _FINISHED, {"attempt_id": attempt_id, "user_id": user_id}).one_or_none()
    if row is None:
        return None
    columns, user = SessionUser.split(row)
    admit(user)
    if row.status != FINISHED:
        return None
    *attempt, title, version, slug, certificate, track, expires_on = columns
    earned = Earned(certificate, track, expires_on) if certificate is not None else None
    return FinishedAttempt(*attempt, exam_version=Titled(title, version), exam=ExamRef(row.exam_id, slug),
                           earned=earned, user=user)


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
    questions = run_read(db.session, db.engine, _REVIEWED, {"attempt_id": attempt.id}).all()
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
