"""The domains' signals (lms.signals) turned into messages, in the sender's transaction.

lms/app.py imports this module, so every app subscribes. A slice that adds a signal adds its receiver
here: one ``@signal.connect`` function that calls ``notify``.
"""
from sqlalchemy import select

from lms.certification.links import public_base_url
from lms.certification.review import CAUSES, shortfall_words
from lms.clock import format_time, local_time
from lms.extensions import db
from lms.models import (
    Attempt, AuditEvent, Certification, CertificationReview, ClassSession, Enrollment, ItemChallenge, Nomination,
    PracticalGrade, Role, User)
from lms.models.certification import REVIEW_KEPT
from lms.notifications.service import notify
from lms.signals import (
    attempt_finished, attempt_regraded, audit_recorded, certification_changed, certification_review_opened,
    certification_reviewed, challenge_decided, nomination_decided, practical_graded, session_changed)
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


@attempt_regraded.connect
def exam_regrade(attempt: Attempt, *, now, key: str, percent_before: float, passed_before: bool, **_details) -> None:
    """A finished attempt's grade changed by a decision on a challenge (or staff applying a held regrade):
    the new result to the trainee, once per decision."""
    title = attempt.exam_version.title
    outcome, was = ATTEMPT_OUTCOME[bool(attempt.passed)], ATTEMPT_OUTCOME[passed_before]
    notify(db.session.get(User, attempt.user_id), kind="exam_result", key=f"attempt:{attempt.id}:{key}",
           subject=f"{title}: regraded, {outcome.lower()} ({attempt.percent:g} %)",
           body=f"Your attempt {attempt.number} at {title} was regraded after a decision on a challenged question: "
                f"{outcome.lower()}, with {attempt.percent:g} % (it was {was.lower()}, with {percent_before:g} %).",
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


def _enabled(query) -> list[User]:
    return list(db.session.scalars(query.where(User.disabled_at.is_(None)).order_by(User.id)))


@certification_review_opened.connect
def review_opened(review: CertificationReview, *, now, cause: str, **_details) -> None:
    """A certification put up for review after a correction: told to ICE program staff, who decide."""
    c = review.certification
    subject = f"Certificate {c.number} of {c.holder_name} is put up for review"
    body = (f"After {CAUSES.get(cause, 'a correction')}, the training of {c.holder_name} ({c.agency_name}, "
            f"{c.track_title}) no longer meets what the track requires. " + " ".join(shortfall_words(review.shortfall))
            + f" Certificate {c.number} stays valid until you keep it or suspend it on the review queue.")
    for staff in _enabled(select(User).where(User.role == Role.STAFF.value)):
        notify(staff, kind="certification_review", key=f"certification_review:{review.id}", subject=subject,
               body=body, link="/registry/reviews", now=now)


@certification_reviewed.connect
def review_decided(review: CertificationReview, *, now, outcome: str, **_details) -> None:
    """Staff decided a review: the outcome to the holder's agency's coordinators, and, when the certificate is
    kept, to the holder (a suspension tells the holder through certificate_status)."""
    c = review.certification
    verdict = "stays valid" if outcome == REVIEW_KEPT else "is suspended"
    key = f"certification_review:{review.id}:{outcome}"
    if outcome == REVIEW_KEPT:
        notify(db.session.get(User, c.user_id), kind="certificate_status", key=key,
               subject=f"Your certificate {c.number} stays valid after a review",
               body=f"Program staff reviewed your certificate {c.number} ({c.track_title}) after a correction to your "
                    f"training record, and it stays valid. Reason: {review.reason}",
               link=f"/certificates/{c.number}", now=now)
    coordinators = select(User).where(User.role == Role.COORDINATOR.value, User.agency_id == c.agency_id)
    for coordinator in _enabled(coordinators) if c.agency_id is not None else []:
        notify(coordinator, kind="certificate_status", key=key,
               subject=f"Certificate {c.number} of {c.holder_name} {verdict} after a review",
               body=f"Program staff reviewed certificate {c.number} of {c.holder_name} ({c.track_title}) after a "
                    f"correction to the training record: it {verdict}. Reason: {review.reason}",
               link=f"/registry/{c.number}", now=now)


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


# -- account security (essential) ----------------------------------------------------------------------
# Told from the audit event each security service records exactly once (lms.audit sends audit_recorded), so
# the one place that says a security fact happened is the one that tells the person. {when} is the event's
# time in the program's time zone. No IP address is written: mail is plain text that passes through other
# servers, an address behind an academy's or agency's network says nothing to the officer, and the audit
# log keeps it for the administrator who looks into a report.
YOURS = ("If this was not you, change your password now at {site}/account/password and tell your program "
         "administrator.")
THEIRS = "If you did not expect this, contact your program administrator."
SECURITY_WORDS = {
    "account.password_change": ("Your password was changed", "The password of your account was changed on {when}.",
                                YOURS, "/account/password"),
    "account.password_reset": ("Your password was reset by an administrator",
                               "An administrator reset the password of your account on {when}. The administrator "
                               "gives you a temporary password; you choose a new one when you next log in.",
                               THEIRS, "/account/password"),
    "two_factor.enrol": ("Two-step verification is turned on",
                         "Two-step verification (an authenticator app) was turned on for your account on {when}.",
                         YOURS, "/account/two-factor"),
    "two_factor.reset": ("Two-step verification was turned off by an administrator",
                         "An administrator reset two-step verification of your account on {when}: your "
                         "authenticator app and recovery codes no longer work, and every session of the account "
                         "was ended.", THEIRS, "/account/two-factor"),
    "two_factor.recovery_codes": ("New recovery codes were made",
                                  "New recovery codes were made for your account on {when}; the earlier ones no "
                                  "longer work.", YOURS, "/account/two-factor"),
    "two_factor.recovery_code_use": ("A recovery code was used to log in",
                                     "A recovery code was used instead of your authenticator app to log in to your "
                                     "account on {when} ({left} left).", YOURS, "/account/two-factor"),
    "account.lock": ("Your account is locked after failed log-ins",
                     "Your account was locked on {when} after {failures} failed log-ins in a row. It opens again "
                     "on {until}, or sooner if an administrator unlocks it.",
                     "If these log-ins were not yours, someone may be guessing your password: once you can log in, "
                     "change it at {site}/account/password and tell your program administrator.", None),
    "account.disable": ("Your account is disabled", "Your account was disabled on {when}{why}; you cannot log in.",
                        THEIRS, None),
    "account.enable": ("Your account is enabled again", "Your account was enabled again on {when}; you can log in.",
                       THEIRS, None),
    "account.role_change": ("Your role changed", "Your role was changed on {when}: you are now {role}. You were "
                                                 "logged out everywhere; log in again to use it.", THEIRS, None),
}


def _security_words(event: AuditEvent, user: User) -> dict | None:
    """The blanks of an event's message; None when the event tells the person nothing new."""
    details = event.details or {}
    words = {"when": format_time(event.created_at), "site": public_base_url()}
    match event.action:
        case "two_factor.reset" if not details.get("had_second_factor"):
            return None  # there was no second factor to turn off
        case "account.role_change":
            if details.get("from") == details.get("to"):
                return None
            words["role"] = Role(user.role).label.lower()
        case "two_factor.recovery_code_use":
            words["left"] = details.get("left", "some")
        case "account.lock":
            words["failures"] = details.get("failures", "several")
            words["until"] = format_time(user.locked_until) if user.locked_until else "later"
        case "account.disable":
            words["why"] = " by an administrator" if event.actor_id not in (None, user.id) else \
                " because it was not used for a long time" if str(details.get("reason", "")).startswith("inactive") \
                else ""
    return words


@audit_recorded.connect
def account_security(event: AuditEvent, **_details) -> None:
    """A security fact about an account (password, second factor, lockout, status, role): told once to its
    holder, in the app and by e-mail, whatever their preferences (essential); a disabled account is still
    written to."""
    if event.action not in SECURITY_WORDS or event.outcome != "success" or event.object_type != "user":
        return
    user = db.session.get(User, int(event.object_id))
    words = _security_words(event, user) if user is not None else None
    if words is None:
        return
    subject, what, advice, link = SECURITY_WORDS[event.action]
    notify(user, kind="account_security", key=f"audit:{event.id}", subject=subject,
           body=f"{what.format(**words)} {advice.format(**words)}", link=link, now=event.created_at,
           to_disabled=event.action == "account.disable")
