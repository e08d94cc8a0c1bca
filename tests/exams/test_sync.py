"""Banks and blueprints load idempotently; a question changes version only when its content does."""
import shutil

from sqlalchemy import func, select

from lms.content import sync_content
from lms.models import Exam, ExamVersion, Question, QuestionBank, QuestionVersion

from ..factories import EXAM_ROOT


def copy_tree(tmp_path):
    root = tmp_path / "content"
    shutil.copytree(EXAM_ROOT, root)
    return root


def count(db, model):
    return db.session.scalar(select(func.count()).select_from(model))


def test_sync_loads_banks_questions_and_exams_then_changes_nothing(db, clock, tmp_path):
    root = copy_tree(tmp_path)
    report = sync_content(root, now=clock())
    db.session.commit()
    assert sorted(report.created["bank"]) == ["fixed", "mixed", "pool"]
    assert len(report.created["question"]) == 20 and len(report.created["exam"]) == 4
    assert count(db, QuestionVersion) == 20 and count(db, ExamVersion) == 4
    version = db.session.scalar(select(Question).where(Question.slug == "mx-single")).current_version
    assert version.number == 1 and version.qtype == "single"
    assert "FBSINGLEA" in version.rendered["feedback"]["a"] and version.rendered["stem"].startswith("<p>")
    exam = db.session.scalar(select(Exam).where(Exam.slug == "mixed-exam"))
    assert exam.current_version.blueprint["per_page"] == 3 and "<strong>shuffled</strong>" in \
        exam.current_version.description_html

    clock.advance(minutes=5)
    again = sync_content(root, now=clock())
    db.session.commit()
    assert not again.changed
    assert count(db, QuestionVersion) == 20


def test_a_content_change_makes_a_new_version_and_keeps_the_old(db, clock, tmp_path):
    root = copy_tree(tmp_path)
    sync_content(root, now=clock())
    db.session.commit()
    old_id = db.session.scalar(select(Question).where(Question.slug == "mx-tf")).current_version_id
    bank = root / "question_banks" / "mixed.yml"
    bank.write_text(bank.read_text().replace("act without any federal oversight", "act with no federal oversight"))
    report = sync_content(root, now=clock())
    db.session.commit()
    assert report.updated == {"question": ["mx-tf"]}
    question = db.session.scalar(select(Question).where(Question.slug == "mx-tf"))
    assert question.current_version.number == 2 and question.current_version_id != old_id
    assert db.session.get(QuestionVersion, old_id).data["stem"].startswith("Designated officers act without")


def test_status_and_removal_retire_without_a_new_version(db, clock, tmp_path):
    root = copy_tree(tmp_path)
    sync_content(root, now=clock())
    db.session.commit()
    bank = root / "question_banks" / "mixed.yml"
    text = bank.read_text()
    text = text.replace("  - id: mx-short\n    type: short\n",
                        "  - id: mx-short\n    type: short\n    status: retired\n")
    start = text.index("  - id: mx-range")
    end = text.index("  - id: mx-matching")
    bank.write_text(text[:start] + text[end:])
    exam = root / "curriculum" / "exams" / "mixed-exam.yml"
    exam.write_text(exam.read_text().replace("count: 8", "count: 6"))  # still drawable
    report = sync_content(root, now=clock())
    db.session.commit()
    assert sorted(report.retired["question"]) == ["mx-range", "mx-short"]
    rows = {q.slug: q for q in db.session.scalars(select(Question))}
    assert rows["mx-short"].status == "retired" and rows["mx-range"].status == "retired"
    assert rows["mx-short"].current_version.number == 1
    assert count(db, QuestionVersion) == 20


def test_a_family_is_kept_on_the_question_without_a_new_version(db, clock, tmp_path):
    root = copy_tree(tmp_path)
    sync_content(root, now=clock())
    db.session.commit()
    bank = root / "question_banks" / "mixed.yml"
    bank.write_text(bank.read_text().replace("  - id: mx-short\n    type: short\n",
                                             "  - id: mx-short\n    type: short\n    family: same-fact\n"))
    report = sync_content(root, now=clock())
    db.session.commit()
    assert report.updated["question"] == ["mx-short"]
    question = db.session.scalar(select(Question).where(Question.slug == "mx-short"))
    assert question.family == "same-fact" and question.current_version.number == 1
    assert count(db, QuestionVersion) == 20


def test_a_blueprint_change_makes_a_new_exam_version(db, clock, tmp_path):
    root = copy_tree(tmp_path)
    sync_content(root, now=clock())
    db.session.commit()
    path = root / "curriculum" / "exams" / "mixed-exam.yml"
    path.write_text(path.read_text().replace("pass_mark: 60", "pass_mark: 70"))
    report = sync_content(root, now=clock())
    db.session.commit()
    assert report.updated == {"exam": ["mixed-exam"]}
    exam = db.session.scalar(select(Exam).where(Exam.slug == "mixed-exam"))
    assert exam.current_version.number == 2 and exam.current_version.blueprint["pass_mark"] == 70
    assert count(db, ExamVersion) == 5


def test_the_bundled_banks_and_exams_sync(db, clock):
    from tests.conftest import PROJECT_ROOT

    report = sync_content(PROJECT_ROOT, now=clock())
    db.session.commit()
    assert len(report.created["exam"]) >= 10
    assert count(db, QuestionBank) >= 10
    assert count(db, Question) == count(db, QuestionVersion) > 300
