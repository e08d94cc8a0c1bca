"""``deferred_issuing``: inside the block, progress is noted and each enrollment is checked once when the
block ends (the fact-sheet demo's simulated history); outside one, the hook issues at once as before."""
from datetime import date

import pytest
from sqlalchemy import func, select

from lms.certification.issue import deferred_issuing
from lms.exams.attempts import submit_attempt
from lms.learning import course as learning
from lms.models import AuditEvent, Certification, Role
from tests.factories import EXAM_ROOT, answer_all, start

FIRST_WEEK = ("mixed-exam", "pool-exam", "fixed-exam")


def _world(factory, names=("Terry Trainee",)):
    factory.synced_content(EXAM_ROOT)
    agency = factory.agency(name="Test County Sheriff", ori="TX0000001")
    cohort = factory.cohort("exam-track", start=date(2026, 3, 2), agencies=[agency])
    trainees = [factory.user(Role.TRAINEE, agency=agency, name=name) for name in names]
    return [(trainee, factory.enroll(trainee, cohort)) for trainee in trainees]


def _take(user, slug, clock, db):
    attempt = start(user, slug, clock)
    answer_all(attempt, clock)
    clock.advance(minutes=2)
    submit_attempt(attempt, now=clock(), actor=user)
    db.session.commit()
    return attempt


def _read_module(enrollment, clock, db):
    learning.mark_completed(learning.module_access([enrollment], "agreement/basics", clock()), clock())
    db.session.commit()
    return clock()


def _every_exam(trainee, clock, db):
    for slug in FIRST_WEEK:
        _take(trainee, slug, clock, db)
    clock.advance(days=7)  # week 2 opens
    return _take(trainee, "later-exam", clock, db)


def _certifications(db):
    return db.session.scalar(select(func.count(Certification.id)))


def _issue_events(db):
    return db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "certification.issue"))


def test_a_track_completed_inside_the_block_is_issued_once_when_it_ends_as_of_the_last_progress(factory, db, clock):
    [(trainee, enrollment)] = _world(factory)
    with deferred_issuing():
        _every_exam(trainee, clock, db)
        clock.advance(hours=3)
        completed_at = _read_module(enrollment, clock, db)  # the step that completes the track
        assert _certifications(db) == 0  # nothing issued early
        clock.advance(days=2)
    assert _certifications(db) == 1 and _issue_events(db) == 1
    certification = db.session.scalar(select(Certification))
    assert certification.enrollment_id == enrollment.id and certification.issued_at == completed_at
    assert enrollment.status == "completed"


def test_an_exception_in_the_block_loses_no_certification_due(factory, db, clock):
    [(trainee, enrollment)] = _world(factory)
    with pytest.raises(RuntimeError, match="after the history"):
        with deferred_issuing():
            _read_module(enrollment, clock, db)
            last = _every_exam(trainee, clock, db)
            raise RuntimeError("after the history")
    certification = db.session.scalar(select(Certification))
    assert certification is not None and certification.issued_at == last.finished_at and _issue_events(db) == 1


def test_nested_blocks_issue_at_the_end_of_the_outermost(factory, db, clock):
    [(trainee, enrollment)] = _world(factory)
    with deferred_issuing():
        with deferred_issuing():
            _read_module(enrollment, clock, db)
            _every_exam(trainee, clock, db)
        assert _certifications(db) == 0
    assert _certifications(db) == 1 and _issue_events(db) == 1


def test_an_enrollment_still_incomplete_gets_nothing_and_progress_after_the_block_issues_at_once(
        factory, db, clock):
    [(trainee, enrollment)] = _world(factory)
    with deferred_issuing():
        _every_exam(trainee, clock, db)
    assert _certifications(db) == 0  # the module is not read
    completed_at = _read_module(enrollment, clock, db)  # outside a block: the hook issues in this step
    certification = db.session.scalar(select(Certification))
    assert certification is not None and certification.issued_at == completed_at and _issue_events(db) == 1


def test_enrollments_are_issued_in_the_order_of_their_last_progress(factory, db, clock):
    (first, first_enrollment), (second, second_enrollment) = _world(factory, ("Ann First", "Bo Second"))
    with deferred_issuing():
        _read_module(first_enrollment, clock, db)  # the first to progress...
        _read_module(second_enrollment, clock, db)
        for slug in FIRST_WEEK:
            _take(first, slug, clock, db)
            _take(second, slug, clock, db)
        clock.advance(days=7)
        _take(second, "later-exam", clock, db)
        _take(first, "later-exam", clock, db)  # ...is the last to complete
    numbers = dict(db.session.execute(select(Certification.user_id, Certification.number)).all())
    assert numbers[second.id] < numbers[first.id]
