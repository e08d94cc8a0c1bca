"""Saving a sitting's answers at once (``save_answers``, the fact-sheet demo's path): the same rules and the
same records as saving them one by one, checked before anything is written."""
from datetime import timedelta

import pytest
from sqlalchemy import event, func, select

from lms.exams.attempts import AttemptClosed, submit_attempt
from lms.exams.grading import grade_attempt
from lms.exams.pages import move_to_page, save_answer, save_answers
from lms.extensions import db as _db
from lms.models import AnswerLog, AttemptQuestion

from ..factories import form_values_for, start


def _answers(attempt, clock, *, right=True, step=timedelta(seconds=20)):
    return [(q.position, form_values_for(q, right=right), clock() + step * i) for i, q in enumerate(attempt.questions)]


def _log(attempt_id):
    return [tuple(row) for row in _db.session.execute(
        select(AnswerLog.position, AnswerLog.response, AnswerLog.saved_at, AnswerLog.via)
        .where(AnswerLog.attempt_id == attempt_id).order_by(AnswerLog.id))]


def _responses(attempt_id):
    return [tuple(row) for row in _db.session.execute(
        select(AttemptQuestion.position, AttemptQuestion.response, AttemptQuestion.answered_at)
        .where(AttemptQuestion.attempt_id == attempt_id).order_by(AttemptQuestion.position))]


def test_a_batch_records_what_saving_one_by_one_records(world, clock):
    attempt = start(world.trainee, "mixed-exam", clock)
    answers = _answers(attempt, clock)
    savepoint = _db.session.begin_nested()
    for position, values, at in answers:
        save_answer(attempt_id=attempt.id, user_id=world.trainee.id, position=position, values=values, now=at,
                    via="simulation")
    one_by_one = (_log(attempt.id), _responses(attempt.id))
    savepoint.rollback()
    assert _log(attempt.id) == []
    saved = save_answers(attempt_id=attempt.id, user_id=world.trainee.id, answers=answers, via="simulation")
    assert [(s.position, s.answered, s.changed, s.saved_at) for s in saved] == [
        (p, True, True, at) for p, _, at in answers]
    _db.session.commit()
    assert (_log(attempt.id), _responses(attempt.id)) == one_by_one and len(one_by_one[0]) == len(answers)
    submit_attempt(attempt, now=clock() + timedelta(minutes=20), actor=world.trainee)
    _db.session.commit()
    assert attempt.passed and float(grade_attempt(attempt.id).points) == attempt.points == attempt.max_points


def test_a_batch_is_one_read_and_one_statement_per_kind_of_write(app, world, clock):
    attempt = start(world.trainee, "mixed-exam", clock)
    answers, attempt_id, user_id = _answers(attempt, clock), attempt.id, world.trainee.id
    statements = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement.split()[0].upper())

    _db.session.connection()  # the transaction begun before counting
    event.listen(_db.engine, "before_cursor_execute", record)
    try:
        save_answers(attempt_id=attempt_id, user_id=user_id, answers=answers)
    finally:
        event.remove(_db.engine, "before_cursor_execute", record)
    assert len(answers) > 3 and statements == ["SELECT", "UPDATE", "INSERT"]


def test_a_batch_with_one_answer_refused_writes_none_of_them(world, clock):
    attempt = start(world.trainee, "pool-exam", clock)  # forward only
    assert move_to_page(attempt, 1, now=clock()) == 1
    _db.session.commit()
    answers = _answers(attempt, clock)
    with pytest.raises(AttemptClosed, match="forward"):
        save_answers(attempt_id=attempt.id, user_id=world.trainee.id, answers=answers[::-1])
    assert _log(attempt.id) == [] and all(r is None for _, r, _ in _responses(attempt.id))


def test_a_batch_after_the_deadline_or_the_submit_is_refused(world, clock, app):
    attempt = start(world.trainee, "mixed-exam", clock)
    late = clock() + timedelta(minutes=30, seconds=app.config.get("EXAM_GRACE_SECONDS", 30) + 1)
    answers = _answers(attempt, clock)
    with pytest.raises(AttemptClosed, match="Time is up"):
        save_answers(attempt_id=attempt.id, user_id=world.trainee.id, answers=answers[:1] + [(*answers[1][:2], late)])
    assert _log(attempt.id) == []
    submit_attempt(attempt, now=clock(), actor=world.trainee)
    _db.session.commit()
    with pytest.raises(AttemptClosed, match="finished"):
        save_answers(attempt_id=attempt.id, user_id=world.trainee.id, answers=answers)
    _db.session.rollback()
    assert _log(attempt.id) == []


def test_another_trainees_attempt_or_a_question_it_lacks_is_not_found(world, clock):
    attempt = start(world.trainee, "mixed-exam", clock)
    answers = _answers(attempt, clock)
    assert save_answers(attempt_id=attempt.id, user_id=world.other.id, answers=answers) is None
    assert save_answers(attempt_id=attempt.id, user_id=world.trainee.id,
                        answers=answers + [(len(answers) + 5, ["1"], clock())]) is None
    assert _db.session.scalar(select(func.count()).select_from(AnswerLog)) == 0


def test_a_question_given_twice_is_refused(world, clock):
    attempt = start(world.trainee, "mixed-exam", clock)
    answers = _answers(attempt, clock)
    with pytest.raises(ValueError, match="twice"):
        save_answers(attempt_id=attempt.id, user_id=world.trainee.id, answers=answers + answers[:1])
    assert _log(attempt.id) == []


def test_an_unchanged_answer_writes_nothing(world, clock):
    attempt = start(world.trainee, "mixed-exam", clock)
    answers = _answers(attempt, clock)
    save_answers(attempt_id=attempt.id, user_id=world.trainee.id, answers=answers)
    again = save_answers(attempt_id=attempt.id, user_id=world.trainee.id,
                         answers=[(p, v, at + timedelta(minutes=1)) for p, v, at in answers])
    assert not any(s.changed for s in again) and len(_log(attempt.id)) == len(answers)
