"""Files and browser together: sync keeps a browser edit, refuses an item changed on both sides (naming
it and both changes, changing nothing), settles it with --keep, and leaves imported questions alone."""
import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select

from lms.audit import record_event
from lms.authoring import exercises as exercise_authoring
from lms.content import sync_content
from lms.content.check import check_content
from lms.content.export import export_content
from lms.content.interchange import Defaults, parse_gift
from lms.content.interchange.service import import_questions
from lms.content.sync_exams import render_question
from lms.content.sync_state import SyncConflict
from lms.markdown import render_document
from lms.models import AuditEvent, ExerciseVersion, Module, ModuleVersion, Question, QuestionVersion, Role

from .factories import EXAM_ROOT

FIXTURE = Path(__file__).parent / "fixtures" / "content"
MODULE = "curriculum/modules/agreement/basics.md"
BANK = "question_banks/agreement.yml"


def _synced_copy(source, root, db, clock):
    """A copy of a content folder, synced; the clock moved on an hour (later edits come after the sync)."""
    shutil.copytree(source, root)
    sync_content(root, now=clock())
    db.session.commit()
    clock.advance(hours=1)
    return root


@pytest.fixture
def tree(tmp_path, db, clock):
    """The small fixture content, synced."""
    return _synced_copy(FIXTURE, tmp_path / "content", db, clock)


def edit_file(root, rel, old, new):
    path = root / rel
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def publish_module_in_browser(db, clock, user, slug, old, new) -> ModuleVersion:
    """What the module editor does on publishing: a new version, made current, audited."""
    module = db.session.scalar(select(Module).where(Module.slug == slug))
    current = module.current_version
    body = current.body_md.replace(old, new)
    rendered = render_document(body)
    version = ModuleVersion(module_id=module.id, number=current.number + 1, content_hash="browser-" + str(clock()),
                            title=current.title, minutes=current.minutes, objectives=current.objectives,
                            sources=current.sources, body_md=body, body_html=rendered.html,
                            toc_html=rendered.toc_html, source_path=current.source_path, created_at=clock())
    db.session.add(version)
    db.session.flush()
    module.current_version_id = version.id
    record_event("module.publish", actor=user, obj=module, now=clock())
    db.session.commit()
    return version


def publish_question_in_browser(db, clock, slug, old, new) -> QuestionVersion:
    question = db.session.scalar(select(Question).where(Question.slug == slug))
    current = question.current_version
    data = dict(current.data, stem=current.data["stem"].replace(old, new))
    version = QuestionVersion(question_id=question.id, number=current.number + 1, content_hash="browser",
                              qtype=current.qtype, objective=current.objective, difficulty=current.difficulty,
                              data=data, rendered=render_question(data), source_path=current.source_path,
                              created_at=clock())
    db.session.add(version)
    db.session.flush()
    question.current_version_id = version.id
    db.session.commit()
    return version


def count(db, model):
    return db.session.scalar(select(func.count()).select_from(model))


def body_of(db, slug):
    return db.session.scalar(select(Module).where(Module.slug == slug)).current_version.body_md


def test_a_browser_edit_stands_when_the_file_did_not_change_and_export_writes_it(db, clock, factory, tree):
    instructor = factory.user(Role.INSTRUCTOR, email="ina@example.test")
    publish_module_in_browser(db, clock, instructor, "agreement/basics", "written agreements", "signed agreements")
    clock.advance(hours=1)
    report = sync_content(tree, now=clock())
    db.session.commit()
    assert report.kept == {"module": ["agreement/basics"]} and not report.changed
    assert "signed agreements" in body_of(db, "agreement/basics")
    assert any("kept the browser's version of module agreement/basics" in line for line in report.lines())

    export_content(tree, actor=None, now=clock())
    assert "signed agreements" in (tree / MODULE).read_text()
    versions = count(db, ModuleVersion)
    again = sync_content(tree, now=clock())
    db.session.commit()
    assert not again.changed and not again.kept and count(db, ModuleVersion) == versions


def test_an_item_changed_in_the_file_and_in_the_browser_is_a_conflict_and_nothing_changes(db, clock, factory, tree):
    instructor = factory.user(Role.INSTRUCTOR, email="ina@example.test")
    version = publish_module_in_browser(db, clock, instructor, "agreement/basics", "written agreements",
                                        "signed agreements")
    publish_question_in_browser(db, clock, "t-002", "act under", "work under")
    edit_file(tree, MODULE, "written agreements", "formal agreements")
    edit_file(tree, BANK, "Designated officers act under", "Designated officers serve under")
    edit_file(tree, "curriculum/modules/agreement/supervision.md", "## ", "## Changed ")  # the file alone: fine
    versions, events = (count(db, ModuleVersion), count(db, QuestionVersion)), count(db, AuditEvent)

    with pytest.raises(SyncConflict) as refused:
        sync_content(tree, now=clock())
    db.session.rollback()
    messages = [str(c) for c in refused.value.conflicts]
    assert len(messages) == 2
    module_message = next(m for m in messages if m.startswith("module agreement/basics"))
    assert f"the file {MODULE} was changed since the sync of 2026-03-02 14:00 UTC" in module_message
    assert f"version {version.number} was published in the browser by ina@example.test on 2026-03-02 15:00 UTC" \
        in module_message
    assert any(m.startswith(f"question t-002: the file {BANK} was changed") for m in messages)
    assert (count(db, ModuleVersion), count(db, QuestionVersion)) == versions and count(db, AuditEvent) == events

    # Keep the browser's module and the file's question: both settled, the unrelated file change loads.
    with pytest.raises(SyncConflict):
        sync_content(tree, now=clock(), keep="browser", only={"agreement/basics"})  # t-002 still unsettled
    db.session.rollback()
    report = sync_content(tree, now=clock(), keep="browser", only={"module:agreement/basics", "t-002"})
    db.session.commit()
    assert report.kept == {"module": ["agreement/basics"], "question": ["t-002"]}
    assert report.updated == {"module": ["agreement/supervision"]}
    assert "signed agreements" in body_of(db, "agreement/basics")
    assert not sync_content(tree, now=clock()).changed  # settled: no conflict the next time


def test_keep_files_lets_the_file_win_a_conflict(db, clock, factory, tree):
    instructor = factory.user(Role.INSTRUCTOR)
    publish_module_in_browser(db, clock, instructor, "agreement/basics", "written agreements", "signed agreements")
    edit_file(tree, MODULE, "written agreements", "formal agreements")
    report = sync_content(tree, now=clock(), keep="files")
    db.session.commit()
    assert report.updated == {"module": ["agreement/basics"]}
    assert "formal agreements" in body_of(db, "agreement/basics")


def test_the_cli_names_the_conflict_and_how_to_settle_it(app, db, clock, factory, tree):
    instructor = factory.user(Role.INSTRUCTOR, email="ina@example.test")
    publish_module_in_browser(db, clock, instructor, "agreement/basics", "written agreements", "signed agreements")
    edit_file(tree, MODULE, "written agreements", "formal agreements")
    runner = app.test_cli_runner()
    refused = runner.invoke(args=["content", "sync", "--root", str(tree)])
    assert refused.exit_code == 1
    assert "module agreement/basics: the file curriculum/modules/agreement/basics.md was changed" in refused.output
    assert "by ina@example.test" in refused.output and "--keep files or --keep browser" in refused.output
    kept = runner.invoke(args=["content", "sync", "--root", str(tree), "--keep", "browser",
                               "--item", "agreement/basics"])
    assert kept.exit_code == 0 and "kept the browser's version of module agreement/basics" in kept.output


def test_sync_leaves_imported_questions_alone_until_a_file_holds_them(db, clock, tree):
    imported = parse_gift("::Imported:: Who supervises designated officers? {=ICE ~The county}\n",
                          Defaults(objective="AG-9.2"))
    created = import_questions(imported, bank="agreement", file_name="a.gift", fmt="gift", actor=None,
                               now=clock()).created
    db.session.commit()
    report = sync_content(tree, now=clock())
    db.session.commit()
    question = db.session.scalar(select(Question).where(Question.slug == created[0]))
    assert "question" not in report.retired and question.status == "active"

    export_content(tree, actor=None, now=clock())  # the bank file now holds it
    assert created[0] in (tree / BANK).read_text()
    assert not sync_content(tree, now=clock()).changed
    db.session.commit()
    text = (tree / BANK).read_text()
    start = text.index(f"- id: {created[0]}")
    end = text.find("\n- id:", start + 1)
    (tree / BANK).write_text(text[:start] + (text[end + 1:] if end != -1 else ""))
    report = sync_content(tree, now=clock())  # removed from the file it now belongs to: retired
    assert report.retired == {"question": [created[0]]}


# -- practical exercises edited in the studio ------------------------------------------------------------

EXERCISE = "curriculum/exercises/drill-report.yml"


@pytest.fixture
def exercise_tree(tmp_path, db, clock):
    """The exam fixture's content (it holds practical exercises), synced."""
    return _synced_copy(EXAM_ROOT, tmp_path / "exercises", db, clock)


def publish_exercise_in_browser(db, clock, user, points) -> ExerciseVersion:
    """The studio's publish (lms.authoring.exercises): the best level of the first criterion given ``points``."""
    exercise = exercise_authoring.exercise_by_slug("drill-report")
    front = exercise_authoring.front_from_version(exercise)
    front["rubric"][0]["levels"][-1]["points"] = points
    draft = exercise_authoring.save_draft("drill-report", front, exercise.current_version.instructions_md,
                                          actor=user, now=clock())
    version = exercise_authoring.publish_revision(draft, actor=user, now=clock(), two_person=False)
    db.session.commit()
    return version


def test_a_browser_edited_exercise_is_exported_and_syncs_back_unchanged(db, clock, factory, exercise_tree):
    instructor = factory.user(Role.INSTRUCTOR, email="ina@example.test")
    version = publish_exercise_in_browser(db, clock, instructor, 6)
    clock.advance(hours=1)
    report = sync_content(exercise_tree, now=clock())
    db.session.commit()
    assert report.kept == {"exercise": ["drill-report"]} and not report.changed  # the browser's version stands
    assert exercise_authoring.exercise_by_slug("drill-report").current_version_id == version.id

    export = export_content(exercise_tree, actor=None, now=clock())
    db.session.commit()
    assert EXERCISE in export.written
    catalog, errors = check_content(exercise_tree)
    assert not errors and catalog.exercises["drill-report"].content_hash == version.content_hash
    assert catalog.exercises["drill-report"].rubric[0]["levels"][-1]["points"] == 6
    versions = count(db, ExerciseVersion)
    again = sync_content(exercise_tree, now=clock())
    db.session.commit()
    assert not again.changed and not again.kept and count(db, ExerciseVersion) == versions


def test_an_exercise_changed_in_its_file_and_in_the_browser_is_a_conflict(app, db, clock, factory, exercise_tree):
    instructor = factory.user(Role.INSTRUCTOR, email="ina@example.test")
    version = publish_exercise_in_browser(db, clock, instructor, 6)
    edit_file(exercise_tree, EXERCISE, "Write a short report", "Write a one-page report")
    versions = count(db, ExerciseVersion)
    with pytest.raises(SyncConflict) as refused:
        sync_content(exercise_tree, now=clock())
    db.session.rollback()
    [message] = [str(c) for c in refused.value.conflicts]
    assert message.startswith(f"exercise drill-report: the file {EXERCISE} was changed since the sync of")
    assert f"version {version.number} was published in the browser by ina@example.test" in message
    assert count(db, ExerciseVersion) == versions

    runner = app.test_cli_runner()
    cli = runner.invoke(args=["content", "sync", "--root", str(exercise_tree)])
    assert cli.exit_code == 1 and "exercise drill-report: the file" in cli.output
    kept = runner.invoke(args=["content", "sync", "--root", str(exercise_tree), "--keep", "browser",
                               "--item", "exercise:drill-report"])
    assert kept.exit_code == 0 and "kept the browser's version of exercise drill-report" in kept.output
    assert exercise_authoring.exercise_by_slug("drill-report").current_version_id == version.id

    edit_file(exercise_tree, EXERCISE, "one-page report", "two-page report")  # both changed again
    publish_exercise_in_browser(db, clock, instructor, 7)
    report = sync_content(exercise_tree, now=clock(), keep="files")
    db.session.commit()
    assert report.updated == {"exercise": ["drill-report"]}
    current = exercise_authoring.exercise_by_slug("drill-report").current_version
    assert "two-page report" in current.instructions_md and current.rubric[0]["levels"][-1]["points"] == 4
