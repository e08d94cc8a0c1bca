"""Item challenges: the trainee's challenge from the review, the instructors' queue and decisions, and
staff's decisions on regrades held because they would turn a pass into a fail."""
from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user

from lms.clock import utcnow
from lms.exams.challenges import ChallengeError, challenge_item, decide_challenge, in_scope, open_challenges
from lms.exams.regrade import RegradeError, decide_hold, pending_holds
from lms.forms.challenges import ChallengeForm, DecisionForm, HoldForm
from lms.models import Attempt, ItemChallenge, RegradeHold, Role
from lms.security import PROGRAM_STAFF, TRAINING_MANAGERS, role_required
from lms.views.helpers import load_or_404, own_record, run_service, valid_form

bp = Blueprint("challenges", __name__)


@bp.post("/exams/attempts/<int:attempt_id>/questions/<int:number>/challenge")
@role_required(Role.TRAINEE)
def challenge(attempt_id, number):
    """The trainee challenges one question of their own attempt (another's attempt is a 404)."""
    attempt = load_or_404(Attempt, attempt_id, within=own_record)
    if form := valid_form(ChallengeForm):
        run_service(lambda: challenge_item(attempt, number, form.reason.data, actor=current_user, now=utcnow()),
                    refused=ChallengeError, success="Your challenge was sent to your instructors.")
    return redirect(url_for("exams.result", attempt_id=attempt.id, _anchor=f"q{number}"))


@bp.get("/challenges")
@role_required(*TRAINING_MANAGERS)
def queue():
    """Open challenges in the user's cohorts, with each item's statistics; for staff, the held regrades."""
    holds = pending_holds() if current_user.has_role(*PROGRAM_STAFF) else []
    return render_template("challenges/queue.html", items=open_challenges(current_user), holds=holds,
                           decision_form=DecisionForm(), hold_form=HoldForm())


def _summary(counts) -> str:
    if counts is None:
        return "The challenge was rejected; no grade changed."
    held = f" {len(counts.held)} that would turn a pass into a fail are held for staff." if counts.held else ""
    return (f"Regraded {counts.attempts} attempts that drew the question: {counts.changed} changed, "
            f"{counts.newly_passed} now pass.{held}")


@bp.post("/challenges/<int:challenge_id>/decide")
@role_required(*TRAINING_MANAGERS)
def decide(challenge_id):
    """Decide a challenge in the user's cohorts; an accepted one regrades at once."""
    made = load_or_404(ItemChallenge, challenge_id, within=lambda c: in_scope(c, current_user))
    if form := valid_form(DecisionForm):
        run_service(lambda: decide_challenge(made, form.decision.data, form.reason.data, answer=form.answer.data,
                                             actor=current_user, now=utcnow()),
                    refused=ChallengeError, success=_summary)
    return redirect(url_for("challenges.queue"))


@bp.post("/challenges/holds/<int:hold_id>")
@role_required(*PROGRAM_STAFF)
def decide_held(hold_id):
    """Apply a held regrade or keep the attempt's grade."""
    hold = load_or_404(RegradeHold, hold_id)
    if form := valid_form(HoldForm):
        applied = form.action.data == "apply"
        run_service(lambda: decide_hold(hold, apply=applied, reason=form.reason.data, actor=current_user,
                                        now=utcnow()),
                    refused=RegradeError, success="The regrade was applied." if applied else "The grade was kept.")
    return redirect(url_for("challenges.queue"))
