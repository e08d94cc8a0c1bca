"""Grading a whole attempt: each question graded by its type against the version the attempt pinned,
with the decisions on challenges of those versions (lms.exams.challenges) that apply to the attempt."""
from collections import defaultdict
from dataclasses import dataclass, field
from fractions import Fraction

from sqlalchemy import and_, bindparam, exists, select, update
from sqlalchemy.orm.attributes import set_committed_value

from lms.db_engine import run_statement, update_rows
from lms.exams.versions import pinned_versions
from lms.extensions import db, session_connection
from lms.models import Attempt, AttemptQuestion, GradingAdjustment, QuestionVersion, RegradeHold
from lms.models.challenge import HOLD_APPLIED
from lms.questions import Adjustment, grade


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


def adjustments_for(attempt_id: int, version_ids) -> dict[int, list[Adjustment]]:
    """The decisions that change the grading of these question versions in this attempt: all of them,
    except one whose regrade of this attempt is held for staff or was kept (not applied)."""
    if not version_ids:
        return {}
    held = exists().where(and_(RegradeHold.adjustment_id == GradingAdjustment.id,
                               RegradeHold.attempt_id == attempt_id, RegradeHold.status != HOLD_APPLIED))
    rows = db.session.execute(
        select(GradingAdjustment.question_version_id, GradingAdjustment.kind, GradingAdjustment.answer)
        .where(GradingAdjustment.question_version_id.in_(list(version_ids)), ~held)
        .order_by(GradingAdjustment.id)
    ).all()
    out = defaultdict(list)
    for version_id, kind, answer in rows:
        out[version_id].append(Adjustment(kind, answer))
    return out


# Core statements built once and run on the session's connection: a submit grades through these alone.
_AQ = AttemptQuestion.__table__
_GRADING_ROWS = (
    select(_AQ.c.id, _AQ.c.response, _AQ.c.question_version_id, QuestionVersion.content_hash,
           # whether any decision on a challenge touches the version (adjustments_for then says which apply)
           exists().where(GradingAdjustment.question_version_id == _AQ.c.question_version_id).label("adjusted"))
    .join(QuestionVersion, QuestionVersion.id == _AQ.c.question_version_id)
    .where(_AQ.c.attempt_id == bindparam("attempt_id"))
)
_STORE_ATTEMPT = (update(Attempt.__table__).where(Attempt.__table__.c.id == bindparam("attempt_id"))
                  .values(points=bindparam("points"), max_points=bindparam("max_points"),
                          percent=bindparam("percent"), passed=bindparam("passed")))


def grade_attempt(attempt_id: int) -> Result:
    """Grade an attempt's current responses against its pinned question versions (no writes).

    One statement reads the responses with each pinned version's content hash (the versions' data is kept
    per process by it, lms.exams.versions) and whether a decision on a challenge touches it; the
    decisions themselves are read only when one does."""
    rows = run_statement(session_connection(), _GRADING_ROWS, {"attempt_id": attempt_id}).all()
    data = {vid: kept for vid, (kept, _rendered) in
            pinned_versions({(version_id, digest) for _, _, version_id, digest, _ in rows}).items()}
    adjusted = {version_id for _, _, version_id, _, touched in rows if touched}
    adjustments = adjustments_for(attempt_id, adjusted)
    result = Result(Fraction(0), Fraction(0))
    for aq_id, response, version_id, _, _ in rows:
        g = grade(data[version_id], response, adjustments.get(version_id, ()))
        result.points += g.points
        result.max_points += g.max_points
        result.per_question[aq_id] = (g.points, g.max_points, g.correct)
    return result


def store_grade(attempt, result: Result) -> bool:
    """Write a result onto the attempt and its questions (their grades in one batch: lms.db_engine.update_rows);
    returns whether it passes by the pass mark the attempt was taken under."""
    conn = db.session.connection()
    if result.per_question:
        update_rows(conn, _AQ, "id", [
            {"id": aq_id, "points": float(points), "max_points": float(max_points), "is_correct": correct}
            for aq_id, (points, max_points, correct) in result.per_question.items()])
    passed = result.passed(attempt.policy["pass_mark"])
    outcome = {"points": float(result.points), "max_points": float(result.max_points), "percent": result.percent,
               "passed": passed}
    run_statement(conn, _STORE_ATTEMPT, {"attempt_id": attempt.id, **outcome})
    for name, value in outcome.items():  # what the update wrote, without reading the attempt back
        set_committed_value(attempt, name, value)
    return passed
