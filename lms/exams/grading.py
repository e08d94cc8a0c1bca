"""Grading a whole attempt: each question graded by its type against the version the attempt pinned,
with the decisions on challenges of those versions (lms.exams.challenges) that apply to the attempt."""
from collections import defaultdict
from dataclasses import dataclass, field
from fractions import Fraction

from sqlalchemy import and_, exists, select, update
from sqlalchemy.orm.attributes import set_committed_value

from lms.questions import Adjustment, grade
from lms.extensions import db
from lms.models import Attempt, AttemptQuestion, GradingAdjustment, QuestionVersion, RegradeHold
from lms.models.challenge import HOLD_APPLIED


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


def grade_attempt(attempt_id: int) -> Result:
    """Grade an attempt's current responses against its pinned question versions (no writes)."""
    rows = db.session.execute(
        select(AttemptQuestion.id, AttemptQuestion.response, AttemptQuestion.question_version_id, QuestionVersion.data)
        .join(QuestionVersion, QuestionVersion.id == AttemptQuestion.question_version_id)
        .where(AttemptQuestion.attempt_id == attempt_id)
    ).all()
    adjustments = adjustments_for(attempt_id, {version_id for _, _, version_id, _ in rows})
    result = Result(Fraction(0), Fraction(0))
    for aq_id, response, version_id, data in rows:
        g = grade(data, response, adjustments.get(version_id, ()))
        result.points += g.points
        result.max_points += g.max_points
        result.per_question[aq_id] = (g.points, g.max_points, g.correct)
    return result


def store_grade(attempt, result: Result) -> bool:
    """Write a result onto the attempt and its questions (one UPDATE per question, in one executemany);
    returns whether it passes by the pass mark the attempt was taken under."""
    if result.per_question:
        db.session.execute(update(AttemptQuestion), [
            {"id": aq_id, "points": float(points), "max_points": float(max_points), "is_correct": correct}
            for aq_id, (points, max_points, correct) in result.per_question.items()])
    passed = result.passed(attempt.policy["pass_mark"])
    outcome = {"points": float(result.points), "max_points": float(result.max_points), "percent": result.percent,
               "passed": passed}
    db.session.execute(update(Attempt).where(Attempt.id == attempt.id).values(**outcome))
    for name, value in outcome.items():  # what the update wrote, without reading the attempt back
        set_committed_value(attempt, name, value)
    return passed
