"""Item and exam statistics checked against values computed by hand for a small fixed data set.

Six trainees take the fixed-form exam (six single-choice items, unshuffled). Item scores:

        Q1 Q2 Q3 Q4 Q5 Q6   total  percent
  T1     1  0  0  0  1  0     2    33.33
  T2     1  0  1  1  0  1     4    66.67
  T3     1  0  1  0  0  1     3    50
  T4     1  1  1  1  1  1     6   100
  T5     1  0  1  1  1  0     4    66.67
  T6     1  0  1  1  0  0     3    50

Facility p: Q1 6/6, Q2 1/6, Q3 5/6, Q4 4/6, Q5 3/6, Q6 3/6.
Mean percent = (2+4+3+6+4+3)/6/6 x 100 = 22/36 x 100 = 61.111.
Totals' deviations from 22/6: -5/3, 1/3, -2/3, 7/3, 1/3, -2/3; squares sum to 84/9 = 9.333;
sample SD = sqrt(9.333/5) = 1.36626 points = 22.771 percentage points.
KR-20 = k/(k-1) (1 - sum pq / var) with the population variance 9.333/6 = 14/9 and
sum pq = 0 + 5/36 + 5/36 + 8/36 + 9/36 + 9/36 = 1, so KR-20 = 6/5 x (1 - 9/14) = 3/7 = 0.428571.
Point-biserial of Q4 against the rest: x = 0 1 0 1 1 1, rest = 2 3 3 5 3 2; mean x = 2/3, mean rest = 3;
cov = 13/6 - 2 = 1/6; var x = 2/9; var rest = 60/6 - 9 = 1; r = (1/6) / sqrt(2/9) = 0.353553.
Q5: x = 1 0 0 1 1 0, rest = 1 4 3 5 3 3; mean rest = 19/6; cov = 9/6 - 19/12 = -1/12;
var x = 1/4; var rest = 69/6 - 361/36 = 53/36; r = (-1/12) / sqrt(53/144) = -1/sqrt(53) = -0.137361.
Q2: x = 0 0 0 1 0 0, rest = 2 4 3 5 4 3; cov = 5/6 - (1/6)(21/6) = 9/36; var x = 5/36;
var rest = 79/6 - 441/36 = 33/36; r = 9 / sqrt(5 x 33) = 0.700649.
Q1 does not vary: no r. Wrong answers pick the "common" distractor, except on Q5 where T2 picked the rare one.
"""
import pytest

from lms.exams.attempts import save_answer, submit_attempt
from lms.exams.statistics import exam_statistics, kr20, pearson, sample_sd
from lms.extensions import db as _db
from lms.models import Role

from .conftest import start

MATRIX = [
    [1, 0, 0, 0, 1, 0],
    [1, 0, 1, 1, 0, 1],
    [1, 0, 1, 0, 0, 1],
    [1, 1, 1, 1, 1, 1],
    [1, 0, 1, 1, 1, 0],
    [1, 0, 1, 1, 0, 0],
]


@pytest.fixture
def taken(world, factory, clock):
    trainees = [world.trainee, world.other]
    for _ in range(4):
        user = factory.user(Role.TRAINEE, agency=world.agency)
        factory.enroll(user, world.cohort)
        trainees.append(user)
    attempts = []
    for row_number, (user, row) in enumerate(zip(trainees, MATRIX)):
        attempt = start(user, "fixed-exam", clock)
        for aq, right in zip(attempt.questions, row):
            if right:
                choice = "1"  # unshuffled: the key "a" is shown first
            else:
                choice = "3" if (aq.position == 4 and row_number == 1) else "2"
            save_answer(attempt_id=attempt.id, user_id=user.id, position=aq.position, values=[choice], now=clock())
        submit_attempt(attempt, now=clock(), actor=user)
        _db.session.commit()
        attempts.append(attempt)
    return attempts


def test_exam_level_figures(taken):
    stats = exam_statistics(taken[0].exam_id)
    assert stats.n == 6
    assert stats.mean == pytest.approx(61.1111, abs=1e-3)
    assert stats.sd == pytest.approx(22.771, abs=1e-3)
    assert (stats.minimum, stats.maximum) == pytest.approx((33.3333, 100.0), abs=1e-3)
    assert stats.reliability.name == "KR-20" and stats.reliability.value == pytest.approx(3 / 7, abs=1e-6)
    assert stats.pass_rate == pytest.approx(5 / 6)  # pass mark 50: only T1 (33.3%) fails
    assert dict(stats.bands) == {"0–9%": 0, "10–19%": 0, "20–29%": 0, "30–39%": 1, "40–49%": 0, "50–59%": 2,
                                 "60–69%": 2, "70–79%": 0, "80–89%": 0, "90–100%": 1}


def test_item_figures_and_flags(taken):
    items = {i.question_slug: i for i in exam_statistics(taken[0].exam_id).items}
    assert [round(items[f"fx-{n}"].facility, 6) for n in range(1, 7)] == \
        [1.0, round(1 / 6, 6), round(5 / 6, 6), round(4 / 6, 6), 0.5, 0.5]
    assert items["fx-1"].discrimination is None
    assert items["fx-2"].discrimination == pytest.approx(0.700649, abs=1e-6)
    assert items["fx-4"].discrimination == pytest.approx(0.353553, abs=1e-6)
    assert items["fx-5"].discrimination == pytest.approx(-0.137361, abs=1e-6)
    assert [(c.label, c.count, c.is_key) for c in items["fx-5"].choices] == [("a", 3, True), ("b", 2, False),
                                                                            ("c", 1, False)]
    assert items["fx-1"].flags == ["very easy (p = 1.00 > 0.95)", "distractor “Common distractor 1” was never picked",
                                   "distractor “Rare distractor 1” was never picked"]
    assert items["fx-2"].flags == ["very hard (p = 0.17 < 0.2)", "distractor “Rare distractor 2” was never picked"]
    assert items["fx-5"].flags == ["negative discrimination (r = -0.14)"]
    assert items["fx-3"].flags == ["distractor “Rare distractor 3” was never picked"]


def test_randomized_forms_get_no_reliability_and_small_helpers(world, clock):
    assert pearson([1, 1, 1], [1, 2, 3]) is None and sample_sd([5]) is None
    assert kr20([[1, 0], [1, 0]]) is None
    assert kr20([[1, 1], [0, 0], [1, 0]]) == pytest.approx(2 * (1 - (2 / 9 + 2 / 9) / (6 / 9)))


def test_different_forms_get_no_coefficient_and_partial_credit_gets_alpha(world, clock):
    from .conftest import answer_all

    pool = [start(user, "pool-exam", clock, seed=seed) for user, seed in ((world.trainee, "a"), (world.other, "b"))]
    assert {q.question_id for q in pool[0].questions} != {q.question_id for q in pool[1].questions}
    for attempt in pool:
        submit_attempt(attempt, now=clock(), actor=attempt.user)
    _db.session.commit()
    stats = exam_statistics(pool[0].exam_id)
    assert stats.n == 2 and stats.reliability.value is None and "different questions" in stats.reliability.reason

    mixed = [start(user, "mixed-exam", clock) for user in (world.trainee, world.other)]
    answer_all(mixed[0], clock, right=True)
    answer_all(mixed[1], clock, right=False)
    for attempt in mixed:
        submit_attempt(attempt, now=clock(), actor=attempt.user)
    _db.session.commit()
    stats = exam_statistics(mixed[0].exam_id)
    # Every attempt draws all eight questions: one form; partial credit items make it alpha, not KR-20.
    assert stats.reliability.name == "Cronbach's alpha"
    short = next(i for i in stats.items if i.question_slug == "mx-short")
    assert short.wrong_answers == [("nothing like it", 1)]
