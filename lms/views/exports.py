"""Export jobs: ask for a large export (a POST from the page that offers it), follow its progress, download
the file when it is ready; "My exports". Only the person who asked sees an export: anyone else gets 404.
The POSTs carry the form token like every other (CSRFProtect, for the whole app)."""
from flask import Blueprint, jsonify, redirect, render_template, request, send_file, url_for
from flask_login import current_user

from lms import jobs
from lms.certification import exports, passlist
from lms.clock import utcnow
from lms.forms.admin import ActionForm
from lms.models import ExportJob
from lms.security import PROGRAM_READERS, TRAINING_VIEWERS, agency_scope, role_required
from lms.views.helpers import load_cohort, load_or_404, own_record, run_service

bp = Blueprint("exports", __name__, url_prefix="/exports")
EXPORTERS = tuple(dict.fromkeys(PROGRAM_READERS + TRAINING_VIEWERS))  # whoever may ask for an export


def _own_export(export_id: int) -> ExportJob:
    """The current user's export; 404 for anyone else's (no hint it exists)."""
    return load_or_404(ExportJob, export_id, within=own_record)


def _queued(call):
    """Run the service that asks for an export (commit), queue its job, and show its progress page."""
    outcome = run_service(call, refused=exports.ExportError)
    if not outcome:
        return redirect(url_for("exports.index"))
    jobs.queue_export(outcome.value.id)
    return redirect(url_for("exports.show", export_id=outcome.value.id))


@bp.post("/passlist.<any(csv, xlsx, json):fmt>")
@role_required(*PROGRAM_READERS)
def passlist_export(fmt):
    """Ask for the pass list, with the page's filters, as a file prepared in the background."""
    filters = passlist.filters_from_args(request.args, scope_agency_id=agency_scope(current_user))
    return _queued(lambda: exports.request_passlist_export(filters, fmt, actor=current_user, now=utcnow()))


@bp.post("/cohorts/<int:cohort_id>/training-record.<any(csv, xlsx):fmt>")
@role_required(*TRAINING_VIEWERS)
def record_export(cohort_id, fmt):
    """Ask for a cohort's training record as a file prepared in the background."""
    cohort = load_cohort(cohort_id)
    return _queued(lambda: exports.request_record_export(cohort, fmt, actor=current_user, now=utcnow()))


@bp.get("")
@role_required(*EXPORTERS)
def index():
    """My exports, newest first: their state, and the files ready to download."""
    return render_template("exports/index.html", exports=exports.exports_of(current_user), form=ActionForm())


@bp.get("/<int:export_id>")
@role_required(*EXPORTERS)
def show(export_id):
    """One export: its progress while it is prepared (the page checks again), then its download link."""
    export = _own_export(export_id)
    return render_template("exports/show.html", export=export, form=ActionForm(),
                           expired=export.expires_at is not None and export.expires_at <= utcnow())


@bp.get("/<int:export_id>/status")
@role_required(*EXPORTERS)
def status(export_id):
    """The export's progress, for the page's script."""
    export = _own_export(export_id)
    return jsonify(status=export.status, rows_done=export.rows_done, rows_total=export.rows_total,
                   percent=export.percent)


@bp.get("/<int:export_id>/download")
@role_required(*EXPORTERS)
def download(export_id):
    """The export's file (audited); an export not ready or expired goes back to its page."""
    export = _own_export(export_id)
    outcome = run_service(lambda: exports.open_download(export, actor=current_user, now=utcnow()),
                          refused=exports.ExportError)
    if not outcome:
        return redirect(url_for("exports.show", export_id=export.id))
    response = send_file(outcome.value, mimetype=exports.MIMETYPES[export.fmt], as_attachment=True,
                         download_name=export.filename, conditional=False)
    response.headers["Cache-Control"] = "no-store"  # a person's file: never kept by a cache
    return response


@bp.post("/<int:export_id>/retry")
@role_required(*EXPORTERS)
def retry(export_id):
    """Try a failed export again."""
    export = _own_export(export_id)
    return _queued(lambda: exports.retry_export(export, actor=current_user, now=utcnow()))
