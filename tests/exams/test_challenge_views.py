"""The pages of item challenges and standard setting: the trainee's challenge from the review and its outcome,
the instructors' queue and decision, staff's call on a held regrade, the rating page and adoption."""
import re
from datetime import date

from flask import url_for
from sqlalchemy import select

from lms.extensions import db
from lms.models import Exam, ItemChallenge, RegradeHold, Role

from ..conftest import login, post
from .test_challenges import FOUR_RIGHT, number_of, sit
from .test_standard_setting import R1, R2


def text(response):
    return response.get_data(as_text=True)


def test_a_trainee_challenges_from_the_review_and_sees_the_outcome(make_client, world, factory, clock):
    attempt = sit(world.trainee, clock, right=FOUR_RIGHT, single="b")
    number = number_of(attempt, "mx-single")
    trainee = make_client()
    login(trainee, world.trainee.email)
    page = f"/exams/attempts/{attempt.id}/result"
    assert "Challenge this question" in text(trainee.get(page))
    url = f"/exams/attempts/{attempt.id}/questions/{number}/challenge"
    response = post(trainee, url, {"reason": "Choice B names the statute too."}, page=page)
    assert response.status_code == 302
    assert "Your challenge is waiting for an instructor" in text(trainee.get(page))

    # Another trainee cannot challenge (or see) this attempt.
    other = make_client()
    login(other, world.other.email)
    assert post(other, url, {"reason": "me too"}, page="/course").status_code == 404

    # An instructor of another cohort does not see the challenge and cannot decide it.
    made = db.session.scalar(select(ItemChallenge))
    stranger = factory.user(Role.INSTRUCTOR, name="Stan Stranger")
    factory.cohort("exam-track", start=date(2026, 3, 2), agencies=[world.agency], instructors=[stranger])
    outsider = make_client()
    login(outsider, stranger.email)
    assert "Choice B names the statute too." not in text(outsider.get("/challenges"))
    assert post(outsider, f"/challenges/{made.id}/decide", {"decision": "reject", "reason": "x"},
                page="/challenges").status_code == 404

    # The cohort's instructor sees it with the item's statistics, and accepts the trainee's answer.
    instructor = make_client()
    login(instructor, world.instructor.email)
    queue = text(instructor.get("/challenges"))
    assert "Choice B names the statute too." in queue and "n = 1" in queue
    assert "Forty-two USC nineteen eighty-three" in queue  # an answer that may be accepted
    answer = '"b"'
    response = post(instructor, f"/challenges/{made.id}/decide",
                    {"decision": "accept_answer", "answer": answer, "reason": "Both statutes apply."},
                    page="/challenges")
    assert response.status_code == 302
    assert "1 changed, 1 now pass" in text(instructor.get("/challenges"))

    result = text(trainee.get(page))
    assert "Your challenge was upheld: another answer is now accepted." in result
    assert "62.5%" in result


def test_each_challenge_form_on_the_review_posts_to_its_own_question(app, make_client, world, clock):
    """The forms' addresses are built from one url_for (lms.views.exams._challenge_actions): each is the one url_for
    gives for its question's number, on a review of every question of the attempt."""
    attempt = sit(world.trainee, clock, right=FOUR_RIGHT, single="b")
    trainee = make_client()
    login(trainee, world.trainee.email)
    page = text(trainee.get(f"/exams/attempts/{attempt.id}/result"))
    forms = re.findall(r'<form class="usa-form" method="post" action="([^"]+)">.*?Challenge question (\d+)</button>',
                       page, re.S)
    assert len(forms) == len(attempt.questions) > 1
    with app.test_request_context():
        for action, number in forms:
            assert action == url_for("challenges.challenge", attempt_id=attempt.id, number=int(number))


def test_staff_decide_a_held_regrade_on_the_queue(make_client, world, factory, clock):
    staff = factory.user(Role.STAFF, name="Sam Staff")
    attempt = sit(world.trainee, clock, right=FOUR_RIGHT + ("mx-single",))
    made = sit(world.other, clock, right=FOUR_RIGHT)
    instructor = make_client()
    login(instructor, world.instructor.email)
    trainee = make_client()
    login(trainee, world.other.email)
    post(trainee, f"/exams/attempts/{made.id}/questions/{number_of(made, 'mx-single')}/challenge",
         {"reason": "Ambiguous stem."}, page="/course")
    challenge = db.session.scalar(select(ItemChallenge))
    response = post(instructor, f"/challenges/{challenge.id}/decide", {"decision": "drop", "reason": "Ambiguous."},
                    page="/challenges")
    assert response.status_code == 302
    assert "1 that would turn a pass into a fail are held for staff" in text(instructor.get("/challenges"))

    desk = make_client()
    login(desk, staff.email)
    queue = text(desk.get("/challenges"))
    assert "Terry Trainee" in queue and "62.5% (passed) would become 57.1%" in queue
    hold = db.session.scalar(select(RegradeHold))
    assert post(desk, f"/challenges/holds/{hold.id}", {"action": "keep", "reason": "Published key."},
                page="/challenges").status_code == 302
    db.session.refresh(attempt)
    assert attempt.passed and db.session.scalar(select(RegradeHold.status)) == "kept"


def test_instructors_rate_and_staff_adopt_on_the_rating_page(make_client, world, factory, clock):
    second = factory.user(Role.INSTRUCTOR, name="Rae Rater")
    staff = factory.user(Role.STAFF, name="Sam Staff")
    page = "/standard-setting/exams/pool-exam"
    for user, ratings in ((world.instructor, R1), (second, R2)):
        client = make_client()
        login(client, user.email)
        assert "pl-6" in text(client.get(page))
        response = post(client, page, {f"rating-{q}": str(v) for q, v in ratings.items()}, page=page)
        assert response.status_code == 302
    shown = text(client.get(page))
    assert "67.2%" in shown and "71.7%" in shown and "62.8%" in shown and "4.4 percentage points" in shown
    assert "Adopt the cut score" not in shown  # instructors rate; staff adopt

    desk = make_client()
    login(desk, staff.email)
    response = post(desk, f"{page}/adopt", {"note": "Two instructors"}, page=page)
    assert response.status_code == 302
    assert "The pass mark is now 67.2%" in text(desk.get(page))
    exam = db.session.scalar(select(Exam).where(Exam.slug == "pool-exam"))
    assert exam.current_version.blueprint["pass_mark"] == 67.2
    # A bad rating is refused with its reason.
    post(desk, page, {"rating-pl-1": "1.5"}, page=page)
    assert "is not a probability from 0 to 1" in text(desk.get(page))
