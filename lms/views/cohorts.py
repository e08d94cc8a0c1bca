"""Cohort list, roster and week opening for instructors, coordinators and staff; for instructors and staff,
creating a cohort, enrolling trainees (one by one or from a CSV roster) and posting notices."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from wtforms import HiddenField, SelectField
from wtforms.fields.choices import SelectChoice

from lms.clock import utcnow
from lms.cohorts import instructor_tools, roster as cohorts, schedule
from lms.extensions import db
from lms.forms.admin import ActionForm
from lms.forms.cohorts import CohortForm, CohortRosterForm, EnrollForm, NoticeForm
from lms.models import Agency, Role, Track
from lms.security import TRAINING_MANAGERS, TRAINING_VIEWERS, role_required
from lms.views.confirm import Confirmation, unless_confirmed
from lms.views.helpers import load_cohort, run_service, valid_form
from lms.vocabulary import plural

bp = Blueprint("cohorts", __name__, url_prefix="/cohorts")


class OpenWeekForm(ActionForm):
    """The roster's choice of a week (sent by GET to the confirmation page)."""

    week = SelectField("Week to open now", coerce=int, description="Weeks not yet open by the calendar.")


class ConfirmWeekForm(ActionForm):
    """The confirmation page's form: the week chosen, fixed."""

    week = HiddenField()


def _weeks_not_open(cohort, now) -> list[int]:
    opened = schedule.open_weeks(cohort, now)
    return [n for n in range(1, cohort.track.weeks + 1) if n not in opened]


def _open_week_form(cohort, now) -> OpenWeekForm:
    form = OpenWeekForm()
    form.week.choices = [SelectChoice(n, f"Week {n} (opens {schedule.week_start(cohort, n):%B %-d})")
                         for n in _weeks_not_open(cohort, now)]
    return form


@bp.get("")
@role_required(*TRAINING_VIEWERS)
def cohort_list():
    """The cohorts the user may see."""
    now = utcnow()
    visible = cohorts.cohorts_visible_to(current_user)
    weeks = {c.id: schedule.current_week(c, now) for c in visible}
    return render_template("cohorts/list.html", cohorts=visible, weeks=weeks,
                           can_create=current_user.has_role(*TRAINING_MANAGERS))


@bp.route("/new", methods=["GET", "POST"])
@role_required(*TRAINING_MANAGERS)
def cohort_new():
    """Create a cohort; an instructor who creates one teaches it."""
    form = CohortForm()
    form.track.choices = [SelectChoice(t.slug, t.title) for t in db.session.scalars(
        select(Track).where(Track.retired_at.is_(None)).order_by(Track.title))]
    form.agencies.choices = [SelectChoice(a.id, a.name)
                             for a in db.session.scalars(select(Agency).order_by(Agency.name))]
    if form.validate_on_submit():
        track = db.session.scalar(select(Track).where(Track.slug == form.track.data))
        agencies = [db.session.get(Agency, agency_id) for agency_id in form.agencies.data or []]
        teaching = [current_user] if current_user.has_role(Role.INSTRUCTOR) else []
        created = run_service(lambda: cohorts.create_cohort(
            name=form.name.data.strip(), track=track, start_date=form.start_date.data, agencies=agencies,
            instructors=teaching, actor=current_user, now=utcnow()), refused=cohorts.CohortError,
            success=lambda cohort: f"Cohort {cohort.name} created.")
        if created:
            return redirect(url_for("cohorts.roster", cohort_id=created.value.id))
    return render_template("cohorts/new.html", form=form, teaches=current_user.has_role(Role.INSTRUCTOR))


@bp.get("/<int:cohort_id>")
@role_required(*TRAINING_VIEWERS)
def roster(cohort_id):
    """A cohort's roster with each trainee's progress per module."""
    cohort = load_cohort(cohort_id)
    modules, rows = cohorts.roster(cohort, current_user)
    now = utcnow()
    can_open = cohorts.can_manage_cohort(current_user, cohort)
    return render_template(
        "cohorts/roster.html", cohort=cohort, modules=modules, rows=rows,
        open_weeks=schedule.open_weeks(cohort, now), week_start=schedule.week_start,
        form=_open_week_form(cohort, now) if can_open else None,
        enroll_form=EnrollForm() if can_open else None, notice_form=NoticeForm() if can_open else None,
    )


@bp.post("/<int:cohort_id>/enroll")
@role_required(*TRAINING_MANAGERS)
def enroll_one(cohort_id):
    """Enroll one trainee who has an account."""
    cohort = load_cohort(cohort_id, manage=True)
    if form := valid_form(EnrollForm, error="Type the trainee's e-mail address."):
        run_service(lambda: instructor_tools.enroll_by_email(cohort, form.email.data, actor=current_user,
                                                             now=utcnow()),
                    refused=cohorts.CohortError, success=lambda e: f"{e.user.name} is enrolled in {cohort.name}.")
    return redirect(url_for("cohorts.roster", cohort_id=cohort.id))


@bp.route("/<int:cohort_id>/roster-import", methods=["GET", "POST"])
@role_required(*TRAINING_MANAGERS)
def roster_import(cohort_id):
    """Enroll the trainees a CSV roster names: every row checked first; a bad row enrolls nobody."""
    cohort = load_cohort(cohort_id, manage=True)
    form = CohortRosterForm()
    report = None
    if form.validate_on_submit():
        upload = form.roster.data
        if upload is None or not getattr(upload, "filename", "") or not upload.filename.lower().endswith(".csv"):
            flash("Choose a .csv file.", "error")
        else:
            data = upload.stream.read(instructor_tools.MAX_ROSTER_BYTES + 1)
            report = run_service(lambda: instructor_tools.enroll_roster(data, cohort, actor=current_user,
                                                                        now=utcnow())).value
    return render_template("cohorts/roster_import.html", cohort=cohort, form=form, report=report,
                           columns=instructor_tools.ROSTER_COLUMNS + instructor_tools.OPTIONAL_COLUMNS)


@bp.post("/<int:cohort_id>/notices")
@role_required(*TRAINING_MANAGERS)
def post_notice(cohort_id):
    """Post a notice on the cohort's page and its trainees' course page."""
    cohort = load_cohort(cohort_id, manage=True)
    if form := valid_form(NoticeForm):
        run_service(lambda: instructor_tools.post_notice(cohort, form.body.data, actor=current_user, now=utcnow()),
                    refused=cohorts.CohortError,
                    success="Notice posted; the cohort's trainees see it on their course page.")
    return redirect(url_for("cohorts.roster", cohort_id=cohort.id) + "#notices")


def _open_week_confirmation(cohort, week: int) -> Confirmation:
    """What opening the week now does: to whom, what becomes available, instead of when."""
    items = [i for i in cohort.track.items if i.week == week]
    modules, exams = sum(1 for i in items if i.kind == "module"), sum(1 for i in items if i.kind == "exam")
    trainees = sum(1 for e in cohort.enrollments if e.status != "withdrawn")
    title = f"Week {week}: {items[0].week_title}" if items else f"Week {week}"
    effects = [
        f"{title} opens now for the {plural(trainees, 'trainee')} of {cohort.name}, instead of on "
        f"{schedule.week_start(cohort, week):%B %-d, %Y}.",
        f"Its {plural(modules, 'module')} and {plural(exams, 'exam')} become available to them at once; "
        "they may start its exams straight away.",
    ]
    return Confirmation(f"Open week {week} of {cohort.name} now?", effects,
                        "This cannot be undone: an opened week cannot be closed again.", f"Open week {week} now",
                        url_for("cohorts.roster", cohort_id=cohort.id))


@bp.route("/<int:cohort_id>/weeks/open", methods=["GET", "POST"])
@role_required(*TRAINING_MANAGERS)
def open_week(cohort_id):
    """Open a week early for the whole cohort: GET ?week=N asks for confirmation, POST (confirmed) acts."""
    cohort = load_cohort(cohort_id, manage=True)
    form = ConfirmWeekForm()
    raw = form.week.data if request.method == "POST" else request.args.get("week")
    week = int(raw) if raw and raw.isdigit() else None
    if week not in _weeks_not_open(cohort, utcnow()):
        flash("Choose a week that is not open yet.", "error")
        return redirect(url_for("cohorts.roster", cohort_id=cohort.id))
    form.week.data = str(week)
    confirmation = _open_week_confirmation(cohort, week)
    if (page := unless_confirmed(confirmation, form)) is not None:
        return page
    run_service(lambda: schedule.open_week_early(cohort, week, actor=current_user, now=utcnow()), refused=ValueError,
                success=f"Week {week} is open for {cohort.name}.")
    return redirect(url_for("cohorts.roster", cohort_id=cohort.id))
