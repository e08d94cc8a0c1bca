"""The studio: instructors write modules in the browser (editor with the trainee's preview, drafts,
revision history and diffs, two-person publish) and keep their review dates."""
from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask_login import current_user

from lms.authoring import modules as authoring
from lms.authoring import reviews
from lms.authoring.diff import diff_rows
from lms.clock import program_today, utcnow
from lms.forms.admin import ActionForm
from lms.forms.authoring import CommentForm, ModuleForm
from lms.models import ModuleRevision
from lms.security import TRAINING_MANAGERS, role_required
from lms.views.helpers import found_or_404, posted_form, run_service

bp = Blueprint("studio", __name__, url_prefix="/studio")


def _two_person() -> bool:
    return bool(current_app.config["TWO_PERSON_PUBLISH"])


def _review_days() -> int:
    return int(current_app.config["CONTENT_REVIEW_DAYS"])


def _revision_or_404(slug: str, number: int) -> ModuleRevision:
    return found_or_404(next((r for r in authoring.revisions_of(slug) if r.number == number), None))


@bp.get("")
@role_required(*TRAINING_MANAGERS)
def index():
    """Every module with its version, open draft and last review; drafts of new modules."""
    today = program_today(utcnow())
    rows = authoring.studio_overview()
    review = {r.slug: reviews.review_state(r.module, today, _review_days()) for r in rows if r.module}
    return render_template("studio/index.html", rows=rows, review=review, two_person=_two_person())


def _editor(form: ModuleForm, *, slug: str | None):
    """Preview or save the form's draft; show the editor again unless the save went through."""
    front, body = authoring.front_from_form(form.values()), form.body.data or ""
    key = slug or front.get("id", "")
    check = authoring.check_draft(front, body, authoring.module_path(key, authoring.module_by_slug(key)))
    if not form.validate_on_submit():
        abort(400)
    if request.form.get("action") == "save":
        saved = run_service(lambda: authoring.save_draft(key, front, body, actor=current_user, now=utcnow(),
                                                         new=slug is None),
                            refused=authoring.AuthoringError, success=lambda r: f"Draft revision {r.number} saved.")
        if saved:
            return redirect(url_for("studio.revision", slug=key, number=saved.value.number))
    form.show_errors(check.errors)
    return render_template("studio/edit.html", form=form, slug=slug, rendered=authoring.preview(body), front=front)


@bp.route("/modules/new", methods=["GET", "POST"])
@role_required(*TRAINING_MANAGERS)
def new_module():
    """Write a new module: it exists once a draft of it is published."""
    form = ModuleForm()
    if request.method == "GET":
        return render_template("studio/edit.html", form=form, slug=None, rendered=None, front={})
    return _editor(form, slug=None)


@bp.route("/modules/<path:slug>/edit", methods=["GET", "POST"])
@role_required(*TRAINING_MANAGERS)
def edit(slug):
    """Edit a module: the newest draft, or else the published version."""
    module = authoring.module_by_slug(slug)
    draft = authoring.latest_draft(slug)
    if module is None and draft is None:
        abort(404)
    if request.method == "POST":
        form = ModuleForm()
        form.id.data = slug
        return _editor(form, slug=slug)
    front, body = (draft.front, draft.body_md) if draft else (authoring.front_from_version(module),
                                                              module.current_version.body_md)
    form = ModuleForm(data={**authoring.form_from_front(front), "body": body})
    return render_template("studio/edit.html", form=form, slug=slug, rendered=authoring.preview(body), front=front,
                           draft=draft)


@bp.post("/preview")
@role_required(*TRAINING_MANAGERS)
def preview():
    """The preview fragment the editor's script asks for after a pause in typing."""
    form = posted_form(ModuleForm)
    return render_template("studio/_preview.html", rendered=authoring.preview(form.body.data or ""),
                           front=authoring.front_from_form(form.values()))


@bp.get("/modules/<path:slug>/revisions")
@role_required(*TRAINING_MANAGERS)
def history(slug):
    """A module's revisions, newest first, with a form to compare two."""
    revisions = authoring.revisions_of(slug)
    module = authoring.module_by_slug(slug)
    if module is None and not revisions:
        abort(404)
    return render_template("studio/history.html", slug=slug, module=module, revisions=revisions,
                           review=reviews.review_state(module, program_today(utcnow()), _review_days())
                           if module else None, form=ActionForm())


@bp.get("/modules/<path:slug>/revisions/<int:number>")
@role_required(*TRAINING_MANAGERS)
def revision(slug, number):
    """One revision: its preview, comments, and the publish (or approve) and restore buttons."""
    rev = _revision_or_404(slug, number)
    two_person = _two_person()
    return render_template("studio/revision.html", rev=rev, rendered=authoring.preview(rev.body_md),
                           front=rev.front, two_person=two_person, form=ActionForm(), comment_form=CommentForm(),
                           may_publish=authoring.may_publish(rev, current_user, two_person=two_person),
                           has_live=authoring.module_by_slug(slug) is not None)


@bp.post("/modules/<path:slug>/revisions/<int:number>/publish")
@role_required(*TRAINING_MANAGERS)
def publish(slug, number):
    """Publish a draft (with two-person publish: approve another instructor's draft, which publishes it)."""
    rev = _revision_or_404(slug, number)
    posted_form(ActionForm)
    run_service(lambda: authoring.publish_revision(rev, actor=current_user, now=utcnow(), two_person=_two_person()),
                refused=authoring.AuthoringError, success=lambda v: f"Published as version {v.number}.")
    return redirect(url_for("studio.revision", slug=slug, number=number))


@bp.post("/modules/<path:slug>/revisions/<int:number>/restore")
@role_required(*TRAINING_MANAGERS)
def restore(slug, number):
    """Save an earlier revision again as the newest draft."""
    rev = _revision_or_404(slug, number)
    posted_form(ActionForm)
    done = run_service(lambda: authoring.restore_revision(rev, actor=current_user, now=utcnow()),
                       refused=authoring.AuthoringError,
                       success=lambda r: f"Revision {number} restored as draft revision {r.number}.")
    return redirect(url_for("studio.revision", slug=slug, number=done.value.number if done else number))


@bp.post("/modules/<path:slug>/revisions/<int:number>/comments")
@role_required(*TRAINING_MANAGERS)
def comment(slug, number):
    """Comment on a revision."""
    rev = _revision_or_404(slug, number)
    form = posted_form(CommentForm)
    run_service(lambda: authoring.comment_on(rev, form.comment.data or "", actor=current_user, now=utcnow()),
                refused=authoring.AuthoringError, success="Comment added.")
    return redirect(url_for("studio.revision", slug=slug, number=number) + "#comments")


@bp.get("/modules/<path:slug>/diff")
@role_required(*TRAINING_MANAGERS)
def diff(slug):
    """The line diff between two revisions (``a`` and ``b``: revision numbers, or "live", the published version)."""
    module = authoring.module_by_slug(slug)
    sides = []
    for key in ("a", "b"):
        value = request.args.get(key, "live")
        if value == "live" and module is not None and module.current_version is not None:
            sides.append((f"published version {module.current_version.number}",
                          authoring.module_text(authoring.front_from_version(module), module.current_version.body_md)))
        elif value.isdigit():
            rev = _revision_or_404(slug, int(value))
            sides.append((f"revision {rev.number}", authoring.module_text(rev.front, rev.body_md)))
        else:
            abort(404)
    return render_template("studio/diff.html", slug=slug, old=sides[0][0], new=sides[1][0],
                           rows=diff_rows(sides[0][1], sides[1][1]))


@bp.post("/modules/<path:slug>/reviewed")
@role_required(*TRAINING_MANAGERS)
def mark_reviewed(slug):
    """Record that the module's content was reviewed today."""
    module = found_or_404(authoring.module_by_slug(slug))
    posted_form(ActionForm)
    run_service(lambda: reviews.mark_reviewed(module, actor=current_user, now=utcnow()),
                success=lambda day: f"Marked as reviewed on {day:%B %-d, %Y}.")
    return redirect(request.form.get("next") == "reviews" and url_for("studio.due_for_review")
                    or url_for("studio.history", slug=slug))


@bp.get("/reviews")
@role_required(*TRAINING_MANAGERS)
def due_for_review():
    """Modules not reviewed within the review interval (or never)."""
    rows = reviews.review_list(program_today(utcnow()), _review_days(), due_only=True)
    return render_template("studio/reviews.html", rows=rows, days=_review_days(), form=ActionForm())
