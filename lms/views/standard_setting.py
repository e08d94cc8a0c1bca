"""Standard setting: instructors rate an exam's questions (modified Angoff); the page shows each rater's
and the panel's figures; staff adopt the cut as the pass mark (a new exam version)."""
from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from lms.clock import utcnow
from lms.exams.standard_setting import MIN_RATERS, StandardSettingError, adopt_cut, panel, rate_items
from lms.extensions import db
from lms.forms.challenges import AdoptForm
from lms.models import Exam
from lms.security import PROGRAM_STAFF, TRAINING_MANAGERS, role_required
from lms.views.helpers import load_or_404, run_service, valid_form

bp = Blueprint("standard_setting", __name__, url_prefix="/standard-setting")
FIELD = "rating-"  # a rating's form field: rating-<question id>


def _exam(slug: str) -> Exam:
    return load_or_404(Exam, slug, by=Exam.slug, within=lambda e: e.retired_at is None and e.current_version)


@bp.get("")
@role_required(*TRAINING_MANAGERS)
def index():
    """The exams, each with a link to its rating page."""
    exams = db.session.scalars(select(Exam).where(Exam.retired_at.is_(None)).order_by(Exam.slug)).all()
    return render_template("standard_setting/index.html", exams=[e for e in exams if e.current_version])


@bp.get("/exams/<slug>")
@role_required(*TRAINING_MANAGERS)
def rating_page(slug):
    """The current version's questions with the user's ratings, every rater's, and what they give."""
    exam = _exam(slug)
    figures = panel(exam.current_version)
    return render_template("standard_setting/exam.html", exam=exam, panel=figures, field=FIELD, me=current_user.id,
                           min_raters=MIN_RATERS, adopt_form=AdoptForm(),
                           may_adopt=current_user.has_role(*PROGRAM_STAFF))


@bp.post("/exams/<slug>")
@role_required(*TRAINING_MANAGERS)
def rate(slug):
    """Save the user's ratings (blank fields leave a rating as it was)."""
    exam = _exam(slug)
    values = {key[len(FIELD):]: value for key, value in request.form.items() if key.startswith(FIELD)}
    run_service(lambda: rate_items(exam.current_version, values, actor=current_user, now=utcnow()),
                refused=StandardSettingError, success=lambda n: f"{n} rating{'s' if n != 1 else ''} saved.")
    return redirect(url_for("standard_setting.rating_page", slug=exam.slug))


@bp.post("/exams/<slug>/adopt")
@role_required(*PROGRAM_STAFF)
def adopt(slug):
    """Adopt the panel's cut as the pass mark: a new exam version; attempts in progress keep theirs."""
    exam = _exam(slug)
    if form := valid_form(AdoptForm):
        run_service(lambda: adopt_cut(exam.current_version, note=form.note.data or "", actor=current_user,
                                      now=utcnow()),
                    refused=StandardSettingError,
                    success=lambda v: f"The pass mark is now {v.blueprint['pass_mark']:g}% (exam version {v.number}); "
                                      "attempts in progress keep their version.")
    return redirect(url_for("standard_setting.rating_page", slug=exam.slug))
