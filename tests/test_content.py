"""Content check (file:line errors), and sync: idempotent, versioned, retiring, atomic."""
import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select

from lms.content import check_content, sync_content
from lms.content.check import ContentInvalid
from lms.models import AuditEvent, Module, ModuleVersion, Track, TrackItem

from .conftest import PROJECT_ROOT

FIXTURE = Path(__file__).parent / "fixtures" / "content"


@pytest.fixture
def tree(tmp_path):
    """A writable copy of the small fixture content tree."""
    root = tmp_path / "content"
    shutil.copytree(FIXTURE, root)
    return root


def write(root, rel, text):
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def errors_of(root):
    return [str(e) for e in check_content(root)[1]]


def test_fixture_content_is_valid(tree):
    catalog, errors = check_content(tree)
    assert errors == []
    assert set(catalog.modules) == {"agreement/basics", "agreement/supervision", "civil-rights/encounters"}
    assert catalog.tracks["test-track"].schedule[0][2] == ["agreement/basics", "agreement/supervision"]


def test_a_content_folder_inside_a_folder_named_tracks_or_exams_still_has_its_modules(tmp_path):
    """Only folders inside the content root decide what a Markdown file is (a checkout at /srv/tracks/)."""
    root = tmp_path / "tracks" / "exams" / "content"
    shutil.copytree(FIXTURE, root)
    catalog, errors = check_content(root)
    assert errors == [] and len(catalog.modules) == 3


def test_bundled_content_is_valid():
    catalog, errors = check_content(PROJECT_ROOT)
    assert [str(e) for e in errors] == []
    assert {"officer-basic", "custody-assistant"} <= set(catalog.tracks)


BROKEN_MODULES = {
    # file body, expected "line: message" fragment
    "no-front.md": ("Just a body\n", "no-front.md:1: missing YAML front matter"),
    "bad-yaml.md": ("---\nid: agreement/x\ntitle: [unclosed\n---\nbody\n", "bad-yaml.md:4: YAML syntax"),
    "unknown-key.md": ("---\nid: agreement/u\ntitle: T\ntopic: agreement\nminutes: 5\n"
                       "objectives: [{id: AG-8.1, text: t}]\n"
                       "sources: [s]\ncolour: blue\n---\nbody\n", "unknown-key.md:8: unknown key 'colour'"),
    "missing.md": ("---\nid: agreement/m\ntitle: T\ntopic: agreement\nobjectives: [{id: AG-8.2, text: t}]\n"
                   "sources: [s]\n---\nbody\n", "missing.md:2: missing required key 'minutes'"),
    "empty.md": ("---\nid: agreement/e\ntitle: T\ntopic: agreement\nminutes: 5\nobjectives: [{id: AG-8.3, text: t}]\n"
                 "sources: [s]\n---\n\n   \n", "empty.md:9: the module has an empty body"),
    "wrong-type.md": ("---\nid: agreement/w\ntitle: T\ntopic: agreement\nminutes: soon\n"
                      "objectives: [{id: AG-8.4, text: t}]\n"
                      "sources: [s]\n---\nbody\n", "wrong-type.md:5: minutes: 'soon' is not of type 'integer'"),
    "dup.md": ("---\nid: agreement/basics\ntitle: T\ntopic: agreement\nminutes: 5\n"
               "objectives: [{id: AG-8.5, text: t}]\n"
               "sources: [s]\n---\nbody\n", "dup.md:2: duplicate module id 'agreement/basics'"),
    "dup-objective.md": ("---\nid: agreement/d\ntitle: T\ntopic: agreement\nminutes: 5\n"
                         "objectives:\n  - {id: AG-9.1, text: t}\n"
                         "sources: [s]\n---\nbody\n", "dup-objective.md:7: duplicate objective id 'AG-9.1'"),
}


@pytest.mark.parametrize("name", sorted(BROKEN_MODULES))
def test_check_reports_broken_modules_with_file_and_line(tree, name):
    text, expected = BROKEN_MODULES[name]
    write(tree, f"curriculum/modules/agreement/{name}", text)
    errors = errors_of(tree)
    assert any(e.startswith(f"curriculum/modules/agreement/{expected.split(':')[0]}") and expected.split(":", 1)[1] in e
               for e in errors), errors


def test_check_reports_dangling_track_references_and_bad_weeks(tree):
    track = (tree / "curriculum/tracks/test-track.yml").read_text()
    track = track.replace("modules: [civil-rights/encounters]", "modules: [civil-rights/nowhere]")
    track = track.replace("exams: [test-exam]", "exams: [no-such-exam]")
    track = track.replace("  - week: 2\n", "  - week: 3\n")
    write(tree, "curriculum/tracks/test-track.yml", track)
    errors = errors_of(tree)
    assert "curriculum/tracks/test-track.yml:12: unknown exam 'no-such-exam'" in errors
    assert "curriculum/tracks/test-track.yml:15: unknown module 'civil-rights/nowhere'" in errors
    assert any("week 3 is past the track's length" in e for e in errors)
    assert any("weeks with no schedule entry: 2" in e for e in errors)


def test_check_reports_bank_and_blueprint_problems(tree):
    bank = (tree / "question_banks/agreement.yml").read_text()
    bank += """  - id: t-003
    type: single
    objective: ZZ-1.1
    difficulty: easy
    stem: A question with two keys?
    choices:
      - {id: a, text: One, correct: true, feedback: x}
      - {id: b, text: Two, correct: true, feedback: y}
    rationale: r
    source: s
  - id: t-004
    type: single
    objective: AG-9.1
    difficulty: medium
    stem: Which statute creates the program ?
    choices:
      - {id: a, text: Same, feedback: x}
      - {id: b, text: same, feedback: y}
    rationale: r
    source: s
"""
    write(tree, "question_banks/agreement.yml", bank)
    exam = (tree / "curriculum/exams/test-exam.yml").read_text().replace("count: 2", "count: 9")
    write(tree, "curriculum/exams/test-exam.yml", exam)
    errors = errors_of(tree)
    assert ("question_banks/agreement.yml:25: question 't-003': objective 'ZZ-1.1' is not declared by any module"
            in errors)
    assert "question_banks/agreement.yml:28: question 't-003' is single choice but has 2 correct choices" in errors
    assert "question_banks/agreement.yml:38: question 't-004' has no correct choice (no key)" in errors
    assert "question_banks/agreement.yml:38: question 't-004' has a duplicate choice text 'same'" in errors
    assert any(e.startswith("question_banks/agreement.yml:37: question 't-004' has the same stem as 't-001'")
               for e in errors)
    assert any(e.startswith("curriculum/exams/test-exam.yml:7: cannot draw 9 question(s)") for e in errors)


def test_blueprint_must_be_drawable_for_every_attempt_without_repeats(tree):
    exam = (tree / "curriculum/exams/test-exam.yml").read_text().replace("attempts: 1", "attempts: 2\nno_repeats: true")
    write(tree, "curriculum/exams/test-exam.yml", exam)
    errors = errors_of(tree)
    assert any("for 2 attempts without repeats: needs 4 active, has 2" in e for e in errors), errors


def test_check_cli_exit_status(app, tree):
    runner = app.test_cli_runner()
    ok = runner.invoke(args=["content", "check", "--root", str(tree)])
    assert ok.exit_code == 0 and ok.stdout.startswith("OK: 3 modules")  # warnings go to stderr
    write(tree, "curriculum/modules/agreement/broken.md", "no front matter")
    bad = runner.invoke(args=["content", "check", "--root", str(tree)])
    assert bad.exit_code == 1 and "curriculum/modules/agreement/broken.md:1:" in bad.output


def snapshot(db):
    """Every content row, to compare before and after."""
    rows = []
    for model in (Module, ModuleVersion, Track, TrackItem):
        rows.append([tuple(getattr(r, c.name) for c in model.__table__.columns)
                     for r in db.session.scalars(select(model).order_by(model.id))])
    return rows


def test_sync_loads_and_a_second_sync_changes_nothing(db, tree, clock):
    report = sync_content(tree, now=clock())
    db.session.commit()
    assert report.created["module"] == ["agreement/basics", "agreement/supervision", "civil-rights/encounters"]
    assert report.created["track"] == ["test-track"]
    version = db.session.scalar(select(ModuleVersion).join(Module, ModuleVersion.module_id == Module.id)
                                .where(Module.slug == "agreement/basics"))
    assert '<h2 id="content-what-the-law-allows">' in version.body_html and 'href="#content-limits"' in version.toc_html
    before = snapshot(db)
    events = db.session.scalar(select(func.count(AuditEvent.id)))
    clock.advance(days=1)
    again = sync_content(tree, now=clock())
    db.session.commit()
    assert not again.changed and again.lines() == []
    assert snapshot(db) == before
    assert db.session.scalar(select(func.count(AuditEvent.id))) == events


def test_a_changed_module_gets_a_new_version_and_old_versions_stay(db, tree, clock):
    sync_content(tree, now=clock())
    db.session.commit()
    path = tree / "curriculum/modules/agreement/basics.md"
    path.write_text(path.read_text().replace("written agreements", "written agreements (MOUs)"))
    report = sync_content(tree, now=clock())
    db.session.commit()
    assert report.updated == {"module": ["agreement/basics"]}
    module = db.session.scalar(select(Module).where(Module.slug == "agreement/basics"))
    assert [v.number for v in module.versions] == [1, 2]
    assert module.current_version.number == 2 and "(MOUs)" in module.current_version.body_md
    assert "(MOUs)" not in module.versions[0].body_md


def test_removed_modules_are_retired_not_deleted(db, tree, clock):
    sync_content(tree, now=clock())
    db.session.commit()
    (tree / "curriculum/modules/civil-rights/encounters.md").unlink()
    track = tree / "curriculum/tracks/test-track.yml"
    track.write_text(track.read_text().replace("modules: [civil-rights/encounters]", "modules: []"))
    report = sync_content(tree, now=clock())
    db.session.commit()
    assert report.retired == {"module": ["civil-rights/encounters"]}
    module = db.session.scalar(select(Module).where(Module.slug == "civil-rights/encounters"))
    assert module.retired_at is not None and module.versions


def test_a_bad_file_leaves_the_database_unchanged(db, tree, clock, app):
    sync_content(tree, now=clock())
    db.session.commit()
    before = snapshot(db)
    path = tree / "curriculum/modules/agreement/basics.md"
    path.write_text(path.read_text().replace("written agreements", "changed text"))
    write(tree, "curriculum/modules/agreement/broken.md", "---\nid: [\n---\nbody\n")
    with pytest.raises(ContentInvalid) as raised:
        sync_content(tree, now=clock())
    db.session.rollback()
    assert any("broken.md" in str(e) for e in raised.value.errors)
    assert snapshot(db) == before
    result = app.test_cli_runner().invoke(args=["content", "sync", "--root", str(tree)])
    assert result.exit_code == 1 and "Nothing changed" in result.output
    db.session.expire_all()
    assert snapshot(db) == before


def test_sync_is_audited_when_it_changes_something(db, tree, clock):
    sync_content(tree, now=clock())
    db.session.commit()
    [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "content.sync")).all()
    assert event.details["created"]["module"] == 3 and event.details["created"]["track"] == 1
