"""lms content export writes the database's published content back to files; syncing them changes nothing."""
from sqlalchemy import func, select

from lms.content import sync_content
from lms.content import check as content_check
from lms.content.export import export_content
from lms.models import ExamVersion, ModuleVersion, QuestionVersion

from .factories import PROJECT_ROOT


def versions(db) -> tuple[int, int, int]:
    return tuple(db.session.scalar(select(func.count()).select_from(m)) for m in (ModuleVersion, QuestionVersion,
                                                                                 ExamVersion))


def test_the_whole_bundled_course_round_trips_through_export_and_sync(db, clock, tmp_path):
    sync_content(PROJECT_ROOT, now=clock())
    db.session.commit()
    before = versions(db)
    export = export_content(tmp_path, actor=None, now=clock())
    db.session.commit()
    assert export.written and not export.stale

    clock.advance(minutes=5)
    report = sync_content(tmp_path, now=clock())
    db.session.commit()
    assert not report.changed and not report.kept, report.lines()
    assert versions(db) == before

    # Semantically equal to the originals (check_content: the test run's, which reads each folder once): every module,
    # track, bank, question and exam reads back the same.
    original, errors = content_check.check_content(PROJECT_ROOT)
    exported, export_errors = content_check.check_content(tmp_path)
    assert not errors and not export_errors
    assert {k: (m.content_hash, m.body, m.path) for k, m in original.modules.items()} == \
        {k: (m.content_hash, m.body, m.path) for k, m in exported.modules.items()}
    assert {k: (t.content_hash, t.path) for k, t in original.tracks.items()} == \
        {k: (t.content_hash, t.path) for k, t in exported.tracks.items()}
    assert {k: (b.title, b.description, b.questions, b.path) for k, b in original.banks.items()} == \
        {k: (b.title, b.description, b.questions, b.path) for k, b in exported.banks.items()}
    assert {k: (e.content_hash, e.data, e.path) for k, e in original.exams.items()} == \
        {k: (e.content_hash, e.data, e.path) for k, e in exported.exams.items()}
    assert any("standard_setting" in e.data for e in exported.exams.values())
    assert original.exercises and {k: (e.content_hash, e.rubric, e.path) for k, e in original.exercises.items()} == \
        {k: (e.content_hash, e.rubric, e.path) for k, e in exported.exercises.items()}

    # A second export finds every file as it wrote it.
    again = export_content(tmp_path, actor=None, now=clock())
    assert again.written == [] and again.stale == []


def test_the_export_command_writes_the_files_and_names_those_the_database_does_not_hold(app, db, clock, tmp_path):
    fixture = PROJECT_ROOT / "tests" / "fixtures" / "content"
    sync_content(fixture, now=clock())
    db.session.commit()
    (tmp_path / "curriculum" / "exams").mkdir(parents=True)
    (tmp_path / "curriculum" / "exams" / "gone.yml").write_text("id: gone\n")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["content", "export", "--root", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "wrote curriculum/modules/agreement/basics.md" in result.output
    assert "not in the database (use --prune to remove): curriculum/exams/gone.yml" in result.output
    pruned = runner.invoke(args=["content", "export", "--root", str(tmp_path), "--prune"])
    assert ("removed: curriculum/exams/gone.yml" in pruned.output
            and not (tmp_path / "curriculum/exams/gone.yml").exists())
    assert "0 files written" in pruned.output
    assert not sync_content(tmp_path, now=clock()).changed
