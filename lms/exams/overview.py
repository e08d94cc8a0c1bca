"""What a trainee and the timeline see of an exam: the exam's overview, each exam's state, the review level."""
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import bindparam, func, select

from lms.db_engine import run_read
from lms.exams import policy as rules
from lms.exams.attempts import (
    ExamContext,
    enrollment_attempts,
    exam_grants,
    expire_if_due,
    extra_attempt_grants,
    grace,
    start_check,
)
from lms.exams.grading import grade_attempt
from lms.extensions import db
from lms.models import Attempt, Exam, ExamGrant, ExamVersion
from lms.models.exam import FINISHED, OPEN


@dataclass
class ExamOverview:
    """What the exam page shows a trainee: rules, attempts used and left, next start, past results."""

    context: ExamContext
    finished: list[Attempt]
    open: Attempt | None
    extra_attempts: int
    check: rules.StartCheck
    closed: bool
    pending_extra_minutes: int
    expired_now: bool = False  # an overdue open attempt was finished just now (to be committed)

    @property
    def allowed(self) -> int:
        return rules.attempts_allowed(self.context.policy, self.extra_attempts)

    @property
    def used(self) -> int:
        return len(self.finished) + (1 if self.open else 0)

    @property
    def left(self) -> int:
        return max(0, self.allowed - self.used)

    def review_level(self, attempt) -> str:
        """What the review of one of ``finished`` may show now (no further queries)."""
        return _review_level(attempt, self.finished, self.extra_attempts)


def exam_overview(context: ExamContext, *, now) -> ExamOverview:
    """The exam page's facts for one trainee in the context's enrollment (finishing an expired open
    attempt first: ``expired_now`` says it did, and the caller commits)."""
    enrollment_id, exam_id = context.enrollment.id, context.exam.id
    tried = enrollment_attempts(enrollment_id, exam_id)
    current = next((a for a in tried if a.status == OPEN), None)
    expired_now = current is not None and expire_if_due(current, now=now)
    if expired_now:
        tried, current = enrollment_attempts(enrollment_id, exam_id), None
    granted, pending_minutes = exam_grants(enrollment_id, exam_id)
    finished, granted, check = start_check(context, now=now, finished=[a for a in tried if a.status == FINISHED],
                                           granted=granted)
    return ExamOverview(context, finished, current, granted.count, check,
                        rules.is_closed(context.policy, finished, granted.count), pending_minutes, expired_now)


NOT_STARTED, IN_PROGRESS, PASSED, FAILED = "not_started", "in_progress", "passed", "failed"


def exam_states(enrollment_id: int, slugs, now) -> dict[str, tuple[str, str]]:
    """Exam slug -> (title, state) in one enrollment: not_started, in_progress, passed or failed.

    Read-only: an open attempt past its deadline and grace is shown with the result it will get when
    it is finished (its answers can no longer change), which happens on the exam's page.
    """
    slugs = list(slugs)
    if not slugs:
        return {}
    exams = list(db.session.execute(
        select(Exam.id, Exam.slug, ExamVersion.title).join(ExamVersion, ExamVersion.id == Exam.current_version_id)
        .where(Exam.slug.in_(slugs))
    ).all())
    attempts = defaultdict(list)
    if exams:
        for a in db.session.execute(
            select(Attempt.id, Attempt.exam_id, Attempt.status, Attempt.passed, Attempt.deadline_at, Attempt.policy)
            .where(Attempt.enrollment_id == enrollment_id, Attempt.exam_id.in_([e.id for e in exams]))
            .order_by(Attempt.number)
        ):
            attempts[a.exam_id].append(a)
    cutoff = now - grace()
    states = {}
    for exam_id, slug, title in exams:
        state = NOT_STARTED
        for a in attempts[exam_id]:
            if a.status == OPEN and a.deadline_at >= cutoff:
                state = IN_PROGRESS
            elif a.status == OPEN:
                state = PASSED if grade_attempt(a.id).passed(a.policy["pass_mark"]) else FAILED
            else:
                state = PASSED if a.passed else FAILED
            if state == PASSED:
                break
        states[slug] = (title, state)
    return states


_CLOSED_FACTS = (
    # Each finished attempt of the enrollment at the exam, with the count of extra attempts granted: what
    # rules.is_closed needs, in one statement.
    select(Attempt.passed, select(func.count(ExamGrant.id))
           .where(extra_attempt_grants(bindparam("enrollment_id"), bindparam("exam_id")))
           .scalar_subquery().label("extra"))
    .where(Attempt.enrollment_id == bindparam("enrollment_id"), Attempt.exam_id == bindparam("exam_id"),
           Attempt.status == FINISHED)
)


def review_level_for(attempt: Attempt) -> str:
    """What the review of a finished attempt may show now, by the policy it was taken under."""
    if attempt.status != FINISHED:
        return rules.SCORE
    policy = rules.ExamPolicy.from_dict(attempt.policy)
    if policy.review_when == rules.AFTER_SUBMIT:
        return policy.review_show
    finished = run_read(db.session, db.engine, _CLOSED_FACTS,
                        {"enrollment_id": attempt.enrollment_id, "exam_id": attempt.exam_id}).all()
    return _review_level(attempt, finished, finished[0].extra if finished else 0)


def _review_level(attempt: Attempt, finished: list[Attempt], extra: int) -> str:
    """The review level of a finished attempt, by its own policy, given its enrollment's finished attempts."""
    policy = rules.ExamPolicy.from_dict(attempt.policy)
    return rules.review_level(policy, closed=rules.is_closed(policy, finished, extra))
