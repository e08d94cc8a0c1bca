"""The domains' signals (lms.signals) turned into messages, in the sender's transaction.

lms/app.py imports this module, so every app subscribes. A slice that adds a signal adds its receiver
here: one ``@signal.connect`` function that calls ``notify``.
"""
from lms.extensions import db
from lms.clock import local_time
from lms.models import Attempt, Certification, ClassSession, Enrollment, ItemChallenge, Nomination, PracticalGrade, User
from lms.notifications.service import notify
from lms.signals import (
    attempt_finished, certification_changed, challenge_decided, nomination_decided, practical_graded, session_changed)
from lms.vocabulary import ATTEMPT_OUTCOME

CERTIFICATE_WORDS = {
    "issue": ("Your certificate {number} is issued",
              "You completed {track}. Your certificate {number} is issued and valid until {expires}."),
    "suspend": ("Your certificate {number} is suspended",
                "Your certificate {number} ({track}) is suspended. Reason: {reason}"),
    "reinstate": ("Your certificate {number} is reinstated",
                  "Your certificate {number} ({track}) is valid again. Reason: {reason}"),
    "revoke": ("Your certificate {number} is revoked",
               "Your certificate {number} ({track}) is revoked. Reason: {reason}"),
    "expire": ("Your certificate {number} has expired",
               "Your certificate {number} ({track}) reached its expiry date, {expires}. A refresher renews it."),
}


@attempt_finished.connect
def exam_result(attempt: Attempt, *, now, **_details) -> None:
    """An attempt was graded: its result to the trainee."""
    title = attempt.exam_version.title
    outcome = ATTEMPT_OUTCOME[bool(attempt.passed)].lower()
    _tell_with_result(attempt.user_id, attempt, kind="exam_result", key=f"attempt:{attempt.id}", now=now,
                      subject=f"{title}: {outcome} ({attempt.percent:g} %)",
                      body=f"Your attempt {attempt.number} at {title} is graded: {outcome}, "
                           f"with {attempt.percent:g} %.")


def _tell_with_result(user_id: int, attempt: Attempt, *, kind: str, key: str, subject: str, body: str, now) -> None:
    """A message that links to the attempt's result page."""
    notify(db.session.get(User, user_id), kind=kind, key=key, subject=subject, body=body,
           link=f"/exams/attempts/{attempt.id}/result", now=now)


@certification_changed.connect
def certificate_status(certification: Certification, *, now, action: str, reason: str = "", **_details) -> None:
    """A certificate issued, suspended, reinstated, revoked or expired: told to its holder (essential)."""
    subject, body = CERTIFICATE_WORDS[action]
    words = {"number": certification.number, "track": certification.track_title, "reason": reason,
             "expires": f"{certification.expires_on:%B %-d, %Y}"}
    notify(db.session.get(User, certification.user_id), kind="certificate_status",
           key=f"certification:{certification.id}:{action}:{now.isoformat()}",
           subject=subject.format(**words), body=body.format(**words),
           link=f"/certificates/{certification.number}", now=now)


@nomination_decided.connect
def nomination_decision(nomination: Nomination, *, now, **_details) -> None:
    """A nomination accepted or declined: told to the coordinator who made it."""
    if nomination.status == "accepted":
        subject = f"{nomination.name} is accepted and enrolled"
        body = f"Your nomination of {nomination.name} for {nomination.track.title} is accepted."
    else:
        subject = f"Your nomination of {nomination.name} is declined"
        body = (f"Your nomination of {nomination.name} for {nomination.track.title} is declined. "
                f"Reason: {nomination.decision_reason}")
    notify(nomination.nominated_by, kind="nomination_decided", key=f"nomination:{nomination.id}",
           subject=subject, body=body, link=f"/nominations/{nomination.id}", now=now)


@challenge_decided.connect
def challenge_decision(challenge: ItemChallenge, *, now, **_details) -> None:
    """A question the trainee challenged is decided: the decision and its reason, with the attempt's result."""
    attempt = challenge.attempt
    title = attempt.exam_version.title
    number = challenge.attempt_question.position + 1
    verdict = "rejected" if challenge.decision == "reject" else "accepted"
    _tell_with_result(challenge.user_id, attempt, kind="challenge_decided", key=f"challenge:{challenge.id}", now=now,
                      subject=f"Your challenge of question {number} of {title} is {verdict}",
                      body=f"Your challenge of question {number} of {title} (attempt {attempt.number}) is {verdict}. "
                           f"Reason: {challenge.decision_reason}")


@session_changed.connect
def session_change(session: ClassSession, *, now, change: str, **_details) -> None:
    """A classroom session changed or cancelled: told to every trainee of its cohort."""
    when = local_time(session.starts_at)
    moment = f"{when:%A %B %-d, %Y, %-I:%M %p}"
    if change == "cancelled":
        subject = f"Cancelled: {session.title}, {when:%B %-d}"
        body = (f"The session {session.title} of {moment} ({session.place}) is cancelled. "
                f"Reason: {session.cancel_reason}")
    else:
        subject = f"Changed: {session.title}, now {when:%B %-d}"
        body = f"The session {session.title} is now on {moment}, at {session.place}, for {session.hours:g} hours."
    for enrollment in session.cohort.enrollments:
        notify(enrollment.user, kind="session_changed", key=f"session:{session.id}:{session.sequence}",
               subject=subject, body=body, link="/course", now=now)


@practical_graded.connect
def practical_result(enrollment: Enrollment, *, now, grade: PracticalGrade, **_details) -> None:
    """A practical exercise graded (or regraded) by its first grader: the result to the trainee."""
    version = grade.exercise_version
    outcome = "passed" if grade.passed else "not passed yet"
    notify(enrollment.user, kind="practical_graded",
           key=f"practical:{grade.id}:{grade.graded_at.isoformat()}",
           subject=f"{version.title}: {outcome} ({grade.total:g} points)",
           body=f"Your practical exercise {version.title} is graded: {outcome}, with {grade.total:g} points. "
                "The rubric and the grader's comments are on the exercise's page.",
           link=f"/classroom/practicals/{version.exercise.slug}", now=now)
