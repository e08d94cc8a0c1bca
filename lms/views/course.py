"""The trainee's course: the week-by-week path and module pages."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from lms.certification.issue import certification_of
from lms.classroom.overview import trainee_classroom
from lms.learning import course as learning
from lms.cohorts import schedule
from lms.clock import utcnow
from lms.extensions import db
from lms.forms.admin import ActionForm
from lms.models import Role
from lms.security import role_required
from lms.views.helpers import posted_form

bp = Blueprint("course", __name__, url_prefix="/course")


def _load_module_or_abort(slug: str) -> learning.ModuleAccess:
    """The module if it is in one of the trainee's tracks (else 404) and open (else 403)."""
    access = learning.module_access(learning.active_enrollments(current_user), slug, utcnow())
    if access is None:
        abort(404)
    if not access.is_open:
        opens = schedule.week_start(access.enrollment.cohort, access.week)
        abort(403, description=f"This module is in week {access.week}, which opens on {opens:%B %-d, %Y}.")
    return access


@bp.get("")
@role_required(Role.TRAINEE)
def my_course():
    """My course: the track, the current week, the timeline and progress."""
    enrollments = learning.active_enrollments(current_user)
    if not enrollments:
        return render_template("course/not_enrolled.html")
    chosen = request.args.get("enrollment", type=int)
    enrollment = next((e for e in enrollments if e.id == chosen), enrollments[0])
    path = learning.course_path(enrollment, utcnow())
    return render_template("course/my_course.html", path=path, enrollments=enrollments,
                           earned=certification_of(enrollment), classroom=trainee_classroom(enrollment))


@bp.get("/modules/<path:slug>")
@role_required(Role.TRAINEE)
def module(slug):
    """Read a module (recorded as read)."""
    access = _load_module_or_abort(slug)
    learning.record_read(access, utcnow())
    db.session.commit()
    return render_template("course/module.html", access=access, version=access.module.current_version,
                           form=ActionForm())


@bp.post("/modules/<path:slug>/complete")
@role_required(Role.TRAINEE)
def complete(slug):
    """Mark a module as completed, against the version read."""
    access = _load_module_or_abort(slug)
    posted_form(ActionForm)
    learning.mark_completed(access, utcnow())
    db.session.commit()
    flash(f"“{access.module.current_version.title}” is marked as completed.", "success")
    if access.next_slug:
        return redirect(url_for("course.module", slug=access.next_slug))
    return redirect(url_for("course.my_course"))
