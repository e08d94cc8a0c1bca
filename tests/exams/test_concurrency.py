"""Several requests at once, each with its own app context and database session (as gunicorn's
workers have): starts make one open attempt, submits grade once, on SQLite (file) and PostgreSQL."""
import threading

import pytest
from sqlalchemy import func, select

from lms.exams import attempts as attempts_service
from lms.exams.attempts import ExamError, exam_context, start_attempt, submit_attempt
from lms.extensions import db as _db
from lms.models import Attempt, AttemptQuestion, AuditEvent, User

from ..factories import answer_all, start

THREADS = 6

pytestmark = pytest.mark.committed  # threads on connections of their own must see the data


def run_at_once(app, clock, work):
    """Run ``work(now)`` in THREADS threads released together; returns results (or exceptions)."""
    barrier = threading.Barrier(THREADS)
    results = [None] * THREADS

    def runner(index):
        with app.app_context():
            try:
                barrier.wait(timeout=10)
                results[index] = work(clock())
                _db.session.commit()
            except Exception as error:  # noqa: BLE001 - reported to the test
                _db.session.rollback()
                results[index] = error
            finally:
                _db.session.remove()

    threads = [threading.Thread(target=runner, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads)
    return results


def test_simultaneous_starts_make_one_open_attempt(app, world, clock):
    user_id = world.trainee.id
    _db.session.commit()

    def begin(now):
        user = _db.session.get(User, user_id)
        return start_attempt(exam_context(user.id, "mixed-exam", now), user, now=now).id

    results = run_at_once(app, clock, begin)
    assert all(isinstance(r, int) for r in results), results
    assert len(set(results)) == 1
    assert _db.session.scalar(select(func.count()).select_from(Attempt).where(Attempt.user_id == user_id)) == 1


def test_the_database_refuses_a_second_open_attempt(world, clock):
    import pytest
    from sqlalchemy.exc import IntegrityError

    first = start(world.trainee, "mixed-exam", clock)
    twin = Attempt(user_id=first.user_id, exam_id=first.exam_id, exam_version_id=first.exam_version_id,
                   enrollment_id=first.enrollment_id, number=2, status="open", seed="x", policy=first.policy,
                   time_multiplier=1.0, extra_seconds=0, started_at=clock(), deadline_at=first.deadline_at)
    _db.session.add(twin)
    with pytest.raises(IntegrityError):
        _db.session.flush()
    _db.session.rollback()


def test_simultaneous_submits_grade_once(app, world, clock):
    attempt = start(world.trainee, "mixed-exam", clock)
    answer_all(attempt, clock)
    attempt_id, user_id = attempt.id, world.trainee.id
    _db.session.commit()

    def submit(now):
        found = _db.session.get(Attempt, attempt_id)
        submit_attempt(found, now=now, actor=_db.session.get(User, user_id))
        return (found.finished_at, found.points, found.passed)

    results = run_at_once(app, clock, submit)
    assert len(set(results)) == 1 and results[0][1] == 8, results
    assert _db.session.scalar(select(func.count()).select_from(AuditEvent)
                              .where(AuditEvent.action == "attempt.finish")) == 1


def _lose_the_race_to(app, monkeypatch, other_start):
    """Make the next start's insert lose to ``other_start`` (run, committed, in another thread and session once
    this start has read and drawn), with no check once writing (as on PostgreSQL): only the database's unique
    indexes stand between the two."""
    real, raced = attempts_service.begin_writes, []

    def begin_writes():
        if raced:  # the other start's own
            return real()
        raced.append(True)
        _db.session.commit()  # this start's reads end (SQLite's write lock is free for the other)

        def other():
            with app.app_context():
                other_start()
                _db.session.commit()
                _db.session.remove()

        thread = threading.Thread(target=other)
        thread.start()
        thread.join(timeout=30)
        return False

    monkeypatch.setattr(attempts_service, "begin_writes", begin_writes)


def test_a_start_that_loses_the_race_resumes_the_winners_attempt(app, world, clock, monkeypatch):
    user_id = world.trainee.id
    _db.session.commit()
    won = []

    def the_winner():
        won.append(start(_db.session.get(User, user_id), "mixed-exam", clock).id)

    _lose_the_race_to(app, monkeypatch, the_winner)
    user = _db.session.get(User, user_id)
    attempt = start_attempt(exam_context(user.id, "mixed-exam", clock()), user, now=clock())
    _db.session.commit()
    assert len(won) == 1 and attempt.id == won[0]
    assert _db.session.scalar(select(func.count()).select_from(Attempt).where(Attempt.user_id == user_id)) == 1
    assert _db.session.scalar(select(func.count()).select_from(AttemptQuestion)
                              .where(AttemptQuestion.attempt_id == attempt.id)) == len(attempt.questions) > 0
    assert _db.session.scalars(select(AuditEvent.object_id).where(AuditEvent.action == "attempt.start")).all() == \
        [str(attempt.id)]


def test_a_start_that_loses_to_a_finished_attempt_of_its_number_asks_to_reload(app, world, clock, monkeypatch):
    """The other request started and submitted attempt 1 in between: no open attempt to resume, and no second
    attempt 1 (the unique number): the trainee is asked to reload."""
    user_id = world.trainee.id
    _db.session.commit()

    def start_and_submit():
        user = _db.session.get(User, user_id)
        submit_attempt(start(user, "mixed-exam", clock), now=clock(), actor=user)

    _lose_the_race_to(app, monkeypatch, start_and_submit)
    user = _db.session.get(User, user_id)
    with pytest.raises(ExamError, match="reload"):
        start_attempt(exam_context(user.id, "mixed-exam", clock()), user, now=clock())
    _db.session.rollback()
    numbers = _db.session.execute(select(Attempt.number, Attempt.status).where(Attempt.user_id == user_id)).all()
    assert [tuple(n) for n in numbers] == [(1, "finished")]
