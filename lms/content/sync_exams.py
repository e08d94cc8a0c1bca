"""Load question banks and exam blueprints from the validated catalog: idempotent and versioned.

A question gets a new version only when its content changes (anything but its id and status);
questions and exams whose files are gone are retired, never deleted, because finished attempts
point at their versions. Runs inside lms.content.sync's transaction (the caller commits).
"""
from sqlalchemy import select

from lms.content.catalog import content_hash
from lms.questions import QUESTION_TYPES
from lms.extensions import db
from lms.markdown import render_markdown
from lms.models import Exam, ExamVersion, Question, QuestionBank, QuestionVersion

ACTIVE, RETIRED = "active", "retired"


def question_content(spec: dict) -> dict:
    """The part of a question that makes its version (its type says: all but its id, status and family)."""
    return QUESTION_TYPES[spec["type"]].stored(spec)


def render_question(data: dict) -> dict:
    """Sanitized HTML for the stem, the feedback (as its type keys it) and the rationale, once per version."""
    return {
        "stem": render_markdown(data["stem"]),
        "feedback": QUESTION_TYPES[data["type"]].render_feedback(data, render_markdown),
        "rationale": render_markdown(data["rationale"]),
    }


def sync_banks(catalog, report, now) -> None:
    """Banks -> QuestionBank; questions -> Question + QuestionVersion (new version on change)."""
    banks = {b.slug: b for b in db.session.scalars(select(QuestionBank))}
    for spec in catalog.banks.values():
        bank = banks.get(spec.id)
        if report.holds("bank", spec.id) and bank is not None:
            continue
        if bank is None:
            bank = QuestionBank(slug=spec.id, created_at=now, updated_at=now, title=spec.title,
                                description=spec.description, source_path=spec.path)
            db.session.add(bank)
            banks[spec.id] = bank
            report.note("created", "bank", spec.id)
        elif (bank.title, bank.description, bank.source_path, bank.retired_at) != (
                spec.title, spec.description, spec.path, None):
            bank.title, bank.description, bank.source_path = spec.title, spec.description, spec.path
            bank.retired_at, bank.updated_at = None, now
            report.note("updated", "bank", spec.id)
    for slug, bank in banks.items():
        if slug not in catalog.banks and bank.retired_at is None and not report.holds("bank", slug):
            bank.retired_at = now
            report.note("retired", "bank", slug)
    db.session.flush()

    rows = db.session.execute(
        select(Question, QuestionVersion.content_hash, QuestionVersion.number)
        .outerjoin(QuestionVersion, QuestionVersion.id == Question.current_version_id)
    ).all()
    existing = {q.slug: (q, h, n) for q, h, n in rows}
    seen = set()
    for bank_spec in catalog.banks.values():
        bank = banks[bank_spec.id]
        for position, spec in enumerate(bank_spec.questions):
            seen.add(spec["id"])
            if report.holds("question", spec["id"]):
                continue
            content = question_content(spec)
            digest = content_hash(content)
            status = spec.get("status", ACTIVE)
            family = spec.get("family")
            question, current_hash, current_number = existing.get(spec["id"], (None, None, 0))
            if question is None:
                question = Question(slug=spec["id"], bank_id=bank.id, position=position, status=status,
                                    objective=spec["objective"], difficulty=spec["difficulty"], family=family,
                                    created_at=now,
                                    retired_at=now if status == RETIRED else None)
                db.session.add(question)
                db.session.flush()
                report.note("created", "question", spec["id"])
            else:
                changed = current_hash != digest or question.status != status or question.bank_id != bank.id \
                    or question.position != position or question.family != family
                if not changed:
                    continue
                if question.status != status:
                    question.retired_at = now if status == RETIRED else None
                question.status, question.bank_id, question.position = status, bank.id, position
                question.family = family
                question.objective, question.difficulty = spec["objective"], spec["difficulty"]
                report.note("retired" if status == RETIRED and question.retired_at == now else "updated",
                            "question", spec["id"])
                if current_hash == digest:
                    continue
            version = QuestionVersion(
                question_id=question.id, number=current_number + 1, content_hash=digest, qtype=spec["type"],
                objective=spec["objective"], difficulty=spec["difficulty"], data=content,
                rendered=render_question(content), source_path=bank_spec.path, created_at=now,
            )
            db.session.add(version)
            db.session.flush()
            question.current_version_id = version.id
    for slug, (question, _, _) in existing.items():
        if slug not in seen and question.status != RETIRED and not report.holds("question", slug):
            question.status, question.retired_at = RETIRED, now
            report.note("retired", "question", slug)
    db.session.flush()


def sync_exams(catalog, report, now) -> None:
    """Exams -> Exam + ExamVersion (a new version of the blueprint when its file changes)."""
    rows = db.session.execute(
        select(Exam, ExamVersion.content_hash, ExamVersion.number)
        .outerjoin(ExamVersion, ExamVersion.id == Exam.current_version_id)
    ).all()
    existing = {e.slug: (e, h, n) for e, h, n in rows}
    for spec in catalog.exams.values():
        exam, current_hash, current_number = existing.get(spec.id, (None, None, 0))
        if report.holds("exam", spec.id):
            continue
        if exam is None:
            exam = Exam(slug=spec.id, created_at=now)
            db.session.add(exam)
            db.session.flush()
            report.note("created", "exam", spec.id)
        elif current_hash == spec.content_hash and exam.retired_at is None:
            continue
        else:
            exam.retired_at = None
            report.note("updated", "exam", spec.id)
            if current_hash == spec.content_hash:
                continue
        version = ExamVersion(
            exam_id=exam.id, number=current_number + 1, content_hash=spec.content_hash, title=spec.title,
            description_html=render_markdown(spec.description) if spec.description else "",
            blueprint=spec.data, source_path=spec.path, created_at=now,
        )
        db.session.add(version)
        db.session.flush()
        exam.current_version_id = version.id
    for slug, (exam, _, _) in existing.items():
        if slug not in catalog.exams and exam.retired_at is None and not report.holds("exam", slug):
            exam.retired_at = now
            report.note("retired", "exam", slug)
    db.session.flush()
