"""A short answer's review: trainees see the canonical answer, instructors and staff every accepted variant."""
from sqlalchemy import select

from lms.exams.attempts import submit_attempt
from lms.exams.review import review
from lms.exams.policy import ANSWERS
from lms.extensions import db as _db
from lms.models import Attempt, Role

from ..conftest import login
from ..factories import answer_all, start


def _finished_with_a_wrong_short_answer(world, clock):
    attempt = start(world.trainee, "mixed-exam", clock)
    answer_all(attempt, clock, right=False)  # the short answer typed is "nothing like it"
    submit_attempt(attempt, now=clock(), actor=world.trainee)
    _db.session.commit()
    assert any(q.qtype == "short" for q in attempt.questions)
    return attempt


def test_review_gives_the_canonical_answer_and_the_variants_only_on_request(world, clock):
    attempt = _finished_with_a_wrong_short_answer(world, clock)
    trainee_item = next(i for i in review(attempt, ANSWERS) if i.qtype == "short")
    assert trainee_item.correct_answer == "zebra omega" and trainee_item.also_accepted == []
    staff_item = next(i for i in review(attempt, ANSWERS, show_variants=True) if i.qtype == "short")
    assert staff_item.correct_answer == "zebra omega" and staff_item.also_accepted == ["zulu omega"]


def test_the_trainee_sees_one_answer_and_the_instructor_and_staff_see_every_variant(client, make_client, world,
                                                                                   factory, clock):
    attempt = _finished_with_a_wrong_short_answer(world, clock)
    attempt_id = attempt.id
    login(client, world.trainee.email)
    result = client.get(f"/exams/attempts/{attempt_id}/result").get_data(as_text=True)
    assert "<strong>Correct answer:</strong> zebra omega</p>" in result
    assert "zulu omega" not in result and "Also accepted" not in result

    staff = factory.user(Role.STAFF)
    for user in (world.instructor, staff):
        other = make_client()
        login(other, user.email)
        record = other.get(f"/results/attempts/{attempt_id}").get_data(as_text=True)
        assert "<strong>Correct answer:</strong> zebra omega</p>" in record
        assert "Also accepted (shown to staff only):</strong> zulu omega</p>" in record
    _db.session.rollback()
    assert _db.session.scalar(select(Attempt.status).where(Attempt.id == attempt_id)) == "finished"
