"""The certification registry (ICE staff; coordinators read their own agency): list, detail with
status history and actions, refresher due list, the pass list with its downloads, and (staff) the
certifications put up for review after a correction."""
from flask import Blueprint, flash, redirect, render_template, request, stream_with_context, url_for
from flask_login import current_user
from sqlalchemy import select

from lms import origin
from lms.certification import passlist as passlists
from lms.certification import registry as registry_search
from lms.certification import review as reviews
from lms.certification import status as cert_status
from lms.certification import supervision
from lms.certification.signing import verify_snapshot
from lms.clock import program_today, utcnow
from lms.cohorts.roster import cohorts_visible_to
from lms.extensions import db
from lms.forms.certification import ReviewDecisionForm, StatusReasonForm, SupervisionNoteForm
from lms.models import Agency, Certification, CertificationReview, Track
from lms.models.certification import STATUS_LABELS, STATUSES
from lms.security import PROGRAM_READERS, PROGRAM_STAFF, agency_scope, may_see_agency, role_required
from lms.views.confirm import Confirmation, unless_confirmed
from lms.views.helpers import (
    attachment, in_own_agency, load_or_404, pdf_response, record_response, run_service, snapshot_of)

bp = Blueprint("registry", __name__)


def _certification(number: str) -> Certification:
    """The certification, if the user may see it: staff all, a coordinator their agency's; else 404."""
    return load_or_404(Certification, number, by=Certification.number, within=in_own_agency)


def _filter_choices() -> dict:
    scope = agency_scope(current_user)
    agencies = select(Agency).order_by(Agency.name)
    if scope is not None:
        agencies = agencies.where(Agency.id == scope)
    return {
        "agencies": db.session.scalars(agencies).all(),
        "cohorts": cohorts_visible_to(current_user),
        "tracks": db.session.scalars(select(Track).order_by(Track.title)).all(),
        "statuses": [(s, STATUS_LABELS[s]) for s in STATUSES],
        "is_scoped": scope is not None,
    }


@bp.get("/registry")
@role_required(*PROGRAM_READERS)
def registry():
    """Certifications, searchable and filterable, newest first."""
    today = program_today(utcnow())
    filters = passlists.filters_from_args(request.args, scope_agency_id=agency_scope(current_user))
    page = max(request.args.get("page", 1, type=int), 1)
    q = (request.args.get("q") or "").strip()[:100]
    found, total = registry_search.find_certifications(filters, today=today, q=q, limit=50, offset=50 * (page - 1))
    rows = [(c, cert_status.effective_status(c, today)) for c in found]
    return render_template("registry/list.html", rows=rows, total=total, page=page, q=q, filters=filters,
                           **_filter_choices())


@bp.get("/registry/<number>")
@role_required(*PROGRAM_READERS)
def detail(number):
    """One certification: the signed record's contents, its status history and the actions allowed."""
    certification = _certification(number)
    today = program_today(utcnow())
    staff = current_user.has_role(*PROGRAM_STAFF)
    actions = cert_status.available_actions(certification, today) if staff else []
    return render_template(
        "registry/detail.html", c=certification, s=snapshot_of(certification),
        status=cert_status.effective_status(certification, today), actions=actions, staff=staff,
        notes=supervision.notes_for(certification, all_notes=staff),
        under_review=reviews.open_review_of(certification) if staff else None,
        renewed_by=_visible(cert_status.renewed_by(certification)), renews=_visible(certification.renews),
        signature_ok=verify_snapshot(certification.snapshot, certification.signature, certification.key_id))


def _visible(certification: Certification | None) -> Certification | None:
    """The certification if the user may open it (a renewal may be of another agency), else None."""
    return certification if certification and may_see_agency(current_user, certification.agency_id) else None


def _status_confirmation(certification: Certification, action: str) -> Confirmation:
    """What suspending, reinstating or revoking this certification does, in words."""
    who = f"{certification.holder_name} ({certification.agency_name}, {certification.track_title})"
    shown = STATUS_LABELS[{"suspend": "suspended", "reinstate": "active", "revoke": "revoked"}[action]]
    effects = [f"Certification {certification.number} of {who} becomes {shown.lower()}.",
               f"The public verification page, the registry and the pass lists say “{shown}” at once."]
    if action != "reinstate":
        effects.append("It no longer counts as valid: the holder may not act under it.")
    undo = {"suspend": "It can be undone: staff can reinstate it later, unless it expires or its agreement ends "
                       "meanwhile.",
            "reinstate": "It can be undone: staff can suspend or revoke it again.",
            "revoke": "This is permanent: a revoked certification can never be reinstated; the holder would have "
                      "to be trained and certified again."}[action]
    verb = action.capitalize()
    return Confirmation(f"{verb} certification {certification.number}?", effects, undo,
                        f"{verb} certification {certification.number}",
                        url_for("registry.detail", number=certification.number), permanent=action == "revoke")


@bp.route("/registry/<number>/<any(suspend, reinstate, revoke):action>", methods=["GET", "POST"])
@role_required(*PROGRAM_STAFF)
def change_status(number, action):
    """Suspend, reinstate or revoke, with the reason: GET asks for confirmation, POST (confirmed) acts."""
    certification = _certification(number)
    form = StatusReasonForm(prefix=action)
    # Offered only when allowed today; a POST is judged by the service itself (TransitionRefused).
    refusal = (f"Certification {number} cannot be {action}d now." if request.method == "GET" and action not in
               cert_status.available_actions(certification, program_today(utcnow())) else None)
    if (page := unless_confirmed(_status_confirmation(certification, action), form, refusal=refusal)) is not None:
        return page
    run_service(lambda: cert_status.change_status(certification, action, reason=form.reason.data, actor=current_user,
                                                  now=utcnow()),
                refused=cert_status.TransitionRefused,
                success=lambda _: f"Certification {number} is now {STATUS_LABELS[certification.status].lower()}.")
    return redirect(url_for("registry.detail", number=number))


@bp.route("/registry/<number>/notes/new", methods=["GET", "POST"])
@role_required(*PROGRAM_STAFF)
def add_note(number):
    """Record a dated supervision note on the certified officer."""
    certification = _certification(number)
    form = SupervisionNoteForm(prefix="note")
    if request.method == "GET":
        form.noted_on.data = program_today(utcnow())
    elif form.validate_on_submit() and run_service(lambda: supervision.add_note(
            certification, kind=form.kind.data, noted_on=form.noted_on.data, text=form.text.data,
            shared_with_agency=form.shared_with_agency.data, actor=current_user._get_current_object(), now=utcnow()),
            refused=supervision.SupervisionError, success="The note is recorded."):
        return redirect(url_for("registry.detail", number=number) + "#supervision")
    return render_template("registry/note.html", c=certification, form=form)


@bp.get("/registry/<number>/certificate.pdf")
@role_required(*PROGRAM_READERS)
def pdf(number):
    """The certificate PDF, as the trainee downloads it."""
    return pdf_response(_certification(number))


@bp.get("/registry/<number>/record.json")
@role_required(*PROGRAM_READERS)
def record(number):
    """The signed record, to check offline."""
    return record_response(_certification(number))


@bp.get("/registry/due")
@role_required(*PROGRAM_READERS)
def due():
    """Who needs refresher training: active certifications expiring in the next N days, per agency."""
    today = program_today(utcnow())
    days = min(max(request.args.get("days", 90, type=int), 1), 730)
    scope = agency_scope(current_user)
    agency_id = scope if scope is not None else request.args.get("agency_id", type=int) or None
    rows = cert_status.due_for_refresher(today=today, days=days, agency_id=agency_id)
    return render_template("registry/due.html", rows=rows, days=days, agency_id=agency_id, **_filter_choices())


@bp.get("/registry/reviews")
@role_required(*PROGRAM_STAFF)
def review_queue():
    """Certifications put up for review because a correction took the holder below the track's requirements."""
    items = [(item, reviews.shortfall_words(item.shortfall)) for item in reviews.pending_reviews()]
    return render_template("registry/reviews.html", items=items, form=ReviewDecisionForm())


@bp.post("/registry/reviews/<int:review_id>")
@role_required(*PROGRAM_STAFF)
def decide_review(review_id):
    """Keep the certification or suspend it, with the reason."""
    item = load_or_404(CertificationReview, review_id)
    form = ReviewDecisionForm()
    if form.validate_on_submit():
        suspend_it = form.action.data == "suspend"
        run_service(lambda: reviews.decide_review(item, suspend_it=suspend_it, reason=form.reason.data,
                                                  actor=current_user, now=utcnow()),
                    refused=reviews.ReviewError,
                    success=f"Certification {item.certification.number} is "
                            + ("suspended." if suspend_it else "kept."))
    else:
        flash("; ".join(e for errors in form.errors.values() for e in errors), "error")
    return redirect(url_for("registry.review_queue"))


@bp.get("/passlist")
@role_required(*PROGRAM_READERS)
def passlist():
    """The pass list: filters, how many rows match, a preview, and the downloads."""
    today = program_today(utcnow())
    filters = passlists.filters_from_args(request.args, scope_agency_id=agency_scope(current_user))
    return render_template("registry/passlist.html", filters=filters, total=passlists.count_rows(filters, today=today),
                           rows=passlists.preview_rows(filters, today=today), columns=passlists.COLUMNS,
                           **_filter_choices())


@bp.get("/passlist.<any(csv, xlsx, json):fmt>")
@role_required(*PROGRAM_READERS)
def passlist_download(fmt):
    """Stream the pass list as CSV, XLSX or JSON (audited with its filters and row count)."""
    now = utcnow()
    today = program_today(now)
    filters = passlists.filters_from_args(request.args, scope_agency_id=agency_scope(current_user))
    chunks = passlists.export_chunks(filters, fmt, today=today, now=now, actor=current_user)
    mimetype, _ = passlists.FORMATS[fmt]
    return attachment(stream_with_context(origin.carried(chunks)), passlists.export_filename(fmt, today), mimetype,
                      headers={"X-Content-Type-Options": "nosniff"})
