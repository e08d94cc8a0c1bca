"""The ordering question type, stage by stage: the file check (schema and line-numbered problems), sync,
the draw, the exam page without JavaScript and by autosave, grading with partial credit by pairs, the
review and the item analysis. Its fixture course is tests/fixtures/ordering_content (a bank of two
ordering questions and one single-choice question)."""
import random
import re
import shutil
from fractions import Fraction
from pathlib import Path

import pytest
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from lms.content import check_content, sync_content
from lms.exams.attempts import submit_attempt
from lms.exams.pages import attempt_page, save_answer
from lms.questions import QUESTION_TYPES, ResponseInvalid, grade
from lms.exams.review import review
from lms.exams.statistics import exam_statistics
from lms.extensions import db as _db
from lms.models import Question, Role

from ..conftest import csrf_from, login
from ..factories import start

ORDERING_ROOT = Path(__file__).resolve().parent.parent / "fixtures" / "ordering_content"
KIND = QUESTION_TYPES["ordering"]
PATH = {"type": "ordering", "items": ["Read", "Study", "Pass", "Certify"], "feedback": "f"}


# -- the type on its own --------------------------------------------------------------------------


@pytest.mark.parametrize("response, points, right", [
    ([0, 1, 2, 3], Fraction(1), 6),
    ([1, 0, 2, 3], Fraction(4, 6), 5),  # one pair of neighbours swapped: 5 of 6 pairs, (5 - 1) / 6
    ([0, 3, 1, 2], Fraction(2, 6), 4),  # the last item two places early: 4 right, 2 wrong
    ([3, 0, 1, 2], Fraction(0), 3),  # as many pairs wrong as right: no better than chance
    ([3, 2, 1, 0], Fraction(0), 0),  # reversed: nothing, never less
])
def test_partial_credit_is_kendalls_tau_floored_at_zero(response, points, right):
    g = grade(PATH, response)
    assert g.points == points and g.max_points == 1
    assert g.correct == (right == 6) and g.detail == {"pairs_right": right, "pairs": 6}


@pytest.mark.parametrize("response", [None, [0, 1, 2], [0, 1, 2, 2], [0, 1, 2, 7], "0123", {"0": 1}])
def test_no_answer_or_a_malformed_one_earns_nothing(response):
    g = grade(PATH, response)
    assert (g.points, g.correct) == (0, False)


def test_random_orders_earn_nothing_more_than_chance_on_average():
    # Over all 24 orders of four items tau averages 0; floored at 0, the mean is what a guess gets.
    from itertools import permutations

    scores = [grade(PATH, list(p)).points for p in permutations(range(4))]
    assert sum(scores) / len(scores) < Fraction(1, 4) and max(scores) == 1 and scores.count(1) == 1


def test_shown_order_is_shuffled_never_the_answer_and_seeded():
    for seed in range(50):
        shown = KIND.shown(PATH, random.Random(seed), False)  # even when the exam keeps choices in order
        assert sorted(shown) == [0, 1, 2, 3] and shown != [0, 1, 2, 3]
    assert KIND.shown(PATH, random.Random(7), True) == KIND.shown(PATH, random.Random(7), True)


def test_parse_turns_positions_per_shown_item_into_an_order():
    shown = [2, 0, 3, 1]  # the page shows Pass, Read, Certify, Study
    assert KIND.parse(shown, ["3", "1", "4", "2"]) == [0, 1, 2, 3]
    assert KIND.parse(shown, ["", "", "", ""]) is None
    # Without JavaScript a trainee may give a position twice or leave one out: ties keep the shown
    # order, unplaced items go last; every save is a whole order.
    assert KIND.parse(shown, ["1", "1", "", "2"]) == [2, 0, 1, 3]
    for bad in (["5", "1", "2", "3"], ["x", "1", "2", "3"], ["1", "2", "3"]):
        with pytest.raises(ResponseInvalid):
            KIND.parse(shown, bad)
    form = MultiDict([("a4.1", "3"), ("a4.2", "1"), ("a4.4", "2"), ("a4", "ignored")])
    assert KIND.form_values(shown, "a4", form) == ["3", "1", "", "2"]


def test_the_control_lists_items_in_the_trainees_order_with_no_key():
    shown = [2, 0, 3, 1]
    fresh = KIND.control("a0", PATH, shown, None)
    assert [i["text"] for i in fresh["items"]] == ["Pass", "Read", "Certify", "Study"]
    assert [i["position"] for i in fresh["items"]] == [None] * 4 and fresh["positions"] == ["1", "2", "3", "4"]
    answered = KIND.control("a0", PATH, shown, [1, 0, 2, 3])
    assert [(i["name"], i["text"], i["position"]) for i in answered["items"]] == [
        ("a0.4", "Study", "1"), ("a0.2", "Read", "2"), ("a0.1", "Pass", "3"), ("a0.3", "Certify", "4")]


def test_words_for_the_review_and_the_samples_for_simulations():
    assert KIND.describe_response(PATH, [1, 0, 2, 3]) == "Study → Read → Pass → Certify"
    assert KIND.describe_response(PATH, None) == "No answer"
    assert KIND.describe_key(PATH) == "Read → Study → Pass → Certify"
    shown = [2, 0, 3, 1]
    right = KIND.sample_values(PATH, shown, correct=True, rng=random.Random(1))
    wrong = KIND.sample_values(PATH, shown, correct=False, rng=random.Random(1))
    assert grade(PATH, KIND.parse(shown, right)).correct
    assert 0 < grade(PATH, KIND.parse(shown, wrong)).points < 1
    assert KIND.partial_credit(PATH) and KIND.choice_counts(PATH, [[0, 1, 2, 3]]) is None


# -- the content check ----------------------------------------------------------------------------


@pytest.fixture
def tree(tmp_path):
    root = tmp_path / "content"
    shutil.copytree(ORDERING_ROOT, root)
    return root


def _errors(root):
    return [str(e) for e in check_content(root)[1]]


def test_the_fixture_bank_is_valid(tree):
    catalog, errors = check_content(tree)
    assert errors == []
    assert [q["type"] for q in catalog.banks["ordering"].questions] == ["ordering", "ordering", "single"]


def test_the_check_reports_ordering_problems_at_their_lines(tree):
    bank = tree / "question_banks" / "ordering.yml"
    text = bank.read_text()
    lines = text.splitlines()
    third = lines.index("      - Pass the exams") + 1
    bank.write_text(text.replace("      - Pass the exams", "      - complete  the Course"))
    assert _errors(tree) == [
        f"question_banks/ordering.yml:{third}: question 'ord-path': item 3 is the same as item 2 "
        "('complete  the Course'); the items of an ordering question must differ"]

    bank.write_text(text.replace("      - Acceptance by program staff\n", "").replace(
        "    feedback: FBNOMINATION", "    answers: [x]\n    feedback: FBNOMINATION"))
    errors = _errors(tree)
    items_line = lines.index("    items:", lines.index("  - id: ord-nomination")) + 1
    assert f"question_banks/ordering.yml:{items_line}: questions.1.items: ['Nomination by the agency', " \
           "'Enrollment in a cohort'] is too short" in errors
    assert any(e.startswith("question_banks/ordering.yml:") and "unknown key 'answers'" in e for e in errors)

    bank.write_text(text.replace("    feedback: FBORDER the path runs from the agreement to the certificate.\n", ""))
    assert f"question_banks/ordering.yml:{lines.index('  - id: ord-path') + 1}: missing required key 'feedback' " \
           "in questions.0" in _errors(tree)


# -- sync, draw, the page, autosave, grading, review, statistics ----------------------------------------


@pytest.fixture
def course(factory):
    """The ordering course synced, a cohort in its first week, two trainees and an instructor."""
    factory.synced_content(ORDERING_ROOT)
    instructor = factory.user(Role.INSTRUCTOR)
    agency = factory.agency()
    cohort = factory.cohort("ordering-track", agencies=[agency], instructors=[instructor])
    trainees = [factory.user(Role.TRAINEE, agency=agency) for _ in range(5)]
    for trainee in trainees:
        factory.enroll(trainee, cohort)
    return cohort, instructor, trainees


def _question(aq):
    return aq.version.data


def test_sync_stores_an_ordering_version_and_a_changed_item_is_a_new_one(db, clock, tree):
    sync_content(tree, now=clock())
    db.session.commit()
    version = db.session.scalar(select(Question).where(Question.slug == "ord-path")).current_version
    assert version.qtype == "ordering" and version.number == 1
    assert version.data["items"][0] == "Read the agreement" and "id" not in version.data
    assert "FBORDER" in version.rendered["feedback"][""]
    bank = tree / "question_banks" / "ordering.yml"
    bank.write_text(bank.read_text().replace("- Pass the exams", "- Pass every exam"))
    report = sync_content(tree, now=clock())
    db.session.commit()
    assert report.updated["question"] == ["ord-path"]
    question = db.session.scalar(select(Question).where(Question.slug == "ord-path"))
    assert question.current_version.number == 2 and question.current_version.data["items"][2] == "Pass every exam"


def test_an_attempt_draws_ordering_questions_shuffled_and_the_page_shows_positions_only(course, client, clock):
    _, _, (trainee, *_) = course
    attempt = start(trainee, "ordering-exam", clock, seed="fixed")
    ordering = [aq for aq in attempt.questions if aq.qtype == "ordering"]
    assert len(ordering) == 2
    for aq in ordering:
        assert sorted(aq.shown) == list(range(len(_question(aq)["items"]))) and aq.shown != sorted(aq.shown)

    login(client, trainee.email)
    html = client.get(f"/exams/attempts/{attempt.id}").get_data(as_text=True)
    assert 'src="/static/js/ordering.js"' in html and html.index("js/ordering.js") < html.index("js/exam.js")
    aq = ordering[0]
    texts = _question(aq)["items"]
    shown_texts = [texts[i] for i in aq.shown]
    found = re.findall(r'<label class="usa-label exam-order__label[^"]*" for="(a\d\.\d)"><span class="usa-sr-only">'
                       r'Position of </span>([^<]+)</label>', html)
    assert found[:len(texts)] == [(f"a{aq.position}.{i + 1}", t) for i, t in enumerate(shown_texts)]
    assert "FBORDER" not in html and "RATORDER" not in html and "Not answered yet." in html


def test_no_javascript_form_and_autosave_save_an_order_and_a_reload_shows_it(course, client, clock):
    _, _, (trainee, *_) = course
    attempt = start(trainee, "ordering-exam", clock, seed="fixed")
    first, second = (aq for aq in attempt.questions if aq.qtype == "ordering")
    login(client, trainee.email)
    html = client.get(f"/exams/attempts/{attempt.id}").get_data(as_text=True)

    # The form, as a browser without JavaScript posts it: the position chosen for each item.
    form = {"csrf_token": csrf_from(html), "page": "0", "go": "stay"}
    for i, value in enumerate(KIND.sample_values(_question(first), first.shown, correct=True, rng=None)):
        form[f"a{first.position}.{i + 1}"] = value
    assert client.post(f"/exams/attempts/{attempt.id}/save", data=form).status_code == 302
    _db.session.refresh(first)
    assert first.response == [0, 1, 2, 3]

    # Autosave, as exam.js sends the renumbered selects after a move.
    values = KIND.sample_values(_question(second), second.shown, correct=False, rng=None)
    body = {"position": second.position, "flagged": False,
            "fields": [[f"a{second.position}.{i + 1}", v] for i, v in enumerate(values)]}
    saved = client.post(f"/exams/attempts/{attempt.id}/autosave", json=body, headers={"X-CSRFToken": csrf_from(html)})
    assert saved.status_code == 200 and saved.json["answered"]
    _db.session.refresh(second)
    assert second.response == [1, 0, 2]
    bad = dict(body, fields=[[f"a{second.position}.1", "9"]])
    refused = client.post(f"/exams/attempts/{attempt.id}/autosave", json=bad, headers={"X-CSRFToken": csrf_from(html)})
    assert refused.status_code == 400

    view = attempt_page(attempt, 0)
    shown = {q.position: q for q in view.questions}
    assert [i["text"] for i in shown[second.position].control["items"]] == [
        "Acceptance by program staff", "Nomination by the agency", "Enrollment in a cohort"]
    reload = client.get(f"/exams/attempts/{attempt.id}").get_data(as_text=True)
    assert reload.count('data-state="answered"') == 2


def _take(trainee, clock, correct: bool):
    attempt = start(trainee, "ordering-exam", clock)
    for aq in attempt.questions:
        kind = QUESTION_TYPES[aq.qtype]
        values = kind.sample_values(_question(aq), aq.shown, correct=correct or aq.qtype != "ordering",
                                    rng=random.Random(0))
        save_answer(attempt_id=attempt.id, user_id=trainee.id, position=aq.position, values=values, now=clock())
    submit_attempt(attempt, now=clock(), actor=trainee)
    _db.session.commit()
    return attempt


def test_grading_review_and_item_analysis_of_ordering_answers(course, client, make_client, clock):
    cohort, instructor, trainees = course
    attempts = [_take(t, clock, correct=n % 2 == 0) for n, t in enumerate(trainees)]
    # Wrong: the first two items swapped, 4 items: (5 - 1) / 6; 3 items: (2 - 1) / 3; the single is right.
    wrong = attempts[1]
    assert [(aq.qtype, round(aq.points, 4), aq.is_correct) for aq in wrong.questions] == [
        ("ordering", round(4 / 6, 4), False), ("ordering", round(1 / 3, 4), False), ("single", 1.0, True)]
    assert wrong.percent == pytest.approx(100 * (4 / 6 + 1 / 3 + 1) / 3)
    assert attempts[0].percent == 100

    items = review(wrong, "answers")
    path = items[0]
    assert path.your_answer == "Complete the course → Read the agreement → Pass the exams → Receive the certificate"
    assert path.correct_answer == "Read the agreement → Complete the course → Pass the exams → Receive the certificate"
    assert path.label == "Ordering" and path.choices == [] and "FBORDER" in path.feedback_html[0]
    login(client, trainees[1].email)
    result = client.get(f"/exams/attempts/{wrong.id}/result").get_data(as_text=True)
    assert "Partly correct" in result and "Read the agreement → Complete the course" in result

    stats = exam_statistics(wrong.exam_id)
    by_slug = {i.question_slug: i for i in stats.items}
    item = by_slug["ord-path"]
    assert item.type_label == "Ordering" and item.choices == [] and item.n == 5
    assert item.facility == pytest.approx((3 * 1 + 2 * 4 / 6) / 5)
    assert item.wrong_answers == [
        ("Complete the course → Read the agreement → Pass the exams → Receive the certificate", 2)]
    assert stats.reliability.name == "Cronbach's alpha"  # partial credit on one form
    staff = make_client()
    login(staff, instructor.email)
    page = staff.get(f"/results/cohorts/{cohort.id}/exams/ordering-exam/statistics").get_data(as_text=True)
    assert "ord-path v1 · Ordering" in page and "2 · Complete the course → Read the agreement" in page
