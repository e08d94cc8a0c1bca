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
import functools
import random
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from operator import attrgetter
from typing import NamedTuple

from flask import current_app, has_app_context
from sqlalchemy import (
    Integer,
    and_,
    bindparam,
    literal,
    literal_column,
    null,
    or_,
    select,
    type_coerce,
    union_all,
    update,
)
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from lms.audit import record_event
from lms.cohorts.schedule import is_week_open, week_starts_on
from lms.db_engine import begin_writes, insert_for, insert_rows, run_statement
from lms.exams import policy as rules
from lms.exams.draw import POOL_TOKEN, DrawError, draw_questions, load_candidates, version_data
from lms.exams.grading import grade_attempt, store_grade
from lms.extensions import db, session_connection
from lms.models import (
    SESSION_USER_COLUMNS,
    Attempt,
    AttemptQuestion,
    Cohort,
    Enrollment,
    Exam,
    ExamGrant,
    ExamVersion,
    SessionUser,
    Track,
    TrackItem,
    User,
    WeekOpening,
)
from lms.models.exam import EXPIRED, FINISHED, OPEN, SUBMITTED
from lms.questions import QUESTION_TYPES
from lms.signals import attempt_finished, attempt_passed

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


@dataclass(frozen=True)
class ExamRef:
    """An exam by its id and slug."""

    id: int
    slug: str


@dataclass(frozen=True)
class ExamDefinition:
    """What an exam version says (title, description, blueprint and its policy). A version never changes once
    stored, and its content hash names its content: kept per process, keyed by both (``exam_definition``)."""

    id: int
    number: int
    title: str
    description_html: str
    blueprint: dict
    policy: rules.ExamPolicy


@dataclass(frozen=True)
class Placement:
    """The enrollment an exam is met in, with what a start needs of its cohort and track."""

    id: int
    user_id: int
    cohort_id: int
    time_multiplier: float
    cohort_start: date
    no_repeats_across_exams: bool


@dataclass
class ExamContext:
    """An exam as one trainee meets it: in which enrollment, which week, open or not."""

    exam: ExamRef
    version: ExamDefinition
    policy: rules.ExamPolicy
    enrollment: Placement
    week: int
    week_open: bool
    pool_token: str | None = None  # the question pool's as this context was read (lms.exams.draw.load_candidates)

    @property
    def opens_on(self):
        return week_starts_on(self.enrollment.cohort_start, self.week)


_OPENED_EARLY = (select(WeekOpening.id).where(WeekOpening.cohort_id == Cohort.id, WeekOpening.week == TrackItem.week)
                 .exists())
# One statement: the exam's current version, and the newest of the trainee's enrollments whose track schedules
# the exam, with what the week's state needs (the cohort's start, the track's weeks, whether the week was
# opened early), and the question pool's token (the draw's candidates are kept per process under it).
_CONTEXT = (
    select(Exam.id, Exam.current_version_id, ExamVersion.content_hash, Enrollment.id, Enrollment.cohort_id,
           Enrollment.time_multiplier, Cohort.start_date, Track.weeks, Track.no_repeats_across_exams, TrackItem.week,
           _OPENED_EARLY, POOL_TOKEN)
    .select_from(Exam)
    .join(ExamVersion, ExamVersion.id == Exam.current_version_id)
    .join(TrackItem, and_(TrackItem.kind == "exam", TrackItem.ref == Exam.slug))
    .join(Cohort, Cohort.track_id == TrackItem.track_id)
    .join(Track, Track.id == Cohort.track_id)
    .join(Enrollment, Enrollment.cohort_id == Cohort.id)
    .where(Exam.slug == bindparam("slug"), Exam.retired_at.is_(None), Enrollment.user_id == bindparam("user_id"),
           Enrollment.status != "withdrawn")
    .order_by(Enrollment.enrolled_at.desc(), Enrollment.id.desc()).limit(1)
)


# The same, with the trainee (whom the session's check admits: lms.views.helpers.reads_session_user).
_CONTEXT_WITH_USER = _CONTEXT.add_columns(*SESSION_USER_COLUMNS).join(User, User.id == Enrollment.user_id)


def exam_context(user_id: int, slug: str, now, *, admit: Callable[[SessionUser], None] | None = None
                 ) -> ExamContext | None:
    """The exam in the newest of the trainee's enrollments whose track schedules it, or None. ``admit``, when
    given, is called with the trainee (read by the same statement) first: it raises to refuse."""
    statement = _CONTEXT if admit is None else _CONTEXT_WITH_USER
    row = run_statement(session_connection(), statement, {"slug": slug, "user_id": user_id}).first()
    if row is None:
        return None
    if admit is not None:
        row, user = SessionUser.split(row)
        admit(user)
    (exam_id, version_id, digest, enrollment_id, cohort_id, multiplier, start_date, weeks, no_repeats, week, early,
     pool_token) = row
    version = exam_definition(version_id, digest)
    placement = Placement(enrollment_id, user_id, cohort_id, multiplier, start_date, bool(no_repeats))
    return ExamContext(ExamRef(exam_id, slug), version, version.policy, placement, week,
                       is_week_open(start_date, weeks, week, opened_early=bool(early), now=now), pool_token)


_DEFINITIONS: dict[tuple[int, str], ExamDefinition] = {}
_DEFINITIONS_LIMIT = 1_000
_DEFINITION = select(ExamVersion.number, ExamVersion.title, ExamVersion.description_html, ExamVersion.blueprint) \
    .where(ExamVersion.id == bindparam("version_id"))


def exam_definition(version_id: int, content_hash: str) -> ExamDefinition:
    """An exam version's definition, read once per process (keyed by id and content hash, so a database
    restored or rebuilt under the same ids is never served another version's). Read-only: shared."""
    key = (version_id, content_hash)
    found = _DEFINITIONS.get(key)
    if found is None:
        number, title, description_html, blueprint = db.session.connection().execute(
            _DEFINITION, {"version_id": version_id}).one()
        found = ExamDefinition(version_id, number, title, description_html, blueprint,
                               rules.ExamPolicy.from_blueprint(blueprint))
        if len(_DEFINITIONS) >= _DEFINITIONS_LIMIT:
            _DEFINITIONS.clear()
        _DEFINITIONS[key] = found
    return found


def forget_exam_definitions() -> None:
    """Empty the kept exam definitions (tests that count a cold start)."""
    _DEFINITIONS.clear()


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


def enrollment_attempts(enrollment_id: int, exam_id: int) -> list[Attempt]:
    """The enrollment's open and finished attempts at the exam, oldest first, in one statement."""
    return list(db.session.scalars(
        select(Attempt).where(Attempt.enrollment_id == enrollment_id, Attempt.exam_id == exam_id,
                              Attempt.status.in_([OPEN, FINISHED]))
        .order_by(Attempt.number)
    ))


@dataclass(frozen=True)
class AttemptGrants:
    """The extra attempts instructors granted in one enrollment for one exam."""

    count: int = 0
    cooldown_waivers: tuple = ()  # when each extra attempt that lifts the cool-down was granted


def extra_attempt_grants(enrollment_id, exam_id):
    """The condition for the extra attempts granted in the enrollment for the exam."""
    return and_(ExamGrant.enrollment_id == enrollment_id, ExamGrant.exam_id == exam_id, ExamGrant.kind == EXTRA_ATTEMPT)


def attempt_grants(enrollment_id: int, exam_id: int) -> AttemptGrants:
    """The extra attempts granted in the enrollment for the exam (and which lift the cool-down)."""
    return _grants_of(db.session.scalars(select(ExamGrant).where(extra_attempt_grants(enrollment_id, exam_id))))


def _grants_of(grants) -> AttemptGrants:
    extra = [g for g in grants if g.kind == EXTRA_ATTEMPT]
    return AttemptGrants(len(extra), tuple(g.granted_at for g in extra if g.waives_cooldown))


def exam_grants(enrollment_id: int, exam_id: int) -> tuple[AttemptGrants, int]:
    """The extra attempts granted in the enrollment for the exam, and the extra minutes granted that no attempt
    has had yet (the next one gets them), in one statement."""
    grants = list(db.session.scalars(
        select(ExamGrant).where(ExamGrant.enrollment_id == enrollment_id, ExamGrant.exam_id == exam_id)))
    return _grants_of(grants), sum(g.minutes for g in grants if is_pending_extra_time(g))


def start_check(context: ExamContext, *, now, finished: list[Attempt] | None = None,
                granted: AttemptGrants | None = None) -> tuple[list[Attempt], AttemptGrants, rules.StartCheck]:
    """The enrollment's finished attempts, the extra attempts granted, and whether one may start now (the
    first two are read unless given)."""
    if finished is None:
        finished = finished_attempts(context.enrollment.id, context.exam.id)
    if granted is None:
        granted = attempt_grants(context.enrollment.id, context.exam.id)
    check = rules.may_start(context.policy, week_open=context.week_open, finished=finished,
                            extra_attempts=granted.count, now=now, opens_on=context.opens_on,
                            cooldown_waivers=granted.cooldown_waivers)
    return finished, granted, check


def is_pending_extra_time(grant) -> bool:
    """Whether a grant (a row or an ExamGrant) is extra time not yet applied to an attempt (the next one gets it)."""
    return grant.kind == EXTRA_TIME and grant.attempt_id is None


# -- start -------------------------------------------------------------------------------------


def _seen_questions(enrollment: Placement, exam_id: int, policy, finished) -> set[int]:
    """The questions a new attempt should avoid: the exam's earlier attempts' (``no_repeats``) and, when
    the track says so (``no_repeats_across_exams``), those of the enrollment's other exams."""
    seen_in = []
    if policy.no_repeats and finished:
        seen_in.append(Attempt.exam_id == exam_id)
    if enrollment.no_repeats_across_exams:
        seen_in.append(Attempt.exam_id != exam_id)
    if not seen_in:
        return set()
    return set(db.session.scalars(
        select(AttemptQuestion.question_id).join(Attempt, Attempt.id == AttemptQuestion.attempt_id)
        .where(Attempt.enrollment_id == enrollment.id, or_(*seen_in))
    ))


@dataclass
class _StartPlan:
    """What a new attempt will be, worked out from reads alone: the draw, its questions' rows (without the
    attempt's id), the deadline's inputs; ``facts`` are the reads it rests on (attempts tried, grants)."""

    facts: tuple
    number: int
    seed: str
    rows: list
    repeats: int
    pending: list
    extra_seconds: int
    multiplier: float


class _Tried(NamedTuple):
    """One of the enrollment's attempts at the exam, as a start reads it."""

    id: int
    status: str
    passed: bool | None
    number: int
    started_at: datetime
    finished_at: datetime | None


class _Grant(NamedTuple):
    """One of the enrollment's grants for the exam, as a start reads it."""

    id: int
    kind: str
    minutes: int
    attempt_id: int | None
    waives_cooldown: bool
    granted_at: datetime


_ATTEMPTS, _GRANTS = 0, 1  # which half of _START_FACTS a row comes from
# One statement: the attempts (open and finished) and the grants, as rows shaped alike (id, which half, status or
# kind, passed or waives the cool-down, number or minutes, the attempt a grant's extra time went to, started or
# granted at, finished at). Each half is a search of its own index (bench/query_plans.py); no ORDER BY, which
# would add a sort of each half on SQLite: the few attempts are put in order once read.
_START_FACTS = union_all(
    select(Attempt.id, literal_column(str(_ATTEMPTS), Integer), Attempt.status, Attempt.passed, Attempt.number,
           type_coerce(null(), Integer), Attempt.started_at, Attempt.finished_at)
    .where(Attempt.enrollment_id == bindparam("enrollment_id"), Attempt.exam_id == bindparam("exam_id"),
           Attempt.status.in_([literal(OPEN), literal(FINISHED)])),  # (not an expanding IN: rendered each time)
    select(ExamGrant.id, literal_column(str(_GRANTS), Integer), ExamGrant.kind, ExamGrant.waives_cooldown,
           ExamGrant.minutes, ExamGrant.attempt_id, ExamGrant.granted_at, null())
    .where(ExamGrant.enrollment_id == bindparam("enrollment_id"), ExamGrant.exam_id == bindparam("exam_id")),
)


def _start_facts(enrollment_id: int, exam_id: int) -> tuple[list[_Tried], list[_Grant], tuple]:
    """The enrollment's attempts at the exam (open and finished, oldest first) and its grants, in one statement
    of plain rows (what is committed now, whatever the session holds), and the facts a start rests on (each
    attempt's id and status, each grant's id and attempt)."""
    tried, grants = [], []
    rows = run_statement(session_connection(), _START_FACTS, {"enrollment_id": enrollment_id, "exam_id": exam_id})
    for id_, half, word, flag, amount, attempt_id, at, finished_at in rows:
        if half == _ATTEMPTS:
            tried.append(_Tried(id_, word, flag, amount, at, finished_at))
        else:
            grants.append(_Grant(id_, word, amount, attempt_id, flag, at))
    tried.sort(key=attrgetter("number"))
    facts = (tuple((a.id, a.status) for a in tried), tuple(sorted((g.id, g.attempt_id or 0) for g in grants)))
    return tried, grants, facts


def _plan_start(context: ExamContext, *, now, seed: str | None) -> Attempt | _StartPlan:
    """The open attempt to resume, or the plan of a new one (reads only, unless an overdue attempt is
    finished on the way); StartRefused or ExamError when none may start."""
    enrollment = context.enrollment
    tried, grants, facts = _start_facts(enrollment.id, context.exam.id)
    current = next((a for a in tried if a.status == OPEN), None)
    if current is not None:
        current = db.session.get(Attempt, current.id, populate_existing=True)
        if not expire_if_due(current, now=now):
            return current
        # Finished now, at its deadline, in the writing transaction (lms.exams.attempts._finish): planned
        # again from there, with what is committed now.
        return _plan_start(context, now=now, seed=seed)
    finished = [a for a in tried if a.status == FINISHED]
    finished, granted, check = start_check(context, now=now, finished=finished, granted=_grants_of(grants))
    if not check.allowed:
        raise StartRefused(check.reason)
    policy, blueprint = context.policy, context.version.blueprint
    seed = seed or secrets.token_hex(16)
    rng = random.Random(seed)
    seen = frozenset(_seen_questions(enrollment, context.exam.id, policy, finished))
    try:
        rounds = rules.attempts_allowed(policy, granted.count) - len(finished) if policy.no_repeats else 1
        candidates = load_candidates(blueprint["draw"], context.pool_token)
        drawn = draw_questions(blueprint["draw"], candidates, rng, seen=seen, rounds=rounds,
                               shuffle=policy.shuffle_questions)
    except DrawError as error:
        raise ExamError("This exam cannot be drawn right now; please tell your instructor.") from error
    data = version_data(drawn)
    rows = []
    for position, item in enumerate(drawn):
        question = data[item.candidate.version_id]
        kind = QUESTION_TYPES[question["type"]]
        rows.append({
            "position": position, "question_id": item.candidate.question_id,
            "question_version_id": item.candidate.version_id, "qtype": question["type"], "cell": item.cell,
            "shown": kind.shown(question, rng, policy.shuffle_choices), "response": None, "answered_at": None,
            "is_flagged": False, "points": None, "max_points": 1.0, "is_correct": None,
        })
    pending = [g for g in grants if is_pending_extra_time(g)]
    return _StartPlan(facts=facts, number=len(finished) + 1, seed=seed, rows=rows,
                      repeats=sum(1 for d in drawn if d.repeat), pending=pending,
                      extra_seconds=sum(g.minutes for g in pending) * 60,
                      multiplier=float(context.enrollment.time_multiplier or 1.0))


_QUESTIONS = AttemptQuestion.__table__


@functools.cache  # built once per dialect
def _new_attempt(dialect_name: str):
    """INSERT an attempt unless a unique index refuses it (ON CONFLICT DO NOTHING), RETURNING its id."""
    return insert_for(dialect_name, Attempt.__table__).on_conflict_do_nothing().returning(Attempt.__table__.c.id)


def start_attempt(context: ExamContext, user, *, now, seed: str | None = None) -> Attempt:
    """Start an attempt in the context's enrollment (or resume the open one): draw per blueprint, pin
    versions, set the deadline (the enrollment's time multiplier and pending extra time apply).

    The draw is worked out from reads first; only then does the transaction write (lms.db_engine's
    ``begin_writes``: on SQLite the single write lock is taken there, so a wave of starts holds it for the
    inserts alone). When the reads were made in a transaction of their own and what they found has changed
    since (another start, a submit, a grant), the plan is made again inside the writing transaction."""
    plan = _plan_start(context, now=now, seed=seed)
    if isinstance(plan, Attempt):
        return plan
    if begin_writes() and _start_facts(context.enrollment.id, context.exam.id)[2] != plan.facts:
        plan = _plan_start(context, now=now, seed=seed)
        if isinstance(plan, Attempt):
            return plan
    enrollment, policy = context.enrollment, context.policy
    values = dict(
        user_id=user.id, exam_id=context.exam.id, exam_version_id=context.version.id,
        enrollment_id=enrollment.id, number=plan.number, status=OPEN, seed=plan.seed,
        policy=policy.as_dict(), time_multiplier=plan.multiplier, extra_seconds=plan.extra_seconds, started_at=now,
        deadline_at=rules.deadline(now, policy.time_limit_minutes, plan.multiplier, plan.extra_seconds),
        page_reached=0, finished_at=None, finish_reason=None, points=None, max_points=None, percent=None, passed=None,
    )
    # The unique indexes refuse a second open attempt (or a second attempt of this number): the insert then
    # writes nothing, the transaction stays usable (no savepoint needed), and the start resumes the winner's.
    connection = db.session.connection()
    attempt_id = run_statement(connection, _new_attempt(connection.dialect.name), values).scalar()
    if attempt_id is None:
        # Another request started this enrollment's attempt at the same moment: resume that one.
        winner = open_attempt(enrollment.id, context.exam.id)
        if winner is None:
            raise ExamError("Another start of this exam happened at the same moment; please reload.")
        return winner
    attempt = Attempt(id=attempt_id, **values)  # the row as written, in the session as if loaded
    make_transient_to_detached(attempt)
    db.session.add(attempt)
    insert_rows(connection, _QUESTIONS, [row | {"attempt_id": attempt.id} for row in plan.rows])
    if plan.pending:  # the pending extra time now belongs to this attempt
        db.session.execute(update(ExamGrant).where(ExamGrant.id.in_([g.id for g in plan.pending]))
                           .values(attempt_id=attempt.id))
    record_event("attempt.start", actor=user, obj=attempt, now=now, details={
        "exam": context.exam.slug, "enrollment_id": enrollment.id, "exam_version": context.version.number,
        "number": attempt.number,
        "deadline_at": attempt.deadline_at.isoformat(), "time_multiplier": plan.multiplier,
        "extra_seconds": plan.extra_seconds, "questions": len(plan.rows), "repeats": plan.repeats,
    })
    return attempt


# -- answers -----------------------------------------------------------------------------------


# -- finishing and grading -----------------------------------------------------------------------


_ATTEMPT = Attempt.__table__
# The claim: the attempt still open, at the deadline its finish was decided by (a grant of extra time committed
# meanwhile moved it: the claim then writes nothing, and the finish is decided again).
_CLAIM = (update(_ATTEMPT).where(_ATTEMPT.c.id == bindparam("attempt_id"), _ATTEMPT.c.status == OPEN,
                                 _ATTEMPT.c.deadline_at == bindparam("decided_by", type_=Attempt.deadline_at.type))
          .values(status=FINISHED, finished_at=bindparam("at", type_=Attempt.finished_at.type),
                  finish_reason=bindparam("reason")))


def _submitted_or_expired(attempt: Attempt, now) -> tuple[datetime, str]:
    """A submit within the grace finishes now; past it, the attempt had already expired at its deadline."""
    if now > accepts_answers_until(attempt.deadline_at):
        return attempt.deadline_at, EXPIRED
    return now, SUBMITTED


def _expired_if_due(attempt: Attempt, now) -> tuple[datetime, str] | None:
    """Once the grace has passed, an open attempt expires at its deadline; None before."""
    return (attempt.deadline_at, EXPIRED) if now > accepts_answers_until(attempt.deadline_at) else None


def _finish(attempt: Attempt, *, decide: Callable[[Attempt, datetime], tuple[datetime, str] | None], now,
            actor=None) -> bool:
    """Finish and grade an open attempt once, at the time and for the reason ``decide`` gives (None: not
    now); False when it was not finished here (already finished, by anyone, or not due).

    The attempt may have been read before another request committed: in a SQLite request that has only read
    so far (a page finishing an overdue attempt, a start), whose writing begins here (lms.db_engine's
    ``begin_writes``), or on PostgreSQL, where rows are locked only as they are written. So the claim names
    the deadline the decision was made by; when it writes nothing, the attempt is read again and the finish
    decided again (a grant of extra time moved the deadline) or given up (another request finished it). The
    grade is worked out after the claim, so it counts every answer saved before it (an autosave holds its lock
    on the attempt until it commits, and on PostgreSQL its short way writes only into an attempt still open:
    lms.exams.pages) and none after (they are refused)."""
    begin_writes()
    while True:
        decided = decide(attempt, now)
        if decided is None:
            return False
        at, reason = decided
        claim = {"attempt_id": attempt.id, "at": at, "reason": reason, "decided_by": attempt.deadline_at}
        if session_connection().execute(_CLAIM, claim).rowcount:
            break
        db.session.refresh(attempt)  # finished by another request, or its deadline moved: decided again
        if attempt.status != OPEN:
            return False
    result = grade_attempt(attempt.id)
    passed = store_grade(attempt, result)
    # What the claiming update wrote, without reading the attempt back.
    for name, value in {"status": FINISHED, "finished_at": at, "finish_reason": reason}.items():
        set_committed_value(attempt, name, value)
    if reason != SUBMITTED:
        actor = None  # an attempt that expired was finished by the system, whoever asked
    record_event("attempt.finish", actor=actor, actor_label=None if actor else "system", obj=attempt, now=now,
                 details={"reason": reason, "finished_at": at.isoformat(), "points": float(result.points),
                          "max_points": float(result.max_points), "percent": result.percent, "passed": passed})
    if passed:  # the last passing grade may complete the track: certification decides, in this transaction
        attempt_passed.send(attempt.enrollment, now=now, attempt=attempt)
    attempt_finished.send(attempt, now=now)
    return True


def submit_attempt(attempt: Attempt, *, now, actor=None) -> Attempt:
    """Submit an attempt (idempotent): graded once, the same result for every repeat.

    Within the grace it finishes now; past it, the attempt had already expired and finishes at its
    deadline.
    """
    if attempt.status == OPEN:
        _finish(attempt, decide=_submitted_or_expired, now=now, actor=actor)
    return attempt


def expire_if_due(attempt: Attempt, *, now) -> bool:
    """Finish an open attempt at its deadline once the grace has passed; True when it did."""
    # Asked here first (and by _finish again, on the attempt as it is then): _finish begins the writing phase,
    # which a page showing an attempt not yet due must not take.
    if attempt.status != OPEN or _expired_if_due(attempt, now) is None:
        return False
    return _finish(attempt, decide=_expired_if_due, now=now)


def close_expired_attempts(*, now, limit: int = 200) -> int:
    """Finish up to ``limit`` open attempts whose deadline and grace have passed; returns how many."""
    cutoff = now - grace()
    due = list(db.session.scalars(
        select(Attempt).where(Attempt.status == OPEN, Attempt.deadline_at < cutoff)
        .order_by(Attempt.deadline_at).limit(limit)
    ))
    return sum(1 for attempt in due if expire_if_due(attempt, now=now))


# -- what the timeline shows -------------------------------------------------------------------




