"""The draw: per cell, overlapping cells, seeded, no repeats with a fallback, and its limits."""
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lms.exams.draw import Candidate, DrawError, draw_pools, draw_questions


def pool():
    out = []
    n = 0
    for objective, difficulty, count in (("X-1", "easy", 3), ("X-1", "hard", 2), ("X-2", "easy", 3)):
        for _ in range(count):
            n += 1
            out.append(Candidate(n, 100 + n, "bank", objective, difficulty, n))
    return out


CELLS = [{"bank": "bank", "objective": "X-1", "difficulty": "hard", "count": 2},
         {"bank": "bank", "objective": "X-1", "count": 2},
         {"bank": "bank", "count": 2}]


def test_each_cell_gets_its_count_of_distinct_matching_questions():
    for seed in range(50):
        drawn = draw_questions(CELLS, pool(), random.Random(seed))
        ids = [d.candidate.question_id for d in drawn]
        assert len(ids) == 6 and len(set(ids)) == 6
        for d in drawn:
            cell = CELLS[d.cell]
            assert d.candidate.objective == cell.get("objective", d.candidate.objective)
            assert d.candidate.difficulty == cell.get("difficulty", d.candidate.difficulty)
        assert sum(1 for d in drawn if d.cell == 0) == 2


def test_the_same_seed_draws_the_same_questions_in_the_same_order():
    a = draw_questions(CELLS, pool(), random.Random("seed-1"))
    b = draw_questions(CELLS, pool(), random.Random("seed-1"))
    assert a == b
    orders = {tuple(d.candidate.question_id for d in draw_questions(CELLS, pool(), random.Random(s)))
              for s in range(30)}
    assert len(orders) > 10  # different seeds, different draws


def test_overlapping_cells_that_need_every_question_are_solved():
    # The whole-bank cell must leave the two hard X-1 questions to the first cell.
    cells = [{"bank": "bank", "count": 6}, {"bank": "bank", "objective": "X-1", "difficulty": "hard", "count": 2}]
    for seed in range(30):
        drawn = draw_questions(cells, pool(), random.Random(seed))
        assert len({d.candidate.question_id for d in drawn}) == 8


def test_no_repeats_uses_unseen_questions_first_and_falls_back_only_when_it_must():
    seen = frozenset({1, 2, 6})
    for seed in range(30):
        drawn = draw_questions([{"bank": "bank", "count": 5}], pool(), random.Random(seed), seen=seen)
        assert not {d.candidate.question_id for d in drawn} & seen
        assert not any(d.repeat for d in drawn)
    drawn = draw_questions([{"bank": "bank", "count": 7}], pool(), random.Random(1), seen=seen)
    assert sum(d.repeat for d in drawn) == 2


def test_unshuffled_draws_follow_cell_then_bank_order():
    drawn = draw_questions([{"bank": "bank", "objective": "X-2", "count": 3}, {"bank": "bank", "objective": "X-1",
                                                                               "count": 2}],
                           pool(), random.Random(3), shuffle=False)
    assert [d.cell for d in drawn] == [0, 0, 0, 1, 1]
    assert [d.candidate.position for d in drawn[:3]] == [6, 7, 8]


def test_a_blueprint_the_pool_cannot_fill_is_an_error():
    with pytest.raises(DrawError):
        draw_questions([{"bank": "bank", "objective": "X-1", "difficulty": "hard", "count": 3}], pool(),
                       random.Random(0))


def test_an_early_attempt_leaves_what_later_attempts_need():
    # Two rounds: the objective cell needs 2 x 2 of the 4 X-1 questions, so the bank cell must take the
    # two X-2 ones. Without the reservation, round one's bank cell would often take an X-1 question.
    cells = [{"bank": "bank", "objective": "X-1", "count": 2}, {"bank": "bank", "count": 1}]
    small = [c for c in pool() if c.objective == "X-1"][:4] + [c for c in pool() if c.objective == "X-2"][:2]
    for seed in range(60):
        first = draw_questions(cells, small, random.Random(seed), rounds=2)
        seen = frozenset(d.candidate.question_id for d in first)
        second = draw_questions(cells, small, random.Random(seed + 1000), seen=seen, rounds=1)
        assert not any(d.repeat for d in second), seed
    unreserved = [draw_questions(cells, small, random.Random(s), rounds=1) for s in range(60)]
    assert any(d.candidate.objective == "X-1" for draw in unreserved for d in draw if d.cell == 1)


def _family_pool():
    """Two banks asking the same facts: il-1/cu-1 and il-2/cu-2 are families; il-3 and cu-3 stand alone."""
    out = []
    for n, (bank, family) in enumerate([("il", "f1"), ("il", "f2"), ("il", None), ("cu", "f1"), ("cu", "f2"),
                                        ("cu", None)], start=1):
        out.append(Candidate(n, 100 + n, bank, "X-1", "easy", n, family))
    return out


def test_one_attempt_never_draws_two_questions_of_a_family():
    cells = [{"bank": "il", "count": 2}, {"bank": "cu", "count": 2}]
    for seed in range(60):
        drawn = draw_questions(cells, _family_pool(), random.Random(seed))
        families = [d.candidate.family for d in drawn if d.candidate.family]
        assert len(drawn) == 4 and len(families) == len(set(families)), (seed, drawn)
        # Only one way to avoid a family twice: il-3 and cu-3 are both drawn, with one of each family.
        assert {3, 6} <= {d.candidate.question_id for d in drawn}


def test_families_are_honoured_before_a_repeat_and_a_blueprint_that_cannot_avoid_one_fails():
    cells = [{"bank": "il", "count": 2}, {"bank": "cu", "count": 2}]
    # il-3 was seen in the trainee's first attempt: avoiding a family pair now needs it again (a repeat).
    drawn = draw_questions(cells, _family_pool(), random.Random(1), seen=frozenset({3}), rounds=1)
    assert [d.candidate.question_id for d in drawn if d.repeat] == [3]
    with pytest.raises(DrawError):
        draw_questions([{"bank": "il", "count": 3}, {"bank": "cu", "count": 2}], _family_pool(), random.Random(1))


_BANKS, _OBJECTIVES, _DIFFICULTIES = ("a", "b"), ("X-1", "X-2", None), ("easy", "hard")


@given(st.lists(st.tuples(st.sampled_from(_BANKS), st.sampled_from(_OBJECTIVES), st.sampled_from(_DIFFICULTIES)),
                max_size=30),
       st.lists(st.fixed_dictionaries({"bank": st.sampled_from(_BANKS + ("c",)), "count": st.just(1)},
                                      optional={"objective": st.sampled_from(_OBJECTIVES),
                                                "difficulty": st.sampled_from(_DIFFICULTIES)}), max_size=8))
def test_each_cells_pool_is_its_banks_questions_of_its_objective_and_difficulty_in_order(rows, cells):
    candidates = [Candidate(n, 100 + n, bank, objective, difficulty, n)
                  for n, (bank, objective, difficulty) in enumerate(rows)]
    expected = [[c for c in candidates if c.bank == cell["bank"]
                 and ("objective" not in cell or c.objective == cell["objective"])
                 and ("difficulty" not in cell or c.difficulty == cell["difficulty"])] for cell in cells]
    assert draw_pools(cells, candidates) == expected
