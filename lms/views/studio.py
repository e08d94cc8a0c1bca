"""The studio: instructors write modules and practical exercises in the browser (editor with the trainee's
preview, drafts, revision history and diffs, two-person publish) and keep the modules' review dates.
The revision pages serve both kinds: each route is registered once per kind ("area": modules, exercises),
an exercise's endpoint named with "exercise_" before the module's."""
from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask_login import current_user

from lms.authoring import exercises as exercise_authoring
from lms.authoring import modules as authoring
from lms.authoring import reviews
from lms.authoring.diff import diff_rows
from lms.authoring.revisions import comment_on, latest_draft, may_publish, revisions_of
from lms.clock import program_today, utcnow
from lms.forms.admin import ActionForm
from lms.forms.authoring import CommentForm, ExerciseForm, ModuleForm, change_rubric_rows, rubric_rows
from lms.models import ContentRevision
from lms.security import TRAINING_MANAGERS, role_required
from lms.views.helpers import found_or_404, posted_form, run_service

bp = Blueprint("studio", __name__, url_prefix="/studio")
AREAS = {"modules": authoring, "exercises": exercise_authoring}  # each: KIND, its check, publish and restore
MODULES, EXERCISES = {"area": "modules"}, {"area": "exercises"}


def _two_person() -> bool:
    return bool(current_app.config["TWO_PERSON_PUBLISH"])


def _review_days() -> int:
    return int(current_app.config["CONTENT_REVIEW_DAYS"])


def _revision_or_404(area: str, slug: str, number: int) -> ContentRevision:
    return found_or_404(next((r for r in revisions_of(AREAS[area].KIND, slug) if r.number == number), None))


def _endpoint(area: str, name: str) -> str:
    return f"studio.{name}" if area == "modules" else f"studio.exercise_{name}"


def _live(area: str, slug: str):
    """(published version, its file's text), or None before the first publish."""
    if area == "modules":
        module = authoring.module_by_slug(slug)
        if module is None or module.current_version is None:
            return None
        return module.current_version, authoring.module_text(authoring.front_from_version(module),
                                                             module.current_version.body_md)
    exercise = exercise_authoring.exercise_by_slug(slug)
    if exercise is None or exercise.current_version is None:
        return None
    return exercise.current_version, exercise_authoring.exercise_text(
        exercise_authoring.front_from_version(exercise), exercise.current_version.instructions_md)


def _file_text(rev: ContentRevision) -> str:
    if rev.kind == "exercise":
        return exercise_authoring.exercise_text(rev.front, rev.body_md)
    return authoring.module_text(rev.front, rev.body_md)


@bp.get("")
@role_required(*TRAINING_MANAGERS)
def index():
    """Every module with its version, open draft and last review; drafts of new modules."""
    today = program_today(utcnow())
    rows = authoring.studio_overview()
    review = {r.slug: reviews.review_state(r.item, today, _review_days()) for r in rows if r.item}
    return render_template("studio/index.html", rows=rows, review=review, two_person=_two_person(),
                           exercises=exercise_authoring.exercise_overview())


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


def _opened_or_404(area: str, slug: str):
    """(the Module or Exercise, or None before its first publish; its newest revision if a draft): what the
    editor opens; 404 when there is neither."""
    item = authoring.module_by_slug(slug) if area == "modules" else exercise_authoring.exercise_by_slug(slug)
    draft = latest_draft(AREAS[area].KIND, slug)
    if item is None and draft is None:
        abort(404)
    return item, draft


@bp.route("/modules/<path:slug>/edit", methods=["GET", "POST"])
@role_required(*TRAINING_MANAGERS)
def edit(slug):
    """Edit a module: the newest draft, or else the published version."""
    module, draft = _opened_or_404("modules", slug)
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


@bp.get("/modules/<path:slug>/revisions", defaults=MODULES)
@bp.get("/exercises/<slug>/revisions", defaults=EXERCISES, endpoint="exercise_history")
@role_required(*TRAINING_MANAGERS)
def history(slug, area):
    """A module's or an exercise's revisions, newest first, with a form to compare two."""
    revisions = revisions_of(AREAS[area].KIND, slug)
    live = _live(area, slug)
    if live is None and not revisions:
        abort(404)
    module = authoring.module_by_slug(slug) if area == "modules" else None
    return render_template("studio/history.html", slug=slug, area=area, live=live and live[0], module=module,
                           revisions=revisions, form=ActionForm(),
                           review=reviews.review_state(module, program_today(utcnow()), _review_days())
                           if module else None)


@bp.get("/modules/<path:slug>/revisions/<int:number>", defaults=MODULES)
@bp.get("/exercises/<slug>/revisions/<int:number>", defaults=EXERCISES, endpoint="exercise_revision")
@role_required(*TRAINING_MANAGERS)
def revision(slug, number, area):
    """One revision: its preview, comments, and the publish (or approve) and restore buttons."""
    rev = _revision_or_404(area, slug, number)
    two_person = _two_person()
    return render_template("studio/revision.html", rev=rev, area=area, rendered=AREAS[area].preview(rev.body_md),
                           front=rev.front, two_person=two_person, form=ActionForm(), comment_form=CommentForm(),
                           may_publish=may_publish(rev, current_user, two_person=two_person),
                           has_live=_live(area, slug) is not None)


def _revision_posted_to(area: str, slug: str, number: int) -> ContentRevision:
    """The revision a button (publish, restore) was posted to; 404 or 400 as _revision_or_404 and posted_form."""
    rev = _revision_or_404(area, slug, number)
    posted_form(ActionForm)
    return rev


@bp.post("/modules/<path:slug>/revisions/<int:number>/publish", defaults=MODULES)
@bp.post("/exercises/<slug>/revisions/<int:number>/publish", defaults=EXERCISES, endpoint="exercise_publish")
@role_required(*TRAINING_MANAGERS)
def publish(slug, number, area):
    """Publish a draft (with two-person publish: approve another instructor's draft, which publishes it)."""
    rev = _revision_posted_to(area, slug, number)
    run_service(lambda: AREAS[area].publish_revision(rev, actor=current_user, now=utcnow(), two_person=_two_person()),
                refused=authoring.AuthoringError, success=lambda v: f"Published as version {v.number}.")
    return redirect(url_for(_endpoint(area, "revision"), slug=slug, number=number))


@bp.post("/modules/<path:slug>/revisions/<int:number>/restore", defaults=MODULES)
@bp.post("/exercises/<slug>/revisions/<int:number>/restore", defaults=EXERCISES, endpoint="exercise_restore")
@role_required(*TRAINING_MANAGERS)
def restore(slug, number, area):
    """Save an earlier revision again as the newest draft."""
    rev = _revision_posted_to(area, slug, number)
    done = run_service(lambda: AREAS[area].restore_revision(rev, actor=current_user, now=utcnow()),
                       refused=authoring.AuthoringError,
                       success=lambda r: f"Revision {number} restored as draft revision {r.number}.")
    return redirect(url_for(_endpoint(area, "revision"), slug=slug, number=done.value.number if done else number))


@bp.post("/modules/<path:slug>/revisions/<int:number>/comments", defaults=MODULES)
@bp.post("/exercises/<slug>/revisions/<int:number>/comments", defaults=EXERCISES, endpoint="exercise_comment")
@role_required(*TRAINING_MANAGERS)
def comment(slug, number, area):
    """Comment on a revision."""
    rev = _revision_or_404(area, slug, number)
    form = posted_form(CommentForm)
    run_service(lambda: comment_on(rev, form.comment.data or "", actor=current_user, now=utcnow()),
                refused=authoring.AuthoringError, success="Comment added.")
    return redirect(url_for(_endpoint(area, "revision"), slug=slug, number=number) + "#comments")


@bp.get("/modules/<path:slug>/diff", defaults=MODULES)
@bp.get("/exercises/<slug>/diff", defaults=EXERCISES, endpoint="exercise_diff")
@role_required(*TRAINING_MANAGERS)
def diff(slug, area):
    """The line diff between two revisions (``a`` and ``b``: revision numbers, or "live", the published version)."""
    live = _live(area, slug)
    sides = []
    for key in ("a", "b"):
        value = request.args.get(key, "live")
        if value == "live" and live is not None:
            sides.append((f"published version {live[0].number}", live[1]))
        elif value.isdigit():
            rev = _revision_or_404(area, slug, int(value))
            sides.append((f"revision {rev.number}", _file_text(rev)))
        else:
            abort(404)
    return render_template("studio/diff.html", slug=slug, area=area, old=sides[0][0], new=sides[1][0],
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


def _exercise_editor(form: ExerciseForm, rubric: list[dict], *, slug: str | None, draft=None):
    """Add or remove a rubric row, preview, or save the form's draft; show the editor again unless saved."""
    action = request.form.get("action", "preview") if request.method == "POST" else ""
    changed = change_rubric_rows(rubric, action)
    front = exercise_authoring.data_from_form(form.values(), rubric)
    instructions = form.instructions.data or ""
    key = slug or front.get("id", "")
    check = exercise_authoring.check_draft(front, instructions, exercise_authoring.exercise_path(
        key, exercise_authoring.exercise_by_slug(key)))
    if action == "save":
        saved = run_service(lambda: exercise_authoring.save_draft(key, front, instructions, actor=current_user,
                                                                  now=utcnow(), new=slug is None),
                            refused=authoring.AuthoringError, success=lambda r: f"Draft revision {r.number} saved.")
        if saved:
            return redirect(url_for("studio.exercise_revision", slug=key, number=saved.value.number))
    rubric_errors = form.show_errors(check.errors) if action and not changed else []
    return render_template("studio/exercises/edit.html", form=form, rubric=rubric, rubric_errors=rubric_errors,
                           slug=slug, draft=draft, front=front, rubric_ok=check.ok,
                           rendered=exercise_authoring.preview(instructions))


@bp.route("/exercises/new", methods=["GET", "POST"])
@role_required(*TRAINING_MANAGERS)
def new_exercise():
    """Write a new practical exercise: it exists once a draft of it is published."""
    form = posted_form(ExerciseForm) if request.method == "POST" else ExerciseForm()
    rubric = rubric_rows(request.form) if request.method == "POST" else []
    if request.method == "GET":
        change_rubric_rows(rubric, "add-criterion")  # a first criterion with its two levels, to fill in
    return _exercise_editor(form, rubric, slug=None)


@bp.route("/exercises/<slug>/edit", methods=["GET", "POST"])
@role_required(*TRAINING_MANAGERS)
def edit_exercise(slug):
    """Edit an exercise: the newest draft, or else the published version. Criteria and levels are added and
    removed by buttons the server answers, so the editor works from the keyboard and without scripts."""
    exercise, draft = _opened_or_404("exercises", slug)
    if request.method == "POST":
        form = posted_form(ExerciseForm)
        form.id.data = slug
        return _exercise_editor(form, rubric_rows(request.form), slug=slug, draft=draft)
    front, instructions = (draft.front, draft.body_md) if draft else (
        exercise_authoring.front_from_version(exercise), exercise.current_version.instructions_md)
    values, rubric = exercise_authoring.form_from_data(front)
    form = ExerciseForm(data={**values, "instructions": instructions})
    return _exercise_editor(form, rubric, slug=slug, draft=draft)
