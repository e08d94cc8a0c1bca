"""An attempt's finish is decided by the deadline read with the attempt, and the claim that finishes it names
that deadline (lms.exams.attempts._finish): when another request committed in between (a grant of extra time
that moved the deadline, another submit), the claim writes nothing and the finish is decided again from the
attempt read anew. In between means: on PostgreSQL, between a submit's read of the attempt and its claim; on
both engines, between a page's read of an overdue attempt and its expiry (a SQLite GET reads without the write
lock and takes it to finish the attempt, db_engine.begin_writes)."""
import pytest
from sqlalchemy import select

from lms.exams import attempts as attempts_service
from lms.exams.grants import grant_extra_time
from lms.extensions import db as _db
from lms.models import Attempt, AuditEvent, Enrollment, Exam, User

from ..conftest import csrf_token, login
from ..factories import answer_all, start

pytestmark = pytest.mark.committed  # other connections must see the data (each request in its own transaction)

LATE_MINUTES = 32  # past the mixed exam's 30 minutes and the grace (30 s)


@pytest.fixture
def overdue(make_client, world, clock):
    """The trainee's attempt at the mixed exam, answered, now past its deadline and grace, and the trainee logged
    in (after the wait: a session would have idled out); returns (the attempt, a client, a CSRF token)."""
    attempt = start(world.trainee, "mixed-exam", clock)
    answer_all(attempt, clock)
    clock.advance(minutes=LATE_MINUTES)
    client = make_client()
    login(client, world.trainee.email)
    token = csrf_token(client, "/account/password")
    _db.session.rollback()
    return attempt, client, token


def _grant_at_the_deadline(world, attempt, clock):
    """The work of an instructor's request that granted 15 minutes at the attempt's deadline (within the grace,
    so the grant does not finish the attempt first), committed late."""
    enrollment_id, instructor_id, deadline = world.enrollment.id, world.instructor.id, attempt.deadline_at

    def grant():
        exam = _db.session.scalar(select(Exam).where(Exam.slug == "mixed-exam"))
        return grant_extra_time(_db.session.get(Enrollment, enrollment_id), exam, minutes=15,
                                actor=_db.session.get(User, instructor_id), now=deadline).minutes

    return grant


@pytest.mark.usefixtures("postgresql_only")
def test_extra_time_granted_between_a_submits_read_and_its_claim_makes_it_a_submit(world, clock, overdue,
                                                                                   meanwhile):
    """The submit reads an attempt past its deadline and grace (it would expire, at that deadline); the grant
    commits before the submit claims: the claim writes nothing, and the submit, decided again by the deadline
    15 minutes later, is a submit, now, by the trainee."""
    attempt, client, token = overdue
    granted = meanwhile(_grant_at_the_deadline(world, attempt, clock))
    response = client.post(f"/exams/attempts/{attempt.id}/submit", data={"csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/{attempt.id}/result")
    assert granted == [15]
    _db.session.rollback()
    attempt = _db.session.get(Attempt, attempt.id)
    assert attempt.finish_reason == "submitted" and attempt.finished_at == clock()
    assert attempt.extra_seconds == 15 * 60 and attempt.passed
    event = _db.session.scalar(select(AuditEvent).where(AuditEvent.action == "attempt.finish"))
    assert event.details["reason"] == "submitted" and event.actor_id == world.trainee.id


def test_extra_time_granted_before_a_page_expires_the_attempt_keeps_it_open(world, clock, overdue, meanwhile):
    """The result page reads the attempt overdue and goes to finish it (expired); the grant commits before the
    claim: the claim writes nothing, the attempt read again is no longer overdue, and the page leads back into
    it. Nothing is finished and no finish is recorded."""
    attempt, client, _ = overdue
    granted = meanwhile(_grant_at_the_deadline(world, attempt, clock))
    response = client.get(f"/exams/attempts/{attempt.id}/result")
    assert granted == [15]
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/exams/attempts/{attempt.id}")
    _db.session.rollback()
    attempt = _db.session.get(Attempt, attempt.id)
    assert attempt.status == "open" and attempt.extra_seconds == 15 * 60 and attempt.finished_at is None
    assert _db.session.scalar(select(AuditEvent).where(AuditEvent.action == "attempt.finish")) is None


@pytest.mark.usefixtures("postgresql_only")
def test_a_submit_overtaken_between_its_read_and_its_claim_writes_nothing(client, world, clock, meanwhile):
    """A second tab's submit finishes the attempt after this one has read it, before it claims: this one finds it
    finished and leads to the same result; one finish is recorded (the other's)."""
    attempt = start(world.trainee, "mixed-exam", clock)
    answer_all(attempt, clock)
    attempt_id, user_id = attempt.id, world.trainee.id
    login(client, world.trainee.email)
    token = csrf_token(client, "/account/password")
    _db.session.rollback()

    def other_submit():
        user = _db.session.get(User, user_id)
        return attempts_service.submit_attempt(_db.session.get(Attempt, attempt_id), now=clock(), actor=user).status

    finished = meanwhile(other_submit)
    response = client.post(f"/exams/attempts/{attempt_id}/submit", data={"csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/{attempt_id}/result")
    assert finished == ["finished"]
    _db.session.rollback()
    assert _db.session.get(Attempt, attempt_id).status == "finished"
    events = _db.session.scalars(select(AuditEvent.object_id).where(AuditEvent.action == "attempt.finish")).all()
    assert events == [str(attempt_id)]
