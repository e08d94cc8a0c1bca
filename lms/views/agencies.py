"""Agencies and their agreements (MOUs): staff create and edit them (audited: their history), attach
the signed agreement, and terminate one; a coordinator reads their own agency's pages only."""
from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from lms.agencies import agencies as agency_service, agreements, history
from lms.clock import program_today, utcnow
from lms.extensions import db
from lms.forms.agencies import AgencyForm, DocumentForm, MouForm, MouModelForm, TerminateForm
from lms.models import Agency, Mou, MouDocument, Role, Track, User
from lms.security import PROGRAM_READERS, PROGRAM_STAFF, agency_scope, role_required
from lms.uploads import UploadRefused, send_stored
from lms.views.confirm import Confirmation, unless_confirmed
from lms.views.helpers import in_own_agency, load_or_404, posted_form, run_service
from lms.vocabulary import plural

bp = Blueprint("agencies", __name__)


def _agency(agency_id: int) -> Agency:
    """The agency, if the user may see it: staff any, a coordinator their own; else 404."""
    return load_or_404(Agency, agency_id, within=in_own_agency)


def _mou(mou_id: int) -> Mou:
    """The agreement, if the user may see it: staff any, a coordinator their agency's; else 404."""
    return load_or_404(Mou, mou_id, within=in_own_agency)


def _agency_form(obj=None) -> AgencyForm:
    form = AgencyForm(obj=obj)
    form.kind.choices = [SelectChoice("", "—")] + [SelectChoice(k, k) for k in agency_service.AGENCY_KINDS]
    return form


@bp.get("/agencies")
@role_required(*PROGRAM_READERS)
def agency_list():
    """Every agency (a coordinator: their own)."""
    query = select(Agency).order_by(Agency.name)
    if (scope := agency_scope(current_user)) is not None:
        query = query.where(Agency.id == scope)
    return render_template("agencies/list.html", agencies=db.session.scalars(query).all())


@bp.route("/agencies/new", methods=["GET", "POST"])
@role_required(*PROGRAM_STAFF)
def agency_new():
    """Register an agency."""
    form = _agency_form()
    if form.validate_on_submit():
        created = run_service(lambda: agency_service.create_agency(
            name=form.name.data, state=form.state.data, ori=form.ori.data or "", kind=form.kind.data,
            contacts=form.contacts.data, actor=current_user, now=utcnow()),
            refused=agency_service.AgencyError, success=lambda agency: f"Agency {agency.name} registered.")
        if created:
            return redirect(url_for("agencies.agency_detail", agency_id=created.value.id))
    return render_template("agencies/form.html", form=form, agency=None)


@bp.get("/agencies/<int:agency_id>")
@role_required(*PROGRAM_READERS)
def agency_detail(agency_id):
    """An agency: details, coordinators, agreements and (staff) its history."""
    agency = _agency(agency_id)
    mous = db.session.scalars(select(Mou).where(Mou.agency_id == agency.id).order_by(Mou.effective_on)).all()
    coordinators = db.session.scalars(select(User).where(User.agency_id == agency.id,
                                                         User.role == Role.COORDINATOR.value).order_by(User.name)).all()
    events = history.history(agency) if current_user.has_role(*PROGRAM_STAFF) else []
    return render_template("agencies/detail.html", agency=agency, mous=mous, coordinators=coordinators,
                           history=events, today=program_today(utcnow()), models=agreements.mou_models())


@bp.route("/agencies/<int:agency_id>/edit", methods=["GET", "POST"])
@role_required(*PROGRAM_STAFF)
def agency_edit(agency_id):
    """Edit an agency."""
    agency = _agency(agency_id)
    form = _agency_form(obj=agency)
    if form.validate_on_submit():
        if run_service(lambda: agency_service.update_agency(
                agency, name=form.name.data, state=form.state.data, kind=form.kind.data, contacts=form.contacts.data,
                actor=current_user, now=utcnow()), refused=agency_service.AgencyError, success="Agency saved."):
            return redirect(url_for("agencies.agency_detail", agency_id=agency.id))
    return render_template("agencies/form.html", form=form, agency=agency)


def _mou_form(mou=None) -> MouForm:
    form = MouForm(obj=mou)
    form.model.choices = [SelectChoice(k, v) for k, v in agreements.mou_models().items()]
    form.tracks.choices = [SelectChoice(t.slug, t.title) for t in db.session.scalars(
        select(Track).where(Track.retired_at.is_(None)).order_by(Track.title))]
    form.annexes.choices = [SelectChoice(m.slug, m.current_version.title if m.current_version else m.slug)
                            for m in agreements.annex_modules()]
    if mou is not None and not form.is_submitted():
        form.functions.data = "\n".join(mou.authorized_functions)
        form.tracks.data, form.annexes.data = list(mou.track_slugs or []), list(mou.annex_slugs or [])
    return form


def _mou_fields(form: MouForm) -> dict:
    return {"model": form.model.data, "signed_on": form.signed_on.data, "effective_on": form.effective_on.data,
            "ends_on": form.ends_on.data, "authorized_functions": form.functions.data.splitlines(),
            "officer_cap": form.officer_cap.data, "track_slugs": form.tracks.data, "annex_slugs": form.annexes.data}


@bp.route("/agencies/<int:agency_id>/mous/new", methods=["GET", "POST"])
@role_required(*PROGRAM_STAFF)
def mou_new(agency_id):
    """Record an agency's agreement."""
    agency = _agency(agency_id)
    form = _mou_form()
    if form.validate_on_submit():
        created = run_service(
            lambda: agreements.create_mou(agency=agency, **_mou_fields(form), actor=current_user, now=utcnow()),
            refused=agreements.AgreementError, success=lambda mou: f"MOU {mou.id} recorded.")
        if created:
            return redirect(url_for("agencies.mou_detail", mou_id=created.value.id))
    return render_template("agencies/mou_form.html", form=form, agency=agency, mou=None)


@bp.get("/mous/<int:mou_id>")
@role_required(*PROGRAM_READERS)
def mou_detail(mou_id):
    """An agreement: terms, tracks, annexes, documents, enrollments against its cap, and (staff) history."""
    mou = _mou(mou_id)
    is_staff = current_user.has_role(*PROGRAM_STAFF)
    return render_template(
        "agencies/mou_detail.html", mou=mou, models=agreements.mou_models(), enrolled=agreements.enrolled_under(mou),
        tracks=agreements.track_titles(mou.track_slugs), annexes=agreements.module_titles(mou.annex_slugs),
        history=history.history(mou) if is_staff else [], today=program_today(utcnow()), is_staff=is_staff,
        document_form=DocumentForm() if is_staff else None)


@bp.route("/mous/<int:mou_id>/edit", methods=["GET", "POST"])
@role_required(*PROGRAM_STAFF)
def mou_edit(mou_id):
    """Edit an agreement."""
    mou = _mou(mou_id)
    form = _mou_form(mou)
    if form.validate_on_submit():
        if run_service(lambda: agreements.update_mou(mou, **_mou_fields(form), actor=current_user, now=utcnow()),
                       refused=agreements.AgreementError, success=f"MOU {mou.id} saved."):
            return redirect(url_for("agencies.mou_detail", mou_id=mou.id))
    return render_template("agencies/mou_form.html", form=form, agency=mou.agency, mou=mou)


@bp.post("/mous/<int:mou_id>/documents")
@role_required(*PROGRAM_STAFF)
def mou_document_upload(mou_id):
    """Attach the signed agreement (PDF)."""
    mou = _mou(mou_id)
    form = posted_form(DocumentForm)
    run_service(lambda: agreements.attach_document(mou, form.document.data, actor=current_user, now=utcnow()),
                refused=UploadRefused, success="Document attached.")
    return redirect(url_for("agencies.mou_detail", mou_id=mou.id))


@bp.get("/mous/<int:mou_id>/documents/<int:document_id>")
@role_required(*PROGRAM_STAFF)
def mou_document(mou_id, document_id):
    """Download an attached document (staff only; always as an attachment)."""
    mou = _mou(mou_id)
    document = load_or_404(MouDocument, document_id, within=lambda document: document.mou_id == mou.id)
    return send_stored("mou", document.stored_name, download_name=document.original_name,
                       content_type=document.content_type)


def _terminate_confirmation(mou: Mou) -> Confirmation:
    """What terminating the agreement does, with the numbers for each choice."""
    today = program_today(utcnow())
    valid = len(agreements.certifications_ended_by(mou, "suspend", today=today))
    in_force = len(agreements.certifications_ended_by(mou, "revoke", today=today))
    enrolled = agreements.enrolled_under(mou)
    effects = [
        f"MOU {mou.id} of {mou.agency.name} ends now: no one can be nominated, enrolled or certified under it.",
        f"“Suspend them”: {plural(valid, 'valid certification')} under it "
        f"{'is' if valid == 1 else 'are'} suspended, and cannot be reinstated while the agreement is ended.",
        f"“Revoke them”: {plural(in_force, 'certification')} under it (valid or suspended) "
        f"{'is' if in_force == 1 else 'are'} revoked, permanently.",
        f"{plural(enrolled, 'enrollment')} under it: people still in training will not be certified under it.",
    ]
    return Confirmation(f"Terminate MOU {mou.id} of {mou.agency.name}?", effects,
                        "This cannot be undone: a terminated agreement cannot be put back in force, and a revocation "
                        "is permanent.", f"Terminate MOU {mou.id}",
                        url_for("agencies.mou_detail", mou_id=mou.id), permanent=True)


@bp.route("/mous/<int:mou_id>/terminate", methods=["GET", "POST"])
@role_required(*PROGRAM_STAFF)
def mou_terminate(mou_id):
    """End the agreement and suspend or revoke every certification in force under it (one audited action):
    GET says what will happen and asks for confirmation, POST (confirmed) acts."""
    mou = _mou(mou_id)
    form = TerminateForm()
    refusal = f"MOU {mou.id} is already terminated." if mou.terminated_at is not None else None
    if (page := unless_confirmed(_terminate_confirmation(mou), form, refusal=refusal)) is not None:
        return page
    verb = "suspended" if form.action.data == "suspend" else "revoked"
    run_service(lambda: agreements.terminate_mou(mou, action=form.action.data, reason=form.reason.data,
                                                 actor=current_user, now=utcnow()),
                refused=agreements.AgreementError,
                success=lambda changed: f"MOU {mou.id} terminated; {plural(len(changed), 'certification')} {verb}.")
    return redirect(url_for("agencies.mou_detail", mou_id=mou.id))


@bp.route("/mou-models", methods=["GET", "POST"])
@role_required(*PROGRAM_STAFF)
def mou_models():
    """The list of 287(g) models; staff can add one."""
    form = MouModelForm()
    if form.validate_on_submit():
        if run_service(lambda: agreements.add_mou_model(key=form.key.data, label=form.label.data, actor=current_user,
                                                        now=utcnow()),
                       refused=agreements.AgreementError, success="Model added."):
            return redirect(url_for("agencies.mou_models"))
    return render_template("agencies/models.html", form=form, models=agreements.mou_models())
