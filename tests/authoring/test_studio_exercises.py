"""Practical exercises in the studio: the rubric editor's rows (server-side, no script), drafts checked in the
file check's own words, previews sanitized as published, two-person publish, diffs, restores and comments
shared with modules, a new version per publish with earlier grades kept on theirs, and access."""
from dataclasses import dataclass

import pytest
from sqlalchemy import select

from lms.authoring import exercises as authoring
from lms.authoring.revisions import AuthoringError, DraftInvalid, latest_draft, revisions_of
from lms.classroom.grading import grade_practical, practical_results
from lms.content.check import check_content
from lms.models import AuditEvent, ContentRevision, Exercise, ExerciseVersion, PracticalGrade, Role

from ..conftest import post
from ..factories import classroom_world

SLUG = "drill-report"
EDIT = f"/studio/exercises/{SLUG}/edit"
REVISION = f"/studio/exercises/{SLUG}/revisions"


@dataclass
class World:
    cw: object
    coordinator: object


@pytest.fixture
def w(db, factory) -> World:
    cw = classroom_world(factory)
    return World(cw, factory.user(Role.COORDINATOR, agency=cw.agency))


def _exercise() -> Exercise:
    return authoring.exercise_by_slug(SLUG)


def _form(front: dict, instructions: str, action: str = "save") -> dict:
    """The editor's fields for ``front``, as the browser posts them."""
    values, rubric = authoring.form_from_data(front)
    data = {**values, "instructions": instructions, "action": action}
    for i, c in enumerate(rubric):
        data.update({f"c-{i}-id": c["id"], f"c-{i}-title": c["title"], f"c-{i}-minimum": c["minimum"]})
        for j, level in enumerate(c["levels"]):
            data.update({f"c-{i}-l-{j}-{k}": v for k, v in level.items()})
    return data


def _with_points(front: dict, criterion: int, level: int, points) -> dict:
    rubric = [dict(c, levels=[dict(lv) for lv in c["levels"]]) for c in front["rubric"]]
    rubric[criterion]["levels"][level]["points"] = points
    return {**front, "rubric": rubric}


def test_an_edited_rubric_is_published_as_a_new_version_and_an_earlier_grade_keeps_its_own(w, as_user, db, clock):
    cw = w.cw
    v1 = _exercise().current_version
    grade = grade_practical(cw.enrollment, _exercise(), scores={"facts": 4, "form": 1}, comments="",
                            grader=cw.instructor, now=clock())
    db.session.commit()
    instructor = as_user(cw.instructor)
    front = _with_points(authoring.front_from_version(_exercise()), 0, 2, 5)  # "All the facts" now gives 5
    response = post(instructor, EDIT, _form(front, v1.instructions_md + "\nName each step.\n"), page=EDIT)
    assert response.status_code == 302 and response.headers["Location"].endswith(f"{REVISION}/1")
    post(instructor, f"{REVISION}/1/publish", page=f"{REVISION}/1")

    exercise = _exercise()
    v2 = exercise.current_version
    assert v2.number == 2 and v2.id != v1.id
    assert [lv["points"] for lv in v2.rubric[0]["levels"]] == [0, 2, 5] and v2.max_points == 6
    assert "Name each step." in v2.instructions_html
    assert [lv["points"] for lv in db.session.get(ExerciseVersion, v1.id).rubric[0]["levels"]] == [0, 2, 4]
    kept = db.session.get(PracticalGrade, grade.id)
    assert kept.exercise_version_id == v1.id and kept.passed and kept.total == 5
    assert practical_results(cw.enrollment)[0].version.id == v1.id  # the result shows the rubric it was graded on
    revision = revisions_of("exercise", SLUG)[0]
    assert revision.status == "published" and revision.published.id == v2.id
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "exercise.publish"))
    assert event.details["version"] == 2 and event.object_id == str(exercise.id)


def test_rubric_rows_are_added_and_removed_by_the_server_and_nothing_is_saved(w, as_user, db):
    instructor = as_user(w.cw.instructor)
    front = authoring.front_from_version(_exercise())
    page = post(instructor, EDIT, _form(front, "Do it.", action="add-criterion"), page=EDIT).get_data(as_text=True)
    assert 'name="c-2-id"' in page and 'name="c-2-l-1-points"' in page and 'name="c-2-l-2-points"' not in page
    assert "It was not saved" not in page  # a row's button judges nothing yet
    page = post(instructor, EDIT, _form(front, "Do it.", action="add-level-1"), page=EDIT).get_data(as_text=True)
    assert 'name="c-1-l-2-points"' in page
    page = post(instructor, EDIT, _form(front, "Do it.", action="remove-level-0-0"), page=EDIT).get_data(as_text=True)
    assert 'name="c-0-l-2-points"' not in page and 'value="2"' in page
    page = post(instructor, EDIT, _form(front, "Do it.", action="remove-criterion-0"), page=EDIT).get_data(as_text=True)
    assert 'name="c-1-id"' not in page and 'value="form"' in page
    assert 'aria-label' not in page.split("Remove criterion 1")[0][-60:]  # a button's own words name it
    assert "Remove level 1 of criterion 1" in page and "Add a level to criterion 1" in page
    assert db.session.scalars(select(ContentRevision)).all() == []


def test_errors_are_the_file_checks_words_at_their_fields(w, as_user, db, tmp_path):
    base = authoring.front_from_version(_exercise())
    rubric = [dict(base["rubric"][0], minimum=9), base["rubric"][1]]
    front = {**base, "title": "", "rubric": rubric, "pass": {"total": 50}}
    folder = tmp_path / "curriculum" / "exercises"
    folder.mkdir(parents=True)
    (folder / f"{SLUG}.yml").write_text(authoring.exercise_text(front, "Do it."), encoding="utf-8")
    _, file_errors = check_content(tmp_path)
    expected = {e.message for e in file_errors if e.path.endswith(f"{SLUG}.yml")}
    check = authoring.check_draft(front, "Do it.", f"curriculum/exercises/{SLUG}.yml")
    assert not check.ok and {m for ms in check.errors.values() for m in ms} == expected
    assert set(check.errors) == {"title"}  # the rubric's rules are judged once the schema passes

    check = authoring.check_draft({**base, "rubric": rubric, "pass": {"total": 50}}, "Do it.", "x.yml")
    assert check.errors == {"rubric": ["criterion 'facts': the minimum 9 is above its best level (4)"],
                            "pass": ["the pass total 50 is above the rubric's most points (5)"]}
    page = post(as_user(w.cw.instructor), EDIT, _form({**base, "rubric": rubric, "pass": {"total": 50}}, "Do it."),
                page=EDIT).get_data(as_text=True)
    assert "It was not saved" in page and "criterion &#39;facts&#39;: the minimum 9 is above its best level (4)" in page
    assert 'id="pass_total-error"' in page
    points = _with_points(base, 1, 0, "lots")
    page = post(as_user(w.cw.instructor), EDIT, _form(points, "Do it."), page=EDIT).get_data(as_text=True)
    assert "&#39;lots&#39; is not of type &#39;number&#39;" in page and 'value="lots"' in page  # kept as typed
    with pytest.raises(DraftInvalid):
        authoring.save_draft(SLUG, points, "Do it.", actor=w.cw.instructor, now=None)
    assert db.session.scalars(select(ContentRevision)).all() == []


def test_the_preview_is_the_sanitized_html_publishing_stores(w, as_user, db, clock):
    instructions = "Write it.\n\n<script>alert(1)</script>\n\n[x](javascript:alert(2)) <img src=x onerror=alert(3)>\n"
    instructor = as_user(w.cw.instructor)
    front = authoring.front_from_version(_exercise())
    page = post(instructor, EDIT, _form(front, instructions, action="preview"), page=EDIT).get_data(as_text=True)
    rendered = authoring.preview(instructions).html
    assert rendered in page and "Write it." in rendered
    for bad in ("<script", "javascript:", "onerror", "<img"):
        assert bad not in rendered
    revision = authoring.save_draft(SLUG, front, instructions, actor=w.cw.instructor, now=clock())
    version = authoring.publish_revision(revision, actor=w.cw.second, now=clock(), two_person=False)
    db.session.commit()
    assert version.instructions_html == rendered
    assert rendered in instructor.get(f"{REVISION}/1").get_data(as_text=True)


def test_two_person_publish_diff_restore_and_comments(w, as_user, db, clock, two_person):
    cw = w.cw
    author, reviewer = as_user(cw.instructor), as_user(cw.second)
    front = authoring.front_from_version(_exercise())
    authoring.save_draft(SLUG, _with_points(front, 1, 1, 2), "Write a report.", actor=cw.instructor, now=clock())
    authoring.save_draft(SLUG, _with_points(front, 1, 1, 3), "Write a report.", actor=cw.instructor, now=clock())
    db.session.commit()
    assert "Approve and publish" not in author.get(f"{REVISION}/2").get_data(as_text=True)
    post(author, f"{REVISION}/2/publish", page=f"{REVISION}/2")
    assert _exercise().current_version.number == 1  # its author cannot approve it
    with pytest.raises(AuthoringError, match="second instructor"):
        authoring.publish_revision(latest_draft("exercise", SLUG), actor=cw.instructor, now=clock(), two_person=True)

    diff = author.get(f"/studio/exercises/{SLUG}/diff?a=1&b=2").get_data(as_text=True)
    assert "<del>" in diff and "points: 2" in diff and "points: 3" in diff
    live = author.get(f"/studio/exercises/{SLUG}/diff?a=live&b=2").get_data(as_text=True)
    assert "published version 1" in live and "Write a short report of the drill." in live

    post(reviewer, f"{REVISION}/2/comments", {"comment": "Three points is generous."}, page=f"{REVISION}/2")
    assert "Three points is generous." in author.get(f"{REVISION}/2").get_data(as_text=True)
    post(author, f"{REVISION}/1/restore", page=f"{REVISION}/1")
    restored = latest_draft("exercise", SLUG)
    assert restored.number == 3 and restored.restored_from_id == revisions_of("exercise", SLUG)[2].id
    assert restored.front["rubric"][1]["levels"][1]["points"] == 2
    post(reviewer, f"{REVISION}/3/publish", page=f"{REVISION}/3")
    version = _exercise().current_version
    assert version.number == 2 and version.rubric[1]["levels"][1]["points"] == 2
    assert restored.approved_by_id == cw.second.id
    history = author.get(f"/studio/exercises/{SLUG}/revisions").get_data(as_text=True)
    assert "Published: version 2" in history and "Mark reviewed today" not in history
    with pytest.raises(AuthoringError, match="not a draft"):
        authoring.publish_revision(restored, actor=cw.second, now=clock(), two_person=True)


def test_a_draft_written_before_another_version_went_live_is_not_published_over_it(w, db, clock):
    cw = w.cw
    front = authoring.front_from_version(_exercise())
    older = authoring.save_draft(SLUG, _with_points(front, 1, 1, 2), "Write.", actor=cw.instructor, now=clock())
    newer = authoring.save_draft(SLUG, _with_points(front, 1, 1, 3), "Write.", actor=cw.instructor, now=clock())
    authoring.publish_revision(newer, actor=cw.instructor, now=clock(), two_person=False)
    with pytest.raises(AuthoringError, match="earlier version; version 2 is live"):
        authoring.publish_revision(older, actor=cw.instructor, now=clock(), two_person=False)
    same = authoring.save_draft(SLUG, authoring.front_from_version(_exercise()),
                                _exercise().current_version.instructions_md, actor=cw.instructor, now=clock())
    with pytest.raises(AuthoringError, match="nothing to publish"):
        authoring.publish_revision(same, actor=cw.instructor, now=clock(), two_person=False)


def test_a_new_exercise_exists_once_published(w, as_user, db, clock):
    instructor = as_user(w.cw.instructor)
    blank = instructor.get("/studio/exercises/new").get_data(as_text=True)
    assert 'name="c-0-id"' in blank and 'name="c-0-l-1-points"' in blank and 'name="c-1-id"' not in blank
    front = {**authoring.front_from_version(_exercise()), "id": "stop-report", "title": "Stop report",
             "mode": "observed"}
    response = post(instructor, "/studio/exercises/new", _form(front, "Report the stop."), page="/studio/exercises/new")
    assert response.status_code == 302
    assert authoring.exercise_by_slug("stop-report") is None
    post(instructor, "/studio/exercises/stop-report/revisions/1/publish",
         page="/studio/exercises/stop-report/revisions/1")
    created = authoring.exercise_by_slug("stop-report")
    assert created.current_version.number == 1 and created.current_version.mode == "observed"
    again = post(instructor, "/studio/exercises/new", _form(front, "Again."), page="/studio/exercises/new")
    assert "already exists" in again.get_data(as_text=True)
    assert "Stop report" in instructor.get("/studio").get_data(as_text=True)


def test_only_instructors_and_staff_reach_the_exercise_studio(w, as_user, db, clock):
    authoring.save_draft(SLUG, authoring.front_from_version(_exercise()), "Changed.", actor=w.cw.instructor,
                         now=clock())
    db.session.commit()
    for user in (w.cw.trainee, w.coordinator):
        client = as_user(user)
        for url in (EDIT, f"{REVISION}", f"{REVISION}/1", f"/studio/exercises/{SLUG}/diff?a=live&b=1"):
            assert client.get(url).status_code == 403, (user.role, url)
    other = as_user(w.cw.second)  # drafts are shared among authors, as modules' are
    assert other.get(f"{REVISION}/1").status_code == 200
    assert other.get(f"{REVISION}/9").status_code == 404
    assert other.get("/studio/exercises/no-such/edit").status_code == 404
    assert other.get("/studio/exercises/no-such/revisions").status_code == 404
    assert other.get(f"/studio/exercises/{SLUG}/diff?a=live&b=9").status_code == 404
    # a module's revision numbers are not the exercise's
    assert other.get("/studio/modules/drill-report/revisions/1").status_code == 404
