"""Item-quality and currency warnings of `lms content check` (lms/content/quality.py)."""
import re
from datetime import date, timedelta

import pytest

from lms.content.check import check_content

from lms.content.catalog import BankSpec, Catalog, ExamSpec, ModuleSpec, TrackSpec
from lms.content.quality import RULES, quality_warnings

from .conftest import PROJECT_ROOT
from .test_content import tree, write  # noqa: F401  (the fixture tree and its writer)

TODAY = date(2026, 12, 2)


def single(qid, key=0, lengths=(20, 20, 20, 20), stem=None, **extra):
    """A single-choice question whose key is choice ``key``, with choice texts of the given lengths."""
    return {"id": qid, "type": "single", "objective": "AG-1.1", "difficulty": "easy",
            "stem": stem or f"Stem of question {qid} about a distinct topic number {qid}?",
            "choices": [{"id": "abcdef"[i], "text": chr(65 + i) * n, "correct": i == key, "feedback": "f"}
                        for i, n in enumerate(lengths)], **extra}


def true_false(qid, answer):
    return {"id": qid, "type": "true_false", "objective": "AG-1.1", "difficulty": "easy",
            "stem": f"True or false, case {qid}: a distinct statement number {qid}.", "answer": answer}


def bank(bank_id, questions):
    return BankSpec(id=bank_id, title=bank_id, description="", questions=questions,
                    question_lines={q["id"]: 10 + i for i, q in enumerate(questions)},
                    path=f"question_banks/{bank_id}.yml")


def module(reviewed=TODAY, sources=("Terry v. Ohio, 392 U.S. 1 (1968)",)):
    return ModuleSpec(id="agreement/basics", title="t", topic="agreement", minutes=10, objectives=[],
                      sources=list(sources), annex=False, body="b", path="curriculum/modules/agreement/basics.md",
                      content_hash="h", reviewed=reviewed, reviewed_line=6, sources_line=9)


def messages(catalog, *, ignore=(), **kwargs):
    """The warnings as text, less those containing any of ``ignore``."""
    return [str(w) for w in quality_warnings(catalog, today=TODAY, **kwargs) if not any(i in str(w) for i in ignore)]


NO_STANDARD = "records no standard setting"


def balanced_bank(bank_id="b"):
    """Eight single-choice questions, keys spread over A-D and never the longest option."""
    return bank(bank_id, [single(f"{bank_id}-{i}", key=i % 4, lengths=(30, 30, 30, 30)) for i in range(8)])


def test_a_balanced_bank_has_no_warnings():
    assert messages(Catalog(banks={"b": balanced_bank()})) == []


def test_a_key_always_in_one_position_is_flagged():
    questions = [single(f"q{i}", key=0, lengths=(30, 30, 30, 30)) for i in range(8)]
    assert messages(Catalog(banks={"b": bank("b", questions)})) == [
        "question_banks/b.yml:1: warning: bank 'b': the key is option A in 8 of 8 (100 %) single-choice questions "
        "(at most 40 %)"]


def test_a_key_that_is_the_longest_option_too_often_is_flagged():
    questions = [single(f"q{i}", key=i % 4, lengths=tuple(40 if j == i % 4 else 30 for j in range(4)))
                 for i in range(6)] + [single(f"r{i}", key=i, lengths=(30, 30, 30, 30)) for i in range(2)]
    found = messages(Catalog(banks={"b": bank("b", questions)}))
    assert found == ["question_banks/b.yml:1: warning: bank 'b': the key is the longest option in 6 of 8 (75 %) "
                     "single-choice questions (at most 35 %)"]


def test_share_rules_wait_for_a_bank_large_enough_to_judge():
    questions = [single(f"q{i}", key=0, lengths=(40, 30, 30, 30)) for i in range(RULES.min_items_for_share_rules - 1)]
    assert messages(Catalog(banks={"b": bank("b", questions)})) == []


@pytest.mark.parametrize("trues, flagged", [(1, True), (2, False), (3, False), (4, False), (5, True)])
def test_true_false_balance(trues, flagged):
    questions = [true_false(f"t{i}", i < trues) for i in range(6)]
    found = messages(Catalog(banks={"b": bank("b", questions)}))
    assert bool(found) == flagged, found
    if flagged:
        assert f"'true' is the key of {trues} of 6" in found[0]


def test_negative_stems_and_all_of_the_above_are_flagged_at_the_question():
    negative = single("neg", key=1, stem="Which of these is NOT a function the agreement delegates?")
    lower = single("low", key=2, stem="Which of the following is not part of the booking record?")
    aota = single("aota", key=3)
    aota["choices"][3]["text"] = "All of the above"
    catalog = Catalog(banks={"b": bank("b", [negative, lower, aota])})
    assert messages(catalog) == [
        "question_banks/b.yml:10: warning: question 'neg' has a negative stem (ask what is true, not what is not)",
        "question_banks/b.yml:11: warning: question 'low' has a negative stem (ask what is true, not what is not)",
        "question_banks/b.yml:12: warning: question 'aota' offers 'all/none of the above' as an option",
    ]


def test_a_lower_case_not_inside_a_scenario_is_not_a_negative_stem():
    plain = single("ok", stem="The man did not answer. What should the officer do next?")
    assert messages(Catalog(banks={"b": bank("b", [plain])})) == []


def test_similar_stems_across_banks_are_flagged_unless_one_family():
    stem = "A deputy finds a permanent resident card that looks altered during booking. What should the deputy do?"
    near = stem.replace("deputy finds", "custody officer finds").replace("the deputy do", "the officer do")
    one, two = single("x-1", stem=stem), single("y-1", stem=near)
    found = messages(Catalog(banks={"x": bank("x", [one]), "y": bank("y", [two])}))
    assert found == ["question_banks/y.yml:10: warning: question 'y-1' is much like 'x-1' (question_banks/x.yml:10): "
                     "rewrite one, or give both the same 'family'"]
    one["family"] = two["family"] = "altered-card"
    assert messages(Catalog(banks={"x": bank("x", [one]), "y": bank("y", [two])})) == []


def _exam(exam_id, cells, attempts=2, no_repeats=True):
    data = {"draw": cells, "attempts": attempts, "no_repeats": no_repeats}
    return ExamSpec(id=exam_id, title=exam_id, description="", data=data, path=f"curriculum/exams/{exam_id}.yml",
                    content_hash="h", draw_lines=[20 + i for i in range(len(cells))])


def _track(exams):
    return TrackSpec(id="t", title="t", audience="a", weeks=1, sample=True, description="", refresher_of=None,
                     certification_title="c", validity_years=2, schedule=[(1, "w", [], exams)], path="t.yml",
                     content_hash="h")


def test_a_certifying_exam_needs_fifteen_items_and_two_spares_per_cell():
    questions = [single(f"q{i}", key=i % 4, lengths=(30, 30, 30, 30)) for i in range(40)]
    pool = bank("b", questions)
    short = _exam("short", [{"bank": "b", "count": 8}])
    tight = _exam("tight", [{"bank": "b", "count": 15}], attempts=2)  # 30 drawn + 2 spare = 32 <= 40: fine
    greedy = _exam("greedy", [{"bank": "b", "count": 20}], attempts=2)  # 40 drawn, no spare left
    catalog = Catalog(banks={"b": pool}, exams={e.id: e for e in (short, tight, greedy)},
                      tracks={"t": _track(["short", "tight", "greedy"])})
    assert [m for m in messages(catalog, ignore=[NO_STANDARD]) if not m.startswith("t.yml")] == [
        "curriculum/exams/greedy.yml:20: warning: cell 1 (bank b) has fewer than 2 spare questions beyond the 40 that "
        "2 attempt(s) draw: 40 in the pool",
        "curriculum/exams/short.yml:1: warning: exam 'short' draws 8 questions; an exam that counts toward "
        "certification draws at least 15",
    ]


def test_an_exam_in_no_track_is_not_held_to_the_certification_length():
    catalog = Catalog(banks={"b": balanced_bank()}, exams={"practice": _exam("practice", [{"bank": "b", "count": 2}])})
    assert messages(catalog) == []


def test_review_dates_age_and_are_configurable():
    assert messages(Catalog(modules={"m": module(reviewed=TODAY - timedelta(days=365))})) == []
    stale = Catalog(modules={"m": module(reviewed=TODAY - timedelta(days=400))})
    assert messages(stale) == ["curriculum/modules/agreement/basics.md:6: warning: module 'agreement/basics' was last "
                               "reviewed on 2025-10-28, 400 days ago (more than 365)"]
    from dataclasses import replace
    assert messages(stale, rules=replace(RULES, review_max_days=500)) == []
    assert messages(Catalog(modules={"m": module(reviewed=None)})) == [
        "curriculum/modules/agreement/basics.md:2: warning: module 'agreement/basics' has no 'reviewed:' date"]


def test_a_source_without_a_date_is_flagged():
    found = messages(Catalog(modules={"m": module(sources=("8 U.S.C. 1357(g) (as amended through 2025)",
                                                           "8 C.F.R. 287.7"))}))
    assert found == ["curriculum/modules/agreement/basics.md:9: warning: source without a date "
                     "(a year or 'as of ...'): '8 C.F.R. 287.7'"]


def test_a_reviewed_date_is_read_from_the_front_matter_and_checked(tree):  # noqa: F811
    path = tree / "curriculum/modules/agreement/basics.md"
    text = path.read_text()
    path.write_text(text.replace("minutes:", "reviewed: 2026-02-30\nminutes:", 1))
    errors = [str(e) for e in check_content(tree)[1]]
    assert any("basics.md" in e and "'reviewed' is not a date that exists: 2026-02-30" in e for e in errors), errors
    path.write_text(text.replace("minutes:", "reviewed: 2026-02-03\nreviewed_by: Panel\nminutes:", 1))
    catalog, errors = check_content(tree)
    assert errors == []
    assert catalog.modules["agreement/basics"].reviewed == date(2026, 2, 3)
    assert catalog.modules["agreement/basics"].reviewed_by == "Panel"


def test_the_cli_prints_warnings_and_fails_only_when_strict(app, tree):  # noqa: F811
    runner = app.test_cli_runner()
    result = runner.invoke(args=["content", "check", "--root", str(tree)])
    assert result.exit_code == 0, result.output
    assert "has no 'reviewed:' date" in result.output
    assert re.search(r"; \d+ warnings?\.", result.output)
    strict = runner.invoke(args=["content", "check", "--root", str(tree), "--strict"])
    assert strict.exit_code == 1


def test_every_bundled_module_is_reviewed_and_dated():
    catalog, errors = check_content(PROJECT_ROOT)
    assert errors == []
    assert [m.id for m in catalog.modules.values() if m.reviewed is None] == []
    assert all(m.reviewed_by for m in catalog.modules.values())


def test_the_bundled_course_passes_every_quality_rule():
    """No warning at all: items per exam, spares per cell, key balance, families, review dates, source
    dates, standard setting and hours (the rules and their thresholds are lms.content.quality.RULES)."""
    catalog, errors = check_content(PROJECT_ROOT)
    assert errors == []
    assert [str(w) for w in quality_warnings(catalog, today=TODAY)] == []
    certifying = {slug for track in catalog.tracks.values() for _, _, _, exams in track.schedule for slug in exams}
    assert all(sum(cell["count"] for cell in catalog.exams[slug].data["draw"]) >= RULES.min_exam_items
               for slug in certifying)
    assert all("standard_setting" in catalog.exams[slug].data for slug in certifying)
    # The reviewer's near-duplicates are each one family, so no exam draws two of them.
    family = {q["id"]: q.get("family") for bank in catalog.banks.values() for q in bank.questions}
    for group in (["il-045", "cu-006"], ["il-048", "cu-008"], ["il-049", "cu-009", "cr-020"], ["cu-032", "ic-021"],
                  ["ag-025", "cu-004"], ["cr-017", "il-053"]):
        assert family[group[0]] and {family[qid] for qid in group} == {family[group[0]]}, group


def _placed_track(weeks=1, online=None, classroom=None, length_unit="weeks"):
    track = _track(["e"])
    track.schedule = [(1, "w", ["agreement/basics"], ["e"])]
    track.weeks, track.length_unit, track.online_hours, track.classroom_hours = weeks, length_unit, online, classroom
    return track


def _hours_catalog(track):
    module = ModuleSpec(id="agreement/basics", title="t", topic="agreement", minutes=90, objectives=[],
                        sources=["A source (2020)"], annex=False, body="b", path="m.md", content_hash="h",
                        reviewed=TODAY)
    exam = _exam("e", [{"bank": "b", "count": 15}], attempts=1, no_repeats=False)
    exam.data["time_limit_minutes"] = 30
    pool = bank("b", [single(f"q{i}", key=i % 4, lengths=(30, 30, 30, 30)) for i in range(17)])
    return Catalog(modules={"agreement/basics": module}, banks={"b": pool}, exams={"e": exam}, tracks={"t": track})


def test_a_track_states_its_hours_and_they_add_up():
    # 90 minutes of module and 30 of exam: 2 online hours; one week of 40 hours.
    def track_messages(track):
        return messages(_hours_catalog(track), ignore=[NO_STANDARD])

    assert track_messages(_placed_track(online=2, classroom=38)) == []
    assert track_messages(_placed_track()) == [
        "t.yml:1: warning: track 't' states no hours (hours: {online: ..., classroom: ...})"]
    assert track_messages(_placed_track(online=5, classroom=35)) == [
        "t.yml:1: warning: track 't' states 5 online hours, but its modules and exams take 2.0 hours"]
    assert track_messages(_placed_track(online=2, classroom=30)) == [
        "t.yml:1: warning: track 't' runs 1 week(s) of 40 hours, but its online and classroom hours add up to 32"]
    # A course stated in hours is not held to whole weeks.
    assert track_messages(_placed_track(online=2, classroom=6, length_unit="hours")) == []


def test_track_hours_are_synced_and_shown_on_the_course_page(factory, client, db):
    from lms.models import Role, Track
    from .conftest import login

    factory.synced_content(PROJECT_ROOT)
    officer = db.session.query(Track).filter_by(slug="officer-basic").one()
    refresher = db.session.query(Track).filter_by(slug="custody-refresher").one()
    assert (officer.length_label, officer.online_hours, officer.classroom_hours, officer.total_hours) == (
        "5 weeks", 20, 180, 200)
    assert (refresher.length_label, refresher.refresher_of) == ("8 hours", "custody-assistant")
    agency = factory.agency()
    cohort = factory.cohort("officer-basic", start=date(2026, 3, 2), agencies=[agency])
    factory.enroll(factory.user(Role.TRAINEE, email="hours@example.test", agency=agency), cohort)
    login(client, "hours@example.test")
    page = client.get("/course").get_data(as_text=True)
    assert "5 weeks · started" in page
    assert ("200 hours of training: 20 hours online in this app (modules and examinations) and 180 hours of "
            "classroom and practical work with your academy.") in page


def test_every_bundled_track_states_hours_that_add_up():
    catalog, errors = check_content(PROJECT_ROOT)
    assert errors == []
    assert [w for w in quality_warnings(catalog, today=TODAY) if "track" in w.path] == []


def test_the_angoff_cut_of_a_randomized_blueprint_by_hand():
    from lms.content.standard_setting import angoff_result

    # Item means: a 0.7, b 0.5, c 0.8. Cell 1 draws 2 from {a, b} (mean 0.6), cell 2 draws 1 from {c}:
    # expected score 2 x 0.6 + 0.8 = 2.0 of 3 = 66.7 %. Rater 1: 2 x 0.7 + 0.9 = 2.3 (76.7 %);
    # rater 2: 2 x 0.5 + 0.7 = 1.7 (56.7 %); their spread (population SD) is 10 points.
    result = angoff_result([{"count": 2}, {"count": 1}], [["a", "b"], ["c", "d"]], ["R1", "R2"],
                           {"a": [0.8, 0.6], "b": [0.6, 0.4], "c": [0.9, 0.7]})
    assert round(result.cut, 2) == 66.67
    assert {k: round(v, 2) for k, v in result.rater_cuts.items()} == {"R1": 76.67, "R2": 56.67}
    assert round(result.spread, 2) == 10.0
    assert result.unrated == ["d"]


STANDARD = """standard_setting:
  method: modified-angoff
  date: 2026-11-30
  raters: [R1, R2]
  ratings:
    t-001: [0.6, 0.8]
    t-002: [0.4, 0.6]
  cut: {cut}
"""


def test_content_check_proves_the_recorded_cut_from_its_ratings(tree):  # noqa: F811
    exam = tree / "curriculum/exams/test-exam.yml"
    base = exam.read_text()
    exam.write_text(base + STANDARD.format(cut=60))  # (0.7 + 0.5) / 2 = 60 %
    catalog, errors = check_content(tree)
    assert errors == []
    found = [str(w) for w in quality_warnings(catalog, today=TODAY) if "test-exam" in w.path]
    assert "curriculum/exams/test-exam.yml:1: warning: exam 'test-exam': the pass mark 50 is not the panel's cut 60" \
        in found
    exam.write_text(base.replace("pass_mark: 50", "pass_mark: 60") + STANDARD.format(cut=60))
    catalog, errors = check_content(tree)
    assert [str(w) for w in quality_warnings(catalog, today=TODAY) if "standard" in w.message or "cut" in w.message] \
        == []
    exam.write_text(base + STANDARD.format(cut=70))
    assert [str(e) for e in check_content(tree)[1]] == [
        "curriculum/exams/test-exam.yml:15: standard_setting: the recorded cut 70 does not follow from the ratings "
        "(60.0)"]
    exam.write_text(base + STANDARD.format(cut=60).replace("t-002: [0.4, 0.6]", "t-002: [0.4]\n    t-999: [1, 1]"))
    assert [str(e) for e in check_content(tree)[1]] == [
        "curriculum/exams/test-exam.yml:14: standard_setting: 't-002' has 1 rating(s) for 2 rater(s)",
        "curriculum/exams/test-exam.yml:15: standard_setting rates 't-999', which this exam cannot draw",
    ]


def test_a_certifying_exam_without_a_standard_setting_record_is_flagged(tree):  # noqa: F811
    catalog, errors = check_content(tree)
    assert errors == []
    assert "curriculum/exams/test-exam.yml:1: warning: exam 'test-exam' records no standard setting " \
           "(standard_setting: a modified-Angoff panel's ratings and cut)" in \
           [str(w) for w in quality_warnings(catalog, today=TODAY)]


def test_no_repeats_across_exams_is_proved_for_every_attempt_of_every_exam(tree):  # noqa: F811
    track = tree / "curriculum/tracks/test-track.yml"
    track.write_text(track.read_text().replace("weeks:", "no_repeats_across_exams: true\nweeks:", 1))
    # The fixture bank has two questions and the exam draws both once: drawable on its own.
    catalog, errors = check_content(tree)
    assert errors == [] and catalog.tracks["test-track"].no_repeats_across_exams
    # A second exam of the same track drawing from the same bank leaves nothing fresh for it.
    write(tree, "curriculum/exams/second-exam.yml", (tree / "curriculum/exams/test-exam.yml").read_text()
          .replace("id: test-exam", "id: second-exam").replace("count: 2", "count: 1"))
    track.write_text(track.read_text().replace("exams: [test-exam]", "exams: [test-exam, second-exam]"))
    errors = [str(e) for e in check_content(tree)[1]]
    assert len(errors) == 1 and "test-track.yml" in errors[0] and "no repeats across exams" in errors[0], errors
