"""Practical exercises as a trainee meets them: the track's exercises, and a written exercise's submission
(typed text, or a PDF through the upload checks of lms.uploads), replaced by a later one and audited."""
from sqlalchemy import select

from lms.audit import record_event
from lms.classroom import ClassroomError
from lms.extensions import db
from lms.models import Enrollment, Exercise, PracticalSubmission
from lms.models.classroom import WRITTEN
from lms.uploads import PDF_ONLY, store_upload

UPLOAD_KIND = "practicals"
MAX_TEXT = 50_000


def track_exercise(enrollment: Enrollment, slug: str) -> Exercise | None:
    """The exercise ``slug`` if the enrollment's track places it (else None: the caller answers 404)."""
    if slug not in enrollment.cohort.track.exercise_slugs():
        return None
    return db.session.scalar(select(Exercise).where(Exercise.slug == slug))


def enrollment_with_exercise(enrollments: list[Enrollment], slug: str, preferred: int | None = None):
    """Of a trainee's enrollments, the one whose track places the exercise (the preferred one first), or None."""
    placing = [e for e in enrollments if slug in e.cohort.track.exercise_slugs()]
    return next((e for e in placing if e.id == preferred), placing[0] if placing else None)


def submission_of(enrollment: Enrollment, exercise: Exercise) -> PracticalSubmission | None:
    """The trainee's current submission for the exercise, if any."""
    return db.session.scalar(select(PracticalSubmission).where(
        PracticalSubmission.enrollment_id == enrollment.id, PracticalSubmission.exercise_id == exercise.id))


def submit_practical(enrollment: Enrollment, exercise: Exercise, *, text: str = "", upload=None, actor,
                     now) -> PracticalSubmission:
    """Hand in a written exercise: typed text or a PDF (not both). A later submission replaces the earlier."""
    version = exercise.current_version
    if version.mode != WRITTEN:
        raise ClassroomError("This exercise is graded from observation; there is nothing to hand in.")
    if actor.id != enrollment.user_id:
        raise ClassroomError("Only the trainee hands in their own work.")
    text = (text or "").strip()
    has_file = upload is not None and getattr(upload, "filename", "")
    if bool(text) == bool(has_file):
        raise ClassroomError("Type your work or upload it as a PDF (one of the two).")
    if len(text) > MAX_TEXT:
        raise ClassroomError(f"At most {MAX_TEXT:,} characters.")
    stored = store_upload(upload, kind=UPLOAD_KIND, allowed=PDF_ONLY) if has_file else None
    submission = submission_of(enrollment, exercise)
    replaced = submission is not None
    if submission is None:
        submission = PracticalSubmission(enrollment_id=enrollment.id, exercise_id=exercise.id)
        db.session.add(submission)
    submission.exercise_version_id, submission.text, submission.submitted_at = version.id, text, now
    submission.file_name = stored.original_name if stored else None
    submission.stored_name = stored.stored_name if stored else None
    submission.file_sha256 = stored.sha256 if stored else None
    db.session.flush()
    record_event("practical.submit", actor=actor, obj=submission, now=now,
                 details={"exercise": exercise.slug, "version": version.number, "replaced": replaced,
                          "characters": len(text), "file_sha256": submission.file_sha256})
    return submission
