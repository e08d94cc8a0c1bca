"""Instructor pages: question banks and the question editor, exams and the blueprint editor.

A question is named in its bank's URL (another bank's question is a 404); the editor's "Preview and check"
shows the question as trainees will see it with the problems and warnings ``lms content check`` would
give, changing nothing; "Save" stores it (lms/authoring/questions.py). The blueprint editor's "Check"
works without JavaScript; static/js/blueprint-check.js refreshes the same report as the form changes.
"""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from lms.authoring import banks, blueprints, questions
from lms.clock import utcnow
from lms.extensions import db
from lms.forms.admin import ActionForm
from lms.models import Exam, Question, QuestionBank
from lms.questions import QUESTION_TYPES
from lms.security import TRAINING_MANAGERS, role_required
from lms.views.confirm import Confirmation, unless_confirmed
from lms.views.helpers import found_or_404, load_or_404, run_service

bp = Blueprint("studio_questions", __name__, url_prefix="/studio")


def _bank(slug: str) -> QuestionBank:
    return load_or_404(QuestionBank, slug, by=QuestionBank.slug, within=lambda b: b.retired_at is None)


def _question(bank: QuestionBank, slug: str) -> Question:
    """The question of that bank; 404 for a question of another bank."""
    return load_or_404(Question, slug, by=Question.slug, within=lambda q: q.bank_id == bank.id)


def _exam(slug: str) -> Exam:
    return load_or_404(Exam, slug, by=Exam.slug, within=lambda e: e.retired_at is None and e.current_version_id)


@bp.get("/banks")
@role_required(*TRAINING_MANAGERS)
def bank_list():
    """The question banks, with how many questions each holds."""
    return render_template("studio/questions/banks.html", rows=questions.bank_rows())


@bp.route("/banks/new", methods=["GET", "POST"])
@role_required(*TRAINING_MANAGERS)
def new_bank():
    """A new, empty question bank: its id, title and description (lms/authoring/banks.py)."""
    if request.method == "GET":
        return render_template("studio/questions/new_bank.html", values={}, problems=[])
    values = request.form.to_dict()
    try:
        bank = banks.create_bank(banks.bank_draft(values), actor=current_user, now=utcnow())
    except banks.BankRefused as refused:
        db.session.rollback()
        return render_template("studio/questions/new_bank.html", values=values, problems=refused.problems), 400
    db.session.commit()
    flash(f"Bank {bank.slug} created. Write its first question.", "success")
    return redirect(url_for(".bank_detail", slug=bank.slug))


@bp.get("/banks/<slug>")
@role_required(*TRAINING_MANAGERS)
def bank_detail(slug):
    """A bank's questions, and a new question of any type."""
    bank = _bank(slug)
    return render_template("studio/questions/bank.html", bank=bank, rows=questions.bank_questions(bank),
                           types=QUESTION_TYPES.values())


def _base_version(form) -> int | None:
    """The version the editor was opened on (sent back with the form), to refuse a save over another's."""
    value = form.get("base_version", "")
    return int(value) if value.isdigit() else None


def _editor_page(bank, kind, values, *, question=None, problems=(), status=200, check=True, base=None):
    """The editor with ``values``; checked (``check``): its problems, or a preview and the quality warnings."""
    data = questions.draft(kind, values, slug=question.slug if question else None)
    problems = list(problems) or (questions.question_problems(data, question=question) if check else [])
    common, own = questions.editor_layout(kind, values, creating=question is None)
    checked = check and not problems
    page = render_template(
        "studio/questions/edit.html", bank=bank, kind=kind, question=question, common=common, own=own,
        problems=problems, preview=questions.preview(data) if checked else None,
        warnings=questions.quality_notes(data, bank) if checked else [],
        versions=questions.version_rows(question) if question else [],
        stats=questions.item_statistics(question) if question else [],
        base_version=base if base is not None else question.current_version.number if question else None)
    return page, status


@bp.route("/banks/<slug>/questions/new", methods=["GET", "POST"])
@role_required(*TRAINING_MANAGERS)
def new_question(slug):
    """The editor for a new question of the type asked (``?type=``); "Save" creates it."""
    bank = _bank(slug)
    kind = found_or_404(QUESTION_TYPES.get(request.args.get("type", "")))
    if request.method == "GET":
        return _editor_page(bank, kind, {}, check=False)
    values = questions.form_values(kind, request.form, creating=True)
    if request.form.get("action") != "save":
        return _editor_page(bank, kind, values)
    data = questions.draft(kind, values)
    try:
        questions.create_question(bank, data, actor=current_user, now=utcnow())
    except questions.QuestionRefused as refused:
        db.session.rollback()
        return _editor_page(bank, kind, values, problems=refused.problems, status=400)
    db.session.commit()
    flash(f"Question {data['id']} created.", "success")
    return redirect(url_for(".edit_question", slug=bank.slug, question=data["id"]))


@bp.route("/banks/<slug>/questions/<question>", methods=["GET", "POST"])
@role_required(*TRAINING_MANAGERS)
def edit_question(slug, question):
    """The editor of a question: its preview, problems, quality warnings, versions and item statistics."""
    bank = _bank(slug)
    item = _question(bank, question)
    kind = QUESTION_TYPES[item.current_version.qtype]
    if request.method == "GET":
        return _editor_page(bank, kind, questions.question_values(item), question=item)
    values = questions.form_values(kind, request.form, creating=False)
    base = _base_version(request.form)
    if request.form.get("action") != "save":
        return _editor_page(bank, kind, values, question=item, base=base)
    data = questions.draft(kind, values, slug=item.slug)
    try:
        version = questions.edit_question(item, data, actor=current_user, now=utcnow(), base_version=base)
    except questions.QuestionRefused as refused:
        db.session.rollback()
        return _editor_page(bank, kind, values, question=item, problems=refused.problems, status=400, base=base)
    db.session.commit()
    flash("Nothing changed." if version is None else f"Saved: {item.slug} is now version {version.number}.",
          "success")
    return redirect(url_for(".edit_question", slug=bank.slug, question=item.slug))


@bp.route("/banks/<slug>/questions/<question>/retire", methods=["GET", "POST"])
@role_required(*TRAINING_MANAGERS)
def retire_question(slug, question):
    """Retire a question (asks first): future attempts no longer draw it."""
    bank = _bank(slug)
    item = _question(bank, question)
    back = url_for(".edit_question", slug=bank.slug, question=item.slug)
    confirmation = Confirmation(
        f"Retire question {item.slug}?",
        ["Attempts started from now on will not draw it.",
         "Attempts that already drew it keep it, with their answers, grades and review."],
        "You can put it back into use from its page.", "Retire the question", back)
    form = ActionForm()
    refusal = "This question is already retired." if item.status == "retired" else None
    if (page := unless_confirmed(confirmation, form, refusal=refusal)) is not None:
        return page
    run_service(lambda: questions.retire_question(item, actor=current_user, now=utcnow()),
                refused=questions.QuestionRefused, success=f"{item.slug} is retired: no attempt will draw it.")
    return redirect(back)


@bp.post("/banks/<slug>/questions/<question>/reinstate")
@role_required(*TRAINING_MANAGERS)
def reinstate_question(slug, question):
    """Put a retired question back into future draws."""
    bank = _bank(slug)
    item = _question(bank, question)
    run_service(lambda: questions.reinstate_question(item, actor=current_user, now=utcnow()),
                refused=questions.QuestionRefused, success=f"{item.slug} is back in use.")
    return redirect(url_for(".edit_question", slug=bank.slug, question=item.slug))


# -- exams and blueprints -----------------------------------------------------------------------------------


@bp.get("/exams")
@role_required(*TRAINING_MANAGERS)
def exam_list():
    """The exams in force."""
    return render_template("studio/exams/list.html", exams=blueprints.exams_in_force())


def _blueprint_page(exam, values, *, checked: bool, status=200, refused=(), report=None):
    """The blueprint editor (``exam`` None: a new exam's form) with ``values`` and the report of what they make."""
    if report is None:
        report = blueprints.blueprint_report(blueprints.blueprint_from(exam, values))
    return render_template("studio/exams/edit.html", exam=exam, values=values, rows=blueprints.cell_count(values),
                           choices=blueprints.form_choices(), report=report, checked=checked, refused=refused), status


@bp.route("/exams/new", methods=["GET", "POST"])
@role_required(*TRAINING_MANAGERS)
def new_exam():
    """A new exam: the exam file's values and its first cells; "Check" as in the blueprint editor, "Create"
    refuses what the blueprint editor refuses."""
    if request.method == "GET":  # an empty form: nothing to report yet
        return _blueprint_page(None, blueprints.new_exam_values(), checked=False,
                               report=blueprints.BlueprintReport([], [], 0, 0))
    values = request.form.to_dict()
    if request.form.get("action") != "save":
        return _blueprint_page(None, values, checked=True)
    try:
        exam = blueprints.create_exam(blueprints.blueprint_from(None, values), actor=current_user, now=utcnow())
    except blueprints.BlueprintRefused as refused:
        db.session.rollback()
        return _blueprint_page(None, values, checked=True, status=400, refused=refused.problems)
    db.session.commit()
    flash(f"Exam {exam.slug} created (version 1). A track's schedule (its file) places it in a course.", "success")
    return redirect(url_for(".edit_exam", slug=exam.slug))


@bp.post("/exams/new/check")
@role_required(*TRAINING_MANAGERS)
def check_new_exam():
    """The report of a new exam's form alone (the page's script swaps it in as the form changes)."""
    data = blueprints.blueprint_from(None, request.form.to_dict())
    return render_template("studio/exams/_report.html", report=blueprints.blueprint_report(data), checked=True)


@bp.route("/exams/<slug>", methods=["GET", "POST"])
@role_required(*TRAINING_MANAGERS)
def edit_exam(slug):
    """The blueprint editor: "Check" reports what each cell can draw; "Save" stores a new version."""
    exam = _exam(slug)
    if request.method == "GET":
        return _blueprint_page(exam, blueprints.blueprint_values(exam), checked=False)
    values = request.form.to_dict()
    if request.form.get("action") != "save":
        return _blueprint_page(exam, values, checked=True)
    data = blueprints.blueprint_from(exam, values)
    try:
        version = blueprints.save_blueprint(exam, data, actor=current_user, now=utcnow(),
                                            base_version=_base_version(values))
    except blueprints.BlueprintRefused as refused:
        db.session.rollback()
        return _blueprint_page(exam, values, checked=True, status=400, refused=refused.problems)
    db.session.commit()
    flash("Nothing changed." if version is None else
          f"Saved: {exam.slug} is now version {version.number}. Attempts already started keep their version.",
          "success")
    return redirect(url_for(".edit_exam", slug=exam.slug))


@bp.post("/exams/<slug>/check")
@role_required(*TRAINING_MANAGERS)
def check_exam(slug):
    """The blueprint report alone (the page's script swaps it in as the form changes)."""
    exam = _exam(slug)
    data = blueprints.blueprint_from(exam, request.form.to_dict())
    return render_template("studio/exams/_report.html", report=blueprints.blueprint_report(data), checked=True)
