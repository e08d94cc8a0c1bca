"""Rubric grading: the pass rule (total and per-criterion minimums), a second grader with the difference shown,
regrades audited, written work handed in as text or a PDF, and what the trainee sees."""
import shutil

import pytest
from sqlalchemy import select

from lms.classroom import ClassroomError
from lms.classroom.exercises import submission_of, submit_practical, track_exercise
from lms.classroom.grading import Evaluation, evaluate, grade_practical, practical_results
from lms.content import check_content
from lms.extensions import db as _db
from lms.models import AuditEvent, Exercise, ExerciseVersion
from lms.signals import practical_graded

from ..conftest import csrf_from, login
from ..factories import EXAM_ROOT, PDF, PNG, upload


def _exercise(slug="drill-report"):
    return _db.session.scalar(select(Exercise).where(Exercise.slug == slug))


@pytest.mark.parametrize("scores, passed", [
    ({"facts": 4, "form": 1}, True),
    ({"facts": 2, "form": 1}, True),  # exactly the total, facts at its minimum
    ({"facts": 2, "form": 0}, False),  # below the total
    ({"facts": 0, "form": 1}, False),  # facts below its minimum (and the total)
])
def test_the_pass_rule(cw, db, clock, scores, passed):
    grade = grade_practical(cw.enrollment, _exercise(), scores=scores, comments="", grader=cw.instructor, now=clock())
    assert grade.passed is passed and grade.total == sum(scores.values())


def test_a_criterion_minimum_holds_even_when_the_total_is_reached():
    levels = [{"points": p, "label": str(p), "descriptor": "d"} for p in range(6)]
    version = ExerciseVersion(rubric=[{"id": "safety", "title": "Safety", "minimum": 2, "levels": levels},
                                      {"id": "speed", "title": "Speed", "minimum": 0, "levels": levels}], pass_total=4)
    assert evaluate(version, {"safety": 1, "speed": 5}) == Evaluation(6, False, ["safety"])
    assert evaluate(version, {"safety": 2, "speed": 2}) == Evaluation(4, True, [])


@pytest.mark.parametrize("scores", [{"facts": 3, "form": 1}, {"facts": 4}, {"facts": 4, "form": 1, "style": 1}])
def test_scores_must_be_levels_of_every_criterion(cw, db, clock, scores):
    with pytest.raises(ClassroomError):
        grade_practical(cw.enrollment, _exercise(), scores=scores, comments="", grader=cw.instructor, now=clock())


def test_a_second_grader_shows_the_difference_and_the_first_grade_counts(cw, db, clock):
    exercise = _exercise()
    with pytest.raises(ClassroomError, match="first grader grades before"):
        grade_practical(cw.enrollment, exercise, scores={"facts": 4, "form": 1}, comments="", grader=cw.second,
                        role="second", now=clock())
    grade_practical(cw.enrollment, exercise, scores={"facts": 4, "form": 1}, comments="Clear", grader=cw.instructor,
                    now=clock())
    with pytest.raises(ClassroomError, match="someone other than the first"):
        grade_practical(cw.enrollment, exercise, scores={"facts": 2, "form": 0}, comments="", grader=cw.instructor,
                        role="second", now=clock())
    grade_practical(cw.enrollment, exercise, scores={"facts": 2, "form": 0}, comments="", grader=cw.second,
                    role="second", now=clock())
    result, = [r for r in practical_results(cw.enrollment) if r.exercise.slug == "drill-report"]
    assert result.passed and result.second.passed is False
    assert result.difference == -3 and result.criterion_differences() == {"facts": -2, "form": -1}


def test_a_regrade_is_audited_with_the_scores_before_and_announced(cw, db, clock):
    exercise = _exercise()
    heard = []
    with practical_graded.connected_to(lambda e, **kw: heard.append(kw["grade"].total)):
        grade_practical(cw.enrollment, exercise, scores={"facts": 2, "form": 0}, comments="", grader=cw.instructor,
                        now=clock())
        grade_practical(cw.enrollment, exercise, scores={"facts": 4, "form": 1}, comments="Redone", grader=cw.second,
                        now=clock())
    assert heard == [2, 5]
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.object_type == "practical_grade")
                                .order_by(AuditEvent.id)).all()
    assert [e.action for e in events] == ["practical.grade", "practical.regrade"]
    assert events[1].details["before"]["scores"] == {"facts": 2, "form": 0}
    assert events[1].details["before"]["grader_id"] == cw.instructor.id and events[1].actor_id == cw.second.id


def test_only_the_cohorts_instructors_grade(cw, db, clock, factory):
    with pytest.raises(ClassroomError):
        grade_practical(cw.enrollment, _exercise(), scores={"facts": 4, "form": 1}, comments="",
                        grader=factory.user("instructor"), now=clock())


def test_written_work_is_text_or_a_checked_pdf(cw, db, clock):
    exercise = track_exercise(cw.enrollment, "drill-report")
    with pytest.raises(ClassroomError, match="one of the two"):
        submit_practical(cw.enrollment, exercise, text="", actor=cw.trainee, now=clock())
    with pytest.raises(ValueError, match="Only .pdf"):
        submit_practical(cw.enrollment, exercise, upload=upload(PNG, "report.png"), actor=cw.trainee, now=clock())
    with pytest.raises(ValueError, match="not a valid PDF"):
        submit_practical(cw.enrollment, exercise, upload=upload(PNG, "report.pdf"), actor=cw.trainee, now=clock())
    submit_practical(cw.enrollment, exercise, text="The drill ran at 10:00.", actor=cw.trainee, now=clock())
    submit_practical(cw.enrollment, exercise, upload=upload(PDF, "report.pdf"), actor=cw.trainee, now=clock())
    submission = submission_of(cw.enrollment, exercise)
    assert submission.text == "" and submission.file_name == "report.pdf"
    with pytest.raises(ClassroomError, match="from observation"):
        submit_practical(cw.enrollment, track_exercise(cw.enrollment, "drill-observed"), text="x", actor=cw.trainee,
                         now=clock())


def test_the_instructor_grades_on_the_page_and_the_trainee_reads_the_result(cw, db, clock, client, make_client):
    submit_practical(cw.enrollment, track_exercise(cw.enrollment, "drill-report"), text="Drill at <b>10</b>.",
                     actor=cw.trainee, now=clock())
    db.session.commit()
    login(client, cw.instructor.email)
    url = f"/classroom/cohorts/{cw.cohort.id}/trainees/{cw.enrollment.id}/practicals/drill-report"
    page = client.get(url).get_data(as_text=True)
    assert "Drill at &lt;b&gt;10&lt;/b&gt;." in page
    response = client.post(url, data={"csrf_token": csrf_from(page), "role": "first", "score-facts": "4",
                                      "score-form": "0", "comments": "Add the times of each step."})
    assert response.status_code == 302
    trainee = make_client()
    login(trainee, cw.trainee.email)
    mine = trainee.get("/classroom/practicals/drill-report").get_data(as_text=True)
    assert "Your result: Passed, 4 of 5 points" in mine and "Add the times of each step." in mine
    assert "Passed · 4 of 5" in trainee.get("/course").get_data(as_text=True)


def test_content_check_names_the_line_of_a_rubric_that_cannot_be_passed(tmp_path):
    folder = tmp_path / "curriculum" / "exercises"
    folder.mkdir(parents=True)
    (folder / "bad.yml").write_text(
        "id: bad\ntitle: Bad\nmode: observed\ninstructions: Do it.\nsources: [S]\n"
        "rubric:\n  - id: a\n    title: A\n    minimum: 5\n    levels:\n"
        "      - {points: 0, label: Poor, descriptor: N}\n      - {points: 2, label: Good, descriptor: Y}\n"
        "pass:\n  total: 2\n", encoding="utf-8")
    _, errors = check_content(tmp_path)
    mine = [str(e) for e in errors if "bad.yml" in e.path]
    assert mine == ["curriculum/exercises/bad.yml:9: criterion 'a': the minimum 5 is above its best level (2)"]


def test_an_exercise_is_versioned_when_its_file_changes(cw, db, clock, factory, tmp_path):
    root = tmp_path / "content"
    shutil.copytree(EXAM_ROOT, root)
    factory.synced_content(root)  # the same files: nothing new
    assert _exercise().current_version.number == 1
    path = root / "curriculum" / "exercises" / "drill-report.yml"
    path.write_text(path.read_text().replace("Write a short report", "Write a one-page report"))
    report = factory.synced_content(root)
    assert report.updated.get("exercise") == ["drill-report"]
    assert _exercise().current_version.number == 2 and "one-page" in _exercise().current_version.instructions_html
