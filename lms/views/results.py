"""Instructor pages: exam results per cohort, attempt records, CSV, item analysis, and grants."""
from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user

from lms.cohorts import roster as cohorts
from lms.clock import utcnow
from lms.exams import grants, results, statistics
from lms.exams.cut_score import cut_score_record
from lms.exams.attempts import ExamError, expire_if_due
from lms.exams.overview import review_level_for
from lms.exams.review import answer_log, regrade_matches, review
from lms.exams.policy import ANSWERS
from lms.extensions import db
from lms.forms.exams import ExtraAttemptForm, ExtraTimeForm, MultiplierForm
from lms.models import Attempt, Enrollment, Exam
from lms.security import PROGRAM_STAFF, TRAINING_MANAGERS, TRAINING_VIEWERS, role_required
from lms.views.helpers import (
    attachment, flash_form_errors, found_or_404, load_cohort, load_or_404, run_service,
)

bp = Blueprint("results", __name__, url_prefix="/results")


def _exam(cohort, slug: str) -> Exam:
    """An exam of the cohort's track; 404 otherwise."""
    return found_or_404(results.exam_in_cohort_or_none(cohort, slug))


def _enrollment(cohort, user_id: int) -> Enrollment:
    """A trainee of the cohort whom the user may see; 404 otherwise."""
    return found_or_404(next((e for e in results.visible_enrollments(cohort, current_user) if e.user_id == user_id),
                             None))


def _exam_results(cohort_id: int, slug: str):
    """The cohort, the exam and each visible trainee's results at it (404 unless the user may see them)."""
    cohort = load_cohort(cohort_id)
    exam = _exam(cohort, slug)
    return cohort, exam, results.exam_results(cohort, exam, current_user)


def _visible_attempt(attempt: Attempt) -> bool:
    """An attempt of a trainee the user may see (in a cohort they may see)."""
    cohort = load_cohort(attempt.enrollment.cohort_id)
    return any(e.user_id == attempt.user_id for e in results.visible_enrollments(cohort, current_user))


@bp.get("")
@role_required(*TRAINING_VIEWERS)
def index():
    """The cohorts the user may see, with their exams."""
    visible = cohorts.cohorts_visible_to(current_user)
    return render_template("results/index.html", cohorts=visible,
                           exams={c.id: results.cohort_exams(c) for c in visible})


@bp.get("/cohorts/<int:cohort_id>/exams/<slug>")
@role_required(*TRAINING_VIEWERS)
def exam_results(cohort_id, slug):
    """Each trainee's attempts at one exam of a cohort."""
    cohort, exam, rows = _exam_results(cohort_id, slug)
    return render_template("results/exam.html", cohort=cohort, exam=exam, rows=rows,
                           manage=cohorts.can_manage_cohort(current_user, cohort))


@bp.get("/cohorts/<int:cohort_id>/exams/<slug>/results.csv")
@role_required(*TRAINING_VIEWERS)
def exam_results_csv(cohort_id, slug):
    """The same results as CSV, one line per attempt (cells are safe to open in a spreadsheet)."""
    cohort, exam, rows = _exam_results(cohort_id, slug)
    return attachment(results.results_csv(cohort, exam, rows), f"results-{exam.slug}-cohort-{cohort.id}.csv",
                      "text/csv")


@bp.get("/cohorts/<int:cohort_id>/exams/<slug>/statistics")
@role_required(*TRAINING_MANAGERS)
def cohort_statistics(cohort_id, slug):
    """Item analysis and the score distribution of one cohort's attempts."""
    cohort = load_cohort(cohort_id, manage=True)
    exam = _exam(cohort, slug)
    stats = statistics.exam_statistics(exam.id, enrollment_ids=[e.id for e in cohort.enrollments])
    return _statistics_page(exam, cohort, stats)


@bp.get("/exams/<slug>/statistics")
@role_required(*TRAINING_MANAGERS)
def exam_statistics(slug):
    """Item analysis over every attempt the user may see (all cohorts for staff and administrators)."""
    exam = load_or_404(Exam, slug, by=Exam.slug)
    enrollment_ids = None
    if not current_user.has_role(*PROGRAM_STAFF):  # staff and administrators see every cohort
        enrollment_ids = [e.id for c in cohorts.cohorts_visible_to(current_user) for e in c.enrollments]
    stats = statistics.exam_statistics(exam.id, enrollment_ids=enrollment_ids)
    return _statistics_page(exam, None, stats)


def _statistics_page(exam, cohort, stats):
    """The statistics page, its item table sorted as ``?sort=COLUMN&dir=asc|desc`` asks."""
    sort = request.args.get("sort", "question")
    sort = sort if sort in statistics.SORT_KEYS else "question"
    descending = request.args.get("dir") == "desc"
    stats.items = statistics.sort_items(stats.items, sort, descending)
    return render_template("results/statistics.html", exam=exam, cohort=cohort, stats=stats, sort=sort,
                           descending=descending, pass_mark=exam.current_version.blueprint["pass_mark"],
                           cut_score=cut_score_record(exam.current_version),
                           min_for_flags=statistics.MIN_FOR_FLAGS, weak_r=statistics.WEAK_R)


@bp.get("/attempts/<int:attempt_id>")
@role_required(*TRAINING_VIEWERS)
def attempt_detail(attempt_id):
    """The full record of an attempt: questions as shown, answers with the key, the answer log."""
    attempt = load_or_404(Attempt, attempt_id, within=_visible_attempt)
    if expire_if_due(attempt, now=utcnow()):
        db.session.commit()
    finished = attempt.status == "finished"
    return render_template("results/attempt.html", attempt=attempt,
                           items=review(attempt, ANSWERS, show_variants=True) if finished else [],
                           log=answer_log(attempt.id), trainee_level=review_level_for(attempt),
                           consistent=regrade_matches(attempt) if finished else None)


@bp.get("/cohorts/<int:cohort_id>/trainees/<int:user_id>")
@role_required(*TRAINING_VIEWERS)
def trainee(cohort_id, user_id):
    """A trainee's exams in a cohort: attempts, grants, and (for instructors) the grant forms."""
    cohort = load_cohort(cohort_id)
    enrollment = _enrollment(cohort, user_id)
    return render_template("results/trainee.html", cohort=cohort, enrollment=enrollment,
                           exams=results.trainee_exams(enrollment),
                           manage=cohorts.can_manage_cohort(current_user, cohort),
                           time_form=ExtraTimeForm(), attempt_form=ExtraAttemptForm(),
                           multiplier_form=MultiplierForm(multiplier=enrollment.time_multiplier))


def _grant(cohort_id, user_id, form, action, slug=None):
    """Validate a grant form, call the grant service, commit, and go back to the trainee page."""
    cohort = load_cohort(cohort_id, manage=True)
    enrollment = _enrollment(cohort, user_id)
    exam = _exam(cohort, slug) if slug else None
    back = redirect(url_for("results.trainee", cohort_id=cohort.id, user_id=user_id))
    if not form.validate_on_submit():
        flash_form_errors(form)
        return back
    run_service(lambda: action(enrollment, exam, form), refused=ExamError, success=lambda message: message)
    return back


@bp.post("/cohorts/<int:cohort_id>/trainees/<int:user_id>/exams/<slug>/extra-time")
@role_required(*TRAINING_MANAGERS)
def extra_time(cohort_id, user_id, slug):
    """Grant extra minutes on an exam (the open attempt's deadline moves at once)."""
    def act(enrollment, exam, form):
        grant = grants.grant_extra_time(enrollment, exam, minutes=form.minutes.data, reason=form.reason.data or "",
                                        actor=current_user, now=utcnow())
        where = "to the attempt in progress" if grant.attempt_id else "to the next attempt"
        return f"{grant.minutes} extra minutes granted to {enrollment.user.name} on {exam.title}, {where}."
    return _grant(cohort_id, user_id, ExtraTimeForm(), act, slug)


@bp.post("/cohorts/<int:cohort_id>/trainees/<int:user_id>/exams/<slug>/extra-attempt")
@role_required(*TRAINING_MANAGERS)
def extra_attempt(cohort_id, user_id, slug):
    """Grant one more attempt at an exam, saying whether the wait between attempts applies."""
    def act(enrollment, exam, form):
        grant = grants.grant_extra_attempt(enrollment, exam, waive_cooldown=form.waive_cooldown.data,
                                           reason=form.reason.data or "", actor=current_user, now=utcnow())
        when = ", starting as soon as they like (no wait)" if grant.waives_cooldown else ""
        return f"{enrollment.user.name} may take {exam.title} one more time{when}."
    return _grant(cohort_id, user_id, ExtraAttemptForm(), act, slug)


@bp.post("/cohorts/<int:cohort_id>/trainees/<int:user_id>/multiplier")
@role_required(*TRAINING_MANAGERS)
def multiplier(cohort_id, user_id):
    """Set the trainee's standing time multiplier in this cohort (applies to attempts started from now on)."""
    def act(enrollment, exam, form):
        grants.set_time_multiplier(enrollment, float(form.multiplier.data), reason=form.reason.data or "",
                                   actor=current_user, now=utcnow())
        return (f"{enrollment.user.name}'s time multiplier in {enrollment.cohort.name} "
                f"is now {enrollment.time_multiplier:g}.")
    return _grant(cohort_id, user_id, MultiplierForm(), act)
