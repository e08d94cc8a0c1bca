"""The exam and blueprint editor: what each cell can draw and for how many attempts without repeats, the
refusal of a blueprint that cannot be drawn (each cell's reason), and a save that is a new version while
attempts already started keep theirs."""
import pytest
from sqlalchemy import func, select

from lms.authoring import blueprints
from lms.extensions import db as _db
from lms.models import AuditEvent, Exam, ExamVersion

from ..conftest import csrf_from
from ..factories import start


def _exam(db, slug):
    return db.session.scalar(select(Exam).where(Exam.slug == slug))


def _post(client, slug, changes, action="save", url=None):
    """The editor's form as the page fills it, with ``changes``, sent with the page's CSRF token."""
    page = client.get(f"/studio/exams/{slug}").get_data(as_text=True)
    values = {**blueprints.blueprint_values(_exam(_db, slug)), **changes}
    return client.post(url or f"/studio/exams/{slug}", data={**values, "csrf_token": csrf_from(page), "action": action})


def _versions(db, exam):
    return db.session.scalar(select(func.count()).select_from(ExamVersion).where(ExamVersion.exam_id == exam.id))


def test_each_cell_reports_its_pool_and_attempts_without_repeats(db, world):
    """The pool bank: four questions of AG-1.2 and two of AG-1.1. The pool exam draws 2 of AG-1.2 and 1 of
    the whole bank, for 2 attempts without repeats: 4 + 2 questions serve exactly 2 attempts."""
    data = _exam(db, "pool-exam").current_version.blueprint
    report = blueprints.blueprint_report(data)
    assert report.ok and report.rounds == 2
    assert [(c.pool, c.attempts_without_repeats) for c in report.cells] == [(4, 2), (6, 2)]
    assert report.attempts_without_repeats == 2

    one_each = dict(data, draw=[dict(data["draw"][0], count=1), data["draw"][1]])
    report = blueprints.blueprint_report(one_each)
    # The AG-1.2 cell alone could serve 4 attempts; with the whole-bank cell served too, 6 questions serve 3.
    assert [c.attempts_without_repeats for c in report.cells] == [4, 3]
    assert report.attempts_without_repeats == 3

    too_many = dict(data, draw=[dict(data["draw"][0], count=5), data["draw"][1]])
    report = blueprints.blueprint_report(too_many)
    assert not report.ok and [c.drawable for c in report.cells] == [False, True]


def test_an_undrawable_blueprint_is_refused_with_each_cells_reason(instructor, db, world):
    exam = _exam(db, "pool-exam")
    before = _versions(db, exam)
    response = _post(instructor, "pool-exam", {"cell-0-count": "3"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert ("Cell 1: cannot draw 3 question(s) (bank pool, objective AG-1.2) for 2 attempts without repeats: "
            "needs 6 active, has 4 (counting questions shared with other cells once)") in page
    assert 'value="3"' in page  # what was typed stays in the form
    assert _versions(db, exam) == before

    # Without no_repeats one attempt's worth is enough: the same cells can be saved.
    response = _post(instructor, "pool-exam", {"cell-0-count": "3", "no_repeats": ""})
    assert response.status_code == 302
    assert _versions(db, exam) == before + 1


@pytest.mark.parametrize("changes, message", [
    ({"pass_mark": "lots"}, "pass_mark: &#39;lots&#39; is not of type &#39;number&#39;"),
    ({"attempts": "0"}, "attempts: 0 is less than the minimum of 1"),
    ({"cell-0-bank": "nope"}, "Cell 1: unknown bank &#39;nope&#39;"),
    ({"cell-0-bank": ""}, "missing required key &#39;bank&#39; in draw.0"),
])
def test_the_check_says_what_lms_content_check_says(instructor, db, world, changes, message):
    response = _post(instructor, "mixed-exam", changes, action="check")
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert _versions(db, _exam(db, "mixed-exam")) == 1


def test_the_live_check_returns_the_report_alone(instructor, db, world):
    response = _post(instructor, "pool-exam", {"cell-0-count": "1"}, url="/studio/exams/pool-exam/check")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and html.lstrip().startswith("<div id=\"blueprint-report\"")
    assert 'data-whole="3"' in html and "<html" not in html
    assert _versions(db, _exam(db, "pool-exam")) == 1


def test_saving_makes_a_new_version_and_an_attempt_in_progress_keeps_its_own(instructor, db, world, clock):
    attempt = start(world.trainee, "mixed-exam", clock)
    exam = _exam(db, "mixed-exam")
    first = exam.current_version_id
    policy = dict(attempt.policy)

    response = _post(instructor, "mixed-exam", {"pass_mark": "75", "time_limit_minutes": "45",
                                                "review_show": "score", "cell-0-count": "6"})
    assert response.status_code == 302
    db.session.refresh(exam)
    version = exam.current_version
    assert version.number == 2 and version.id != first
    assert version.source_path == "browser:curriculum/exams/mixed-exam.yml"
    assert version.blueprint["pass_mark"] == 75 and version.blueprint["time_limit_minutes"] == 45
    assert version.blueprint["review"] == {"show": "score", "when": "after_submit"}
    assert version.blueprint["draw"] == [{"bank": "mixed", "count": 6}]
    db.session.refresh(attempt)
    assert attempt.exam_version_id == first and attempt.policy == policy and len(attempt.questions) == 8

    later = start(world.other, "mixed-exam", clock)
    assert later.exam_version_id == version.id and len(later.questions) == 6
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == "exam.save_blueprint")) == 1


def test_saving_an_unchanged_blueprint_makes_no_version(instructor, db, world):
    exam = _exam(db, "pool-exam")
    assert _post(instructor, "pool-exam", {}).status_code == 302
    assert _versions(db, exam) == 1


def test_an_unknown_exam_is_a_404(instructor):
    assert instructor.get("/studio/exams/no-such-exam").status_code == 404


def test_a_save_over_someone_elses_is_refused(instructor, db, world, clock):
    exam = _exam(db, "mixed-exam")
    stale = blueprints.blueprint_values(exam)
    blueprints.save_blueprint(exam, blueprints.blueprint_from(exam, {**stale, "pass_mark": "65"}),
                              actor=world.instructor, now=clock(), base_version=1)
    db.session.commit()  # another instructor saved version 2 meanwhile
    page = instructor.get("/studio/exams/mixed-exam").get_data(as_text=True)
    response = instructor.post("/studio/exams/mixed-exam", data={**stale, "pass_mark": "80", "action": "save",
                                                                 "csrf_token": csrf_from(page)})
    assert response.status_code == 400
    assert "was saved by someone else while you edited it (it is now version 2)" in response.get_data(as_text=True)
    db.session.refresh(exam)
    assert exam.current_version.blueprint["pass_mark"] == 65


def test_a_standard_setting_record_must_still_hold(db, world):
    """A panel's cut follows from its ratings and the cells' counts: changing them is refused in the words of
    lms content check until the panel's record is set again."""
    data = dict(_exam(db, "fixed-exam").current_version.blueprint, no_repeats=False,
                draw=[{"bank": "fixed", "count": 1}, {"bank": "pool", "objective": "AG-1.2", "count": 1}])
    ratings = {**{f"fx-{n}": [0.9] for n in range(1, 7)}, **{f"pl-{n}": [0.5] for n in range(1, 5)}}
    data["standard_setting"] = {"method": "modified-angoff", "date": "2026-01-05", "raters": ["R1"],
                                "ratings": ratings, "cut": 70}
    assert blueprints.blueprint_problems_of(data) == []
    heavier = dict(data, draw=[dict(data["draw"][0], count=3), data["draw"][1]])
    assert blueprints.blueprint_problems_of(heavier) == [
        (None, "standard_setting: the recorded cut 70 does not follow from the ratings (80.0)")]
    narrower = dict(data, draw=[data["draw"][0], dict(data["draw"][1], objective="AG-1.1")])
    assert ((None, "standard_setting rates 'pl-1', which this exam cannot draw")
            in blueprints.blueprint_problems_of(narrower))
