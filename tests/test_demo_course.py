"""The quickstart demo on the bundled course, end to end: every demo cohort (officer, custody assistant,
Task Force, Warrant Service Officer) takes every exam of its track through the exam engine, completes every
module, and is certified under the agreement of its model, with the course length on the certificate."""
import json

import pytest
from sqlalchemy import select

from lms.learning import course as learning
from lms.cohorts import schedule
from lms.demo.setup import seed_demo
from lms.exams.attempts import exam_context, start_attempt, submit_attempt
from lms.models import Certification, Cohort, Enrollment, Module

from .conftest import PROJECT_ROOT
from .factories import answer_all, pass_classroom


@pytest.mark.parametrize("cohort_name, min_exams, length, model", [
    ("Demo officer cohort", 7, "5 weeks", "jail_enforcement"),
    ("Demo custody assistant cohort", 7, "4 weeks", "jail_enforcement"),
    ("Demo Task Force cohort", 2, "40 hours", "task_force"),
    ("Demo Warrant Service Officer cohort", 1, "8 hours", "warrant_service_officer"),
])
def test_a_demo_cohort_can_take_every_exam_of_its_track(db, factory, clock, cohort_name, min_exams, length, model):
    factory.synced_content(PROJECT_ROOT)
    seed_demo(now=clock())
    db.session.commit()
    cohort = db.session.scalar(select(Cohort).where(Cohort.name == cohort_name))
    instructor = cohort.instructors[0]
    for week in range(1, cohort.track.weeks + 1):
        schedule.open_week_early(cohort, week, actor=instructor, now=clock())
    db.session.commit()
    enrollment = db.session.scalar(select(Enrollment).where(Enrollment.cohort_id == cohort.id))
    trainee = enrollment.user
    exams = [i.ref for i in cohort.track.items if i.kind == "exam"]
    modules = [i.ref for i in cohort.track.items if i.kind == "module"]
    assert len(exams) >= min_exams
    for slug in modules:
        access = learning.module_access([enrollment], slug, clock())
        learning.mark_completed(access, clock())
    pass_classroom(enrollment, grader=instructor, now=clock())  # the blended courses' attendance and practicals
    db.session.commit()
    for slug in exams:
        context = exam_context(trainee.id, slug, clock())
        assert context is not None, slug
        attempt = start_attempt(context, trainee, now=clock())
        db.session.commit()
        assert len(attempt.questions) == sum(c["count"] for c in attempt.exam_version.blueprint["draw"])
        answer_all(attempt, clock)
        submit_attempt(attempt, now=clock())
        db.session.commit()
        assert attempt.passed, slug
        clock.advance(minutes=30)
    certification = db.session.scalar(select(Certification).where(Certification.enrollment_id == enrollment.id))
    assert certification is not None and certification.track_slug == cohort.track.slug
    snapshot = json.loads(certification.snapshot)
    assert snapshot["track"]["length"] == length and snapshot["mou"]["model"] == model
    assert snapshot["track"]["certification_title"] == cohort.track.certification_title
    assert db.session.scalar(select(Module).where(Module.slug == modules[0])) is not None
