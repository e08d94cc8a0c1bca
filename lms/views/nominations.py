"""Nominations: a coordinator nominates officers of their agency (one by one or from a CSV roster) and
follows their status; ICE staff accept (account + enrollment under the MOU) or decline with a reason."""
import functools

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms.fields.choices import SelectChoice
from sqlalchemy import select

from lms.agencies import nominations as service, rosters
from lms.clock import program_today, utcnow
from lms.extensions import db
from lms.forms.agencies import AcceptForm, DeclineForm, EnrollmentImportForm, NominationForm, RosterImportForm
from lms.models import NOMINATION_STATUSES, Cohort, Mou, Nomination, Role
from lms.security import PROGRAM_READERS, PROGRAM_STAFF, agency_scope, role_required
from lms.uploads import UploadRefused, send_stored
from lms.views.confirm import Confirmation, unless_confirmed
from lms.views.helpers import found_or_404, in_own_agency, load_or_404, run_service

bp = Blueprint("nominations", __name__, url_prefix="/nominations")


def _nomination(nomination_id: int) -> Nomination:
    """The nomination, if the user may see it: staff any, a coordinator their agency's; else 404."""
    return load_or_404(Nomination, nomination_id, within=in_own_agency)


def _own_mous() -> list[Mou]:
    """The coordinator's agency's agreements in force today."""
    today = program_today(utcnow())
    mous = db.session.scalars(select(Mou).where(Mou.agency_id == (current_user.agency_id or -1))
                              .order_by(Mou.effective_on.desc())).all()
    return [m for m in mous if m.is_in_force(today)]


def _with_own_mous(form_class, label):
    """A coordinator's form under one of their agency's agreements in force: the view is called with the form
    (the agreements, named by ``label(mou)``, its choices) and the agreements; without one, a page says so."""
    def decorator(view):
        @functools.wraps(view)
        def wrapped():
            if not (mous := _own_mous()):
                return render_template("nominations/no_mou.html")
            form = form_class()
            form.mou_id.choices = [SelectChoice(m.id, label(m)) for m in mous]
            return view(form, mous)

        return wrapped

    return decorator


def _load_own_mou(mou_id) -> Mou:
    """One of the coordinator's agency's agreements in force; 404 otherwise."""
    return found_or_404(next((m for m in _own_mous() if m.id == mou_id), None))


@bp.get("")
@role_required(*PROGRAM_READERS)
def nomination_list():
    """Nominations and their status (a coordinator: their agency's)."""
    status = request.args.get("status") if request.args.get("status") in NOMINATION_STATUSES else None
    return render_template("nominations/list.html", status=status, statuses=NOMINATION_STATUSES,
                           nominations=service.nominations_for(agency_id=agency_scope(current_user), status=status))


@bp.route("/new", methods=["GET", "POST"])
@role_required(Role.COORDINATOR)
@_with_own_mous(NominationForm, lambda m: f"MOU {m.id}: {m.model_label}, effective {m.effective_on}")
def nomination_new(form, mous):
    """Nominate an officer of the coordinator's agency."""
    form.track.choices = [SelectChoice(slug, title) for slug, title in sorted(
        {(t.slug, t.title) for m in mous for t in service.tracks_for(m)}, key=lambda c: c[1])]
    if form.validate_on_submit():
        now = utcnow()
        mou = _load_own_mou(form.mou_id.data)
        nominee, problems = service.check_nominee(
            mou=mou, name=form.name.data, email=form.email.data, track_slug=form.track.data,
            background_check_on=form.background_check_on.data, years_experience=form.years_experience.data,
            citizenship_attested=form.citizenship_attested.data, commits_two_years=form.commits_two_years.data,
            notes=form.notes.data, today=program_today(now))
        if problems:
            flash("Not nominated: " + "; ".join(problems) + ".", "error")
        else:
            nominated = run_service(
                lambda: service.nominate(nominee, mou=mou, actor=current_user, now=now, evidence=form.evidence.data),
                refused=(service.NominationError, UploadRefused),
                success=lambda nomination: f"{nomination.name} is nominated; ICE staff will accept or decline.")
            if nominated:
                return redirect(url_for("nominations.nomination_detail", nomination_id=nominated.value.id))
    return render_template("nominations/form.html", form=form)


@bp.route("/import", methods=["GET", "POST"])
@role_required(Role.COORDINATOR)
@_with_own_mous(RosterImportForm, lambda m: f"MOU {m.id}: {m.model_label}")
def roster_import(form, _mous):
    """Import nominations from a CSV roster: every row is checked first; bad rows are listed by line."""
    return _roster_page(form, lambda data, only_good_rows: rosters.import_roster(
        data, mou=_load_own_mou(form.mou_id.data), only_good_rows=only_good_rows, actor=current_user, now=utcnow()),
        refused=())


def _roster_page(form: RosterImportForm, import_roster, *, refused):
    """A roster import page (nominations, or enrollments when the form has a cohort): on a valid POST with a
    .csv file, ``import_roster(data, only_good_rows)`` runs as a service call and its report is shown; it
    commits the imported rows, or the audit of a refused import."""
    report = None
    if form.validate_on_submit() and (data := _csv_upload(form.roster.data)) is not None:
        report = run_service(lambda: import_roster(data, form.mode.data == "good"), refused=refused).value
    # Temporary passwords are on this response only (never flashed into the cookie or logged).
    return render_template("nominations/import.html", form=form, report=report, columns=rosters.ROSTER_COLUMNS,
                           enroll=isinstance(form, EnrollmentImportForm))


def _csv_upload(upload) -> bytes | None:
    """The uploaded roster's bytes (at most one byte over the limit, which the service refuses), or None
    after telling the user to choose a .csv file."""
    if upload is None or not getattr(upload, "filename", "") or not upload.filename.lower().endswith(".csv"):
        flash("Choose a .csv file.", "error")
        return None
    return upload.stream.read(rosters.MAX_ROSTER_BYTES + 1)


@bp.route("/import-enrollments", methods=["GET", "POST"])
@role_required(*PROGRAM_STAFF)
def enrollment_import():
    """Staff enroll a CSV roster in a cohort under an MOU (accounts created as needed), every row checked first."""
    today = program_today(utcnow())
    mous = [m for m in db.session.scalars(select(Mou).order_by(Mou.agency_id, Mou.effective_on.desc()))
            if m.is_in_force(today)]
    cohort_rows = db.session.scalars(select(Cohort).order_by(Cohort.start_date.desc(), Cohort.name)).all()
    form = EnrollmentImportForm()
    if request.method == "GET" and request.args.get("cohort_id", type=int):
        form.cohort_id.data = request.args.get("cohort_id", type=int)
    form.mou_id.choices = [SelectChoice(m.id, f"{m.agency.name}: MOU {m.id}, {m.model_label}") for m in mous]
    form.cohort_id.choices = [SelectChoice(c.id, f"{c.name} ({c.track.title}, starts {c.start_date})")
                              for c in cohort_rows]
    return _roster_page(form, lambda data, only_good_rows: rosters.import_enrollments(
        data, mou=db.session.get(Mou, form.mou_id.data), cohort=db.session.get(Cohort, form.cohort_id.data),
        actor=current_user, now=utcnow(), only_good_rows=only_good_rows), refused=service.NominationError)


@bp.get("/<int:nomination_id>")
@role_required(*PROGRAM_READERS)
def nomination_detail(nomination_id):
    """A nomination with its eligibility facts, status and (staff) the decision forms."""
    nomination = _nomination(nomination_id)
    accept = None
    if current_user.has_role(*PROGRAM_STAFF) and nomination.status == "pending":
        accept = AcceptForm()
        accept.cohort_id.choices = [SelectChoice(c.id, f"{c.name} (starts {c.start_date})")
                                   for c in service.cohorts_for(nomination)]
    return render_template("nominations/detail.html", n=nomination, accept=accept)


@bp.post("/<int:nomination_id>/accept")
@role_required(*PROGRAM_STAFF)
def nomination_accept(nomination_id):
    """Accept: create the account if needed and enroll in the chosen cohort under the MOU."""
    nomination = _nomination(nomination_id)
    form = AcceptForm()
    form.cohort_id.choices = [SelectChoice(c.id, c.name) for c in service.cohorts_for(nomination)]
    if not form.validate_on_submit():
        flash("Choose a cohort of the nominated track.", "error")
        return redirect(url_for("nominations.nomination_detail", nomination_id=nomination.id))
    cohort = db.session.get(Cohort, form.cohort_id.data)
    accepted = run_service(lambda: service.accept_nomination(nomination, cohort, actor=current_user, now=utcnow()),
                           refused=service.NominationError)
    if not accepted:
        return redirect(url_for("nominations.nomination_detail", nomination_id=nomination.id))
    result = accepted.value
    if result.temporary_password:
        # Shown once, on this response only (never flashed into the cookie or logged).
        return render_template("nominations/accepted.html", n=nomination, user=result.user,
                               password=result.temporary_password)
    flash(f"{nomination.name} is enrolled.", "success")
    return redirect(url_for("nominations.nomination_detail", nomination_id=nomination.id))


def _decline_confirmation(nomination: Nomination) -> Confirmation:
    """What declining the nomination does."""
    return Confirmation(
        f"Decline the nomination of {nomination.name}?",
        [f"{nomination.name} ({nomination.email}) is not enrolled in {nomination.track.title}.",
         f"The coordinators of {nomination.agency.name} see the nomination as declined, with your reason."],
        "This cannot be undone: a declined nomination cannot be accepted later; the agency would have to "
        "nominate the officer again.",
        f"Decline the nomination of {nomination.name}",
        url_for("nominations.nomination_detail", nomination_id=nomination.id), permanent=True)


@bp.route("/<int:nomination_id>/decline", methods=["GET", "POST"])
@role_required(*PROGRAM_STAFF)
def nomination_decline(nomination_id):
    """Decline with a reason the coordinator sees: GET asks for confirmation, POST (confirmed) acts."""
    nomination = _nomination(nomination_id)
    form = DeclineForm()
    already = nomination.status_label.lower()
    refusal = None if nomination.status == "pending" else f"This nomination is already {already}."
    if (page := unless_confirmed(_decline_confirmation(nomination), form, refusal=refusal)) is not None:
        return page
    run_service(lambda: service.decline_nomination(nomination, reason=form.reason.data, actor=current_user,
                                                   now=utcnow()),
                refused=service.NominationError, success=f"The nomination of {nomination.name} is declined.")
    return redirect(url_for("nominations.nomination_detail", nomination_id=nomination.id))


@bp.get("/<int:nomination_id>/evidence")
@role_required(*PROGRAM_READERS)
def nomination_evidence(nomination_id):
    """The nomination's evidence file, as an attachment."""
    nomination = _nomination(nomination_id)
    if not nomination.evidence_stored:
        abort(404)
    return send_stored("evidence", nomination.evidence_stored, download_name=nomination.evidence_name,
                       content_type=nomination.evidence_type)
