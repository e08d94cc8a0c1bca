"""Grading a whole attempt: each question graded by its type against the version the attempt pinned."""
from dataclasses import dataclass, field
from fractions import Fraction

from sqlalchemy import select

from lms.questions import grade
from lms.extensions import db
from lms.models import AttemptQuestion, QuestionVersion


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


def grade_attempt(attempt_id: int) -> Result:
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
