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
Q6: x = 0 1 1 1 0 0, rest = 2 3 2 5 4 3; mean x = 1/2, mean rest = 19/6; cov = 10/6 - 19/12 = 1/12;
var x = 1/4; var rest = 67/6 - 361/36 = 41/36; r = (1/12) / (sqrt(41)/12) = 1/sqrt(41) = 0.156174 (weak: < 0.20).
Q3: r = 0.349215 (not weak).
Q1 does not vary: no r. Wrong answers pick the "common" distractor, except on Q5 where T2 picked the rare one.
"""
import re

import pytest
from sqlalchemy import select

from lms.exams.attempts import submit_attempt

from lms.exams.pages import save_answer
from lms.exams.statistics import (
    MIN_FOR_RELIABILITY, ItemStats, exam_statistics, item_flags, kr20, pairwise_alpha, pearson, sample_sd, sort_items,
)
from lms.extensions import db as _db
from lms.models import Question, Role

from ..conftest import login
from ..factories import start

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
    assert items["fx-6"].discrimination == pytest.approx(0.156174, abs=1e-6)

    def flags(slug):
        return [(f.label, f.detail) for f in items[slug].flags]

    assert flags("fx-1") == [("Very easy", "p = 1.00, above 0.95"),
                             ("2 unused distractors", "Never picked: “Common distractor 1”; “Rare distractor 1”")]
    assert flags("fx-2") == [("Very hard", "p = 0.17, below 0.2"),
                             ("Unused distractor", "Never picked: “Rare distractor 2”")]
    assert flags("fx-5") == [("Negative r", "r = -0.14: stronger trainees did worse on it")]
    assert flags("fx-6") == [("Weak r", "r = 0.16, below 0.20"),
                             ("Unused distractor", "Never picked: “Rare distractor 6”")]
    assert flags("fx-3") == [("Unused distractor", "Never picked: “Rare distractor 3”")]
    assert flags("fx-4") == [("Unused distractor", "Never picked: “Rare distractor 4”")]


def test_small_helpers():
    assert pearson([1, 1, 1], [1, 2, 3]) is None and sample_sd([5]) is None
    assert kr20([[1, 0], [1, 0]]) is None
    assert kr20([[1, 1], [0, 0], [1, 0]]) == pytest.approx(2 * (1 - (2 / 9 + 2 / 9) / (6 / 9)))


def _item(**kw):
    base = dict(version_id=1, question_slug="q", version_number=1, qtype="single", objective="O", difficulty="easy",
                stem_html="<p>Stem</p>", n=10, facility=0.5, discrimination=0.5, unanswered=0)
    return ItemStats(**(base | kw))


@pytest.mark.parametrize("r, codes", [
    (-0.004, ["weak"]),  # rounds to -0.00, shown as 0.00: weak, not negative
    (-0.0049, ["weak"]),
    (-0.006, ["negative"]),  # shown as -0.01
    (0.196, []),  # shown as 0.20: not weak
    (0.194, ["weak"]),
    (None, []),
])
def test_discrimination_is_rounded_as_shown_before_it_is_classified(r, codes):
    assert [f.code for f in item_flags(_item(discrimination=r))] == codes


def test_no_flags_below_the_minimum_number_of_attempts():
    assert item_flags(_item(n=4, facility=1.0, discrimination=-0.9)) == []


def test_items_sort_by_each_statistic_with_missing_values_last():
    a = _item(question_slug="a", n=3, facility=0.9, discrimination=None, objective="O-2")
    b = _item(question_slug="b", n=7, facility=0.2, discrimination=0.4, objective="O-1")
    c = _item(question_slug="c", n=5, facility=0.5, discrimination=-0.1, objective="O-3")
    slugs = lambda items: [i.question_slug for i in items]  # noqa: E731
    assert slugs(sort_items([c, a, b], "question")) == ["a", "b", "c"]
    assert slugs(sort_items([a, b, c], "p")) == ["b", "c", "a"]
    assert slugs(sort_items([a, b, c], "p", descending=True)) == ["a", "c", "b"]
    assert slugs(sort_items([a, b, c], "r")) == ["c", "b", "a"]
    assert slugs(sort_items([a, b, c], "r", descending=True)) == ["b", "c", "a"]  # no r: last either way
    assert slugs(sort_items([a, b, c], "n", descending=True)) == ["b", "c", "a"]
    assert slugs(sort_items([a, b, c], "objective")) == ["b", "a", "c"]
    assert slugs(sort_items([c, b, a], "no-such-column")) == ["a", "b", "c"]


# A randomized exam where every attempt draws a different subset: five items, each attempt draws four
# (leaving out a different one), so every pair of items is drawn together in three attempts.
#
#        A  B  C  D  E
#   T1   -  1  1  1  0
#   T2   1  -  1  0  1
#   T3   0  0  -  0  0
#   T4   1  1  1  -  1
#   T5   0  1  0  0  -
#
# Item sums of squares over the attempts that drew each (4 each, 3 degrees of freedom):
#   A 1 0 1 0 -> 1;  B 1 0 1 1 -> 3/4;  C 1 1 1 0 -> 3/4;  D 1 0 0 0 -> 3/4;  E 0 1 0 1 -> 1.
#   Pooled item variance v = (17/4) / 15 = 17/60.
# Pair sums of cross-products over the attempts that drew both (3 each, 2 degrees of freedom), with the
# pair's own means: AB (T3 0 0, T4 1 1, T5 0 1) = 1/3; AC 2/3; AD 0; AE 2/3; BC 0; BD 1/3; BE 1/3; CD 1/3;
#   CE 0; DE -1/3.  Sum 7/3 over 20 degrees of freedom: pooled covariance c = 7/60.
# Alpha for a four-item attempt: k c / (v + (k - 1) c) = (28/60) / (17/60 + 21/60) = 28/38 = 14/19.
SPARSE = [dict(B=1, C=1, D=1, E=0), dict(A=1, C=1, D=0, E=1), dict(A=0, B=0, D=0, E=0), dict(A=1, B=1, C=1, E=1),
          dict(A=0, B=1, C=0, D=0)]


def test_pairwise_alpha_of_a_randomized_exam_matches_the_hand_computation():
    value, pairs = pairwise_alpha(SPARSE)
    assert pairs == 10 and value == pytest.approx(14 / 19, abs=1e-12)
    # Asked for a longer attempt, Spearman-Brown-like: 8 c / (v + 7 c) = 56 / (17 + 49) = 28/33.
    assert pairwise_alpha(SPARSE, length=8)[0] == pytest.approx(28 / 33, abs=1e-12)


def test_pairwise_alpha_of_a_fixed_form_is_kr20():
    rows = [dict(enumerate(row)) for row in MATRIX]
    assert pairwise_alpha(rows)[0] == pytest.approx(3 / 7, abs=1e-12) == kr20(MATRIX)


def test_pairwise_alpha_leaves_out_pairs_seen_together_once_and_needs_some():
    # Every pair drawn together once only: no covariance can be estimated.
    assert pairwise_alpha([dict(A=1, B=1), dict(C=0, D=1), dict(A=0, C=1), dict(B=0, D=0)]) == (None, 0)
    # Adding one more attempt with A and B: only the pair AB (now seen twice) counts.
    value, pairs = pairwise_alpha([dict(A=1, B=1), dict(C=0, D=1), dict(A=0, C=1), dict(B=0, D=0), dict(A=0, B=0)])
    assert pairs == 1 and value is not None
    assert pairwise_alpha([]) == (None, 0)
    assert pairwise_alpha([dict(A=1, B=1), dict(A=1, B=1), dict(A=1, B=1)]) == (None, 1)  # nothing varies


def _take(user, clock, seed, right):
    """Start a pool-exam attempt, answer each question right when ``right(question_id)`` says so, submit."""
    attempt = start(user, "pool-exam", clock, seed=seed)
    for aq in attempt.questions:
        choice = "1" if right(aq.question_id) else "2"  # unshuffled: the key "a" is shown first
        save_answer(attempt_id=attempt.id, user_id=user.id, position=aq.position, values=[choice], now=clock())
    submit_attempt(attempt, now=clock(), actor=user)
    _db.session.commit()
    return attempt


def test_randomized_exam_gets_a_reliability_from_its_own_attempts(world, factory, clock):
    users = [world.trainee, world.other] + [factory.user(Role.TRAINEE, agency=world.agency) for _ in range(6)]
    for user in users[2:]:
        factory.enroll(user, world.cohort)
    # Trainee t answers the questions pl-1 .. pl-t right: stronger trainees know more, so items cohere.
    rank = {q.id: int(q.slug.split("-")[1]) for q in _db.session.scalars(select(Question))
            if q.slug.startswith("pl-")}
    attempts = [_take(user, clock, f"seed-{t}", lambda qid, t=t: rank[qid] <= t) for t, user in enumerate(users)]
    forms = {frozenset(q.question_id for q in a.questions) for a in attempts}
    assert len(forms) > 1, "the seeds should draw different questions"
    matrix = [{aq.question_version_id: aq.points / aq.max_points for aq in a.questions} for a in attempts]
    expected, pairs = pairwise_alpha(matrix, length=3)
    stats = exam_statistics(attempts[0].exam_id)
    assert stats.reliability.name == "Coefficient alpha (randomized exam)"
    assert expected is not None and stats.reliability.value == pytest.approx(expected, abs=1e-12)
    assert f"{pairs} pairs" in stats.reliability.note and "3-question attempt" in stats.reliability.note


def test_too_few_attempts_say_so_with_the_minimum(world, clock):
    from ..factories import answer_all

    pool = [start(user, "pool-exam", clock, seed=seed) for user, seed in ((world.trainee, "a"), (world.other, "b"))]
    assert {q.question_id for q in pool[0].questions} != {q.question_id for q in pool[1].questions}
    for attempt in pool:
        submit_attempt(attempt, now=clock(), actor=attempt.user)
    _db.session.commit()
    stats = exam_statistics(pool[0].exam_id)
    assert stats.n == 2 and stats.reliability.value is None
    assert stats.reliability.reason == f"not enough attempts (2 finished; at least {MIN_FOR_RELIABILITY} needed)"

    mixed = [start(user, "mixed-exam", clock) for user in (world.trainee, world.other)]
    answer_all(mixed[0], clock, right=True)
    answer_all(mixed[1], clock, right=False)
    for attempt in mixed:
        submit_attempt(attempt, now=clock(), actor=attempt.user)
    _db.session.commit()
    stats = exam_statistics(mixed[0].exam_id)
    short = next(i for i in stats.items if i.question_slug == "mx-short")
    assert short.wrong_answers == [("nothing like it", 1)]


def test_partial_credit_on_one_form_gets_alpha(world, factory, clock):
    from ..factories import answer_all

    users = [world.trainee, world.other] + [factory.user(Role.TRAINEE, agency=world.agency) for _ in range(3)]
    for user in users[2:]:
        factory.enroll(user, world.cohort)
    for number, user in enumerate(users):
        attempt = start(user, "mixed-exam", clock)
        answer_all(attempt, clock, right=number % 2 == 0)
        submit_attempt(attempt, now=clock(), actor=user)
        _db.session.commit()
    stats = exam_statistics(attempt.exam_id)
    # Every attempt draws all eight questions: one form; partial credit items make it alpha, not KR-20.
    assert stats.reliability.name == "Cronbach's alpha" and stats.reliability.value == pytest.approx(1.0)


def _rows(page):
    """The item rows' ids, in page order."""
    return re.findall(r'<tr id="item-(fx-\d)-v1"', page)


def test_statistics_page_shows_question_texts_short_flags_and_sorts(taken, client, world):
    login(client, world.instructor.email)
    url = f"/results/cohorts/{world.cohort.id}/exams/fixed-exam/statistics"
    page = client.get(url).get_data(as_text=True)
    # The question's text, shortened, with the whole of it one click away (no JavaScript needed).
    assert ("<details class=\"item-stem\"><summary>In the statistics fixture, item 4 asks about use of force; "
            "which option is…</summary>") in page
    assert "item 4 asks about use of force; which option is keyed?</p></div></details>" in page
    assert "fx-4 v1 · Single choice, medium" in page
    # Short flags, the detail on its own line; no long capitalised tags.
    assert '<span class="usa-tag item-flag__label">Negative r</span><span class="item-flag__detail">r = -0.14' in page
    assert "negative discrimination" not in page and "was never picked" not in page
    assert "KR-20 = 0.43" in page
    # Sorted by question by default: the heading says so to assistive technology.
    assert _rows(page) == ["fx-1", "fx-2", "fx-3", "fx-4", "fx-5", "fx-6"]
    assert re.search(r'<th scope="col" aria-sort="ascending">\s*<a class="sort-link" href="[^"]*sort=question'
                     r'&amp;dir=desc', page)
    assert page.count("aria-sort=") == 1
    # Facility, highest first: fx-1 (1.00), fx-3 (0.83), fx-4 (0.67), fx-5 and fx-6 (0.50, question order), fx-2.
    page = client.get(url + "?sort=p&dir=desc").get_data(as_text=True)
    assert _rows(page) == ["fx-1", "fx-3", "fx-4", "fx-5", "fx-6", "fx-2"]
    assert 'aria-sort="descending"' in page and "sorted by facility, highest first" in page
    # Discrimination, lowest first; fx-1 has none and comes last.
    page = client.get(url + "?sort=r").get_data(as_text=True)
    assert _rows(page) == ["fx-5", "fx-6", "fx-3", "fx-4", "fx-2", "fx-1"]
    # An unknown column is the default order, not an error.
    assert _rows(client.get(url + "?sort=%3Cscript%3E").get_data(as_text=True))[0] == "fx-1"
