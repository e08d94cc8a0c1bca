"""Attempts, their limits and grants belong to the enrollment: a trainee in two cohorts, or enrolled
again in a later cohort of the same track, has separate attempts and grants in each; and an extra
attempt may lift the cool-down."""
import json
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from lms.learning import course as learning
from lms.certification import issue_if_complete
from lms.exams import grants
from lms.exams.attempts import StartRefused, exam_context, submit_attempt
from lms.exams.overview import exam_overview, exam_states
from lms.exams.policy import cooldown_lifted
from lms.extensions import db as _db
from lms.models import AuditEvent, Certification, Enrollment, Exam, ExamGrant, Role

from ..conftest import csrf_from, login
from ..factories import answer_all, start


def exam(slug):
    return _db.session.scalar(select(Exam).where(Exam.slug == slug))


def take(user, slug, clock, *, right):
    attempt = start(user, slug, clock)
    answer_all(attempt, clock, right=right)
    submit_attempt(attempt, now=clock(), actor=user)
    _db.session.commit()
    return attempt


def second_cohort(world, factory, clock, *, start_date=date(2026, 3, 2)):
    """Another cohort of the same track with its own instructor, the trainee enrolled in it (newest)."""
    clock.advance(minutes=1)
    instructor = factory.user(Role.INSTRUCTOR, name="Ned Nextcohort")
    cohort = factory.cohort("exam-track", start=start_date, agencies=[world.agency], instructors=[instructor])
    return cohort, factory.enroll(world.trainee, cohort), instructor


def test_grants_in_one_cohort_do_not_reach_the_trainee_in_another(world, factory, clock):
    first = world.enrollment
    grants.set_time_multiplier(first, 2.0, actor=world.instructor, now=clock())
    grants.grant_extra_attempt(first, exam("mixed-exam"), actor=world.instructor, now=clock())
    grants.grant_extra_time(first, exam("mixed-exam"), minutes=20, actor=world.instructor, now=clock())
    _db.session.commit()
    _, second, _ = second_cohort(world, factory, clock)

    context = exam_context(world.trainee.id, "mixed-exam", clock())
    assert context.enrollment.id == second.id
    overview = exam_overview(context, now=clock())
    assert (overview.allowed, overview.extra_attempts, overview.pending_extra_minutes) == (2, 0, 0)
    attempt = start(world.trainee, "mixed-exam", clock)
    assert attempt.enrollment_id == second.id and attempt.number == 1
    assert attempt.time_multiplier == 1.0 and attempt.extra_seconds == 0
    assert attempt.deadline_at == clock() + timedelta(minutes=30)
    # The first cohort's grants stay there: its extra time still waits for an attempt in that cohort.
    pending = _db.session.scalar(select(ExamGrant).where(ExamGrant.kind == "extra_time"))
    assert pending.enrollment_id == first.id and pending.attempt_id is None
    assert _db.session.get(Enrollment, first.id).time_multiplier == 2.0
    assert _db.session.get(Enrollment, second.id).time_multiplier == 1.0

    # And the other way: extra time granted in the second cohort moves its open attempt, not the first's.
    grants.grant_extra_time(second, exam("mixed-exam"), minutes=5, actor=world.instructor, now=clock())
    _db.session.commit()
    _db.session.refresh(attempt)
    assert attempt.deadline_at == attempt.started_at + timedelta(minutes=35)


def test_the_instructor_pages_show_each_cohorts_own_attempts_and_grants(client, make_client, world, factory, clock):
    grants.grant_extra_attempt(world.enrollment, exam("mixed-exam"), reason="flu", actor=world.instructor, now=clock())
    _db.session.commit()
    take(world.trainee, "mixed-exam", clock, right=False)  # in the first cohort
    cohort, _, instructor = second_cohort(world, factory, clock)
    first_id, second_id, trainee_id = world.cohort.id, cohort.id, world.trainee.id

    login(client, world.instructor.email)
    page = client.get(f"/results/cohorts/{first_id}/trainees/{trainee_id}").get_data(as_text=True)
    assert "1 of 3 attempts used." in page and "“flu”" in page
    other = make_client()
    login(other, instructor.email)
    page = other.get(f"/results/cohorts/{second_id}/trainees/{trainee_id}").get_data(as_text=True)
    assert "0 of 2 attempts used." in page and "flu" not in page
    rows = other.get(f"/results/cohorts/{second_id}/exams/mixed-exam/results.csv").get_data(as_text=True)
    assert rows.count("\n") == 1  # the header only: the attempt was taken in the other cohort


def test_a_trainee_enrolled_again_after_failing_starts_with_fresh_attempts(world, factory, clock):
    first = take(world.trainee, "mixed-exam", clock, right=False)
    clock.advance(hours=24)
    second = take(world.trainee, "mixed-exam", clock, right=False)
    assert (first.number, second.number) == (1, 2)
    with pytest.raises(StartRefused, match="every attempt"):
        start(world.trainee, "mixed-exam", clock)

    # Enrolled again at once: neither the used attempts nor the cool-down of the failed cohort apply.
    _, again, _ = second_cohort(world, factory, clock)
    overview = exam_overview(exam_context(world.trainee.id, "mixed-exam", clock()), now=clock())
    assert (overview.used, overview.left, overview.check.allowed) == (0, 2, True)
    fresh = start(world.trainee, "mixed-exam", clock)
    assert fresh.number == 1 and fresh.enrollment_id == again.id
    slugs = ["mixed-exam"]
    assert exam_states(world.enrollment.id, slugs, clock())["mixed-exam"][1] == "failed"
    assert exam_states(again.id, slugs, clock())["mixed-exam"][1] == "in_progress"


def test_the_certification_counts_only_the_enrollments_own_passes(world, factory, clock):
    """An earlier enrollment's passes do not count toward a new one (docs/CONTENT_FORMAT.md)."""
    first = world.enrollment
    learning.mark_completed(learning.module_access([first], "agreement/basics", clock()), clock())
    for slug in ("mixed-exam", "pool-exam", "fixed-exam"):
        take(world.trainee, slug, clock, right=True)
    # A later cohort whose second week is already open; the first cohort's week 2 is not.
    _, again, _ = second_cohort(world, factory, clock, start_date=date(2026, 2, 23))
    learning.mark_completed(learning.module_access([again], "agreement/basics", clock()), clock())
    _db.session.commit()
    take(world.trainee, "later-exam", clock, right=True)
    assert _db.session.scalar(select(Certification)) is None  # the first cohort's three passes do not count
    assert issue_if_complete(first, now=clock()) is None and issue_if_complete(again, now=clock()) is None

    passes = [take(world.trainee, slug, clock, right=True) for slug in ("mixed-exam", "pool-exam", "fixed-exam")]
    certification = _db.session.scalar(select(Certification))
    assert certification is not None and certification.enrollment_id == again.id
    taken = {e["slug"]: e["attempt_id"] for e in json.loads(certification.snapshot)["exams"]}
    assert {taken[s] for s in ("mixed-exam", "pool-exam", "fixed-exam")} == {a.id for a in passes}


def test_an_extra_attempt_may_lift_the_cooldown_once(world, clock):
    first = take(world.trainee, "mixed-exam", clock, right=False)
    grants.grant_extra_attempt(world.enrollment, exam("mixed-exam"), reason="as usual", actor=world.instructor,
                               now=clock())
    _db.session.commit()
    with pytest.raises(StartRefused, match="cool-down"):
        start(world.trainee, "mixed-exam", clock)
    clock.advance(minutes=5)
    grants.grant_extra_attempt(world.enrollment, exam("mixed-exam"), waive_cooldown=True, reason="retake today",
                               actor=world.instructor, now=clock())
    _db.session.commit()
    second = take(world.trainee, "mixed-exam", clock, right=False)  # at once: the wait is lifted
    assert second.number == 2 and second.started_at < first.finished_at + timedelta(hours=24)
    # The waiver was used by that start: the wait after the second attempt applies again.
    overview = exam_overview(exam_context(world.trainee.id, "mixed-exam", clock()), now=clock())
    assert overview.left == 2 and not overview.check.allowed
    assert overview.check.next_allowed_at == second.finished_at + timedelta(hours=24)
    details = [e.details for e in _db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "exam.grant_extra_attempt").order_by(AuditEvent.seq))]
    assert [d["waives_cooldown"] for d in details] == [False, True]
    assert {d["enrollment_id"] for d in details} == {world.enrollment.id}


class _Attempt:
    def __init__(self, started_at):
        self.started_at = started_at


def test_a_waiver_lifts_the_wait_after_the_attempt_latest_when_granted():
    from datetime import datetime, timezone

    t = datetime(2026, 3, 2, 14, tzinfo=timezone.utc)
    one, two = _Attempt(t), _Attempt(t + timedelta(hours=30))
    assert not cooldown_lifted([], [t])
    assert cooldown_lifted([one], [t + timedelta(hours=1)])  # granted after attempt 1 started
    assert not cooldown_lifted([one, two], [t + timedelta(hours=1)])  # used by attempt 2's start
    assert cooldown_lifted([one, two], [t + timedelta(hours=1), t + timedelta(hours=31)])
    assert not cooldown_lifted([one], [])


def test_the_grant_form_says_whether_the_wait_applies(client, world, clock):
    take(world.trainee, "mixed-exam", clock, right=False)
    clock.advance(minutes=10)
    login(client, world.instructor.email)
    url = f"/results/cohorts/{world.cohort.id}/trainees/{world.trainee.id}"
    page = client.get(url).get_data(as_text=True)
    assert "This exam asks for 24 hours between attempts" in page and 'name="waive_cooldown"' in page
    response = client.post(f"{url}/exams/mixed-exam/extra-attempt",
                           data={"csrf_token": csrf_from(page), "waive_cooldown": "y", "reason": "court date"})
    assert "may take Mixed question types exam one more time, starting as soon as they like (no wait)" in \
        client.get(response.headers["Location"]).get_data(as_text=True)
    page = client.get(url).get_data(as_text=True)
    assert "one extra attempt, without the wait between attempts" in page
    _db.session.rollback()
    grant = _db.session.scalar(select(ExamGrant))
    assert grant.waives_cooldown and grant.enrollment_id == world.enrollment.id
    second = start(world.trainee, "mixed-exam", clock)  # no wait
    assert second.number == 2
