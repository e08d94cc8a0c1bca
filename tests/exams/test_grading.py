"""Each question type's grading (including partial credit) and its parsing of form values."""
import random
from fractions import Fraction

import pytest

from lms.questions import QUESTION_TYPES, ResponseInvalid, grade, parse_number

SINGLE = {"type": "single", "choices": [{"id": "a", "text": "A"}, {"id": "b", "text": "B", "correct": True},
                                        {"id": "c", "text": "C"}]}
PARTIAL = {"type": "multiple", "scoring": "partial", "choices": [
    {"id": "a", "text": "A", "correct": True}, {"id": "b", "text": "B", "correct": True},
    {"id": "c", "text": "C", "correct": True}, {"id": "d", "text": "D"}, {"id": "e", "text": "E"}]}
ALL_OR_NOTHING = {**PARTIAL, "scoring": "all_or_nothing"}
TF = {"type": "true_false", "answer": False}
SHORT = {"type": "short", "answers": ["Probable cause", "PC"]}
SHORT_CASE = {"type": "short", "answers": ["ICE"], "case_sensitive": True}
NUMERIC = {"type": "numeric", "answer": 48, "tolerance": 0.5, "unit": "hours"}
EXACT = {"type": "numeric", "answer": 2.1}
RANGE = {"type": "numeric", "range": [10, 20]}
MATCHING = {"type": "matching", "pairs": [{"prompt": "P0", "answer": "A0"}, {"prompt": "P1", "answer": "A1"},
                                          {"prompt": "P2", "answer": "A2"}, {"prompt": "P3", "answer": "A3"}]}


def points(question, response):
    return grade(question, response).points


def test_single_choice():
    assert grade(SINGLE, "b").correct and points(SINGLE, "b") == 1
    assert points(SINGLE, "a") == 0 and not grade(SINGLE, "a").correct
    assert points(SINGLE, None) == 0


@pytest.mark.parametrize("picked, expected", [
    (["a", "b", "c"], Fraction(1)),            # all correct
    (["a", "b"], Fraction(2, 3)),              # two of three
    (["a"], Fraction(1, 3)),
    (["a", "b", "d"], Fraction(1, 3)),         # 2/3 - 1/3
    (["a", "d", "e"], Fraction(0)),            # 1/3 - 2/3 floored at 0
    (["a", "b", "c", "d", "e"], Fraction(1, 3)),  # ticking everything: 3/3 - 2/3
    (None, Fraction(0)),
])
def test_multiple_partial_credit_without_guessing_gain(picked, expected):
    assert points(PARTIAL, picked) == expected
    assert grade(PARTIAL, picked).correct == (expected == 1)


def test_multiple_all_or_nothing():
    assert points(ALL_OR_NOTHING, ["a", "b", "c"]) == 1
    assert points(ALL_OR_NOTHING, ["a", "b"]) == 0
    assert points(ALL_OR_NOTHING, ["a", "b", "c", "d"]) == 0


def test_true_false():
    assert grade(TF, False).correct and points(TF, True) == 0 and points(TF, None) == 0


def test_short_answer_collapses_whitespace_and_ignores_case_by_default():
    assert grade(SHORT, "  probable   CAUSE ").correct
    assert grade(SHORT, "pc").correct
    assert not grade(SHORT, "probable-cause").correct
    assert grade(SHORT_CASE, " ICE ").correct and not grade(SHORT_CASE, "ice").correct
    assert not grade(SHORT, None).correct


@pytest.mark.parametrize("typed, ok", [
    ("48", True), ("47.5", True), ("48.5", True), ("48.51", False), ("47.49", False),
    ("48 hours", True), ("48 Hours", True), ("  48  ", True), ("forty-eight", False), ("", False),
    ("4 8", False), ("48h", False), ("+48.0", True),
])
def test_numeric_with_tolerance_and_unit(typed, ok):
    assert grade(NUMERIC, typed).correct is ok


def test_numeric_exact_and_range_are_decimal_exact():
    assert grade(EXACT, "2.1").correct and not grade(EXACT, "2.10001").correct
    assert grade(RANGE, "10").correct and grade(RANGE, "20").correct and grade(RANGE, "1,5").correct is False
    assert not grade(RANGE, "20.0001").correct
    assert parse_number("1,500") == 1500 and parse_number("1,50") is None and parse_number("nan") is None


def test_matching_scores_a_fraction_per_pair():
    assert points(MATCHING, {"0": 0, "1": 1, "2": 2, "3": 3}) == 1
    assert points(MATCHING, {"0": 0, "1": 1, "2": 3, "3": 2}) == Fraction(1, 2)
    assert points(MATCHING, {"0": 0}) == Fraction(1, 4)
    assert points(MATCHING, None) == 0
    assert not grade(MATCHING, {"0": 0, "1": 1, "2": 3, "3": 2}).correct


def test_every_type_is_registered_once_with_the_same_signature():
    assert set(QUESTION_TYPES) == {"single", "multiple", "true_false", "short", "numeric", "matching", "ordering"}
    for name, kind in QUESTION_TYPES.items():
        assert kind.name == name and kind.grade.__code__.co_varnames[:3] == ("self", "question", "response")


def test_choices_are_parsed_from_shown_positions_not_ids():
    single = QUESTION_TYPES["single"]
    shown = ["c", "a", "b"]
    assert single.parse(shown, ["3"]) == "b"
    assert single.parse(shown, []) is None
    with pytest.raises(ResponseInvalid):
        single.parse(shown, ["4"])
    with pytest.raises(ResponseInvalid):
        single.parse(shown, ["b"])
    with pytest.raises(ResponseInvalid):
        single.parse(shown, ["1", "2"])
    multiple = QUESTION_TYPES["multiple"]
    assert multiple.parse(shown, ["3", "1", "3"]) == ["b", "c"]
    assert multiple.field_state(shown, ["b", "c"]) == {1, 3}


def test_matching_parse_and_shown_order_never_gives_the_key_away():
    kind = QUESTION_TYPES["matching"]
    for seed in range(200):
        shown = kind.shown(MATCHING, random.Random(seed), shuffle=False)
        assert shown["prompts"] == [0, 1, 2, 3]
        assert shown["answers"] != shown["prompts"]
    shown = {"prompts": [2, 0, 1, 3], "answers": [3, 2, 1, 0]}
    # prompt P2 (shown first) -> shown answer 2 (pair 2): right; P0 -> answer 4 (pair 0): right.
    response = kind.parse(shown, ["2", "4", "", "1"])
    assert response == {"2": 2, "0": 0, "3": 3}
    assert kind.field_state(shown, response) == [2, 4, None, 1]
    assert points(MATCHING, response) == Fraction(3, 4)
    with pytest.raises(ResponseInvalid):
        kind.parse(shown, ["1"])


def test_text_answers_are_bounded():
    with pytest.raises(ResponseInvalid):
        QUESTION_TYPES["short"].parse(None, ["x" * 501])
    assert QUESTION_TYPES["short"].parse(None, ["   "]) is None
    assert QUESTION_TYPES["true_false"].parse(None, ["false"]) is False
