"""The attempt lifecycle: start (draw, pin, deadline), save answers, submit or expire, grade.

Every function takes ``now``; writes flush and leave the commit to the caller. Attempts, their
limits and instructors' grants belong to an enrollment (a trainee in one cohort): a trainee enrolled
again, or in two cohorts, has separate attempts and grants in each. The rules that make an attempt
trustworthy live here and in the database:
- at most one open attempt per enrollment and exam (a partial unique index; a start that loses the
  race resumes the winner's attempt);
- answers are accepted until the deadline plus a grace of at most 60 s, each one kept twice: as the
  current response and in the append-only answer log, with the server's time;
- finishing is a conditional update (open -> finished) in the same transaction as grading, so a
  double submit, two tabs or a replayed request grade once; an attempt nobody submits finishes at
  its deadline, lazily on next access or by ``lms exams close-expired``.
"""
import random
import secrets
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from fractions import Fraction

from flask import current_app, has_app_context
from sqlalchemy import and_, bindparam, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from ..audit import record_event
from ..extensions import db
from ..learning import open_weeks, week_start
from ..models import (
    AnswerLog, Attempt, AttemptQuestion, Cohort, Enrollment, Exam, ExamGrant, ExamVersion, QuestionVersion, TrackItem,
)
from ..models.exam import EXPIRED, FINISHED, OPEN, SUBMITTED
from . import policy as rules
from .draw import DrawError, draw_questions, load_candidates
from .grading import QUESTION_TYPES, ResponseInvalid, grade

DEFAULT_GRACE_SECONDS = 30
EXTRA_TIME, EXTRA_ATTEMPT = "extra_time", "extra_attempt"


class ExamError(Exception):
    """An exam request that cannot be carried out, with a message for the trainee."""


class StartRefused(ExamError):
    """The policy does not allow starting an attempt now."""


class AttemptClosed(ExamError):
    """The attempt no longer takes answers (finished, past the deadline and grace, or a page left behind)."""


def grace() -> timedelta:
    """The configured grace after the deadline (config EXAM_GRACE_SECONDS), at most 60 s."""
    value = current_app.config.get("EXAM_GRACE_SECONDS") if has_app_context() else None
    return rules.grace(DEFAULT_GRACE_SECONDS if value is None else value)


def grace_seconds() -> int:
    """The grace in whole seconds (for the pages' timer)."""
    return int(grace().total_seconds())


def accepts_answers_until(deadline_at: datetime) -> datetime:
    """The last moment an answer is accepted: the deadline plus the grace."""
    return deadline_at + grace()


# -- where an exam sits for a trainee ----------------------------------------------------------


@dataclass
class ExamContext:
    """An exam as one trainee meets it: in which enrollment, which week, open or not."""

    exam: Exam
    version: ExamVersion
    policy: rules.ExamPolicy
    enrollment: Enrollment
    week: int
    week_open: bool

    @property
    def opens_on(self):
        return week_start(self.enrollment.cohort, self.week)


def exam_context(user, slug: str, now) -> ExamContext | None:
    """The exam in the newest of the trainee's enrollments whose track schedules it, or None."""
    exam = db.session.scalar(select(Exam).where(Exam.slug == slug, Exam.retired_at.is_(None)))
    if exam is None or exam.current_version is None:
        return None
    row = db.session.execute(
        select(Enrollment, TrackItem.week)
        .join(Cohort, Cohort.id == Enrollment.cohort_id)
        .join(TrackItem, and_(TrackItem.track_id == Cohort.track_id, TrackItem.kind == "exam", TrackItem.ref == slug))
        .where(Enrollment.user_id == user.id, Enrollment.status != "withdrawn")
        .order_by(Enrollment.enrolled_at.desc(), Enrollment.id.desc()).limit(1)
    ).first()
    if row is None:
        return None
    enrollment, week = row
    version = exam.current_version
    return ExamContext(exam, version, rules.ExamPolicy.from_blueprint(version.blueprint), enrollment, week,
                       week_is_open(enrollment.cohort, week, now))


def week_is_open(cohort, week: int, now) -> bool:
    """One week of a cohort is open (by the calendar, or opened early): lms.learning's rule."""
    return week in open_weeks(cohort, now)


def finished_attempts(enrollment_id: int, exam_id: int) -> list[Attempt]:
    """The enrollment's finished attempts at the exam, oldest first."""
    return list(db.session.scalars(
        select(Attempt).where(Attempt.enrollment_id == enrollment_id, Attempt.exam_id == exam_id,
                              Attempt.status == FINISHED)
        .order_by(Attempt.number)
    ))


def open_attempt(enrollment_id: int, exam_id: int) -> Attempt | None:
    """The enrollment's open attempt at the exam, if any."""
    return db.session.scalar(
        select(Attempt).where(Attempt.enrollment_id == enrollment_id, Attempt.exam_id == exam_id,
                              Attempt.status == OPEN)
    )


@dataclass(frozen=True)
class AttemptGrants:
    """The extra attempts instructors granted in one enrollment for one exam."""

    count: int = 0
    cooldown_waivers: tuple = ()  # when each extra attempt that lifts the cool-down was granted


def attempt_grants(enrollment_id: int, exam_id: int) -> AttemptGrants:
    """The extra attempts granted in the enrollment for the exam (and which lift the cool-down)."""
    rows = db.session.execute(
        select(ExamGrant.granted_at, ExamGrant.waives_cooldown)
        .where(ExamGrant.enrollment_id == enrollment_id, ExamGrant.exam_id == exam_id, ExamGrant.kind == EXTRA_ATTEMPT)
    ).all()
    return AttemptGrants(len(rows), tuple(at for at, waives in rows if waives))


def _start_check(context: ExamContext, *, now) -> tuple[list[Attempt], AttemptGrants, rules.StartCheck]:
    """The enrollment's finished attempts, the extra attempts granted, and whether one may start now."""
    finished = finished_attempts(context.enrollment.id, context.exam.id)
    granted = attempt_grants(context.enrollment.id, context.exam.id)
    check = rules.may_start(context.policy, week_open=context.week_open, finished=finished,
                            extra_attempts=granted.count, now=now, opens_on=context.opens_on,
                            cooldown_waivers=granted.cooldown_waivers)
    return finished, granted, check


def _pending_extra_time(enrollment_id: int, exam_id: int):
    """The condition for extra-time grants not yet applied to an attempt (the next one gets them)."""
    return and_(ExamGrant.enrollment_id == enrollment_id, ExamGrant.exam_id == exam_id,
                ExamGrant.kind == EXTRA_TIME, ExamGrant.attempt_id.is_(None))


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
    attempt first)."""
    current = open_attempt(context.enrollment.id, context.exam.id)
    if current is not None and expire_if_due(current, now=now):
        current = None
    finished, granted, check = _start_check(context, now=now)
    pending = db.session.scalar(
        select(func.coalesce(func.sum(ExamGrant.minutes), 0))
        .where(_pending_extra_time(context.enrollment.id, context.exam.id))
    ) or 0
    return ExamOverview(context, finished, current, granted.count, check,
                        rules.is_closed(context.policy, finished, granted.count), int(pending))


# -- start -------------------------------------------------------------------------------------


def start_attempt(context: ExamContext, user, *, now, seed: str | None = None) -> Attempt:
    """Start an attempt in the context's enrollment (or resume the open one): draw per blueprint, pin
    versions, set the deadline (the enrollment's time multiplier and pending extra time apply)."""
    enrollment = context.enrollment
    current = open_attempt(enrollment.id, context.exam.id)
    if current is not None and not expire_if_due(current, now=now):
        return current
    finished, granted, check = _start_check(context, now=now)
    if not check.allowed:
        raise StartRefused(check.reason)
    policy, blueprint = context.policy, context.version.blueprint
    seed = seed or secrets.token_hex(16)
    rng = random.Random(seed)
    seen = frozenset()
    if policy.no_repeats and finished:
        seen = frozenset(db.session.scalars(
            select(AttemptQuestion.question_id).join(Attempt, Attempt.id == AttemptQuestion.attempt_id)
            .where(Attempt.enrollment_id == enrollment.id, Attempt.exam_id == context.exam.id)
        ))
    try:
        rounds = rules.attempts_allowed(policy, granted.count) - len(finished) if policy.no_repeats else 1
        drawn = draw_questions(blueprint["draw"], load_candidates(blueprint["draw"]), rng, seen=seen,
                               rounds=rounds, shuffle=policy.shuffle_questions)
    except DrawError as error:
        raise ExamError("This exam cannot be drawn right now; please tell your instructor.") from error
    pending = list(db.session.scalars(select(ExamGrant).where(_pending_extra_time(enrollment.id, context.exam.id))))
    extra_seconds = sum(g.minutes for g in pending) * 60
    multiplier = float(enrollment.time_multiplier or 1.0)
    attempt = Attempt(
        user_id=user.id, exam_id=context.exam.id, exam_version_id=context.version.id,
        enrollment_id=enrollment.id, number=len(finished) + 1, status=OPEN, seed=seed,
        policy=policy.as_dict(), time_multiplier=multiplier, extra_seconds=extra_seconds, started_at=now,
        deadline_at=rules.deadline(now, policy.time_limit_minutes, multiplier, extra_seconds), page_reached=0,
    )
    try:
        with db.session.begin_nested():
            db.session.add(attempt)
            db.session.flush()
    except IntegrityError:
        # Another request started this enrollment's attempt at the same moment: resume that one.
        winner = open_attempt(enrollment.id, context.exam.id)
        if winner is None:
            raise ExamError("Another start of this exam happened at the same moment; please reload.") from None
        return winner
    versions = {d.candidate.version_id for d in drawn}
    data = dict(db.session.execute(
        select(QuestionVersion.id, QuestionVersion.data).where(QuestionVersion.id.in_(versions))
    ).all())
    rows = []
    for position, item in enumerate(drawn):
        question = data[item.candidate.version_id]
        kind = QUESTION_TYPES[question["type"]]
        rows.append({
            "attempt_id": attempt.id, "position": position, "question_id": item.candidate.question_id,
            "question_version_id": item.candidate.version_id, "qtype": question["type"], "cell": item.cell,
            "shown": kind.shown(question, rng, policy.shuffle_choices), "response": None, "answered_at": None,
            "is_flagged": False, "points": None, "max_points": 1.0, "is_correct": None,
        })
    db.session.execute(insert(AttemptQuestion), rows)
    for grant in pending:
        grant.attempt_id = attempt.id
    db.session.flush()
    record_event("attempt.start", actor=user, obj=attempt, now=now, details={
        "exam": context.exam.slug, "enrollment_id": enrollment.id, "exam_version": context.version.number, "number": attempt.number,
        "deadline_at": attempt.deadline_at.isoformat(), "time_multiplier": multiplier,
        "extra_seconds": extra_seconds, "questions": len(rows), "repeats": sum(1 for d in drawn if d.repeat),
    })
    return attempt


# -- answers -----------------------------------------------------------------------------------


@dataclass
class Saved:
    """The outcome of saving one question's answer."""

    position: int
    answered: bool
    flagged: bool
    saved_at: datetime
    deadline_at: datetime
    changed: bool


def page_of(position: int, per_page: int) -> int:
    """The 0-based page a question is on."""
    return position // per_page


_SAVE_READ = (
    select(Attempt.status, Attempt.deadline_at, Attempt.page_reached, Attempt.policy,
           AttemptQuestion.id, AttemptQuestion.qtype, AttemptQuestion.shown, AttemptQuestion.response,
           AttemptQuestion.is_flagged)
    .join(AttemptQuestion, AttemptQuestion.attempt_id == Attempt.id)
    .where(Attempt.id == bindparam("attempt_id"), Attempt.user_id == bindparam("user_id"),
           AttemptQuestion.position == bindparam("position"))
    # A share lock on the attempt: a concurrent submit waits for this save, or this save sees it.
    .with_for_update(read=True, of=Attempt)
)
_SAVE_ANSWER = update(AttemptQuestion).where(AttemptQuestion.id == bindparam("aq_id")).values(
    response=bindparam("response", type_=AttemptQuestion.response.type),
    answered_at=bindparam("answered_at", type_=AttemptQuestion.answered_at.type),
    is_flagged=bindparam("is_flagged"))
_SAVE_FLAG = update(AttemptQuestion).where(AttemptQuestion.id == bindparam("aq_id")).values(
    is_flagged=bindparam("is_flagged"))
_SAVE_LOG = insert(AnswerLog).values(
    attempt_id=bindparam("attempt_id"), position=bindparam("position"),
    response=bindparam("response", type_=AnswerLog.response.type),
    saved_at=bindparam("saved_at", type_=AnswerLog.saved_at.type), via=bindparam("via"))


def save_answer(*, attempt_id: int, user_id: int, position: int, values: list[str] | None = None,
                form=None, flagged: bool | None = None, now, via: str = "autosave") -> Saved | None:
    """Save one question's answer (the lean autosave path): one read, one update, one log row.

    The answer comes as the question's form values (``values``), or as the submitted fields
    (``form``, a MultiDict) from which they are read; with neither, the answer stays as it is (a flag
    toggle).
    Returns None when there is no such attempt of this trainee or no such question (a 404).
    Raises AttemptClosed after the deadline and grace or once finished, ResponseInvalid for values no
    control could send.
    """
    # Core statements built once, run on the session's connection: the hot path skips the ORM.
    conn = db.session.connection()
    row = conn.execute(_SAVE_READ, {"attempt_id": attempt_id, "user_id": user_id, "position": position}).one_or_none()
    if row is None:
        return None
    status, deadline_at, page_reached, policy, aq_id, qtype, shown, current, is_flagged = row
    if status != OPEN:
        raise AttemptClosed("This attempt is finished; answers can no longer be changed.")
    if now > accepts_answers_until(deadline_at):
        raise AttemptClosed("Time is up: answers are no longer accepted.")
    if policy["navigation"] == "forward" and page_of(position, policy["per_page"]) < page_reached:
        raise AttemptClosed("This exam moves forward only: earlier pages can no longer be changed.")
    if form is not None:
        values = _values(qtype, shown, position, form)
    response = current if values is None else QUESTION_TYPES[qtype].parse(shown, values)
    new_flag = is_flagged if flagged is None else bool(flagged)
    changed = response != current
    if changed:
        conn.execute(_SAVE_ANSWER, {"aq_id": aq_id, "response": response, "answered_at": now, "is_flagged": new_flag})
        conn.execute(_SAVE_LOG, {"attempt_id": attempt_id, "position": position, "response": response,
                                 "saved_at": now, "via": via})
    elif new_flag != is_flagged:
        conn.execute(_SAVE_FLAG, {"aq_id": aq_id, "is_flagged": new_flag})
    return Saved(position, response is not None, new_flag, now, deadline_at, changed)


def save_page(attempt: Attempt, form_values, *, page: int, now, via="form") -> list[Saved]:
    """Save the questions of one page (0-based) from a submitted form (the no-JavaScript path)."""
    saved = []
    per_page = attempt.policy["per_page"]
    for position in [q.position for q in attempt.questions if page_of(q.position, per_page) == page]:
        saved.append(save_answer(attempt_id=attempt.id, user_id=attempt.user_id, position=position,
                                 form=form_values, flagged=form_values.get(f"flag{position}") is not None,
                                 now=now, via=via))
    return saved


def field_name(position: int) -> str:
    """The form field of the question at ``position`` (matching: one per prompt, ``a3.1``, ``a3.2``...)."""
    return f"a{position}"


def _values(qtype: str, shown, position: int, form) -> list[str]:
    """The values of a question's form fields, in the shape its type parses."""
    name = field_name(position)
    if qtype == "matching":
        return [form.get(f"{name}.{i + 1}", "") for i in range(len(shown["prompts"]))]
    return form.getlist(name)


REVIEW = "review"


def navigate(attempt: Attempt, page: int, go: str, *, now) -> int | str:
    """Where a page's button leads: "review" (the submit page) or a 0-based page, recorded for
    forward-only exams. ``go`` is next, prev, stay, review, or q<N> (the page of question N)."""
    if go == REVIEW:
        return REVIEW
    target = {"next": page + 1, "prev": page - 1}.get(go, page)
    if go.startswith("q") and go[1:].isdigit():
        target = page_of(int(go[1:]) - 1, attempt.policy["per_page"])
    return move_to_page(attempt, target, now=now)


def move_to_page(attempt: Attempt, page: int, *, now) -> int:
    """Record the furthest page reached (forward-only exams cannot go back); returns the page to show."""
    last = (len(attempt.questions) - 1) // attempt.policy["per_page"]
    page = max(0, min(page, last))
    if attempt.policy["navigation"] == "forward":
        if page < attempt.page_reached:
            return attempt.page_reached
        if page > attempt.page_reached and attempt.status == OPEN:
            db.session.execute(update(Attempt).where(Attempt.id == attempt.id, Attempt.page_reached < page)
                               .values(page_reached=page))
            db.session.refresh(attempt, ["page_reached"])
            return attempt.page_reached
    return page


# -- finishing and grading -----------------------------------------------------------------------


@dataclass
class Result:
    """An attempt's grade, computed from its responses and pinned versions."""

    points: Fraction
    max_points: Fraction
    per_question: dict[int, tuple] = field(default_factory=dict)  # attempt_question id -> (points, max, correct)

    @property
    def percent(self) -> float:
        return float(round(100 * self.points / self.max_points, 4)) if self.max_points else 0.0

    def passed(self, pass_mark: float) -> bool:
        return self.max_points > 0 and self.points * 100 >= Fraction(str(pass_mark)) * self.max_points


def compute_result(attempt_id: int) -> Result:
    """Grade an attempt's current responses against its pinned question versions (no writes)."""
    rows = db.session.execute(
        select(AttemptQuestion.id, AttemptQuestion.response, QuestionVersion.data)
        .join(QuestionVersion, QuestionVersion.id == AttemptQuestion.question_version_id)
        .where(AttemptQuestion.attempt_id == attempt_id)
    ).all()
    result = Result(Fraction(0), Fraction(0))
    for aq_id, response, data in rows:
        g = grade(data, response)
        result.points += g.points
        result.max_points += g.max_points
        result.per_question[aq_id] = (g.points, g.max_points, g.correct)
    return result


def _finish(attempt: Attempt, *, at, reason: str, now, actor=None) -> bool:
    """Finish and grade an open attempt once; False when it was already finished (by anyone)."""
    claimed = db.session.execute(
        update(Attempt).where(Attempt.id == attempt.id, Attempt.status == OPEN)
        .values(status=FINISHED, finished_at=at, finish_reason=reason)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not claimed:
        db.session.refresh(attempt)
        return False
    result = compute_result(attempt.id)
    for aq_id, (points, max_points, correct) in result.per_question.items():
        db.session.execute(update(AttemptQuestion).where(AttemptQuestion.id == aq_id).values(
            points=float(points), max_points=float(max_points), is_correct=correct))
    passed = result.passed(attempt.policy["pass_mark"])
    db.session.execute(update(Attempt).where(Attempt.id == attempt.id).values(
        points=float(result.points), max_points=float(result.max_points), percent=result.percent, passed=passed))
    db.session.flush()
    db.session.refresh(attempt)
    record_event("attempt.finish", actor=actor, actor_label=None if actor else "system", obj=attempt, now=now,
                 details={"reason": reason, "finished_at": at.isoformat(), "points": float(result.points),
                          "max_points": float(result.max_points), "percent": result.percent, "passed": passed})
    if passed:  # issue 4: the last passing grade issues the certification, in this same transaction
        from ..certification import issue_if_complete
        issue_if_complete(attempt.enrollment, now=now)
    return True


def submit_attempt(attempt: Attempt, *, now, actor=None) -> Attempt:
    """Submit an attempt (idempotent): graded once, the same result for every repeat.

    Within the grace it finishes now; past it, the attempt had already expired and finishes at its
    deadline.
    """
    if attempt.status != OPEN:
        return attempt
    if now > accepts_answers_until(attempt.deadline_at):
        _finish(attempt, at=attempt.deadline_at, reason=EXPIRED, now=now)
    else:
        _finish(attempt, at=now, reason=SUBMITTED, now=now, actor=actor)
    return attempt


def expire_if_due(attempt: Attempt, *, now) -> bool:
    """Finish an open attempt at its deadline once the grace has passed; True when it did."""
    if attempt.status != OPEN or now <= accepts_answers_until(attempt.deadline_at):
        return False
    return _finish(attempt, at=attempt.deadline_at, reason=EXPIRED, now=now)


def close_expired_attempts(*, now, limit: int = 200) -> int:
    """Finish up to ``limit`` open attempts whose deadline and grace have passed; returns how many."""
    cutoff = now - grace()
    due = list(db.session.scalars(
        select(Attempt).where(Attempt.status == OPEN, Attempt.deadline_at < cutoff)
        .order_by(Attempt.deadline_at).limit(limit)
    ))
    return sum(1 for attempt in due if expire_if_due(attempt, now=now))


# -- what the timeline shows -------------------------------------------------------------------

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
                state = PASSED if compute_result(a.id).passed(a.policy["pass_mark"]) else FAILED
            else:
                state = PASSED if a.passed else FAILED
            if state == PASSED:
                break
        states[slug] = (title, state)
    return states


__all__ = [
    "AttemptClosed", "AttemptGrants", "ExamContext", "ExamError", "ExamOverview", "ResponseInvalid", "Saved", "StartRefused",
    "accepts_answers_until", "attempt_grants", "close_expired_attempts", "compute_result", "exam_context", "exam_overview",
    "exam_states", "expire_if_due", "field_name", "navigate", "finished_attempts", "grace_seconds", "move_to_page",
    "open_attempt", "page_of", "save_answer", "save_page", "start_attempt", "submit_attempt",
]


def review_level_for(attempt: Attempt) -> str:
    """What the review of a finished attempt may show now, by the policy it was taken under."""
    if attempt.status != FINISHED:
        return rules.SCORE
    policy = rules.ExamPolicy.from_dict(attempt.policy)
    if policy.review_when == rules.AFTER_SUBMIT:
        return policy.review_show
    return _review_level(attempt, finished_attempts(attempt.enrollment_id, attempt.exam_id),
                         attempt_grants(attempt.enrollment_id, attempt.exam_id).count)


def _review_level(attempt: Attempt, finished: list[Attempt], extra: int) -> str:
    """The review level of a finished attempt, by its own policy, given its enrollment's finished attempts."""
    policy = rules.ExamPolicy.from_dict(attempt.policy)
    return rules.review_level(policy, closed=rules.is_closed(policy, finished, extra))
