"""The trainee's exam pages: rules and start, the attempt (pages, autosave, save), submit, result."""
import functools

from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf.csrf import CSRFError, generate_csrf
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload

from lms import session_rules
from lms.clock import utcnow
from lms.exams import attempts, challenges, overview, pages, review
from lms.extensions import db
from lms.forms.challenges import ChallengeForm
from lms.forms.exams import StartForm, SubmitForm
from lms.models import Attempt, ExamVersion, Role
from lms.models.exam import OPEN
from lms.questions import ResponseInvalid
from lms.security import role_required
from lms.views import autosave_path
from lms.views.helpers import (
    NotAdmitted,
    SessionCheck,
    found_or_404,
    load_or_404,
    own_record,
    reads_first,
    reads_session_user,
    run_service,
)

bp = Blueprint("exams", __name__, url_prefix="/exams")


def _exam(slug: str) -> attempts.ExamContext:
    """The exam if one of the trainee's tracks schedules it; 404 otherwise."""
    return found_or_404(attempts.exam_context(current_user.id, slug, utcnow()))


def _own_attempt(attempt_id: int, *options) -> Attempt:
    """The trainee's own attempt; anyone else's is a 404 (no hint that it exists)."""
    return load_or_404(Attempt, attempt_id, within=own_record, options=options)


def _while_open(view):
    """A view of the trainee's own open attempt, called with the attempt; a finished one (or one finished
    now, at its deadline) redirects to its result."""
    @functools.wraps(view)
    def wrapped(attempt_id):
        attempt = _own_attempt(attempt_id)
        return _finished_redirect(attempt) or view(attempt)

    return wrapped


def _open_page(view):
    """A page of the trainee's own open attempt, called with the attempt as its pages show it and the trainee (one
    row, the session's user checked in it: lms.exams.pages.open_attempt, reads_session_user); anyone else's is a
    404, a finished one (or one finished now, at its deadline) redirects to its result."""
    def usual_way(attempt_id):  # anyone else's, finished, or due to finish: the loaded attempt says which
        loaded = _own_attempt(attempt_id)
        if (done := _finished_redirect(loaded)) is not None:
            return done
        return view(pages.OpenAttempt.of(loaded), current_user)  # (its deadline moved on meanwhile)

    @reads_session_user(Role.TRAINEE)
    @functools.wraps(view)
    def wrapped(who: SessionCheck, attempt_id):
        attempt = pages.open_attempt(attempt_id, who.user_id, now=utcnow(), admit=who.admit)
        if attempt is None:
            raise NotAdmitted(functools.partial(usual_way, attempt_id))
        return view(attempt, who.user)

    return wrapped


def _session_facts(attempt, page: int) -> dict:
    """What the exam page's script needs to keep the session alive and to say when it has ended."""
    return {"ends_at": session_rules.ends_at(), "check_in": session_rules.check_in_seconds(),
            "login_url": url_for("auth.login", next=url_for("exams.attempt", attempt_id=attempt.id, page=page + 1)),
            "timezone": current_app.config["TIMEZONE"]}


def _finished_redirect(attempt):
    """Finish an overdue attempt (at its deadline); a redirect to the result when it is finished."""
    if attempts.expire_if_due(attempt, now=utcnow()):
        db.session.commit()
    if attempt.status != "open":
        return redirect(url_for("exams.result", attempt_id=attempt.id))
    return None


@bp.get("/<slug>")
@role_required(Role.TRAINEE)
def exam_page(slug):
    """The rules, attempts used and left, when the next attempt is allowed, and past results."""
    context = _exam(slug)
    summary = overview.exam_overview(context, now=utcnow())
    if summary.expired_now:
        db.session.commit()
    levels = {a.id: summary.review_level(a) for a in summary.finished}
    return render_template("exams/exam.html", o=summary, policy=context.policy, levels=levels, form=StartForm(),
                           grace=attempts.grace_seconds())


@bp.post("/<slug>/start")
@reads_session_user(Role.TRAINEE)
@reads_first
def start(who: SessionCheck, slug):
    """Start an attempt, or resume the open one."""
    context = attempts.exam_context(who.user_id, slug, utcnow(), admit=who.admit)
    if context is None:
        raise NotAdmitted  # no exam of this trainee's tracks: the usual checks, then a 404

    def start_attempt():  # where to go, taken before the commit (which would make the attempt be read again)
        attempt = attempts.start_attempt(context, who.user, now=utcnow())
        return attempt.id, attempt.page_reached + 1

    started = run_service(start_attempt, refused=attempts.ExamError)
    if not started:
        return redirect(url_for("exams.exam_page", slug=slug))
    attempt_id, page = started.value
    return redirect(url_for("exams.attempt", attempt_id=attempt_id, page=page))


@bp.get("/attempts/<int:attempt_id>")
@_open_page
def attempt(attempt, trainee):
    """A page of an open attempt (?page=N, 1-based); forward-only exams show the page reached."""
    page = request.args.get("page", default=1, type=int) - 1
    if attempt.policy["navigation"] == "forward":
        page = attempt.page_reached
    view = pages.attempt_page(attempt, page)
    return render_template("exams/attempt.html", attempt=attempt, trainee=trainee, view=view, now=utcnow(),
                           grace=attempts.grace_seconds(), login_session=_session_facts(attempt, view.page))


@bp.post("/attempts/<int:attempt_id>/save")
@role_required(Role.TRAINEE)
@_while_open
def save(attempt):
    """Save the page's answers (works without JavaScript), then go where the button said."""
    now = utcnow()
    page = request.form.get("page", type=int, default=0)
    try:
        pages.save_page(attempt, request.form, page=page, now=now)
    except attempts.AttemptClosed as error:
        db.session.rollback()
        flash(str(error), "error")
        return _finished_redirect(attempt) or redirect(url_for("exams.attempt", attempt_id=attempt.id))
    except ResponseInvalid:
        abort(400)
    go = request.form.get("go", "stay")
    target = pages.navigate(attempt, page, go, now=now)
    db.session.commit()
    if target == pages.REVIEW:
        return redirect(url_for("exams.confirm_submit", attempt_id=attempt.id))
    if go == "stay":
        flash("Your answers on this page are saved.", "success")
    return redirect(url_for("exams.attempt", attempt_id=attempt.id, page=target + 1,
                            _anchor=go if go.startswith("q") else None))


@bp.post("/attempts/<int:attempt_id>/autosave")
@reads_session_user(Role.TRAINEE)
def autosave(who: SessionCheck, attempt_id):
    """Save one question's answer or flag in the background (JSON; CSRF token in X-CSRFToken)."""
    asked = autosave_path.autosave_fields(request.get_json(silent=True))
    if asked is None:
        raise NotAdmitted((jsonify(error="invalid", message="Malformed request."), 400))
    try:
        saved = autosave_path.save(asked, attempt_id=attempt_id, user_id=who.user_id, now=utcnow(), admit=who.admit)
    except attempts.AttemptClosed as error:
        db.session.rollback()
        return jsonify(error="closed", message=str(error),
                       redirect=url_for("exams.attempt", attempt_id=attempt_id)), 409
    except ResponseInvalid:
        db.session.rollback()
        return jsonify(error="invalid", message="That answer is not one of the options."), 400
    if saved is None:
        raise NotAdmitted  # no such question of this user's attempt: the usual checks, then a 404
    db.session.commit()
    return jsonify(autosave_path.saved_answer(saved))


@bp.get("/attempts/<int:attempt_id>/status")
@reads_session_user(Role.TRAINEE)
def status(who: SessionCheck, attempt_id):
    """The attempt's deadline on the server's clock (the timer re-reads it after a grant of extra time).

    The exam page checks in here: while the attempt is open this counts as activity (the session stays
    alive for the whole exam); it also hands the page the session's current form token, so a page left
    open across a new log-in in another tab can still save.
    """
    now = utcnow()
    row = pages.attempt_clock(attempt_id, who.user_id, admit=who.admit)
    if row is None:
        raise NotAdmitted  # anyone else's: the usual checks, then a 404
    if row.status == OPEN and now <= attempts.accepts_answers_until(row.deadline_at):
        session_rules.mark_active(now)
    return jsonify(status=row.status, deadline=row.deadline_at.isoformat(), now=now.isoformat(), csrf=generate_csrf())


@bp.get("/attempts/<int:attempt_id>/submit")
@_open_page
def confirm_submit(attempt, trainee):
    """Confirm the submission: which questions are unanswered or flagged."""
    view = pages.attempt_page(attempt, attempt.page_reached if attempt.policy["navigation"] == "forward" else 0,
                              questions=False)
    return render_template("exams/confirm.html", attempt=attempt, trainee=trainee, view=view, form=SubmitForm(),
                           now=utcnow(), grace=attempts.grace_seconds(),
                           login_session=_session_facts(attempt, view.page))


# Loaded with the attempt, in the same query (loader options built once): the exam version's title and number,
# which the result's notice names, and the enrollment (a pass may complete it: certification decides). It also
# loads the attempt's user, whom the session's check admits (reads_session_user): the user the session's log-in
# then finds in the session, without a statement of its own (lms.app's load_user).
_TITLED = joinedload(Attempt.exam_version).load_only(ExamVersion.title, ExamVersion.number)
_WITH_USER = joinedload(Attempt.user)
_OWN = (Attempt.id == bindparam("attempt_id"), Attempt.user_id == bindparam("user_id"))
_SUBMITTED = select(Attempt).options(_TITLED, joinedload(Attempt.enrollment), _WITH_USER).where(*_OWN)
_OPEN = select(Attempt).options(_WITH_USER).where(*_OWN)  # a result asked for before the attempt is finished


def _own_admitted_attempt(who: SessionCheck, attempt_id: int, statement) -> Attempt:
    """The trainee's own attempt, read by ``statement`` with its user, whom ``who`` admits; anyone else's is a 404
    (reads_session_user)."""
    attempt = db.session.execute(statement, {"attempt_id": attempt_id, "user_id": who.user_id}).scalar_one_or_none()
    if attempt is None:
        raise NotAdmitted
    who.admit(attempt.user)
    return attempt


@bp.post("/attempts/<int:attempt_id>/submit")
@reads_session_user(Role.TRAINEE)
def submit(who: SessionCheck, attempt_id):
    """Submit for grading: idempotent (a double click, a second tab or a replay grade once)."""
    attempt = _own_admitted_attempt(who, attempt_id, _SUBMITTED)
    attempts.submit_attempt(attempt, now=utcnow(), actor=attempt.user)
    db.session.commit()
    return redirect(url_for("exams.result", attempt_id=attempt_id))


@bp.get("/attempts/<int:attempt_id>/result")
@reads_session_user(Role.TRAINEE)
def result(who: SessionCheck, attempt_id):
    """The result, and the review as far as the exam's review policy allows now (prints cleanly)."""
    # A finished attempt (nearly every request here) is one row, with its certification; an open one is loaded, and
    # finished first if its time is up.
    attempt = review.finished_attempt(attempt_id, who.user_id, admit=who.admit)
    if attempt is None:
        loaded = _own_admitted_attempt(who, attempt_id, _OPEN)
        if attempts.expire_if_due(loaded, now=utcnow()):
            db.session.commit()
        elif loaded.status == OPEN:
            return redirect(url_for("exams.attempt", attempt_id=attempt_id))
        attempt = review.finished_attempt(attempt_id, who.user_id, admit=who.admit)
    level = overview.review_level_for(attempt)
    may_challenge = challenges.review_open(attempt, level)  # the review shows the challenges (and their forms)
    items = review.review(attempt, level)
    return render_template("exams/result.html", attempt=attempt, level=level, items=items, earned=attempt.earned,
                           challenges=challenges.challenges_of(attempt) if may_challenge else {},
                           may_challenge=may_challenge, outcome_of=challenges.outcome_of,
                           challenge_form=ChallengeForm() if may_challenge else None,
                           challenge_actions=_challenge_actions(attempt.id, items) if may_challenge else {})


def _challenge_actions(attempt_id: int, items) -> dict[int, str]:
    """Each reviewed question's challenge address, by its number: one url_for, the number put in its place for the
    others (a url_for for each question of a 75-question final was a fifth of its result page's rendering)."""
    first = url_for("challenges.challenge", attempt_id=attempt_id, number=1)
    head, tail = first.rsplit("/1/", 1)  # .../questions/1/challenge: the number is the last segment but one
    return {item.number: f"{head}/{item.number}/{tail}" for item in items}


@bp.errorhandler(CSRFError)
def form_expired(error):
    """An exam form or autosave whose token does not check never ends on "Form expired".

    Nothing is saved or submitted from such a request. Without a session (it ended), log in again and
    come back to the attempt, which shows its result once graded. With one (the page predates a new
    log-in): the result of an attempt graded meanwhile; the submit page when the time is up (its script
    submits with the session's token); otherwise a 400 that says what happened and leads back.
    """
    attempt_id = (request.view_args or {}).get("attempt_id")
    if attempt_id is not None:
        back = url_for("exams.attempt", attempt_id=attempt_id)
    else:
        back = url_for("exams.exam_page", slug=(request.view_args or {}).get("slug", ""))
    if not current_user.is_authenticated:
        message = ("Your session had ended, so what this page sent was not received. Log in again to return to "
                   "your exam: answers saved before then are kept, and an attempt whose time ran out is graded "
                   "at its deadline.")
        if session_rules.wants_json():
            return session_rules.ended_json(message)
        flash(message, "warning")
        return redirect(url_for("auth.login", next=back))
    if session_rules.wants_json():
        return jsonify(error="token", message="This page's security token is out of date."), 400
    attempt = db.session.get(Attempt, attempt_id) if attempt_id is not None else None
    attempt = attempt if attempt is not None and own_record(attempt) else None
    if attempt is not None:
        if (done := _finished_redirect(attempt)) is not None:
            return done
        if utcnow() >= attempt.deadline_at:
            return redirect(url_for("exams.confirm_submit", attempt_id=attempt.id))
    return render_template("exams/out_of_date.html", back=back, attempt_open=attempt is not None), 400
