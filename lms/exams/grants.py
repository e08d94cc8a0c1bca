"""Instructor grants, in one enrollment (a trainee in one cohort; never the trainee's other cohorts):
extra time (also during an open attempt), an extra attempt (with or without the cool-down), a
standing time multiplier. Each is audited; the caller commits."""
from lms.audit import record_event
from lms.exams import policy as rules
from lms.exams.attempts import EXTRA_ATTEMPT, EXTRA_TIME, ExamError, expire_if_due, open_attempt
from lms.extensions import db
from lms.models import ExamGrant

MAX_EXTRA_MINUTES = 600
MIN_MULTIPLIER, MAX_MULTIPLIER = 1.0, 4.0


def grant_extra_time(enrollment, exam, *, minutes: int, reason: str = "", actor, now) -> ExamGrant:
    """Give a trainee extra minutes on an exam in one enrollment: the open attempt's deadline moves now,
    else the next attempt gets them. An attempt whose time (and grace) already ran out is finished
    first, not revived."""
    if not 1 <= int(minutes) <= MAX_EXTRA_MINUTES:
        raise ExamError(f"Extra time is 1 to {MAX_EXTRA_MINUTES} minutes.")
    current = open_attempt(enrollment.id, exam.id)
    if current is not None and expire_if_due(current, now=now):
        current = None
    grant = ExamGrant(user_id=enrollment.user_id, enrollment_id=enrollment.id, exam_id=exam.id, kind=EXTRA_TIME,
                      minutes=int(minutes), attempt_id=current.id if current else None, reason=reason.strip()[:500],
                      granted_by_id=actor.id, granted_at=now)
    db.session.add(grant)
    if current is not None:
        current.extra_seconds += int(minutes) * 60
        current.deadline_at = rules.deadline(current.started_at, current.policy["time_limit_minutes"],
                                             current.time_multiplier, current.extra_seconds)
    db.session.flush()
    record_event("exam.grant_extra_time", actor=actor, obj=grant, now=now, details={
        "trainee_id": enrollment.user_id, "enrollment_id": enrollment.id, "cohort_id": enrollment.cohort_id,
        "exam": exam.slug, "minutes": int(minutes), "reason": grant.reason, "attempt_id": grant.attempt_id,
        "deadline_at": current.deadline_at.isoformat() if current is not None else None,
    })
    return grant


def grant_extra_attempt(enrollment, exam, *, waive_cooldown: bool = False, reason: str = "", actor,
                        now) -> ExamGrant:
    """Allow a trainee one more attempt at an exam in one enrollment than the blueprint does.

    With ``waive_cooldown`` the next attempt may start at once: the wait after the trainee's latest
    attempt (the one open or last finished when granted) does not apply (lms.exams.policy.cooldown_lifted).
    """
    grant = ExamGrant(user_id=enrollment.user_id, enrollment_id=enrollment.id, exam_id=exam.id, kind=EXTRA_ATTEMPT,
                      minutes=0, waives_cooldown=bool(waive_cooldown), reason=reason.strip()[:500],
                      granted_by_id=actor.id, granted_at=now)
    db.session.add(grant)
    db.session.flush()
    record_event("exam.grant_extra_attempt", actor=actor, obj=grant, now=now, details={
        "trainee_id": enrollment.user_id, "enrollment_id": enrollment.id, "cohort_id": enrollment.cohort_id,
        "exam": exam.slug, "waives_cooldown": grant.waives_cooldown, "reason": grant.reason})
    return grant


def set_time_multiplier(enrollment, multiplier: float, *, reason: str = "", actor, now):
    """Set the standing time multiplier (an accommodation) of a trainee in one enrollment, applied to
    attempts started after."""
    multiplier = round(float(multiplier), 2)
    if not MIN_MULTIPLIER <= multiplier <= MAX_MULTIPLIER:
        raise ExamError(f"The multiplier is between {MIN_MULTIPLIER:g} and {MAX_MULTIPLIER:g}.")
    before = enrollment.time_multiplier
    enrollment.time_multiplier = multiplier
    db.session.flush()
    record_event("enrollment.set_time_multiplier", actor=actor, obj=enrollment, now=now, details={
        "trainee_id": enrollment.user_id, "cohort_id": enrollment.cohort_id, "from": before, "to": multiplier,
        "reason": reason.strip()[:500]})
    return enrollment
