"""The attempt lifecycle with time injected: deadline, grace, expiry, grants, cool-down, limits,
no repeats, idempotent submit, and the training record kept unchanged."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from lms.exams import grants
from lms.exams.attempts import (
    AttemptClosed,
    StartRefused,
    _plan_start,
    close_expired_attempts,
    exam_context,
    expire_if_due,
    submit_attempt,
)
from lms.exams.grading import grade_attempt
from lms.exams.overview import exam_overview, exam_states
from lms.exams.pages import save_answer
from lms.extensions import db as _db
from lms.models import AnswerLog, Attempt, AttemptQuestion, AuditEvent, Exam

from ..factories import answer_all, form_values_for, start


def exam(slug):
    return _db.session.scalar(select(Exam).where(Exam.slug == slug))


def events(action):
    return _db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action))


def test_start_draws_pins_versions_and_sets_the_deadline(world, clock):
    attempt = start(world.trainee, "mixed-exam", clock)
    assert attempt.number == 1 and attempt.status == "open" and len(attempt.seed) == 32
    assert attempt.deadline_at == clock() + timedelta(minutes=30)
    assert len(attempt.questions) == 8
    assert {q.qtype for q in attempt.questions} == {"single", "multiple", "true_false", "short", "numeric",
                                                     "matching"}
    for q in attempt.questions:
        assert q.question_version_id == q.version.id and q.version.question.current_version_id == q.version.id
        if q.qtype in ("single", "multiple"):
            assert sorted(q.shown) == sorted(c["id"] for c in q.version.data["choices"])
    assert attempt.policy["pass_mark"] == 60 and attempt.policy["per_page"] == 3
    assert events("attempt.start") == 1


def test_the_drawn_questions_are_written_as_planned_on_each_engine(world, clock):
    """The drawn questions go in by one executemany (lms.exams.attempts.start_attempt): on each engine each row
    is the plan's row, in the drawn order, unanswered."""
    seed = "f" * 32
    plan = _plan_start(exam_context(world.trainee.id, "mixed-exam", clock()), now=clock(), seed=seed)
    _db.session.rollback()
    attempt = start(world.trainee, "mixed-exam", clock, seed=seed)
    rows = _db.session.execute(select(AttemptQuestion.__table__).where(AttemptQuestion.attempt_id == attempt.id)
                               .order_by(AttemptQuestion.position)).mappings().all()
    assert len(rows) == len(plan.rows) == 8
    for row, planned in zip(rows, plan.rows, strict=True):
        assert {name: row[name] for name in planned} == planned
        assert planned["response"] is None and planned["is_flagged"] is False and planned["max_points"] == 1.0
    assert [row["position"] for row in rows] == list(range(8))
    assert all(isinstance(row["shown"], (list, dict)) for row in rows)


def test_starting_again_resumes_the_open_attempt(world, clock):
    first = start(world.trainee, "mixed-exam", clock)
    clock.advance(minutes=3)
    assert start(world.trainee, "mixed-exam", clock).id == first.id
    assert _db.session.scalar(select(func.count()).select_from(Attempt)) == 1


def test_the_time_multiplier_and_extra_time_extend_the_deadline(world, clock):
    grants.set_time_multiplier(world.enrollment, 1.5, reason="documented accommodation", actor=world.instructor,
                               now=clock())
    grants.grant_extra_time(world.enrollment, exam("mixed-exam"), minutes=10, reason="before start",
                            actor=world.instructor, now=clock())
    _db.session.commit()
    attempt = start(world.trainee, "mixed-exam", clock)
    assert attempt.deadline_at == clock() + timedelta(minutes=30 * 1.5 + 10)
    assert attempt.time_multiplier == 1.5 and attempt.extra_seconds == 600
    assert events("enrollment.set_time_multiplier") == 1 and events("exam.grant_extra_time") == 1


def test_extra_time_granted_during_an_attempt_moves_its_deadline(world, clock):
    attempt = start(world.trainee, "mixed-exam", clock)
    clock.advance(minutes=29)
    grants.grant_extra_time(world.enrollment, exam("mixed-exam"), minutes=15, actor=world.instructor, now=clock())
    _db.session.commit()
    _db.session.refresh(attempt)
    assert attempt.deadline_at == attempt.started_at + timedelta(minutes=45)
    clock.advance(minutes=10)  # past the original deadline and grace
    saved = save_answer(attempt_id=attempt.id, user_id=world.trainee.id, position=0,
                        values=form_values_for(attempt.questions[0]), now=clock())
    assert saved.changed


def test_answers_within_the_grace_are_kept_and_after_it_refused(world, clock, app):
    attempt = start(world.trainee, "mixed-exam", clock)
    grace = app.config.get("EXAM_GRACE_SECONDS", 30)
    q = attempt.questions[0]
    clock.advance(minutes=30, seconds=grace)  # exactly at deadline + grace: still accepted
    assert save_answer(attempt_id=attempt.id, user_id=world.trainee.id, position=0, values=form_values_for(q),
                       now=clock()).answered
    _db.session.commit()
    clock.advance(seconds=1)
    with pytest.raises(AttemptClosed):
        save_answer(attempt_id=attempt.id, user_id=world.trainee.id, position=1,
                    values=form_values_for(attempt.questions[1]), now=clock())


def test_the_grace_is_capped_at_60_seconds(app, world, clock):
    from lms.exams.attempts import grace_seconds

    app.config["EXAM_GRACE_SECONDS"] = 600
    try:
        assert grace_seconds() == 60
    finally:
        app.config.pop("EXAM_GRACE_SECONDS")


def test_an_abandoned_attempt_finishes_at_its_deadline_on_next_access(world, clock):
    attempt = start(world.trainee, "mixed-exam", clock)
    answer_all(attempt, clock)
    clock.advance(hours=5)
    context = exam_context(world.trainee.id, "mixed-exam", clock())
    overview = exam_overview(context, now=clock())
    _db.session.commit()
    assert overview.open is None and [a.id for a in overview.finished] == [attempt.id]
    _db.session.refresh(attempt)
    assert attempt.status == "finished" and attempt.finish_reason == "expired"
    assert attempt.finished_at == attempt.deadline_at
    assert attempt.percent == 100.0 and attempt.passed


def test_close_expired_finishes_every_overdue_attempt_at_its_deadline(app, world, clock):
    first = start(world.trainee, "mixed-exam", clock)
    clock.advance(minutes=10)
    second = start(world.other, "mixed-exam", clock)
    clock.advance(minutes=21)  # first is 1 minute past its deadline (past the grace); second is not
    assert close_expired_attempts(now=clock()) == 1
    _db.session.commit()
    _db.session.refresh(first)
    _db.session.refresh(second)
    assert first.status == "finished" and first.finished_at == first.deadline_at and first.points == 0
    assert second.status == "open"
    clock.advance(minutes=30)
    result = app.test_cli_runner().invoke(args=["exams", "close-expired"])
    assert result.exit_code == 0, result.output
    assert "1 expired attempt" in result.output
    _db.session.refresh(second)
    assert second.status == "finished" and second.finished_at == second.deadline_at


def test_double_submit_grades_once(world, clock):
    attempt = start(world.trainee, "mixed-exam", clock)
    answer_all(attempt, clock)
    clock.advance(minutes=5)
    submit_attempt(attempt, now=clock(), actor=world.trainee)
    _db.session.commit()
    finished_at, points = attempt.finished_at, attempt.points
    clock.advance(seconds=2)
    submit_attempt(attempt, now=clock(), actor=world.trainee)
    again = _db.session.get(Attempt, attempt.id)
    submit_attempt(again, now=clock(), actor=world.trainee)
    _db.session.commit()
    assert again.finished_at == finished_at and again.points == points == 8
    assert events("attempt.finish") == 1
    assert again.finish_reason == "submitted"


def test_a_submit_after_the_grace_is_an_expiry_at_the_deadline(world, clock):
    attempt = start(world.trainee, "mixed-exam", clock)
    clock.advance(minutes=45)
    submit_attempt(attempt, now=clock(), actor=world.trainee)
    _db.session.commit()
    assert attempt.finish_reason == "expired" and attempt.finished_at == attempt.deadline_at


def test_grades_are_recorded_per_question_and_for_the_attempt(world, clock):
    attempt = start(world.trainee, "mixed-exam", clock)
    right = {q.position for q in attempt.questions if q.qtype in ("single", "true_false", "short", "numeric")}
    from lms.exams.pages import save_answer as save

    for q in attempt.questions:
        save(attempt_id=attempt.id, user_id=attempt.user_id, position=q.position,
             values=form_values_for(q, right=q.position in right), now=clock())
    submit_attempt(attempt, now=clock(), actor=world.trainee)
    _db.session.commit()
    by_type = {}
    for q in attempt.questions:
        by_type.setdefault(q.qtype, []).append((q.points, q.is_correct))
    assert by_type["single"] == [(1.0, True)] and by_type["true_false"] == [(1.0, True)]
    assert sorted(by_type["numeric"]) == [(1.0, True), (1.0, True)]
    assert by_type["matching"] == [(0.0, False)]
    # Wrong picks on multiple: one wrong choice only -> 0 under both scoring rules.
    assert by_type["multiple"] == [(0.0, False), (0.0, False)]
    assert attempt.points == 5 and attempt.max_points == 8 and attempt.percent == 62.5 and attempt.passed


def test_cool_down_then_attempt_limit_then_an_extra_attempt(world, clock):
    first = start(world.trainee, "mixed-exam", clock)
    submit_attempt(first, now=clock(), actor=world.trainee)  # blank: failed
    _db.session.commit()
    assert not first.passed
    with pytest.raises(StartRefused, match="cool-down"):
        start(world.trainee, "mixed-exam", clock)
    overview = exam_overview(exam_context(world.trainee.id, "mixed-exam", clock()), now=clock())
    assert overview.check.next_allowed_at == first.finished_at + timedelta(hours=24)
    assert overview.used == 1 and overview.left == 1
    clock.advance(hours=24)
    second = start(world.trainee, "mixed-exam", clock)
    assert second.number == 2
    submit_attempt(second, now=clock(), actor=world.trainee)
    _db.session.commit()
    clock.advance(hours=25)
    with pytest.raises(StartRefused, match="every attempt"):
        start(world.trainee, "mixed-exam", clock)
    grants.grant_extra_attempt(world.enrollment, exam("mixed-exam"), reason="illness", actor=world.instructor,
                               now=clock())
    _db.session.commit()
    assert start(world.trainee, "mixed-exam", clock).number == 3
    assert events("exam.grant_extra_attempt") == 1


def test_no_more_attempts_after_passing(world, clock):
    attempt = start(world.trainee, "mixed-exam", clock)
    answer_all(attempt, clock)
    submit_attempt(attempt, now=clock(), actor=world.trainee)
    _db.session.commit()
    clock.advance(days=3)
    with pytest.raises(StartRefused, match="passed"):
        start(world.trainee, "mixed-exam", clock)


def test_a_retake_draws_no_question_seen_before(world, clock):
    first = start(world.trainee, "pool-exam", clock)
    submit_attempt(first, now=clock(), actor=world.trainee)
    _db.session.commit()
    second = start(world.trainee, "pool-exam", clock)  # no cool-down on this exam
    one = {q.question_id for q in first.questions}
    two = {q.question_id for q in second.questions}
    assert len(one) == len(two) == 3 and not one & two


def test_an_exam_whose_week_is_closed_cannot_start(world, clock):
    with pytest.raises(StartRefused, match="not open"):
        start(world.trainee, "later-exam", clock)
    clock.advance(days=7)
    assert start(world.trainee, "later-exam", clock).status == "open"


def test_every_saved_answer_is_logged_and_a_finished_attempt_never_changes(world, clock):
    attempt = start(world.trainee, "mixed-exam", clock)
    tf = next(q for q in attempt.questions if q.qtype == "true_false")
    for value in ("true", "false", "false", "true"):
        save_answer(attempt_id=attempt.id, user_id=world.trainee.id, position=tf.position, values=[value],
                    now=clock())
        clock.advance(seconds=7)
    _db.session.commit()
    log = _db.session.scalars(select(AnswerLog).where(AnswerLog.attempt_id == attempt.id)
                              .order_by(AnswerLog.id)).all()
    # The unchanged re-save of "false" writes nothing.
    assert [(e.response, e.saved_at - attempt.started_at) for e in log] == [
        (True, timedelta(0)), (False, timedelta(seconds=7)), (True, timedelta(seconds=21))]
    submit_attempt(attempt, now=clock(), actor=world.trainee)
    _db.session.commit()
    with pytest.raises(AttemptClosed):
        save_answer(attempt_id=attempt.id, user_id=world.trainee.id, position=tf.position, values=["false"],
                    now=clock())
    _db.session.rollback()
    assert _db.session.scalar(select(func.count()).select_from(AnswerLog)) == 3
    # Re-grading the stored responses against the pinned versions gives the recorded grade.
    assert float(grade_attempt(attempt.id).points) == attempt.points


def test_another_trainees_attempt_cannot_be_saved_into(world, clock):
    attempt = start(world.trainee, "mixed-exam", clock)
    assert save_answer(attempt_id=attempt.id, user_id=world.other.id, position=0, values=["1"], now=clock()) is None


def test_forward_only_exams_refuse_answers_to_pages_left_behind(world, clock):
    from lms.exams.pages import move_to_page

    attempt = start(world.trainee, "pool-exam", clock)
    assert move_to_page(attempt, 1, now=clock()) == 1
    assert move_to_page(attempt, 0, now=clock()) == 1
    _db.session.commit()
    with pytest.raises(AttemptClosed, match="forward"):
        save_answer(attempt_id=attempt.id, user_id=world.trainee.id, position=0, values=["1"], now=clock())
    assert save_answer(attempt_id=attempt.id, user_id=world.trainee.id, position=1, values=["1"], now=clock())


def test_exam_states_for_the_timeline(world, clock):
    slugs = ["mixed-exam", "pool-exam"]
    assert {s: st for s, (_, st) in exam_states(world.enrollment.id, slugs, clock()).items()} == {
        "mixed-exam": "not_started", "pool-exam": "not_started"}
    attempt = start(world.trainee, "mixed-exam", clock)
    assert (exam_states(world.enrollment.id, slugs, clock())["mixed-exam"]
            == ("Mixed question types exam", "in_progress"))
    answer_all(attempt, clock)
    clock.advance(hours=1)  # expired, not yet finished: shown with the result it will get
    assert exam_states(world.enrollment.id, slugs, clock())["mixed-exam"][1] == "passed"
    expire_if_due(attempt, now=clock())
    pool = start(world.trainee, "pool-exam", clock)
    submit_attempt(pool, now=clock(), actor=world.trainee)
    _db.session.commit()
    assert exam_states(world.enrollment.id, slugs, clock()) == {
        "mixed-exam": ("Mixed question types exam", "passed"), "pool-exam": ("Pool exam without repeats", "failed")}


def test_a_week_opened_early_opens_its_exam(world, clock):
    from lms.cohorts.schedule import open_week_early

    with pytest.raises(StartRefused):
        start(world.trainee, "later-exam", clock)
    open_week_early(world.cohort, 2, actor=world.instructor, now=clock())
    _db.session.commit()
    assert start(world.trainee, "later-exam", clock).status == "open"


def _later_questions_after_pool_exam(factory, world, clock, *, across: bool, seeds) -> list[tuple[set, set]]:
    """For each seed, a new trainee takes pool-exam (week 1) and later-exam (week 2), both drawing from
    the pool bank; returns each trainee's (pool-exam questions, later-exam questions)."""
    world.cohort.track.no_repeats_across_exams = across
    _db.session.commit()
    taken = []
    for n, seed in enumerate(seeds):
        trainee = factory.user(agency=world.agency, email=f"seed{across}{n}@example.test")
        factory.enroll(trainee, world.cohort)
        unit = start(trainee, "pool-exam", clock, seed=seed)
        submit_attempt(unit, now=clock())
        _db.session.commit()
        later = start(trainee, "later-exam", clock, seed=seed)
        taken.append(({q.question_id for q in unit.questions}, {q.question_id for q in later.questions}))
    return taken


def test_a_track_with_no_repeats_across_exams_draws_nothing_already_seen_in_another_exam(factory, world, clock):
    clock.advance(days=7)  # week 2 open: both exams can start
    seeds = [f"seed-{n}" for n in range(8)]
    for unit, later in _later_questions_after_pool_exam(factory, world, clock, across=True, seeds=seeds):
        assert unit and later and not unit & later
    # The same seeds without the option repeat a question somewhere: the check above is not vacuous.
    control = _later_questions_after_pool_exam(factory, world, clock, across=False, seeds=seeds)
    assert any(unit & later for unit, later in control)


def test_grading_reads_each_pinned_versions_data_by_its_content_hash(world, clock):
    """The versions' data is kept per process under (version id, content hash): data kept under the same id but
    another hash (another database's version) is never graded against; the version's own is read and kept."""
    from lms.exams import versions

    attempt = start(world.trainee, "mixed-exam", clock)
    answer_all(attempt, clock)
    pinned = {(q.question_version_id, q.version.content_hash) for q in attempt.questions}
    versions.forget_pinned_versions()
    for version_id, _ in pinned:
        versions._KEPT[(version_id, "another database's version")] = ({"type": "true_false", "answer": None}, {})
    submit_attempt(attempt, now=clock(), actor=world.trainee)
    _db.session.commit()
    assert attempt.points == attempt.max_points == 8 and attempt.passed
    assert pinned <= set(versions._KEPT)
