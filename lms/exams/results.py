"""Results for instructors: per cohort and exam, per trainee, and a CSV that is safe in a spreadsheet."""
import csv
import io
from dataclasses import dataclass, field
from typing import Iterator

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from lms.spreadsheets import neutralize
from lms.cohorts.roster import visible_enrollments
from lms.exams import policy as rules
from lms.exams.attempts import EXTRA_ATTEMPT
from lms.extensions import db
from lms.models import Attempt, Cohort, Enrollment, Exam, ExamGrant


def safe_cell(value) -> str:
    """A CSV cell a spreadsheet will not run as a formula (the one rule lives in lms.exports)."""
    return neutralize("" if value is None else str(value))


def cohort_exams(cohort: Cohort) -> list[Exam]:
    """The exams of the cohort's track, in schedule order."""
    slugs = cohort.track.exam_slugs()
    exams = {e.slug: e for e in db.session.scalars(select(Exam).where(Exam.slug.in_(slugs)))} if slugs else {}
    return [exams[s] for s in slugs if s in exams]


def exam_in_cohort_or_none(cohort: Cohort, slug: str) -> Exam | None:
    """The exam if the cohort's track schedules it."""
    return next((e for e in cohort_exams(cohort) if e.slug == slug), None)


@dataclass
class ResultRow:
    """One trainee's attempts at one exam."""

    enrollment: Enrollment
    attempts: list[Attempt] = field(default_factory=list)
    extra_attempts: int = 0

    @property
    def finished(self) -> list[Attempt]:
        return [a for a in self.attempts if a.status == "finished"]

    @property
    def best(self) -> Attempt | None:
        return max(self.finished, key=lambda a: (a.percent, -a.number), default=None)

    @property
    def status(self) -> str:
        """The exam's state for this trainee, a code of lms.vocabulary.EXAM_STATE."""
        if any(a.passed for a in self.finished):
            return "passed"
        if any(a.status == "open" for a in self.attempts):
            return "in_progress"
        return "failed" if self.finished else "not_started"


def exam_results(cohort: Cohort, exam: Exam, viewer) -> list[ResultRow]:
    """Every visible trainee of the cohort with their attempts at the exam in this cohort (three queries)."""
    enrollments = visible_enrollments(cohort, viewer)
    rows = {e.id: ResultRow(e) for e in enrollments}
    if rows:
        for attempt in db.session.scalars(
            select(Attempt).where(Attempt.exam_id == exam.id, Attempt.enrollment_id.in_(list(rows)))
            .options(selectinload(Attempt.exam_version)).order_by(Attempt.number)
        ):
            rows[attempt.enrollment_id].attempts.append(attempt)
        for grant in db.session.scalars(select(ExamGrant).where(
                ExamGrant.exam_id == exam.id, ExamGrant.enrollment_id.in_(list(rows)),
                ExamGrant.kind == EXTRA_ATTEMPT)):
            rows[grant.enrollment_id].extra_attempts += 1
    return list(rows.values())


CSV_HEADER = ["cohort", "trainee", "email", "agency", "exam", "exam_version", "attempt", "status", "started_at",
              "finished_at", "finish_reason", "points", "max_points", "percent", "passed", "pass_mark"]


def results_csv(cohort: Cohort, exam: Exam, rows: list[ResultRow]) -> Iterator[str]:
    """The results as CSV lines, one per attempt, for streaming.

    The values are read here, while the request's database session is open; only the returned
    generator runs after the view has returned, when that session is gone and its objects detached,
    so it touches no database object (a lazy load there failed and cut the file after its header).
    """
    records = [[
        cohort.name, row.enrollment.user.name, row.enrollment.user.email,
        row.enrollment.user.agency.name if row.enrollment.user.agency else "", exam.slug,
        a.exam_version.number, a.number, a.status, a.started_at.isoformat(),
        a.finished_at.isoformat() if a.finished_at else "", a.finish_reason or "",
        "" if a.points is None else f"{a.points:g}", "" if a.max_points is None else f"{a.max_points:g}",
        "" if a.percent is None else f"{a.percent:g}", "" if a.passed is None else ("yes" if a.passed else "no"),
        f"{a.policy['pass_mark']:g}",
    ] for row in rows for a in row.attempts]
    return _csv_lines([CSV_HEADER, *records])


def _csv_lines(records: list[list]) -> Iterator[str]:
    """Each record as one CSV line with spreadsheet-safe cells."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for values in records:
        writer.writerow([safe_cell(v) for v in values])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()


@dataclass
class TraineeExam:
    """One exam of a trainee, for the instructor's trainee page."""

    exam: Exam
    attempts: list[Attempt]
    grants: list[ExamGrant]
    allowed: int
    cooldown_hours: float


def trainee_exams(enrollment: Enrollment) -> list[TraineeExam]:
    """The trainee's attempts and grants in this enrollment for each exam of the cohort's track."""
    exams = cohort_exams(enrollment.cohort)
    ids = [e.id for e in exams]
    attempts, grants = {}, {}
    if ids:
        for a in db.session.scalars(select(Attempt).where(Attempt.enrollment_id == enrollment.id,
                                                         Attempt.exam_id.in_(ids)).order_by(Attempt.number)):
            attempts.setdefault(a.exam_id, []).append(a)
        for g in db.session.scalars(select(ExamGrant).where(ExamGrant.enrollment_id == enrollment.id,
                                                           ExamGrant.exam_id.in_(ids)).order_by(ExamGrant.id)):
            grants.setdefault(g.exam_id, []).append(g)
    out = []
    for exam in exams:
        policy = rules.ExamPolicy.from_blueprint(exam.current_version.blueprint)
        extra = sum(1 for g in grants.get(exam.id, []) if g.kind == EXTRA_ATTEMPT)
        out.append(TraineeExam(exam, attempts.get(exam.id, []), grants.get(exam.id, []),
                               rules.attempts_allowed(policy, extra), policy.cooldown_hours))
    return out
