"""Item challenges: a trainee questions one item of a finished attempt once its review has opened;
an instructor decides, with a reason: reject, accept another answer, credit every response, or drop
the item. A decision that accepts the challenge records a GradingAdjustment of the question version
and regrades, in the same step, every attempt that drew it (lms.exams.regrade), audited as one event
with the counts. How a decision changes a grade is the question type's (``adjusted_grade`` in
lms/questions/base.py), applied by lms.exams.grading.
"""
import json
from dataclasses import dataclass, field

from sqlalchemy import bindparam, select, update
from sqlalchemy.exc import IntegrityError

from lms.audit import record_event
from lms.cohorts.roster import cohorts_visible_to
from lms.db_engine import run_read
from lms.exams import policy as rules
from lms.exams.overview import review_level_for
from lms.exams.regrade import RegradeCounts, regrade_version
from lms.exams.statistics import ItemStats, exam_statistics
from lms.extensions import db
from lms.models import Attempt, AttemptQuestion, Enrollment, GradingAdjustment, ItemChallenge, QuestionVersion
from lms.models.challenge import CHALLENGE_ACCEPTED, CHALLENGE_OPEN, CHALLENGE_REJECTED
from lms.models.exam import FINISHED
from lms.questions import ACCEPT_ANSWER, CREDIT_ALL, DROP, QUESTION_TYPES
from lms.signals import challenge_decided

REJECT = "reject"
DECISIONS = {REJECT: "Reject", ACCEPT_ANSWER: "Accept another answer", CREDIT_ALL: "Credit every response",
             DROP: "Drop the item"}
OUTCOMES = {REJECT: "Your challenge was not upheld.",
            ACCEPT_ANSWER: "Your challenge was upheld: another answer is now accepted.",
            CREDIT_ALL: "Your challenge was upheld: every response to this question now earns its point.",
            DROP: "Your challenge was upheld: this question no longer counts in anyone's score."}
MAX_REASON = 2000


class ChallengeError(ValueError):
    """A challenge or a decision that cannot be made (the message says why)."""


def _reason(text: str | None, what: str) -> str:
    text = (text or "").strip()
    if not text:
        raise ChallengeError(f"Give {what}.")
    if len(text) > MAX_REASON:
        raise ChallengeError(f"Keep {what} under {MAX_REASON} characters.")
    return text


def review_open(attempt: Attempt, level: str | None = None) -> bool:
    """A trainee may challenge once the review shows which questions were wrong (by the exam's policy);
    ``level``: the attempt's review level (review_level_for), when the caller has it already."""
    return attempt.status == FINISHED and rules.shows(level or review_level_for(attempt), rules.WRONG)


def challenge_item(attempt: Attempt, number: int, reason: str, *, actor, now) -> ItemChallenge:
    """The trainee challenges question ``number`` (1-based, as the review numbers it) of their attempt."""
    if attempt.user_id != actor.id:
        raise ChallengeError("Only the trainee who took an attempt may challenge its questions.")
    if not review_open(attempt):
        raise ChallengeError("You can challenge a question once the review of this attempt has opened.")
    reason = _reason(reason, "the reason for your challenge")
    aq = db.session.scalar(select(AttemptQuestion).where(AttemptQuestion.attempt_id == attempt.id,
                                                         AttemptQuestion.position == number - 1))
    if aq is None:
        raise ChallengeError("This attempt has no such question.")
    refused = ChallengeError(f"You have already challenged question {number}; its challenge is still open.")
    if db.session.scalar(select(ItemChallenge.id).where(ItemChallenge.attempt_question_id == aq.id,
                                                        ItemChallenge.status == CHALLENGE_OPEN)):
        raise refused
    challenge = ItemChallenge(attempt_id=attempt.id, attempt_question_id=aq.id,
                              question_version_id=aq.question_version_id, user_id=actor.id, reason=reason,
                              status=CHALLENGE_OPEN, created_at=now)
    try:
        with db.session.begin_nested():  # two submits at once: the unique index keeps one
            db.session.add(challenge)
            db.session.flush()
    except IntegrityError:
        raise refused from None
    record_event("challenge.open", actor=actor, obj=challenge, now=now, details={
        "attempt_id": attempt.id, "question": number, "question_version_id": aq.question_version_id})
    return challenge


def answer_key(response) -> str:
    """A response as a form value (canonical JSON), to name the answer an instructor accepts."""
    return json.dumps(response, sort_keys=True, separators=(",", ":"))


def acceptable_answers(version: QuestionVersion) -> list[tuple[str, str, object]]:
    """The answers an instructor may accept for a question version: (form value, words, response), as
    its type offers them (given the responses of finished attempts that drew it)."""
    responses = db.session.scalars(
        select(AttemptQuestion.response).join(Attempt, Attempt.id == AttemptQuestion.attempt_id)
        .where(AttemptQuestion.question_version_id == version.id, Attempt.status == FINISHED)
        .order_by(AttemptQuestion.id)).all()
    kind = QUESTION_TYPES[version.qtype]
    return [(answer_key(response), words, response)
            for response, words in kind.answers_to_accept(version.data, list(responses))]


def decide_challenge(challenge: ItemChallenge, decision: str, reason: str, *, answer: str | None = None,
                     actor, now) -> RegradeCounts | None:
    """Decide an open challenge (``answer``: the accepted answer's form value, for accept_answer). Any
    decision but reject changes the grading of the question version and regrades every attempt that
    drew it, now: one step, one audit event with the counts."""
    if decision not in DECISIONS:
        raise ChallengeError("Choose a decision.")
    reason = _reason(reason, "the reason for the decision")
    version = db.session.get(QuestionVersion, challenge.question_version_id)
    response, words = None, ""
    if decision == ACCEPT_ANSWER:
        chosen = [(w, r) for key, w, r in acceptable_answers(version) if key == answer]
        if not chosen:
            raise ChallengeError("Choose the answer to accept.")
        words, response = chosen[0]
    # Claimed by a conditional update, so two instructors deciding at once decide (and regrade) once.
    claimed = db.session.execute(
        update(ItemChallenge).where(ItemChallenge.id == challenge.id, ItemChallenge.status == CHALLENGE_OPEN)
        .values(status=CHALLENGE_REJECTED if decision == REJECT else CHALLENGE_ACCEPTED)
        .execution_options(synchronize_session=False)).rowcount
    db.session.refresh(challenge)
    if not claimed:
        raise ChallengeError("This challenge has already been decided.")
    counts, details = None, {}
    if decision != REJECT:
        adjustment = GradingAdjustment(question_version_id=version.id, kind=decision, answer=response,
                                       answer_label=words[:500], reason=reason, decided_by_id=actor.id,
                                       decided_at=now)
        db.session.add(adjustment)
        db.session.flush()
        challenge.adjustment_id = adjustment.id
        counts = regrade_version(adjustment, now=now)
        details = {"answer": words, **counts.as_details()}
    challenge.decision, challenge.decision_reason = decision, reason
    challenge.decided_by_id, challenge.decided_at = actor.id, now
    db.session.flush()
    record_event("challenge.decide", actor=actor, obj=challenge, now=now, details={
        "decision": decision, "reason": reason, "question_version_id": challenge.question_version_id, **details})
    challenge_decided.send(challenge, now=now)
    return counts


# -- what the pages show ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ChallengeMade:
    """A challenge as the trainee's result page shows it."""

    reason: str
    status: str
    decision: str | None
    decided_at: object


# Plain rows (the result page of every finished attempt asks, and most have no challenge): no ORM objects loaded.
_CHALLENGES_MADE = (
    select(AttemptQuestion.position, ItemChallenge.reason, ItemChallenge.status, ItemChallenge.decision,
           ItemChallenge.decided_at)
    .join(ItemChallenge, ItemChallenge.attempt_question_id == AttemptQuestion.id)
    .where(AttemptQuestion.attempt_id == bindparam("attempt_id")).order_by(ItemChallenge.id)
)


def challenges_of(attempt: Attempt) -> dict[int, ChallengeMade]:
    """The latest challenge of each question of an attempt, by its review number (1-based)."""
    rows = run_read(db.session, db.engine, _CHALLENGES_MADE, {"attempt_id": attempt.id})
    return {position + 1: ChallengeMade(*made) for position, *made in rows}


def outcome_of(challenge: ItemChallenge | ChallengeMade) -> str:
    """The decision on a challenge, in the trainee's words."""
    return "Your challenge is waiting for an instructor's decision." if challenge.decision is None \
        else OUTCOMES[challenge.decision]


@dataclass
class QueueItem:
    """An open challenge as the instructor's queue shows it."""

    challenge: ItemChallenge
    number: int  # the question's number in the attempt
    trainee: str
    exam_title: str
    cohort: str
    question_slug: str
    version_number: int
    stem_html: str
    response: str
    key: str
    stats: ItemStats | None
    answers: list[tuple[str, str]] = field(default_factory=list)  # what may be accepted: (form value, words)


def challenge_scope(viewer):
    """The enrollments whose challenges ``viewer`` decides (the cohorts they may see), as a subquery."""
    cohort_ids = [c.id for c in cohorts_visible_to(viewer)]
    return select(Enrollment.id).where(Enrollment.cohort_id.in_(cohort_ids or [-1]))


def in_scope(challenge: ItemChallenge, viewer) -> bool:
    """True when ``viewer`` may see and decide the challenge."""
    return db.session.scalar(challenge_scope(viewer).where(Enrollment.id == challenge.attempt.enrollment_id)) \
        is not None


def open_challenges(viewer) -> list[QueueItem]:
    """The open challenges in the viewer's cohorts, oldest first, each with its item's statistics over
    those cohorts."""
    scope = challenge_scope(viewer)
    challenges = db.session.scalars(
        select(ItemChallenge).join(Attempt, Attempt.id == ItemChallenge.attempt_id)
        .where(ItemChallenge.status == CHALLENGE_OPEN, Attempt.enrollment_id.in_(scope))
        .order_by(ItemChallenge.created_at, ItemChallenge.id)).all()
    stats_by_exam: dict[int, dict[int, ItemStats]] = {}
    enrollment_ids = db.session.scalars(scope).all() if challenges else []
    items = []
    for challenge in challenges:
        attempt, aq = challenge.attempt, challenge.attempt_question
        if attempt.exam_id not in stats_by_exam:
            stats = exam_statistics(attempt.exam_id, enrollment_ids=enrollment_ids)
            stats_by_exam[attempt.exam_id] = {item.version_id: item for item in stats.items}
        version = aq.version
        kind = QUESTION_TYPES[version.qtype]
        items.append(QueueItem(
            challenge, aq.position + 1, challenge.user.name, attempt.exam_version.title,
            attempt.enrollment.cohort.name, version.question.slug, version.number, version.rendered["stem"],
            kind.describe_response(version.data, aq.response), kind.describe_key(version.data),
            stats_by_exam[attempt.exam_id].get(version.id),
            [(key, words) for key, words, _ in acceptable_answers(version)]))
    return items
