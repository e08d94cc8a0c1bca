"""Standard setting in the browser's service: instructors' modified-Angoff ratings give the documented cut
(docs/CONTENT_FORMAT.md: each cell's count times the mean rating of the questions it can draw, summed, as a
percentage of the questions drawn), and staff adopt it as a new exam version's pass mark."""
import pytest
from jsonschema import Draft202012Validator
from sqlalchemy import select

from lms.content import schemas
from lms.exams.attempts import exam_context
from lms.exams.cut_score import cut_score_record
from lms.exams.standard_setting import (
    StandardSettingError, adopt_cut, panel, parse_probability, rate_items,
)
from lms.extensions import db
from lms.models import AuditEvent, Exam, Role, StandardSetting

from ..factories import start

# The pool exam draws 2 questions of objective AG-1.2 (pl-1 to pl-4) and 1 of any objective (pl-1 to pl-6).
R1 = {"pl-1": 0.6, "pl-2": 0.7, "pl-3": 0.8, "pl-4": 0.9, "pl-5": 0.5, "pl-6": 0.4}
R2 = {"pl-1": 0.8, "pl-2": 0.7, "pl-3": 0.6, "pl-4": 0.5, "pl-5": 0.3, "pl-6": 0.6}


def _exam(slug="pool-exam"):
    return db.session.scalar(select(Exam).where(Exam.slug == slug))


def _rate(version, rater, ratings, clock):
    rate_items(version, {slug: str(value) for slug, value in ratings.items()}, actor=rater, now=clock())
    db.session.commit()


def by_hand(ratings: list[dict]) -> float:
    """The documented formula, for this blueprint, written out."""
    item_mean = {q: sum(r[q] for r in ratings) / len(ratings) for q in ratings[0]}
    cell_1 = sum(item_mean[q] for q in ("pl-1", "pl-2", "pl-3", "pl-4")) / 4  # count 2
    cell_2 = sum(item_mean.values()) / 6  # count 1
    return 100 * (2 * cell_1 + 1 * cell_2) / 3


def test_ratings_give_the_documented_cut(world, factory, clock):
    second = factory.user(Role.INSTRUCTOR, name="Rae Rater")
    version = _exam().current_version
    _rate(version, world.instructor, R1, clock)
    _rate(version, second, {k: v for k, v in R2.items() if k != "pl-6"}, clock)
    figures = panel(version)
    # Only a rater who rated every question counts toward the cut.
    assert [(r.name, r.rated, r.cut is not None) for r in figures.raters] == [
        ("Ivy Instructor", 6, True), ("Rae Rater", 5, False)]
    assert figures.result.cut == pytest.approx(by_hand([R1])) and not figures.can_adopt

    _rate(version, second, {"pl-6": "60%"}, clock)  # a percentage is read as a probability
    figures = panel(version)
    # By hand: item means .7 .7 .7 .7 .4 .5; cell 1 = .7, cell 2 = 3.7/6; cut = 100 (1.4 + .61667) / 3.
    assert by_hand([R1, R2]) == pytest.approx(67.2222, abs=1e-4)
    assert figures.result.cut == pytest.approx(67.2222, abs=1e-4)
    cuts = {r.name: r.cut for r in figures.raters}
    assert cuts["Ivy Instructor"] == pytest.approx(by_hand([R1])) == pytest.approx(71.6667, abs=1e-4)
    assert cuts["Rae Rater"] == pytest.approx(by_hand([R2])) == pytest.approx(62.7778, abs=1e-4)
    assert figures.result.spread == pytest.approx(4.4444, abs=1e-4)  # population SD of the two raters' cuts
    assert {i.slug: round(i.mean, 4) for i in figures.items}["pl-5"] == 0.4
    assert figures.can_adopt


def test_ratings_are_probabilities_of_drawable_questions():
    assert parse_probability("0.75") == 0.75 and parse_probability("75%") == 0.75 and parse_probability(" ") is None
    for bad in ("1.2", "-0.1", "nan", "often"):
        with pytest.raises(StandardSettingError):
            parse_probability(bad)


def test_a_rating_of_a_question_the_exam_cannot_draw_is_refused(world, clock):
    with pytest.raises(StandardSettingError, match="not drawn"):
        rate_items(_exam().current_version, {"fx-1": "0.5"}, actor=world.instructor, now=clock())


def test_adopting_makes_a_new_version_for_new_attempts_only(world, factory, clock):
    staff = factory.user(Role.STAFF, name="Sam Staff")
    second = factory.user(Role.INSTRUCTOR, name="Rae Rater")
    exam = _exam()
    old = exam.current_version
    in_progress = start(world.trainee, "pool-exam", clock)  # started under the old pass mark (100)
    _rate(old, world.instructor, R1, clock)
    with pytest.raises(StandardSettingError, match="At least 2 raters"):
        adopt_cut(old, actor=staff, now=clock())
    _rate(old, second, R2, clock)

    adopted = adopt_cut(old, note="Panel of two instructors", actor=staff, now=clock())
    db.session.commit()
    db.session.refresh(exam)
    assert exam.current_version_id == adopted.id and adopted.number == old.number + 1
    assert adopted.blueprint["pass_mark"] == 67.2 and old.blueprint["pass_mark"] == 100
    # The record maps one to one to the exam file's standard_setting section, and the new version carries it.
    record = db.session.scalar(select(StandardSetting))
    assert record.status == "adopted" and record.adopted_version_id == adopted.id
    assert adopted.blueprint["standard_setting"] == {
        "method": "modified-angoff", "date": "2026-03-02", "note": "Panel of two instructors",
        "raters": ["Ivy Instructor", "Rae Rater"], "cut": 67.2,
        "ratings": {q: [R1[q], R2[q]] for q in R1}}
    assert record.as_file_section() == adopted.blueprint["standard_setting"]
    # The new version's blueprint is a valid exam file (the schema `lms content check` applies).
    file = {k: v for k, v in adopted.blueprint.items() if k != "description" or v}
    assert list(Draft202012Validator(schemas.EXAM).iter_errors(file)) == []
    # The existing display of the exam's standard setting recomputes the same cut and agrees with the pass mark.
    shown = cut_score_record(adopted)
    assert shown.cut == pytest.approx(67.2222, abs=1e-4) and shown.agrees
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "standard_setting.adopt"))
    assert event.details["pass_mark_before"] == 100 and event.details["pass_mark"] == 67.2

    # The attempt in progress keeps its version and its pass mark; a new attempt takes the new one.
    assert in_progress.exam_version_id == old.id and in_progress.policy["pass_mark"] == 100
    newcomer = start(world.other, "pool-exam", clock)
    assert newcomer.exam_version_id == adopted.id and newcomer.policy["pass_mark"] == 67.2
    assert exam_context(world.other.id, "pool-exam", clock()).policy.pass_mark == 67.2
    # The old version's panel is closed; rating it again is refused.
    with pytest.raises(StandardSettingError, match="newer version"):
        rate_items(old, {"pl-1": "0.5"}, actor=world.instructor, now=clock())
