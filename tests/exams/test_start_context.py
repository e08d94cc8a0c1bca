"""Where an exam sits for a trainee (lms.exams.attempts.exam_context): one statement finds the exam's current
version and the newest enrollment whose track schedules it, with whether its week is open; the version's
definition is kept per process by id and content hash, since a version never changes once stored."""
from sqlalchemy import select, update

from lms.cohorts.schedule import open_week_early
from lms.exams.attempts import exam_context
from lms.extensions import db as _db
from lms.models import Enrollment, Exam, ExamVersion

from ..conftest import csrf_from, login


def _current_version(slug):
    return _db.session.scalar(select(ExamVersion).join(Exam, Exam.current_version_id == ExamVersion.id)
                              .where(Exam.slug == slug))


def test_a_new_version_of_the_exam_is_met_at_once(world, clock):
    """The definition kept for version 1 is not the exam's once version 2 is current (another process may
    have published it: the key is the version, read with the context)."""
    old = _current_version("mixed-exam")
    assert exam_context(world.trainee.id, "mixed-exam", clock()).policy.pass_mark == old.blueprint["pass_mark"]
    new = ExamVersion(exam_id=old.exam_id, number=old.number + 1, content_hash="f" * 64, title="Mixed, revised",
                      description_html="", blueprint=dict(old.blueprint, pass_mark=55), source_path=old.source_path,
                      created_at=clock())
    _db.session.add(new)
    _db.session.flush()
    _db.session.execute(update(Exam).where(Exam.id == old.exam_id).values(current_version_id=new.id))
    context = exam_context(world.trainee.id, "mixed-exam", clock())
    assert (context.version.id, context.version.title, context.policy.pass_mark) == (new.id, "Mixed, revised", 55)


def test_a_kept_definition_serves_only_the_content_it_was_read_for(world, clock):
    """A database rebuilt under the same ids holds another version under this id: its content hash differs, so
    the kept definition is not served for it."""
    version = _current_version("mixed-exam")
    assert exam_context(world.trainee.id, "mixed-exam", clock()).version.title == version.title
    _db.session.execute(update(ExamVersion).where(ExamVersion.id == version.id)
                        .values(content_hash="0" * 64, title="Another exam under the same id"))
    assert exam_context(world.trainee.id, "mixed-exam", clock()).version.title == "Another exam under the same id"


def test_a_week_opened_early_opens_the_exam_only_in_its_own_cohort_and_week(world, factory, clock):
    assert not exam_context(world.trainee.id, "later-exam", clock()).week_open  # week 2
    elsewhere = factory.cohort("exam-track", start=world.cohort.start_date, agencies=[world.agency],
                               instructors=[world.instructor])
    open_week_early(elsewhere, 2, actor=world.instructor, now=clock())  # another cohort's week 2
    open_week_early(world.cohort, 1, actor=world.instructor, now=clock())  # (open already by the calendar)
    assert not exam_context(world.trainee.id, "later-exam", clock()).week_open
    open_week_early(world.cohort, 2, actor=world.instructor, now=clock())
    context = exam_context(world.trainee.id, "later-exam", clock())
    assert context.week == 2 and context.week_open


def test_the_exam_is_met_only_through_an_enrollment_whose_track_schedules_it(client, world, factory, clock):
    """A trainee whose only track (the classroom track) schedules later-exam but not mixed-exam: mixed-exam is a
    404, start included; later-exam is in week 1 there. Withdrawn, the trainee meets neither."""
    blended = factory.cohort("classroom-track", start=world.cohort.start_date, agencies=[world.agency],
                             instructors=[world.instructor])
    trainee = factory.user(agency=world.agency, email="blended@example.test")
    enrollment = factory.enroll(trainee, blended)
    assert exam_context(trainee.id, "mixed-exam", clock()) is None
    context = exam_context(trainee.id, "later-exam", clock())
    assert (context.enrollment.id, context.week, context.week_open) == (enrollment.id, 1, True)
    login(client, trainee.email)
    assert client.get("/exams/mixed-exam").status_code == 404
    token = csrf_from(client.get("/exams/later-exam").get_data(as_text=True))
    assert client.post("/exams/mixed-exam/start", data={"csrf_token": token}).status_code == 404
    _db.session.execute(update(Enrollment).where(Enrollment.id == enrollment.id).values(status="withdrawn"))
    _db.session.commit()
    assert exam_context(trainee.id, "later-exam", clock()) is None
    assert client.post("/exams/later-exam/start", data={"csrf_token": token}).status_code == 404


def test_a_grant_is_given_in_the_contexts_enrollment(world, clock):
    """What the demo load does (lms.demo.fact_sheet): the context's enrollment and exam name the grant's."""
    from lms.exams.grants import grant_extra_attempt

    context = exam_context(world.trainee.id, "mixed-exam", clock())
    grant = grant_extra_attempt(context.enrollment, context.exam, actor=world.instructor, now=clock())
    assert (grant.enrollment_id, grant.exam_id, grant.user_id) == (world.enrollment.id, context.exam.id,
                                                                   world.trainee.id)
    assert exam_context(world.trainee.id, "mixed-exam", clock()).enrollment.cohort_id == world.cohort.id
