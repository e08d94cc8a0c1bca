"""Exactly one certification per enrollment, and distinct numbers, when requests finish at once.

Each thread is a request: its own app context, session and connection. On PostgreSQL a barrier holds
both transactions after grading and before the issue check, the write-skew window in which each would
see the other's pass as not yet committed; the enrollment lock closes it. SQLite runs BEGIN IMMEDIATE,
so its writers queue instead (no barrier: the second could not even start).
"""
import threading

import pytest
from sqlalchemy import func, select

from lms.certification import issue_if_complete
from lms.models import Certification, Enrollment

pytestmark = pytest.mark.committed  # threads on connections of their own must see the data


def _run_concurrently(app, db, jobs, *, barrier_on_postgres=True):
    """Run each job(session_enrollment) in its own thread and app context; return results and errors."""
    use_barrier = barrier_on_postgres and db.engine.dialect.name == "postgresql"
    barrier = threading.Barrier(len(jobs)) if use_barrier else None
    results, errors = [None] * len(jobs), []

    def worker(index, job):
        try:
            with app.app_context():
                try:
                    results[index] = job(barrier)
                finally:
                    db.session.remove()
        except Exception as error:  # reported by the test
            errors.append(error)

    threads = [threading.Thread(target=worker, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a worker hung"
    return results, errors


def _grade_and_issue(kit, db, clock, enrollment_id, exam_slug, *, checked=None):
    """A request grading an attempt and running the issue hook.

    With ``checked`` (a pair of events, mine and the other's), the request waits, after its issue
    check and before committing, until the other request has made its own check too, or a second
    has passed: without a lock both checks would run before either commit (the write skew); with
    it the other is still waiting for the lock, and the second passes.
    """
    def job(barrier):
        enrollment = db.session.get(Enrollment, enrollment_id)
        kit.finished_attempt(enrollment, exam_slug)  # the grading write, not committed yet
        if barrier is not None:
            barrier.wait(timeout=20)
        certification = issue_if_complete(enrollment, now=clock())
        if checked is not None and barrier is not None:
            mine, theirs = checked
            mine.set()
            theirs.wait(timeout=1)
        db.session.commit()
        return certification.number if certification else None
    return job


def test_the_last_two_exams_finishing_at_once_issue_exactly_one(app, kit, db, clock):
    track = kit.track(exams=("exam-a", "exam-b"))
    enrollment = kit.enrollment(track)
    kit.complete_modules(enrollment)
    enrollment_id = enrollment.id
    db.session.commit()
    a, b = threading.Event(), threading.Event()
    results, errors = _run_concurrently(app, db, [
        _grade_and_issue(kit, db, clock, enrollment_id, "exam-a", checked=(a, b)),
        _grade_and_issue(kit, db, clock, enrollment_id, "exam-b", checked=(b, a)),
    ])
    assert errors == []
    assert sum(r is not None for r in results) == 1, results  # the one that committed second issued it
    assert db.session.scalar(select(func.count(Certification.id))) == 1


def test_two_requests_issuing_for_the_same_complete_enrollment_issue_exactly_one(app, kit, db, clock):
    """E.g. a double submit of the last exam: both requests reach the issue check at the same moment."""
    track = kit.track(exams=("exam-a",))
    enrollment = kit.enrollment(track)
    kit.complete_modules(enrollment)
    kit.finished_attempt(enrollment, "exam-a")
    enrollment_id = enrollment.id
    db.session.commit()  # and no further read here: on SQLite it would take the writer lock

    def job(barrier):
        enrollment = db.session.get(Enrollment, enrollment_id)  # both transactions are open
        if barrier is not None:
            barrier.wait(timeout=20)
        certification = issue_if_complete(enrollment, now=clock())
        db.session.commit()
        return certification.number

    results, errors = _run_concurrently(app, db, [job, job])
    assert errors == []
    assert results[0] == results[1]  # the first issued it, the second found it
    assert db.session.scalar(select(func.count(Certification.id))) == 1


def test_concurrent_issues_for_different_trainees_get_distinct_consecutive_numbers(app, kit, db, clock):
    track = kit.track(exams=("exam-a",))
    ids = []
    for _ in range(6):
        enrollment = kit.enrollment(track)
        kit.complete_modules(enrollment)
        ids.append(enrollment.id)
    db.session.commit()
    results, errors = _run_concurrently(app, db, [_grade_and_issue(kit, db, clock, i, "exam-a") for i in ids])
    assert errors == []
    assert sorted(results) == [f"287G-2026-{n:06d}" for n in range(1, 7)]


def test_the_database_refuses_a_second_certification_for_an_enrollment(kit, db):
    import pytest
    from sqlalchemy.exc import IntegrityError

    certification = kit.certified()
    columns = {c.name: getattr(certification, c.key) for c in Certification.__table__.columns if c.name != "id"}
    columns["number"] = "287G-2026-999999"
    with pytest.raises(IntegrityError):
        db.session.execute(Certification.__table__.insert().values(**columns))
    db.session.rollback()
