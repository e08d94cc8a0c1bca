"""Each bundled refresher renews the certification of the course it names: a custody assistant's
certification is renewed by the custody refresher, and the officers' refresher does not renew it."""
from datetime import timedelta

from sqlalchemy import select

from lms.learning import course as learning
from lms.cohorts import schedule
from lms.exams.attempts import exam_context, start_attempt, submit_attempt
from lms.models import Certification, Role

from .conftest import PROJECT_ROOT
from .factories import answer_all, pass_classroom


def _take_the_course(db, clock, enrollment, instructor):
    """Open every week, complete every module and pass every exam of the enrollment's track."""
    cohort, trainee = enrollment.cohort, enrollment.user
    for week in range(1, cohort.track.weeks + 1):
        schedule.open_week_early(cohort, week, actor=instructor, now=clock())
    for item in [i for i in cohort.track.items if i.kind == "module"]:
        learning.mark_completed(learning.module_access([enrollment], item.ref, clock()), clock())
    pass_classroom(enrollment, grader=instructor, now=clock())
    db.session.commit()
    for item in [i for i in cohort.track.items if i.kind == "exam"]:
        attempt = start_attempt(exam_context(trainee.id, item.ref, clock()), trainee, now=clock())
        db.session.commit()
        answer_all(attempt, clock)
        submit_attempt(attempt, now=clock())
        db.session.commit()
        assert attempt.passed, item.ref
        clock.advance(minutes=30)
    return db.session.scalar(select(Certification).where(Certification.enrollment_id == enrollment.id))


def test_the_custody_refresher_renews_a_custody_certification_and_the_officer_refresher_does_not(
        db, factory, clock):
    factory.synced_content(PROJECT_ROOT)
    agency = factory.agency()
    instructor = factory.user(Role.INSTRUCTOR, email="academy@example.test")
    trainee = factory.user(Role.TRAINEE, email="custody@example.test", agency=agency)
    course = factory.cohort("custody-assistant", start=clock().date(), agencies=[agency], instructors=[instructor])
    original = _take_the_course(db, clock, factory.enroll(trainee, course), instructor)
    assert original is not None and original.track_slug == "custody-assistant"

    clock.advance(days=600)  # the refresher comes due before the two-year certification expires
    officer_refresher = factory.cohort("officer-refresher", start=clock().date(), agencies=[agency],
                                       instructors=[instructor], name="Officer refresher")
    assert _take_the_course(db, clock, factory.enroll(trainee, officer_refresher), instructor) is None

    refresher = factory.cohort("custody-refresher", start=clock().date(), agencies=[agency],
                               instructors=[instructor], name="Custody refresher")
    renewal = _take_the_course(db, clock, factory.enroll(trainee, refresher), instructor)
    assert renewal is not None and renewal.track_slug == "custody-refresher"
    assert renewal.renews_id == original.id
    assert renewal.expires_on > original.expires_on
    assert renewal.expires_on >= clock().date() + timedelta(days=2 * 365 - 1)
