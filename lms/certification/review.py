"""Certification reviews: a correction after a certification was issued that takes its holder's training below
what the track requires (an attendance mark lowered under the required hours, a practical regraded from a pass
to a fail) puts the certification up for ICE staff's review. As with a regrade that would turn a passed exam
into a fail (lms.exams.regrade), nothing is taken away silently: the certification stays as it is until staff
keep it or suspend it (through lms.certification.status), audited; a later correction that meets the
requirements again before then clears the review.

The classroom sends ``classroom_setback`` and ``classroom_progress`` (lms.signals); this module subscribes
(lms/app.py imports it) and acts in the sender's transaction. Only an active certification is reviewed: a
suspended, revoked or expired one is already out of force.
"""
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from lms.audit import record_event
from lms.certification.issue import certification_of
from lms.certification.status import TransitionRefused, effective_status, suspend
from lms.classroom.grading import practical_results
from lms.classroom.hours import hours_of
from lms.clock import program_today
from lms.extensions import db
from lms.models import Certification, CertificationReview, Enrollment
from lms.models.certification import ACTIVE, REVIEW_CLEARED, REVIEW_KEPT, REVIEW_OPEN, REVIEW_SUSPENDED
from lms.signals import certification_review_opened, certification_reviewed, classroom_progress, classroom_setback

MAX_REASON = 2000
CAUSES = {"attendance": "an attendance correction", "practical": "a practical exercise regraded to a fail"}


class ReviewError(ValueError):
    """A decision on a review that cannot be made (the message says why)."""


def shortfall_of(enrollment: Enrollment) -> dict | None:
    """What of the track's classroom requirements the enrollment does not meet now, or None: the hours
    attended and required when short, and the exercises whose first grade does not pass."""
    hours = hours_of(enrollment)
    failing = [{"slug": r.exercise.slug, "title": r.version.title}
               for r in practical_results(enrollment) if not r.passed]
    if hours.attendance_met and not failing:
        return None
    return {"attendance": None if hours.attendance_met else {"attended": hours.classroom, "required": hours.required},
            "practicals": failing}


def open_review_of(certification: Certification) -> CertificationReview | None:
    """The certification's review waiting for staff, if any."""
    return db.session.scalar(select(CertificationReview).where(
        CertificationReview.certification_id == certification.id, CertificationReview.status == REVIEW_OPEN))


def put_up_for_review(enrollment: Enrollment, *, cause: str, actor=None, now) -> CertificationReview | None:
    """Put the enrollment's active certification up for staff's review when its training now falls short
    (audited, staff told); the open review, brought up to date, when there is one already; None when there
    is no active certification or nothing falls short. Flushes."""
    certification = certification_of(enrollment)
    if certification is None or effective_status(certification, program_today(now)) != ACTIVE:
        return None
    if (shortfall := shortfall_of(enrollment)) is None:
        return None
    if (review := open_review_of(certification)) is not None:
        _note_shortfall(review, shortfall)
        return review
    review = CertificationReview(certification_id=certification.id, status=REVIEW_OPEN, shortfall=shortfall,
                                 opened_at=now, opened_by_id=getattr(actor, "id", None))
    try:
        with db.session.begin_nested():  # two corrections at once: the partial unique index keeps one
            db.session.add(review)
            db.session.flush()
    except IntegrityError:
        return open_review_of(certification)
    record_event("certification_review.open", actor=actor, obj=review, now=now, details={
        "number": certification.number, "enrollment_id": enrollment.id, "cause": cause, "shortfall": shortfall})
    certification_review_opened.send(review, now=now, cause=cause)
    return review


def clear_if_met(enrollment: Enrollment, *, actor=None, now) -> CertificationReview | None:
    """Clear the open review of the enrollment's certification once its training meets the requirements
    again (audited); the review cleared, else None. Flushes."""
    review = db.session.scalar(
        select(CertificationReview).join(Certification, Certification.id == CertificationReview.certification_id)
        .where(Certification.enrollment_id == enrollment.id, CertificationReview.status == REVIEW_OPEN))
    if review is None:
        return None
    if (shortfall := shortfall_of(enrollment)) is not None:
        _note_shortfall(review, shortfall)  # still short: the review stays open, up to date
        return None
    if not _claim(review, REVIEW_CLEARED, reason=None, actor=actor, now=now):
        return None
    record_event("certification_review.clear", actor=actor, obj=review, now=now, details={
        "number": review.certification.number, "enrollment_id": enrollment.id})
    return review


@classroom_setback.connect
def _on_setback(enrollment: Enrollment, *, now, cause: str, actor=None, **_details) -> None:
    """Attendance lowered or a practical regraded to a fail: a certification already issued may need review."""
    put_up_for_review(enrollment, cause=cause, actor=actor, now=now)


@classroom_progress.connect
def _on_progress(enrollment: Enrollment, *, now, actor=None, **_details) -> None:
    """Hours earned or a practical passed: a review waiting for staff may no longer be needed."""
    clear_if_met(enrollment, actor=actor, now=now)


def _note_shortfall(review: CertificationReview, shortfall) -> None:
    """What an open review's training falls short of now (after another correction)."""
    review.shortfall = shortfall
    db.session.flush()


def _claim(review: CertificationReview, status: str, *, reason, actor, now) -> bool:
    """Close an open review by a conditional update, so two staff (or a decision and a clearing correction)
    at once close it once."""
    claimed = db.session.execute(
        update(CertificationReview).where(CertificationReview.id == review.id,
                                          CertificationReview.status == REVIEW_OPEN)
        .values(status=status, reason=reason, closed_by_id=getattr(actor, "id", None), closed_at=now)
        .execution_options(synchronize_session=False)).rowcount
    db.session.refresh(review)
    return bool(claimed)


def decide_review(review: CertificationReview, *, suspend_it: bool, reason: str, actor, now) -> CertificationReview:
    """Staff keep the certification as it is, or suspend it (lms.certification.status, which tells the holder);
    audited; the holder and their agency's coordinators are told the outcome."""
    reason = (reason or "").strip()
    if not reason:
        raise ReviewError("Give the reason for the decision.")
    if len(reason) > MAX_REASON:
        raise ReviewError(f"Keep the reason under {MAX_REASON} characters.")
    outcome = REVIEW_SUSPENDED if suspend_it else REVIEW_KEPT
    if not _claim(review, outcome, reason=reason, actor=actor, now=now):
        raise ReviewError("This review has already been decided, or cleared by a later correction.")
    certification = review.certification
    if suspend_it:
        try:
            suspend(certification, reason=reason, actor=actor, now=now, details={"review_id": review.id})
        except TransitionRefused as refused:
            raise ReviewError(str(refused)) from None
    record_event(f"certification_review.{'suspend' if suspend_it else 'keep'}", actor=actor, obj=review, now=now,
                 details={"number": certification.number, "reason": reason, "shortfall": review.shortfall})
    certification_reviewed.send(review, now=now, outcome=outcome)
    return review


def pending_reviews() -> list[CertificationReview]:
    """Reviews waiting for staff, oldest first."""
    return list(db.session.scalars(select(CertificationReview).where(CertificationReview.status == REVIEW_OPEN)
                                   .order_by(CertificationReview.opened_at, CertificationReview.id)))


def shortfall_words(shortfall: dict) -> list[str]:
    """What falls short, as sentences for the queue and the messages."""
    words = []
    if shortfall.get("attendance"):
        a = shortfall["attendance"]
        words.append(f"Classroom attendance: {a['attended']:g} of the {a['required']:g} hours the track requires.")
    for practical in shortfall.get("practicals", []):
        words.append(f"Practical exercise not passed: {practical['title']}.")
    return words
