"""Cohort list, roster and week opening for instructors, coordinators and staff."""
from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user
from wtforms import SelectField
from wtforms.fields.choices import SelectChoice

from .. import cohorts, learning
from ..clock import utcnow
from ..extensions import db
from ..forms.admin import ActionForm
from ..models import Cohort
from ..security import TRAINING_MANAGERS, TRAINING_VIEWERS, role_required

bp = Blueprint("cohorts", __name__, url_prefix="/cohorts")
VIEWERS = TRAINING_VIEWERS


class OpenWeekForm(ActionForm):
    week = SelectField("Week to open now", coerce=int, description="Weeks not yet open by the calendar.")


def _open_week_form(cohort, now) -> OpenWeekForm:
    form = OpenWeekForm()
    opened = learning.open_weeks(cohort, now)
    form.week.choices = [
        SelectChoice(n, f"Week {n} (opens {learning.week_start(cohort, n):%B %-d})")
        for n in range(1, cohort.track.weeks + 1) if n not in opened
    ]
    return form


def load_cohort_or_404(cohort_id: int, *, manage=False) -> Cohort:
    """The cohort, if the current user may see it (and manage it, when asked); 404 otherwise (no hint
    that it exists)."""
    cohort = db.session.get(Cohort, cohort_id)
    if cohort is None or not cohorts.can_view_cohort(current_user, cohort) or (
            manage and not cohorts.can_manage_cohort(current_user, cohort)):
        abort(404)
    return cohort


@bp.get("")
@role_required(*VIEWERS)
def cohort_list():
    """The cohorts the user may see."""
    now = utcnow()
    visible = cohorts.cohorts_visible_to(current_user)
    weeks = {c.id: learning.current_week(c, now) for c in visible}
    return render_template("cohorts/list.html", cohorts=visible, weeks=weeks)


@bp.get("/<int:cohort_id>")
@role_required(*VIEWERS)
def roster(cohort_id):
    """A cohort's roster with each trainee's progress per module."""
    cohort = load_cohort_or_404(cohort_id)
    modules, rows = cohorts.roster(cohort, current_user)
    now = utcnow()
    can_open = cohorts.can_manage_cohort(current_user, cohort)
    return render_template(
        "cohorts/roster.html", cohort=cohort, modules=modules, rows=rows,
        open_weeks=learning.open_weeks(cohort, now), week_start=learning.week_start,
        form=_open_week_form(cohort, now) if can_open else None,
    )


@bp.post("/<int:cohort_id>/weeks/open")
@role_required(*TRAINING_MANAGERS)
def open_week(cohort_id):
    """Open a week early for the whole cohort."""
    cohort = load_cohort_or_404(cohort_id, manage=True)
    form = _open_week_form(cohort, utcnow())
    if not form.validate_on_submit():
        flash("Choose a week that is not open yet.", "error")
        return redirect(url_for("cohorts.roster", cohort_id=cohort.id))
    try:
        learning.open_week_early(cohort, form.week.data, actor=current_user, now=utcnow())
    except ValueError as error:
        flash(str(error), "error")
        return redirect(url_for("cohorts.roster", cohort_id=cohort.id))
    db.session.commit()
    flash(f"Week {form.week.data} is open for {cohort.name}.", "success")
    return redirect(url_for("cohorts.roster", cohort_id=cohort.id))
