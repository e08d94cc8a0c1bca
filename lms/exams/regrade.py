"""Regrading after a decision on a challenge: every finished attempt that drew the question version is
graded again (lms.exams.grading applies the decision through the question's type), in the caller's
transaction.

A regrade that raises a grade, or keeps a pass a pass, is applied at once; one that makes an attempt
pass sends ``attempt_passed`` (certification decides whether that completes the track). One that would
turn a pass into a fail is never applied silently: it is held (a RegradeHold names the attempt) until
staff apply it or keep the grade, and that decision is audited.
"""
from dataclasses import dataclass, field

from sqlalchemy import select, update

from lms.audit import record_event
from lms.exams.grading import grade_attempt, store_grade
from lms.extensions import db
from lms.models import Attempt, AttemptQuestion, GradingAdjustment, RegradeHold
from lms.models.challenge import HOLD_APPLIED, HOLD_KEPT, HOLD_PENDING
from lms.models.exam import FINISHED
from lms.signals import attempt_passed, attempt_regraded


class RegradeError(ValueError):
    """A decision on a held regrade that cannot be made (the message says why)."""


@dataclass
class RegradeCounts:
    """What one regrade did."""

    attempts: int = 0  # finished attempts that drew the question version
    changed: int = 0  # whose grade changed and was applied
    newly_passed: int = 0  # that pass now and did not before
    held: list[int] = field(default_factory=list)  # attempts a pass -> fail regrade is held for

    def as_details(self) -> dict:
        return {"attempts": self.attempts, "changed": self.changed, "newly_passed": self.newly_passed,
                "held": len(self.held), "held_attempts": self.held}


def _apply(attempt: Attempt, result, *, adjustment_id: int, now) -> tuple[bool, bool]:
    """Store a new result: (the grade changed, the attempt passes now and did not before). A new pass
    is announced, so certification can issue what it makes due, in this transaction; a changed grade is
    announced once per decision (the adjustment), so the trainee is told the new result."""
    was_passed, before, percent_before = bool(attempt.passed), (attempt.points, attempt.max_points), attempt.percent
    passed = store_grade(attempt, result)
    if passed and not was_passed:
        attempt_passed.send(attempt.enrollment, now=now, attempt=attempt)
    changed = (attempt.points, attempt.max_points) != before or passed != was_passed
    if changed:
        attempt_regraded.send(attempt, now=now, key=f"regrade:{adjustment_id}", percent_before=percent_before,
                              passed_before=was_passed)
    return changed, passed and not was_passed


def regrade_version(adjustment: GradingAdjustment, *, now) -> RegradeCounts:
    """Grade again every finished attempt that drew the adjustment's question version (flushes; the
    caller records the one audit event of the decision, with these counts)."""
    counts = RegradeCounts()
    drew = select(AttemptQuestion.attempt_id).where(
        AttemptQuestion.question_version_id == adjustment.question_version_id)
    attempts = db.session.scalars(select(Attempt).where(Attempt.id.in_(drew), Attempt.status == FINISHED)
                                  .order_by(Attempt.id)).all()
    for attempt in attempts:
        counts.attempts += 1
        result = grade_attempt(attempt.id)
        if attempt.passed and not result.passed(attempt.policy["pass_mark"]):
            db.session.add(RegradeHold(adjustment_id=adjustment.id, attempt_id=attempt.id, status=HOLD_PENDING,
                                       percent_before=attempt.percent, percent_after=result.percent,
                                       created_at=now))
            counts.held.append(attempt.id)
            continue
        changed, newly_passed = _apply(attempt, result, adjustment_id=adjustment.id, now=now)
        counts.changed += int(changed)
        counts.newly_passed += int(newly_passed)
    db.session.flush()
    return counts


def pending_holds() -> list[RegradeHold]:
    """Regrades held for staff (a pass that would become a fail), oldest first."""
    return list(db.session.scalars(select(RegradeHold).where(RegradeHold.status == HOLD_PENDING)
                                   .order_by(RegradeHold.id)))


def decide_hold(hold: RegradeHold, *, apply: bool, reason: str, actor, now) -> RegradeHold:
    """Staff apply a held regrade (the attempt fails) or keep the attempt's grade; audited."""
    reason = (reason or "").strip()
    if not reason:
        raise RegradeError("Give the reason for the decision.")
    claimed = db.session.execute(  # a conditional update: two staff deciding at once decide once
        update(RegradeHold).where(RegradeHold.id == hold.id, RegradeHold.status == HOLD_PENDING)
        .values(status=HOLD_APPLIED if apply else HOLD_KEPT, reason=reason, decided_by_id=actor.id, decided_at=now)
        .execution_options(synchronize_session=False)).rowcount
    db.session.refresh(hold)
    if not claimed:
        raise RegradeError("This regrade has already been decided.")
    attempt = hold.attempt
    before = attempt.percent
    if apply:  # grading now includes the adjustment for this attempt
        _apply(attempt, grade_attempt(attempt.id), adjustment_id=hold.adjustment_id, now=now)
    record_event("regrade.apply" if apply else "regrade.keep", actor=actor, obj=attempt, now=now, details={
        "hold_id": hold.id, "adjustment_id": hold.adjustment_id, "reason": reason, "percent_before": before,
        "percent_after": attempt.percent, "passed": attempt.passed})
    return hold
