"""On SQLite a start reads and draws without the write lock and takes it for its writes alone
(lms.exams.attempts.start_attempt, db_engine.begin_writes): a wave of starts then waits on each other only
for the inserts. What it read is checked again once it writes, so a start that another one overtook
between the two resumes that attempt instead of making a second."""
import pytest
from sqlalchemy import select

from lms.exams import attempts as attempts_service
from lms.exams.grants import grant_extra_time
from lms.extensions import db as _db
from lms.models import Attempt, AuditEvent, Enrollment, Exam, ExamGrant, User

from ..conftest import csrf_from, csrf_token, login, sqlite_write_lock_free
from ..factories import start

# Other connections must see the data (each request in its own transaction); SQLite only.
pytestmark = [pytest.mark.committed, pytest.mark.usefixtures("sqlite_only")]


def _start_form(client, world):
    login(client, world.trainee.email)
    return csrf_from(client.get("/exams/mixed-exam").get_data(as_text=True))


def test_the_draw_runs_without_the_write_lock_and_the_inserts_with_it(app, client, world, monkeypatch):
    seen = []

    def watched(name, function):
        def wrapper(*args, **kwargs):
            seen.append((name, sqlite_write_lock_free(app)))
            return function(*args, **kwargs)
        return wrapper

    monkeypatch.setattr(attempts_service, "draw_questions", watched("draw", attempts_service.draw_questions))
    monkeypatch.setattr(attempts_service, "record_event", watched("audit", attempts_service.record_event))
    token = _start_form(client, world)
    response = client.post("/exams/mixed-exam/start", data={"csrf_token": token})
    assert response.status_code == 302 and "/exams/attempts/" in response.headers["Location"]
    assert seen == [("draw", True), ("audit", False)]  # free while drawing; held once writing


def test_a_start_overtaken_between_its_reads_and_its_writes_resumes_the_other(app, client, world, meanwhile):
    """Another start of the same trainee commits after this one has drawn and before it writes: this one
    sees it once writing, and resumes it (one attempt, both requests on it, one start event)."""
    token = _start_form(client, world)
    locations = meanwhile(lambda: client.post("/exams/mixed-exam/start",
                                              data={"csrf_token": token}).headers["Location"])
    response = client.post("/exams/mixed-exam/start", data={"csrf_token": token})
    assert len(locations) == 1 and locations[0] is not None
    assert response.headers["Location"] == locations[0]
    _db.session.rollback()
    started = _db.session.scalars(select(Attempt).where(Attempt.user_id == world.trainee.id)).all()
    assert len(started) == 1 and started[0].number == 1
    events = _db.session.scalars(select(AuditEvent.object_id).where(AuditEvent.action == "attempt.start")).all()
    assert events == [str(started[0].id)]


def test_extra_time_granted_between_the_reads_and_the_writes_is_given(app, client, world, clock, meanwhile):
    """An instructor grants extra time after this start has read the grants and before it writes: the check
    once writing sees the grant, and the attempt gets the minutes (no constraint would have caught this)."""
    token = _start_form(client, world)
    enrollment_id, instructor_id = world.enrollment.id, world.instructor.id

    def grant():
        exam = _db.session.scalar(select(Exam).where(Exam.slug == "mixed-exam"))
        return grant_extra_time(_db.session.get(Enrollment, enrollment_id), exam, minutes=15,
                                actor=_db.session.get(User, instructor_id), now=clock()) is not None

    granted = meanwhile(grant)
    assert client.post("/exams/mixed-exam/start", data={"csrf_token": token}).status_code == 302
    assert granted == [True]
    _db.session.rollback()
    attempt = _db.session.scalar(select(Attempt).where(Attempt.user_id == world.trainee.id))
    grant = _db.session.scalar(select(ExamGrant).where(ExamGrant.enrollment_id == enrollment_id))
    assert attempt.extra_seconds == 15 * 60 and grant.attempt_id == attempt.id


def test_a_start_whose_reads_still_hold_writes_what_it_drew(app, client, world, monkeypatch):
    """Nothing changed between the reads and the writes: the plan is written as drawn (no second draw)."""
    draws = []
    real = attempts_service.draw_questions
    monkeypatch.setattr(attempts_service, "draw_questions", lambda *a, **k: draws.append(1) or real(*a, **k))
    token = _start_form(client, world)
    assert client.post("/exams/mixed-exam/start", data={"csrf_token": token}).status_code == 302
    assert len(draws) == 1


def test_a_start_that_finds_its_open_attempt_overdue_finishes_it_and_starts_the_next(app, client, world, clock):
    """The read phase finds the open attempt past its deadline: finishing it begins the writing phase
    (lms.exams.attempts._finish), where the start plans again and starts attempt 2, the cool-down past."""
    first = start(world.trainee, "mixed-exam", clock)
    clock.advance(hours=26)  # past the 30 minutes, the grace and the 24 hours' cool-down
    login(client, world.trainee.email)
    token = csrf_token(client, "/account/password")  # (not the exam's page: showing it would finish the attempt)
    _db.session.rollback()
    assert _db.session.get(Attempt, first.id).status == "open"
    response = client.post("/exams/mixed-exam/start", data={"csrf_token": token})
    assert response.status_code == 302 and "/exams/attempts/" in response.headers["Location"], response.headers
    _db.session.rollback()
    attempts = _db.session.scalars(select(Attempt).where(Attempt.user_id == world.trainee.id)
                                   .order_by(Attempt.number)).all()
    assert [(a.number, a.status) for a in attempts] == [(1, "finished"), (2, "open")]
    assert attempts[0].id == first.id and attempts[0].finish_reason == "expired"
    assert attempts[0].finished_at == attempts[0].deadline_at.replace(tzinfo=attempts[0].finished_at.tzinfo)


def test_a_grant_used_between_the_reads_and_the_writes_is_not_used_twice(app, client, world, clock, meanwhile):
    """Extra time pending when the start reads, then applied to an attempt by another request before it
    writes: the row the start read changed (not a new row), and the check once writing sees the change."""
    enrollment_id, other_attempt_id = world.enrollment.id, start(world.other, "mixed-exam", clock).id
    exam = _db.session.scalar(select(Exam).where(Exam.slug == "mixed-exam"))
    grant_extra_time(world.enrollment, exam, minutes=15, actor=world.instructor, now=clock())
    _db.session.commit()
    token = _start_form(client, world)

    def take():
        row = _db.session.scalar(select(ExamGrant).where(ExamGrant.enrollment_id == enrollment_id))
        row.attempt_id = other_attempt_id  # a change to the row the start read (not a new row)
        return True

    used = meanwhile(take)
    assert client.post("/exams/mixed-exam/start", data={"csrf_token": token}).status_code == 302
    assert used == [True]
    _db.session.rollback()
    attempt = _db.session.scalar(select(Attempt).where(Attempt.user_id == world.trainee.id))
    assert attempt.extra_seconds == 0  # the grant was no longer pending once the start wrote


def test_an_attempt_started_and_submitted_between_the_reads_and_the_writes_is_seen(app, client, world, clock,
                                                                                   meanwhile):
    """Another request starts and submits attempt 1 after this start has read and drawn, before it writes: the
    check once writing sees the finished attempt, and the start planned again is refused by the cool-down (not
    turned away as a clash of attempt numbers, nor a second attempt 1)."""
    token = _start_form(client, world)
    user_id = world.trainee.id

    def start_and_submit():
        user = _db.session.get(User, user_id)
        return attempts_service.submit_attempt(start(user, "mixed-exam", clock), now=clock(), actor=user) is not None

    submitted = meanwhile(start_and_submit)
    response = client.post("/exams/mixed-exam/start", data={"csrf_token": token})
    assert submitted == [True]
    assert response.status_code == 302 and response.headers["Location"].endswith("/exams/mixed-exam")
    with client.session_transaction() as session:
        assert [message for _kind, message in session["_flashes"]] == ["The cool-down between attempts has not ended."]
    _db.session.rollback()
    attempts = _db.session.execute(select(Attempt.number, Attempt.status).where(Attempt.user_id == user_id)).all()
    assert [tuple(a) for a in attempts] == [(1, "finished")]
