"""Classroom pages: a cohort's sessions and hours, the attendance roster, rubric grading; a trainee's
calendar file, practical exercises and transcript; the cohort's training record as CSV or XLSX."""
from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from lms.certification import transcript
from lms.classroom import ClassroomError, attendance, exercises, grading, overview, sessions
from lms.clock import local_time, utcnow
from lms.cohorts.roster import can_manage_cohort, visible_enrollments
from lms.forms.admin import ActionForm
from lms.forms.classroom import CancelSessionForm, GradeForm, SessionForm, SubmissionForm
from lms.learning.course import active_enrollments
from lms.models import ClassSession, Enrollment, Role
from lms.security import TRAINING_MANAGERS, TRAINING_VIEWERS, role_required
from lms.uploads import UploadRefused, send_stored
from lms.views.helpers import attachment, load_cohort, load_or_404, managed_cohort, posted_form, run_service
from lms.vocabulary import ATTENDANCE_STATUS

bp = Blueprint("classroom", __name__, url_prefix="/classroom")


def _session_form(cohort) -> SessionForm:
    form = SessionForm()
    track = cohort.track
    form.covers.choices = [SelectChoice(s, s) for s in track.module_slugs() + track.exercise_slugs()]
    return form


def _plan(form: SessionForm) -> sessions.SessionPlan:
    return sessions.SessionPlan(form.title.data, form.day.data, form.start.data, form.end.data, form.place.data,
                                form.hours.data, form.week.data, list(form.covers.data or []))


@bp.get("/cohorts/<int:cohort_id>")
@role_required(*TRAINING_VIEWERS)
def cohort(cohort_id):
    """A cohort's sessions, and each trainee's classroom hours and practical results."""
    cohort = load_cohort(cohort_id)
    rows, scheduled, required = overview.cohort_classroom(cohort, current_user)
    manage = can_manage_cohort(current_user, cohort)
    return render_template("classroom/cohort.html", cohort=cohort, sessions=sessions.sessions_of(cohort), rows=rows,
                           scheduled=scheduled, required=required, manage=manage,
                           form=_session_form(cohort) if manage else None, cancel_form=CancelSessionForm())


@bp.post("/cohorts/<int:cohort_id>/sessions")
@role_required(*TRAINING_MANAGERS)
def schedule(cohort_id):
    """Schedule a session."""
    cohort = load_cohort(cohort_id, manage=True)
    form = _session_form(cohort)
    if not form.validate_on_submit():
        rows, scheduled, required = overview.cohort_classroom(cohort, current_user)
        return render_template("classroom/cohort.html", cohort=cohort, sessions=sessions.sessions_of(cohort),
                               rows=rows, scheduled=scheduled, required=required, manage=True, form=form,
                               cancel_form=CancelSessionForm()), 400
    run_service(lambda: sessions.schedule_session(cohort, _plan(form), actor=current_user, now=utcnow()),
                refused=ClassroomError, success="The session is scheduled.")
    return redirect(url_for("classroom.cohort", cohort_id=cohort.id))


def _load_session(session_id) -> ClassSession:
    return load_or_404(ClassSession, session_id, within=lambda s: managed_cohort(s.cohort))


@bp.post("/sessions/<int:session_id>/cancel")
@role_required(*TRAINING_MANAGERS)
def cancel(session_id):
    """Cancel a session (it stops counting toward hours; trainees are told)."""
    session = _load_session(session_id)
    form = posted_form(CancelSessionForm)
    run_service(lambda: sessions.cancel_session(session, reason=form.reason.data, actor=current_user, now=utcnow()),
                refused=ClassroomError, success="The session is cancelled.")
    return redirect(url_for("classroom.cohort", cohort_id=session.cohort_id))


def _marks_from(form, enrollments) -> dict[int, attendance.Mark]:
    marks = {}
    for e in enrollments:
        status = form.get(f"status-{e.id}")
        if status:
            late = form.get(f"late-{e.id}", "").strip()
            marks[e.id] = attendance.Mark(status, int(late) if late.isdigit() else 0, form.get(f"note-{e.id}", ""))
    return marks


@bp.route("/sessions/<int:session_id>/attendance", methods=["GET", "POST"])
@role_required(*TRAINING_MANAGERS)
def take_attendance(session_id):
    """The roster of a session: a mark per trainee, or everyone present at once."""
    session = _load_session(session_id)
    form = ActionForm()
    enrollments = attendance.roster_enrollments(session)
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        if "everyone_present" in request.form:
            call = lambda: attendance.mark_everyone_present(session, actor=current_user, now=utcnow())
        else:
            marks = _marks_from(request.form, enrollments)
            call = lambda: attendance.record_attendance(session, marks, actor=current_user, now=utcnow())
        run_service(call, refused=ClassroomError, success=lambda n: f"Attendance saved ({n} changed).")
        return redirect(url_for("classroom.take_attendance", session_id=session.id))
    return render_template("classroom/attendance.html", session=session, enrollments=enrollments,
                           marks=attendance.marks_of(session), statuses=ATTENDANCE_STATUS, form=form)


def _load_enrollment(cohort_id, enrollment_id) -> Enrollment:
    cohort = load_cohort(cohort_id, manage=True)
    return load_or_404(Enrollment, enrollment_id, within=lambda e: e.cohort_id == cohort.id)


@bp.route("/cohorts/<int:cohort_id>/trainees/<int:enrollment_id>/practicals/<slug>", methods=["GET", "POST"])
@role_required(*TRAINING_MANAGERS)
def grade(cohort_id, enrollment_id, slug):
    """Grade a trainee's practical exercise against its rubric (first or second grader)."""
    enrollment = _load_enrollment(cohort_id, enrollment_id)
    exercise = exercises.track_exercise(enrollment, slug) or abort(404)
    form = GradeForm()
    if form.validate_on_submit():
        scores = {c["id"]: _number(request.form.get(f"score-{c['id']}")) for c in exercise.current_version.rubric}
        scores = {k: v for k, v in scores.items() if v is not None}
        outcome = run_service(lambda: grading.grade_practical(
            enrollment, exercise, scores=scores, comments=form.comments.data, grader=current_user,
            role=form.role.data, now=utcnow()), refused=ClassroomError, success="The grade is saved.")
        if outcome:
            return redirect(url_for("classroom.grade", cohort_id=cohort_id, enrollment_id=enrollment.id, slug=slug))
    result = next(r for r in grading.practical_results(enrollment) if r.exercise.id == exercise.id)
    return render_template("classroom/grade.html", enrollment=enrollment, exercise=exercise, result=result,
                           submission=exercises.submission_of(enrollment, exercise), form=form)


def _number(raw):
    try:
        return float(raw) if raw not in (None, "") else None
    except ValueError:
        return None


@bp.get("/cohorts/<int:cohort_id>/trainees/<int:enrollment_id>/practicals/<slug>/document")
@role_required(*TRAINING_MANAGERS)
def submission_document(cohort_id, enrollment_id, slug):
    """The PDF a trainee handed in, as an attachment."""
    enrollment = _load_enrollment(cohort_id, enrollment_id)
    exercise = exercises.track_exercise(enrollment, slug) or abort(404)
    submission = exercises.submission_of(enrollment, exercise)
    if submission is None or not submission.stored_name:
        abort(404)
    return send_stored(exercises.UPLOAD_KIND, submission.stored_name, download_name=submission.file_name,
                       content_type="application/pdf")


def _my_enrollment() -> Enrollment:
    enrollments = active_enrollments(current_user)
    chosen = request.args.get("enrollment", type=int)
    return next((e for e in enrollments if e.id == chosen), enrollments[0] if enrollments else None) or abort(404)


@bp.get("/schedule.ics")
@role_required(Role.TRAINEE)
def calendar():
    """My classroom sessions as an iCalendar file."""
    enrollment = _my_enrollment()
    body = sessions.icalendar_bytes(enrollment.cohort, sessions.sessions_of(enrollment.cohort), site=request.host,
                                    now=utcnow())
    return attachment(body, "classroom-schedule.ics", "text/calendar")


@bp.route("/practicals/<slug>", methods=["GET", "POST"])
@role_required(Role.TRAINEE)
def practical(slug):
    """A practical exercise: instructions and rubric, my submission (written ones), my result and comments."""
    enrollment = exercises.enrollment_with_exercise(active_enrollments(current_user), slug,
                                                    request.args.get("enrollment", type=int)) or abort(404)
    exercise = exercises.track_exercise(enrollment, slug) or abort(404)
    form = SubmissionForm()
    if form.validate_on_submit():
        outcome = run_service(lambda: exercises.submit_practical(
            enrollment, exercise, text=form.text.data, upload=form.document.data, actor=current_user, now=utcnow()),
            refused=(ClassroomError, UploadRefused), success="Your work is handed in.")
        if outcome:
            return redirect(url_for("classroom.practical", slug=slug))
    result = next(r for r in grading.practical_results(enrollment) if r.exercise.id == exercise.id)
    return render_template("classroom/practical.html", exercise=exercise, version=exercise.current_version,
                           result=result, submission=exercises.submission_of(enrollment, exercise), form=form)


@bp.get("/transcript.pdf")
@role_required(Role.TRAINEE)
def my_transcript():
    """My training transcript as a PDF (audited)."""
    enrollment = _my_enrollment()
    pdf = run_service(lambda: transcript.transcript_pdf(enrollment, actor=current_user, now=utcnow())).value
    return attachment(pdf, f"transcript-{enrollment.id}.pdf", "application/pdf")


@bp.get("/cohorts/<int:cohort_id>/trainees/<int:enrollment_id>/transcript.pdf")
@role_required(*TRAINING_VIEWERS)
def trainee_transcript(cohort_id, enrollment_id):
    """A trainee's transcript for the cohort's instructors, staff and the trainee's agency coordinator (audited)."""
    cohort = load_cohort(cohort_id)
    enrollment = load_or_404(Enrollment, enrollment_id, within=lambda e: e.cohort_id == cohort.id
                             and e in visible_enrollments(cohort, current_user))
    pdf = run_service(lambda: transcript.transcript_pdf(enrollment, actor=current_user, now=utcnow())).value
    return attachment(pdf, f"transcript-{enrollment.id}.pdf", "application/pdf")


@bp.route("/sessions/<int:session_id>/edit", methods=["GET", "POST"])
@role_required(*TRAINING_MANAGERS)
def edit_session(session_id):
    """Change a session's time, place, hours or coverage (trainees are told; the calendar file follows)."""
    session = _load_session(session_id)
    form = _session_form(session.cohort)
    if request.method == "GET":
        starts, ends = local_time(session.starts_at), local_time(session.ends_at)
        form.process(data={"title": session.title, "day": starts.date(), "start": starts.time(), "end": ends.time(),
                           "place": session.place, "hours": session.hours, "week": session.week,
                           "covers": list(session.covers)})
    elif form.validate_on_submit():
        outcome = run_service(lambda: sessions.change_session(session, _plan(form), actor=current_user, now=utcnow()),
                              refused=ClassroomError, success="The session is changed.")
        if outcome:
            return redirect(url_for("classroom.cohort", cohort_id=session.cohort_id))
    return render_template("classroom/edit_session.html", session=session, form=form)


@bp.get("/cohorts/<int:cohort_id>/training-record.<any(csv, xlsx):fmt>")
@role_required(*TRAINING_VIEWERS)
def training_record(cohort_id, fmt):
    """The cohort's training record (POST-style layout), as CSV or XLSX, audited."""
    cohort = load_cohort(cohort_id)
    body, mimetype = run_service(lambda: transcript.cohort_record(cohort, fmt, viewer=current_user, now=utcnow())).value
    return attachment(body, transcript.record_filename(cohort, fmt), mimetype)
