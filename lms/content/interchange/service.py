"""Questions read from another system's file go into a bank; a bank goes out to a file.

Stored the way ``lms content sync`` stores a bank's questions (lms/content/sync_exams.py): a Question by
its stable id, a QuestionVersion holding the authored data and its sanitized rendering, a new version
only when the content changes. The id is derived from the question's own content (common.identity), so
importing the same file twice creates nothing the second time. The caller commits.
"""
import re
from dataclasses import dataclass, field

from sqlalchemy import func, select

from lms.audit import record_event
from lms.content.catalog import content_hash
from lms.content.interchange import Imported, export_bank
from lms.content.sync_exams import question_content, render_question
from lms.extensions import db
from lms.markdown import render_markdown
from lms.models import Module, ModuleVersion, Question, QuestionBank, QuestionVersion
from lms.questions import QUESTION_TYPES

ACTIVE = "active"

# An uploaded file kept between the preview and the import; one never confirmed is removed by the
# periodic job once no session could still confirm it (lms/jobs.py).
PREVIEW_UPLOAD_KIND = "question-imports"


class ImportRefused(ValueError):
    """An import that cannot go ahead (an unknown bank or objective, nothing to import)."""


@dataclass
class ImportReport:
    """What an import did: question ids created, given a new version, left as they were, or found in
    another bank (left there)."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    elsewhere: list[tuple[str, str]] = field(default_factory=list)

    def summary(self) -> dict:
        return {"created": len(self.created), "updated": len(self.updated), "unchanged": len(self.unchanged),
                "elsewhere": len(self.elsewhere)}


def bank_or_refuse(slug: str) -> QuestionBank:
    bank = db.session.scalar(select(QuestionBank).where(QuestionBank.slug == slug))
    if bank is None or bank.retired_at is not None:
        raise ImportRefused(f"No question bank '{slug}'.")
    return bank


def objectives_in_force() -> dict[str, str]:
    """Objective id -> its text, as the modules in force declare them (their current versions)."""
    rows = db.session.scalars(
        select(ModuleVersion.objectives).join(Module, Module.current_version_id == ModuleVersion.id)
        .where(Module.retired_at.is_(None)))
    return dict(sorted((objective["id"], objective["text"]) for objectives in rows for objective in objectives))


def declared_objectives() -> set[str]:
    """The objectives the modules in force declare (their current versions)."""
    return set(objectives_in_force())


def banks_in_use() -> list[tuple[QuestionBank, int]]:
    """The banks not retired, each with its number of active questions."""
    counts = dict(db.session.execute(select(Question.bank_id, func.count()).where(Question.status == ACTIVE)
                                     .group_by(Question.bank_id)).all())
    banks = db.session.scalars(select(QuestionBank).where(QuestionBank.retired_at.is_(None))
                               .order_by(QuestionBank.slug))
    return [(bank, counts.get(bank.id, 0)) for bank in banks]


def _short(text: str, width: int = 100) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def key_and_feedback(q: dict) -> list[str]:
    """The key and the feedback of a question, one line each, as a preview shows them: the key as its type
    describes it, then whatever choices, feedback and scoring the question holds."""
    kind = QUESTION_TYPES[q["type"]]
    lines = [f"key: {_short(kind.describe_key(q))}"]
    variants = [v for v in kind.accepted_variants(q) if v != kind.describe_key(q)]
    if variants:
        lines.append("also accepted: " + " | ".join(variants))
    for choice in q.get("choices", []):
        lines.append(f"{'key' if choice.get('correct') else '   '} {choice['id']}. {_short(choice['text'], 60)} "
                     f"-- feedback: {_short(choice['feedback'], 60)}")
    for pair in q.get("pairs", []):
        lines.append(f"pair: {pair['prompt']} -> {pair['answer']}")
    feedback = q.get("feedback")
    if isinstance(feedback, dict):
        lines += [f"feedback if {value}: {_short(text)}" for value, text in feedback.items()]
    elif feedback:
        lines.append(f"feedback: {_short(feedback)}")
    if q.get("scoring"):
        lines.append(f"scoring: {q['scoring']}")
    return lines + [f"rationale: {_short(q['rationale'])}"]


@dataclass
class PreviewRow:
    """One question of a file as the import preview shows it."""

    where: str  # its line (GIFT, Aiken) or element path (Moodle XML)
    id: str
    type_label: str
    title: str
    category: str
    stem_html: str  # rendered and sanitized, as the trainee will see it
    plan: str  # new | unchanged | new version | in bank <id>
    details: list[str]  # its key and feedback (key_and_feedback)


def preview_rows(imported: Imported, plan: dict[str, str]) -> list[PreviewRow]:
    """The questions a file gave, with what the import would do with each."""
    return [PreviewRow(where=p.where, id=p.data["id"],
                       type_label=QUESTION_TYPES[p.data["type"]].label or p.data["type"],
                       title=p.title, category=p.category, stem_html=render_markdown(p.data["stem"]),
                       plan=plan.get(p.data["id"], "new"), details=key_and_feedback(p.data))
            for p in imported.questions]


def problem_order(problem) -> tuple:
    """Problems in file order: by line number, then by place."""
    found = re.match(r"line (\d+)$", problem.where)
    return (int(found.group(1)) if found else 0, problem.where)


def _checked(imported: Imported, bank: str) -> tuple[QuestionBank, dict[str, Question]]:
    """The target bank and the imported questions the database already holds, or ImportRefused."""
    target = bank_or_refuse(bank)
    if not imported.questions:
        raise ImportRefused("The file holds no question that can be imported.")
    unknown = sorted({q.data["objective"] for q in imported.questions} - declared_objectives())
    if unknown:
        raise ImportRefused(f"No module declares the objective {', '.join(unknown)}.")
    slugs = [q.data["id"] for q in imported.questions]
    return target, {q.slug: q for q in db.session.scalars(select(Question).where(Question.slug.in_(slugs)))}


def preview_import(imported: Imported, *, bank: str) -> dict[str, str]:
    """What an import would do with each question, changing nothing: question id -> "new", "unchanged",
    "new version" or "in bank <id>". Refuses as the import would (unknown bank or objective)."""
    target, existing = _checked(imported, bank)
    plan = {}
    for parsed in imported.questions:
        question = existing.get(parsed.data["id"])
        if question is None:
            plan[parsed.data["id"]] = "new"
        elif question.bank_id != target.id:
            plan[parsed.data["id"]] = f"in bank {question.bank.slug}"
        else:
            current = question.current_version
            same = current is not None and current.content_hash == content_hash(question_content(parsed.data))
            plan[parsed.data["id"]] = "unchanged" if same else "new version"
    return plan


def import_questions(imported: Imported, *, bank: str, file_name: str, fmt: str, actor, now,
                     actor_label: str | None = None) -> ImportReport:
    """Store the questions a file gave into ``bank`` (each under the objective it was read with); a
    question already there with the same content is left alone. Audited; the caller commits."""
    target, existing = _checked(imported, bank)
    position = db.session.scalar(select(func.max(Question.position)).where(Question.bank_id == target.id))
    position = -1 if position is None else position
    report = ImportReport()
    for parsed in imported.questions:
        spec = parsed.data
        content = question_content(spec)
        digest = content_hash(content)
        question = existing.get(spec["id"])
        number = 0
        if question is None:
            position += 1
            question = Question(slug=spec["id"], bank_id=target.id, position=position, status=ACTIVE,
                                objective=spec["objective"], difficulty=spec["difficulty"], created_at=now)
            db.session.add(question)
            db.session.flush()
            report.created.append(spec["id"])
        elif question.bank_id != target.id:
            report.elsewhere.append((spec["id"], question.bank.slug))
            continue
        else:
            current = question.current_version
            if current is not None and current.content_hash == digest:
                report.unchanged.append(spec["id"])
                continue
            number = current.number if current is not None else 0
            question.objective, question.difficulty = spec["objective"], spec["difficulty"]
            report.updated.append(spec["id"])
        version = QuestionVersion(
            question_id=question.id, number=number + 1, content_hash=digest, qtype=spec["type"],
            objective=spec["objective"], difficulty=spec["difficulty"], data=content,
            rendered=render_question(content), source_path=f"import:{file_name}"[:500], created_at=now,
        )
        db.session.add(version)
        db.session.flush()
        question.current_version_id = version.id
    db.session.flush()
    record_event("questions.import", actor=actor, actor_label=actor_label, obj=target, now=now,
                 details={"file": file_name, "format": fmt, **report.summary(),
                          "not_imported": sum(1 for p in imported.problems if p.severity == "error")})
    return report


def bank_data(slug: str, *, include_retired: bool = False) -> dict:
    """A bank from the database in the bank format (docs/CONTENT_FORMAT.md): its questions' current
    versions in the bank's order."""
    bank = db.session.scalar(select(QuestionBank).where(QuestionBank.slug == slug))
    if bank is None:
        raise ImportRefused(f"No question bank '{slug}'.")
    query = (select(Question, QuestionVersion).join(QuestionVersion, QuestionVersion.id == Question.current_version_id)
             .where(Question.bank_id == bank.id).order_by(Question.position, Question.id))
    if not include_retired:
        query = query.where(Question.status == ACTIVE)
    questions = []
    for question, version in db.session.execute(query):
        data = {"id": question.slug, **version.data}
        if question.family:
            data["family"] = question.family
        if question.status != ACTIVE:
            data["status"] = question.status
        questions.append(data)
    return {"id": bank.slug, "title": bank.title, "description": bank.description or "", "questions": questions}


def export_questions(slug: str, fmt: str, *, actor, now, actor_label: str | None = None) -> tuple[bytes, list[str]]:
    """A bank's active questions written in ``fmt``; audited (the file holds the keys). The caller commits."""
    bank = bank_data(slug)
    if not bank["questions"]:
        raise ImportRefused(f"The bank '{slug}' has no active question to export.")
    data, problems = export_bank(bank, fmt)
    record_event("questions.export", actor=actor, actor_label=actor_label, object_type="question_bank",
                 object_id=db.session.scalar(select(QuestionBank.id).where(QuestionBank.slug == slug)), now=now,
                 details={"format": fmt, "questions": len(bank["questions"]), "problems": len(problems)})
    return data, problems
