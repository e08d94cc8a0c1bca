"""End to end through the exam engine: the submit that grades the last passing attempt issues the
certification in its own transaction; editing questions (a new version synced) later changes nothing."""
import json
import shutil
from datetime import date

from sqlalchemy import func, select

from lms.learning import course as learning
from lms.exams.attempts import submit_attempt
from lms.models import Attempt, Certification, QuestionVersion, Role
from tests.factories import EXAM_ROOT, answer_all, start


def _take(user, slug, clock, db, *, right=True):
    attempt = start(user, slug, clock)
    answer_all(attempt, clock, right=right)
    clock.advance(minutes=2)
    submit_attempt(attempt, now=clock(), actor=user)
    db.session.commit()
    return attempt


def _world(factory):
    factory.synced_content(EXAM_ROOT)
    agency = factory.agency(name="Test County Sheriff", ori="TX0000001")
    cohort = factory.cohort("exam-track", start=date(2026, 3, 2), agencies=[agency])
    trainee = factory.user(Role.TRAINEE, agency=agency, name="Terry Trainee")
    enrollment = factory.enroll(trainee, cohort)
    return trainee, enrollment


def test_the_submit_that_passes_the_last_exam_issues_the_certification(factory, db, clock):
    trainee, enrollment = _world(factory)
    access = learning.module_access([enrollment], "agreement/basics", clock())
    learning.mark_completed(access, clock())
    db.session.commit()
    for slug in ("mixed-exam", "pool-exam", "fixed-exam"):
        _take(trainee, slug, clock, db)
        assert db.session.scalar(select(func.count(Certification.id))) == 0, f"issued after {slug}"
    clock.advance(days=7)  # week 2 opens
    _take(trainee, "later-exam", clock, db, right=False)  # failing the last exam issues nothing
    assert db.session.scalar(select(func.count(Certification.id))) == 0
    clock.advance(days=1)
    grant_extra_attempt(factory, enrollment, "later-exam", clock, db)
    last = _take(trainee, "later-exam", clock, db)
    certification = db.session.scalar(select(Certification))
    assert certification is not None and certification.issued_at == last.finished_at
    snapshot = json.loads(certification.snapshot)
    assert [e["slug"] for e in snapshot["exams"]] == ["mixed-exam", "pool-exam", "fixed-exam", "later-exam"]
    assert snapshot["exams"][3]["attempt_id"] == last.id and snapshot["exams"][3]["attempt_number"] == 2
    assert snapshot["exams"][1]["pass_mark"] == 100 and snapshot["exams"][1]["score_percent"] == 100.0
    assert snapshot["modules"][0]["slug"] == "agreement/basics" and snapshot["modules"][0]["version"] == 1


def grant_extra_attempt(factory, enrollment, slug, clock, db):
    from lms.exams.grants import grant_extra_attempt as grant
    from lms.models import Exam

    instructor = factory.user(Role.INSTRUCTOR)
    exam = db.session.scalar(select(Exam).where(Exam.slug == slug))
    grant(enrollment, exam, reason="Retake", actor=instructor, now=clock())
    db.session.commit()


def test_passing_every_exam_before_the_last_module_issues_on_that_module(factory, db, clock):
    trainee, enrollment = _world(factory)
    for slug in ("mixed-exam", "pool-exam", "fixed-exam"):
        _take(trainee, slug, clock, db)
    clock.advance(days=7)
    _take(trainee, "later-exam", clock, db)
    assert db.session.scalar(select(func.count(Certification.id))) == 0  # the module is not completed
    access = learning.module_access([enrollment], "agreement/basics", clock())
    learning.mark_completed(access, clock())
    db.session.commit()
    assert db.session.scalar(select(func.count(Certification.id))) == 1


def test_a_question_edited_and_synced_later_changes_nothing_in_the_record(factory, db, clock, tmp_path):
    trainee, enrollment = _world(factory)
    learning.mark_completed(learning.module_access([enrollment], "agreement/basics", clock()), clock())
    db.session.commit()
    for slug in ("mixed-exam", "pool-exam", "fixed-exam"):
        _take(trainee, slug, clock, db)
    clock.advance(days=7)
    _take(trainee, "later-exam", clock, db)
    certification = db.session.scalar(select(Certification))
    before = (certification.snapshot, certification.signature)
    scores = db.session.execute(select(Attempt.id, Attempt.percent).order_by(Attempt.id)).all()

    root = tmp_path / "content"
    shutil.copytree(EXAM_ROOT, root)
    bank = root / "question_banks" / "pool.yml"
    bank.write_text(bank.read_text().replace("Right answer pl-1", "Edited answer pl-1")
                    .replace("correct: true, feedback: \"Yes.\"}\n      - {id: b, text: \"Wrong answer pl-1\"",
                             "feedback: \"Yes.\"}\n      - {id: b, text: \"Wrong answer pl-1\", correct: true"))
    versions_before = db.session.scalar(select(func.count(QuestionVersion.id)))
    factory.synced_content(root)
    assert db.session.scalar(select(func.count(QuestionVersion.id))) > versions_before  # a new version exists
    db.session.expire_all()
    certification = db.session.scalar(select(Certification))
    assert (certification.snapshot, certification.signature) == before
    assert db.session.execute(select(Attempt.id, Attempt.percent).order_by(Attempt.id)).all() == scores
