"""Practical exercises graded against their rubric: a first grader's grade counts, an optional second grader's
is compared with it; regrades are audited with the scores before. The pass rule: the total reaches the
exercise's pass total and every criterion its minimum."""
from dataclasses import dataclass

from sqlalchemy import select

from lms.audit import record_event
from lms.classroom import ClassroomError
from lms.cohorts.roster import can_manage_cohort
from lms.extensions import db
from lms.models import Enrollment, Exercise, ExerciseVersion, PracticalGrade
from lms.models.classroom import FIRST_GRADER, SECOND_GRADER
from lms.signals import classroom_progress, classroom_setback, practical_graded


@dataclass
class Evaluation:
    """Scores judged against a rubric."""

    total: float
    passed: bool
    below_minimum: list[str]  # criteria under their minimum


def evaluate(version: ExerciseVersion, scores: dict[str, float]) -> Evaluation:
    """The one pass rule: every criterion scored at one of its levels, the total at least the pass total,
    each criterion at least its minimum."""
    for criterion in version.rubric:
        points = scores.get(criterion["id"])
        if points is None or points not in [level["points"] for level in criterion["levels"]]:
            raise ClassroomError(f"Choose a level for “{criterion['title']}”.")
    unknown = set(scores) - {c["id"] for c in version.rubric}
    if unknown:
        raise ClassroomError(f"Not a criterion of this rubric: {', '.join(sorted(unknown))}.")
    total = float(sum(scores.values()))
    below = [c["id"] for c in version.rubric if scores[c["id"]] < c.get("minimum", 0)]
    return Evaluation(total, total >= version.pass_total and not below, below)


def grades_of(enrollment: Enrollment, exercise: Exercise) -> dict[str, PracticalGrade]:
    """The enrollment's grades for an exercise by grader role."""
    return {g.grader_role: g for g in db.session.scalars(select(PracticalGrade).where(
        PracticalGrade.enrollment_id == enrollment.id, PracticalGrade.exercise_id == exercise.id))}


def grade_practical(enrollment: Enrollment, exercise: Exercise, *, scores: dict[str, float], comments: str,
                    grader, role: str = FIRST_GRADER, now) -> PracticalGrade:
    """Grade a trainee's exercise against its current rubric, as first or second grader. A regrade replaces the
    grader role's grade and is audited with the scores before; the second grader is not the first."""
    if role not in (FIRST_GRADER, SECOND_GRADER):
        raise ClassroomError("Grade as the first or the second grader.")
    if exercise.slug not in enrollment.cohort.track.exercise_slugs():
        raise ClassroomError("That exercise is not part of the trainee's track.")
    if not can_manage_cohort(grader, enrollment.cohort):
        raise ClassroomError("Only the cohort's instructors and program staff grade its practical exercises.")
    existing = grades_of(enrollment, exercise)
    other = existing.get(SECOND_GRADER if role == FIRST_GRADER else FIRST_GRADER)
    if other is not None and other.grader_id == grader.id:
        raise ClassroomError("The second grader must be someone other than the first.")
    if role == SECOND_GRADER and FIRST_GRADER not in existing:
        raise ClassroomError("The first grader grades before the second.")
    version = exercise.current_version
    result = evaluate(version, scores)
    grade = existing.get(role)
    before = {"scores": grade.scores, "total": grade.total, "passed": grade.passed,
              "grader_id": grade.grader_id} if grade else None
    if grade is None:
        grade = PracticalGrade(enrollment_id=enrollment.id, exercise_id=exercise.id, grader_role=role)
        db.session.add(grade)
    grade.exercise_version_id, grade.grader_id = version.id, grader.id
    grade.scores, grade.comments = {k: scores[k] for k in sorted(scores)}, (comments or "").strip()[:5000]
    grade.total, grade.passed, grade.graded_at = result.total, result.passed, now
    db.session.flush()
    record_event("practical.regrade" if before else "practical.grade", actor=grader, obj=grade, now=now,
                 details={"enrollment_id": enrollment.id, "exercise": exercise.slug, "role": role,
                          "version": version.number, "scores": grade.scores, "total": result.total,
                          "passed": result.passed, "before": before})
    if role == FIRST_GRADER:
        practical_graded.send(enrollment, now=now, grade=grade)
        if before and before["passed"] and not result.passed:  # a pass regraded to a fail
            classroom_setback.send(enrollment, now=now, actor=grader, cause="practical")
        else:
            classroom_progress.send(enrollment, now=now, actor=grader)
    return grade


@dataclass
class PracticalResult:
    """An exercise's result for a trainee: the grade that counts, the second grader's, and their difference."""

    exercise: Exercise
    version: ExerciseVersion  # the version graded (else the current one)
    first: PracticalGrade | None
    second: PracticalGrade | None

    @property
    def passed(self) -> bool:
        return self.first is not None and self.first.passed

    @property
    def difference(self) -> float | None:
        """Second total minus first total, when both graded."""
        return None if self.first is None or self.second is None else self.second.total - self.first.total

    def criterion_differences(self) -> dict[str, float]:
        if self.first is None or self.second is None:
            return {}
        return {c: self.second.scores.get(c, 0) - self.first.scores.get(c, 0) for c in self.first.scores}


def practical_results(enrollment: Enrollment) -> list[PracticalResult]:
    """Each exercise of the enrollment's track, in schedule order, with its grades (two queries)."""
    slugs = enrollment.cohort.track.exercise_slugs()
    if not slugs:
        return []
    exercises = {e.slug: e for e in db.session.scalars(select(Exercise).where(Exercise.slug.in_(slugs)))}
    grades: dict[tuple[int, str], PracticalGrade] = {
        (g.exercise_id, g.grader_role): g for g in db.session.scalars(
            select(PracticalGrade).where(PracticalGrade.enrollment_id == enrollment.id))}
    results = []
    for slug in slugs:
        exercise = exercises.get(slug)
        if exercise is None:
            continue
        first, second = grades.get((exercise.id, FIRST_GRADER)), grades.get((exercise.id, SECOND_GRADER))
        version = first.exercise_version if first else exercise.current_version
        results.append(PracticalResult(exercise, version, first, second))
    return results


def all_practicals_passed(enrollment: Enrollment) -> bool:
    """Every exercise the track places is passed (its first grade passes)."""
    slugs = enrollment.cohort.track.exercise_slugs()
    if not slugs:
        return True
    passed = set(db.session.scalars(
        select(Exercise.slug).join(PracticalGrade, PracticalGrade.exercise_id == Exercise.id).where(
            PracticalGrade.enrollment_id == enrollment.id, PracticalGrade.grader_role == FIRST_GRADER,
            PracticalGrade.passed.is_(True), Exercise.slug.in_(slugs))))
    return passed >= set(slugs)
