"""Question banks for instructors: export a bank to another system's format; import a GIFT, Aiken or
Moodle XML file after a preview of what will be created and what cannot be imported."""
from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from lms.clock import utcnow
from lms.content.interchange import Defaults, UnsafeXML, parse_file
from lms.content.interchange.common import EXPORT_FORMATS
from lms.content.interchange.service import (
    PREVIEW_UPLOAD_KIND,
    ImportRefused,
    banks_in_use,
    export_questions,
    import_questions,
    objectives_in_force,
    preview_import,
    preview_rows,
    problem_order,
)
from lms.forms.interchange import ImportConfirmForm, ImportUploadForm
from lms.security import TRAINING_MANAGERS, role_required
from lms.uploads import UploadRefused, discard_stored, read_stored, store_upload
from lms.views.helpers import attachment, run_service

bp = Blueprint("interchange", __name__, url_prefix="/banks")

SESSION_KEY = "question_import"  # the previewed file: its stored name, its name as uploaded, its hash
# The extensions each format's file may have (any leading bytes: the parser judges the content).
FILE_TYPES = {"gift": {".gift": ("text/plain", b""), ".txt": ("text/plain", b"")},
              "aiken": {".txt": ("text/plain", b"")},
              "moodle-xml": {".xml": ("application/xml", b"")}}
DOWNLOADS = {"gift": ("gift", "text/plain; charset=utf-8"), "moodle-xml": ("xml", "application/xml"),
             "qti": ("qti.zip", "application/zip")}


def _with_choices(form):
    form.bank.choices = [SelectChoice(bank.slug, f"{bank.title} ({bank.slug})") for bank, _ in banks_in_use()]
    form.objective.choices = [SelectChoice(oid, f"{oid}: {text}") for oid, text in objectives_in_force().items()]
    return form


@bp.get("")
@role_required(*TRAINING_MANAGERS)
def bank_list():
    """The question banks, with their exports and the way to import questions into them."""
    return render_template("interchange/banks.html", banks=banks_in_use(), formats=EXPORT_FORMATS)


@bp.get("/<slug>/export/<any(gift, 'moodle-xml', qti):fmt>")
@role_required(*TRAINING_MANAGERS)
def bank_export(slug, fmt):
    """A bank's active questions as a GIFT file, a Moodle XML file or a QTI 2.1 package (audited)."""
    if slug not in {bank.slug for bank, _ in banks_in_use()}:
        abort(404)
    done = run_service(lambda: export_questions(slug, fmt, actor=current_user, now=utcnow()), refused=ImportRefused)
    if not done:
        return redirect(url_for("interchange.bank_list"))
    data, _ = done.value  # what the format cannot hold is named by lms banks export
    extension, mimetype = DOWNLOADS[fmt]
    return attachment(data, f"{slug}.{extension}", mimetype, headers={"X-Content-Type-Options": "nosniff"})


def _parse(data: bytes, form, name: str):
    """The file read with the form's choices, or None after saying why it cannot be read."""
    defaults = Defaults(objective=form.objective.data, difficulty=form.difficulty.data, source=f"Imported from {name}")
    try:
        return parse_file(data, form.fmt.data, defaults)
    except UnsafeXML as refused:
        flash(f"{name} refused: {refused}", "error")
    except UnicodeDecodeError:
        flash(f"{name} is not UTF-8 text.", "error")
    return None


@bp.route("/import", methods=["GET", "POST"])
@role_required(*TRAINING_MANAGERS)
def import_preview():
    """Step one: the file and where its questions go; then the preview of each question (type, key,
    feedback, what the import would do) and of each part that cannot be imported, at its line or path."""
    form = _with_choices(ImportUploadForm())
    if request.method == "GET" and request.args.get("bank"):
        form.bank.data = request.args["bank"]
    if not form.validate_on_submit():
        return render_template("interchange/import.html", form=form)
    try:
        stored = store_upload(form.questions.data, kind=PREVIEW_UPLOAD_KIND, allowed=FILE_TYPES[form.fmt.data])
    except UploadRefused as refused:
        flash(str(refused), "error")
        return render_template("interchange/import.html", form=form)
    imported = _parse(read_stored(PREVIEW_UPLOAD_KIND, stored.stored_name), form, stored.original_name)
    if imported is None:
        discard_stored(PREVIEW_UPLOAD_KIND, stored.stored_name)
        return render_template("interchange/import.html", form=form)
    plan = {}
    if imported.questions:
        try:
            plan = preview_import(imported, bank=form.bank.data)
        except ImportRefused as refused:
            flash(str(refused), "error")
            discard_stored(PREVIEW_UPLOAD_KIND, stored.stored_name)
            return render_template("interchange/import.html", form=form)
    previous = session.get(SESSION_KEY)
    if previous:
        discard_stored(PREVIEW_UPLOAD_KIND, previous["file"])
    session[SESSION_KEY] = {"file": stored.stored_name, "name": stored.original_name, "sha256": stored.sha256}
    confirm = _with_choices(ImportConfirmForm(formdata=None, data={
        "fmt": form.fmt.data, "bank": form.bank.data, "objective": form.objective.data,
        "difficulty": form.difficulty.data, "sha256": stored.sha256}))
    return render_template("interchange/preview.html", form=confirm, name=stored.original_name,
                           rows=preview_rows(imported, plan),
                           problems=sorted(imported.problems, key=problem_order),
                           objective=objectives_in_force().get(form.objective.data, ""))


@bp.post("/import/confirm")
@role_required(*TRAINING_MANAGERS)
def import_confirm():
    """Step two: import the previewed file into the bank, as previewed (the same file, the same choices)."""
    form = _with_choices(ImportConfirmForm())
    previewed = session.get(SESSION_KEY)
    if not form.validate_on_submit() or not previewed or previewed["sha256"] != form.sha256.data:
        flash("The preview has expired: upload the file again.", "error")
        return redirect(url_for("interchange.import_preview"))
    data = read_stored(PREVIEW_UPLOAD_KIND, previewed["file"])
    imported = _parse(data, form, previewed["name"]) if data is not None else None
    if imported is None:
        session.pop(SESSION_KEY, None)
        return redirect(url_for("interchange.import_preview"))
    done = run_service(lambda: import_questions(imported, bank=form.bank.data, file_name=previewed["name"],
                                                fmt=form.fmt.data, actor=current_user, now=utcnow()),
                       refused=ImportRefused,
                       success=lambda report: f"Imported into {form.bank.data}: {len(report.created)} new, "
                                              f"{len(report.updated)} new versions, {len(report.unchanged)} unchanged"
                                              + (f", {len(report.elsewhere)} already in another bank" if
                                                 report.elsewhere else "") + ".")
    session.pop(SESSION_KEY, None)
    discard_stored(PREVIEW_UPLOAD_KIND, previewed["file"])
    return redirect(url_for("interchange.bank_list") if done else url_for("interchange.import_preview"))
