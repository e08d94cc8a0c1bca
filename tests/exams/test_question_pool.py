"""What a draw chooses from is kept per process under the question pool's token (lms.models.exam.QuestionPool,
lms.exams.draw.load_candidates), and the database changes the token with every change to a question or a bank: a
start after a change draws from the pool as it is now, never from what a process kept before it."""
import shutil

import pytest
from sqlalchemy import event, select, update

from lms.content import sync_content
from lms.exams import draw
from lms.extensions import db as _db
from lms.models import Attempt, AttemptQuestion, Exam, Question, QuestionBank, QuestionPool

from ..conftest import csrf_from, login
from ..factories import EXAM_ROOT, start


def pool_token(db):
    return db.session.scalar(select(QuestionPool.token).where(QuestionPool.id == 1))


def test_every_change_to_a_question_or_a_bank_changes_the_token_and_nothing_else_does(db, factory, clock):
    tokens = [pool_token(db)]

    def changed() -> bool:
        db.session.flush()
        tokens.append(pool_token(db))
        return tokens[-1] != tokens[-2] and tokens[-1] is not None

    factory.synced_content(EXAM_ROOT)  # banks and questions inserted
    assert changed()
    db.session.execute(update(Question).where(Question.slug == "pl-1").values(status="retired"))
    assert changed()
    db.session.execute(update(QuestionBank).where(QuestionBank.slug == "fixed").values(retired_at=clock()))
    assert changed()
    bank = db.session.scalar(select(QuestionBank).where(QuestionBank.slug == "pool"))
    question = Question(slug="pl-new", bank_id=bank.id, position=99, status="active", objective="AG-1.2",
                        difficulty="easy", created_at=clock())
    db.session.add(question)
    assert changed()
    db.session.delete(question)
    assert changed()
    empty = QuestionBank(slug="empty", title="Empty", source_path="x.yml", created_at=clock(), updated_at=clock())
    db.session.add(empty)
    assert changed()
    db.session.delete(empty)
    assert changed()
    db.session.execute(update(Exam).values(retired_at=clock()))  # another table: the pool is the same
    db.session.flush()
    assert pool_token(db) == tokens[-1]
    assert len(set(tokens[1:])) == len(tokens) - 1  # a new token each time, never one seen before


def candidate_reads(db):
    """A list that grows by one for each read of the candidates."""
    reads = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().startswith("SELECT question.id"):
            reads.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    return reads, lambda: event.remove(db.engine, "before_cursor_execute", record)


def test_the_candidates_are_read_again_only_when_the_token_is_not_theirs(db, factory):
    factory.synced_content(EXAM_ROOT)
    cells = [{"bank": "pool", "count": 1}]
    retired = db.session.scalar(select(Question.id).where(Question.slug == "pl-1"))
    draw.forget_pools()
    reads, stop = candidate_reads(db)
    try:
        fresh = draw.load_candidates(cells, pool_token(db))
        assert draw.load_candidates(cells, pool_token(db)) == fresh and len(reads) == 1  # kept under its token
        assert draw.load_candidates(cells) == fresh and len(reads) == 2  # no token given: read
        assert draw.load_candidates(cells, "another") == fresh and len(reads) == 3  # not the token kept: read
        db.session.execute(update(Question).where(Question.id == retired).values(status="retired"))
        now = draw.load_candidates(cells, pool_token(db))
        assert len(reads) == 4 and {c.question_id for c in fresh} - {c.question_id for c in now} == {retired}
        db.session.execute(QuestionPool.__table__.delete())  # no row: nothing can be known, everything is read
        assert pool_token(db) is None
        draw.load_candidates(cells, pool_token(db))
        draw.load_candidates(cells, pool_token(db))
        assert len(reads) == 6
    finally:
        stop()


def test_a_start_pins_the_version_a_sync_made_after_the_process_kept_the_pool(db, factory, world, clock, tmp_path):
    first = start(world.trainee, "fixed-exam", clock)  # this process keeps the fixed bank's candidates
    root = tmp_path / "content"
    shutil.copytree(EXAM_ROOT, root)
    bank = root / "question_banks" / "fixed.yml"
    bank.write_text(bank.read_text().replace("item 1 asks about search warrants", "item 1 asks about warrants"))
    assert sync_content(root, now=clock()).updated["question"] == ["fx-1"]
    db.session.commit()
    changed = db.session.scalar(select(Question.id).where(Question.slug == "fx-1"))
    second = start(world.other, "fixed-exam", clock)

    def pinned(attempt):
        return dict(db.session.execute(select(AttemptQuestion.question_id, AttemptQuestion.question_version_id)
                                       .where(AttemptQuestion.attempt_id == attempt.id)).all())

    current = dict(db.session.execute(select(Question.id, Question.current_version_id)
                                      .where(Question.bank.has(slug="fixed"))).all())
    assert pinned(second) == current  # every question at its version now, the changed one's new version included
    assert pinned(first)[changed] != current[changed]  # the first start pinned the version before the sync


@pytest.mark.committed  # each request in its own transaction, as in production
def test_starts_through_the_app_draw_only_what_is_active_now(app, client, make_client, world, clock):
    login(client, world.trainee.email)
    token = csrf_from(client.get("/exams/pool-exam").get_data(as_text=True))
    assert client.post("/exams/pool-exam/start", data={"csrf_token": token}).status_code == 302  # the pool kept
    drawn = set(_db.session.scalars(select(AttemptQuestion.question_id).join(Attempt)
                                    .where(Attempt.user_id == world.trainee.id)).all())
    # Everything retired but three questions the first start did not draw, which fill the blueprint exactly
    # (two of objective AG-1.2, one more): the next start must draw those three.
    rows = _db.session.execute(select(Question.id, Question.objective).where(Question.bank.has(slug="pool"))
                               .order_by(Question.id)).all()
    kept = [i for i, objective in rows if objective == "AG-1.2" and i not in drawn][:2]
    kept += [i for i, objective in rows if objective != "AG-1.2" and i not in drawn][:1]
    _db.session.execute(update(Question).where(Question.bank.has(slug="pool"), Question.id.not_in(kept))
                        .values(status="retired"))
    _db.session.commit()
    other = make_client()
    login(other, world.other.email)
    other_token = csrf_from(other.get("/exams/pool-exam").get_data(as_text=True))
    assert other.post("/exams/pool-exam/start", data={"csrf_token": other_token}).status_code == 302
    _db.session.rollback()
    again = _db.session.scalars(select(AttemptQuestion.question_id).join(Attempt)
                                .where(Attempt.user_id == world.other.id)).all()
    assert len(kept) == 3 and sorted(again) == sorted(kept)
