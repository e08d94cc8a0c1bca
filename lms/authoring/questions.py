"""The question editor: a question of any registered type created, edited and retired in the browser.

The form is the type's own (``QuestionType.editor_fields``, read and written by lms/questions/editor.py)
after the fields every question has; what it builds is a question in the bank file format, checked by the
rules of ``lms content check`` (``check.question_problems``, stems against every other question) and
stored the way ``lms content sync`` stores it (lms/content/sync_exams.py): a change of content is a new
QuestionVersion, never an edit of one, so attempts that drew the old version keep showing it. Retiring
takes a question out of future draws only. The caller commits.
"""
import random
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from lms.audit import record_event
from lms.content import check
from lms.content.catalog import BankSpec, Catalog, content_hash
from lms.content.interchange.service import declared_objectives
from lms.content.quality import question_warnings
from lms.content.schemas import DIFFICULTIES
from lms.content.sync_exams import ACTIVE, RETIRED, question_content, render_question
from lms.exams.pages import QuestionView
from lms.exams.statistics import question_statistics
from lms.extensions import db
from lms.markdown import render_markdown
from lms.models import AttemptQuestion, Question, QuestionBank, QuestionVersion
from lms.questions import QUESTION_TYPES, QuestionType, editor
from lms.questions.editor import SELECT, TEXT, TEXTAREA, EditorField, EditorRows

PREVIEW_NAME = "preview"  # the preview's field name (its inputs are disabled: nothing is sent)
BROWSER = "browser:"  # what a version saved in the browser records as its source, before the file it belongs to


def browser_source(path: str) -> str:
    """The source a version saved in the browser records: "browser:" and the file its bank or exam comes from
    (a version imported from a file says "import:", one synced from the files the file alone)."""
    return (path if path.startswith(BROWSER) else BROWSER + path)[:500]


class QuestionRefused(ValueError):
    """A question the editor cannot save: each problem in the words of ``lms content check``."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


# -- the form ---------------------------------------------------------------------------------------------


def common_fields(objectives, *, creating: bool) -> tuple:
    """The fields every question has, before its type's own."""
    fields = (
        EditorField(("stem",), "Question", TEXTAREA, hint="Markdown: what the trainee reads."),
        EditorField(("objective",), "Objective", SELECT, tuple((o, o) for o in sorted(objectives))),
        EditorField(("difficulty",), "Difficulty", SELECT, tuple((d, d.capitalize()) for d in DIFFICULTIES)),
        EditorField(("rationale",), "Rationale", TEXTAREA, hint="Why the key is right (Markdown); reviews show it."),
        EditorField(("source",), "Source", TEXT, hint="The statute, regulation or policy, with its date."),
        EditorField(("family",), "Family", TEXT, hint="Optional. Questions that test the same fact share a family; "
                                                      "one attempt never draws two of it."),
    )
    if creating:
        fields = (EditorField(("id",), "Question id", TEXT, hint="Lower-case letters, digits and dashes, for "
                                                                 "example cr-fourth-3. It cannot be changed later."),
                  *fields)
    return fields


@dataclass
class Input:
    """One input as the editor template draws it."""

    name: str
    label: str
    kind: str
    value: str
    options: tuple = ()
    hint: str = ""


@dataclass
class Rows:
    """A list edited as rows of inputs."""

    label: str
    hint: str
    headers: list[str]
    rows: list[list[Input]] = field(default_factory=list)


def form_layout(fields, values: dict[str, str]) -> list:
    """What the template draws for ``fields``, filled with ``values`` (the stored question's or as typed)."""
    layout = []
    for spec in fields:
        if isinstance(spec, EditorRows):
            rows = Rows(spec.label, spec.hint, [c.label for c in spec.columns])
            for index in range(spec.rows):
                rows.rows.append([Input(c.name(spec.prefix(index)), f"{c.label} {index + 1}", c.kind,
                                        values.get(c.name(spec.prefix(index)), ""), c.options, c.hint)
                                  for c in spec.columns])
            layout.append(rows)
        else:
            layout.append(Input(spec.name(), spec.label, spec.kind, values.get(spec.name(), ""), spec.options,
                                spec.hint))
    return layout


def editor_layout(kind: QuestionType, values: dict[str, str], *, creating: bool) -> tuple[list, list]:
    """(the common inputs, the type's inputs) of the editor, filled with ``values``."""
    return (form_layout(common_fields(declared_objectives(), creating=creating), values),
            form_layout(kind.editor_fields(), values))


def form_values(kind: QuestionType, form, *, creating: bool) -> dict[str, str]:
    """Every value the editor sent, as typed (shown back unchanged when the question is refused)."""
    names = []
    for spec in (*common_fields((), creating=creating), *kind.editor_fields()):
        if isinstance(spec, EditorRows):
            names += [c.name(spec.prefix(i)) for i in range(spec.rows) for c in spec.columns]
        else:
            names.append(spec.name())
    return {name: form.get(name, "") for name in names}


def question_values(question: Question) -> dict[str, str]:
    """The editor's values for a question's current version."""
    data = question_data(question)
    return {**editor.write(common_fields((), creating=False), data), **QUESTION_TYPES[data["type"]].editor_values(data)}


def question_data(question: Question) -> dict:
    """A question in the bank file format, from its current version (as lms content export writes it)."""
    data = {"id": question.slug, **question.current_version.data}
    if question.family:
        data["family"] = question.family
    return data


def draft(kind: QuestionType, values: dict[str, str], *, slug: str | None = None) -> dict:
    """The question the editor's values make, in the bank file format (``slug``: the edited question's id)."""
    common = editor.read(common_fields((), creating=slug is None), values)
    return {"id": slug if slug is not None else common.pop("id", ""), "type": kind.name, **common,
            **kind.from_editor(values)}


# -- checks -----------------------------------------------------------------------------------------------


def _others():
    """Every other question's id, bank, status, family and current data: (Question, bank slug, bank file, data)."""
    return db.session.execute(
        select(Question, QuestionBank.slug, QuestionBank.source_path, QuestionVersion.data)
        .join(QuestionBank, QuestionBank.id == Question.bank_id)
        .join(QuestionVersion, QuestionVersion.id == Question.current_version_id)
        .order_by(QuestionBank.slug, Question.position, Question.id)).all()


def question_problems(data: dict, *, question: Question | None = None) -> list[str]:
    """Why the question cannot be saved, in the words of ``lms content check``: its schema, objective and
    type's rules; a new question's id taken; a stem (nearly) the same as another question's."""
    problems = check.question_problems(data, declared_objectives())
    if problems:
        return problems
    if question is None:
        taken = db.session.execute(select(QuestionBank.source_path).join(Question, Question.bank_id == QuestionBank.id)
                                   .where(Question.slug == data["id"])).scalar()
        if taken is not None:
            return [check.duplicate_id("question", data["id"], taken)]
    stem = check.normalize_stem(data["stem"])
    for other, _, path, other_data in _others():
        if other.slug != data["id"]:
            clash = check.stem_clash(stem, check.normalize_stem(other_data["stem"]))
            if clash:
                problems.append(check.stem_problem(data["id"], clash, other.slug, path))
    return problems


def quality_notes(data: dict, bank: QuestionBank) -> list[str]:
    """The item-quality warnings ``lms content check`` would give this question (or its bank, counting it)
    if the banks held it as it stands in the editor: key position, longest option, negative stem, near
    duplicates in other banks. Only for a question without problems."""
    banks: dict[str, BankSpec] = {}
    for other, slug, path, other_data in _others():
        spec = banks.setdefault(slug, BankSpec(slug, "", "", [], {}, path))
        if other.slug != data["id"]:
            spec.questions.append({"id": other.slug, **other_data, "status": other.status,
                                   **({"family": other.family} if other.family else {})})
    banks.setdefault(bank.slug, BankSpec(bank.slug, "", "", [], {}, bank.source_path)).questions.append(data)
    return [w.message for w in question_warnings(Catalog(banks=banks), bank.slug, data["id"])]


def preview(data: dict) -> QuestionView:
    """The question as a trainee sees it on the exam page (its type's partial; no key, no feedback), its
    options in the authored order where the exam does not shuffle them."""
    kind = QUESTION_TYPES[data["type"]]
    shown = kind.shown(data, random.Random(0), False)
    return QuestionView(0, 1, kind.name, kind.label, PREVIEW_NAME, render_markdown(data["stem"]), kind.template,
                        kind.control(PREVIEW_NAME, data, shown, None))


@dataclass
class VersionRow:
    """A version of a question and how many attempts drew it."""

    number: int
    created_at: object
    source_path: str
    attempts: int
    current: bool


def version_rows(question: Question) -> list[VersionRow]:
    """The question's versions, newest first, each with the number of attempts that drew it."""
    drawn = dict(db.session.execute(
        select(AttemptQuestion.question_version_id, func.count()).where(AttemptQuestion.question_id == question.id)
        .group_by(AttemptQuestion.question_version_id)).all())
    versions = db.session.scalars(select(QuestionVersion).where(QuestionVersion.question_id == question.id)
                                  .order_by(QuestionVersion.number.desc()))
    return [VersionRow(v.number, v.created_at, v.source_path, drawn.get(v.id, 0), v.id == question.current_version_id)
            for v in versions]


def item_statistics(question: Question):
    """The question's item statistics, per version (lms/exams/statistics.py)."""
    return question_statistics(question.id)


# -- writes -----------------------------------------------------------------------------------------------


def stale(what: str, number: int) -> str:
    """The refusal of a save made on a version that is no longer current."""
    return (f"{what} was saved by someone else while you edited it (it is now version {number}): "
            "nothing was saved; open it again to see their change")


def insert_new(row, refused: Exception) -> None:
    """Add ``row``, whose id was checked free, and flush it. When someone took that id between the check
    and now (two people creating the same id at once), the database's unique index refuses it: the
    caller's refusal is raised, with this request's other work intact, instead of a server error."""
    try:
        with db.session.begin_nested():
            db.session.add(row)
    except IntegrityError as error:
        raise refused from error


def _new_version(question: Question, content: dict, number: int, source_path: str, now) -> QuestionVersion:
    version = QuestionVersion(
        question_id=question.id, number=number, content_hash=content_hash(content), qtype=content["type"],
        objective=content["objective"], difficulty=content["difficulty"], data=content,
        rendered=render_question(content), source_path=source_path, created_at=now)
    db.session.add(version)
    db.session.flush()
    question.current_version_id = version.id
    question.objective, question.difficulty = content["objective"], content["difficulty"]
    return version


def create_question(bank: QuestionBank, data: dict, *, actor, now) -> Question:
    """A new question at the end of ``bank``, its first version from the editor. Audited."""
    problems = question_problems(data)
    if problems:
        raise QuestionRefused(problems)
    position = db.session.scalar(select(func.max(Question.position)).where(Question.bank_id == bank.id))
    question = Question(slug=data["id"], bank_id=bank.id, position=0 if position is None else position + 1,
                        status=ACTIVE, objective=data["objective"], difficulty=data["difficulty"],
                        family=data.get("family"), created_at=now)
    insert_new(question, QuestionRefused([check.duplicate_id("question", data["id"], "a question saved meanwhile")]))
    _new_version(question, question_content(data), 1, browser_source(bank.source_path), now)
    record_event("question.create", actor=actor, obj=question, now=now,
                 details={"question": question.slug, "bank": bank.slug, "type": data["type"]})
    return question


def edit_question(question: Question, data: dict, *, actor, now, base_version: int | None = None
                  ) -> QuestionVersion | None:
    """The edited question: a new version when its content changed (the versions attempts drew stay as they
    were), its family updated in place (not content). None when nothing changed. Refused when the question
    is no longer at ``base_version``, the version the editor was opened on (someone saved meanwhile). Audited."""
    current = question.current_version
    if base_version is not None and base_version != current.number:
        raise QuestionRefused([stale(f"question '{question.slug}'", current.number)])
    problems = question_problems(data, question=question)
    if problems:
        raise QuestionRefused(problems)
    content = question_content(data)
    family = data.get("family")
    if current.content_hash == content_hash(content) and question.family == family:
        return None
    question.family = family
    version = None
    if current.content_hash != content_hash(content):
        version = _new_version(question, content, current.number + 1, browser_source(question.bank.source_path), now)
    record_event("question.edit", actor=actor, obj=question, now=now,
                 details={"question": question.slug, "version": (version or current).number,
                          "new_version": version is not None})
    db.session.flush()
    return version or current


def retire_question(question: Question, *, actor, now) -> None:
    """Take the question out of future draws; attempts that drew it keep it. Audited."""
    if question.status == RETIRED:
        raise QuestionRefused([f"question '{question.slug}' is already retired"])
    question.status, question.retired_at = RETIRED, now
    record_event("question.retire", actor=actor, obj=question, now=now, details={"question": question.slug})
    db.session.flush()


def reinstate_question(question: Question, *, actor, now) -> None:
    """Put a retired question back into future draws. Audited."""
    if question.status != RETIRED:
        raise QuestionRefused([f"question '{question.slug}' is not retired"])
    question.status, question.retired_at = ACTIVE, None
    record_event("question.reinstate", actor=actor, obj=question, now=now, details={"question": question.slug})
    db.session.flush()


# -- lists ------------------------------------------------------------------------------------------------


@dataclass
class BankRow:
    bank: QuestionBank
    active: int
    retired: int


def bank_rows() -> list[BankRow]:
    """The banks in force, with how many active and retired questions each holds."""
    counts = {}
    for bank_id, status, n in db.session.execute(
            select(Question.bank_id, Question.status, func.count()).group_by(Question.bank_id, Question.status)):
        counts[(bank_id, status)] = n
    banks = db.session.scalars(select(QuestionBank).where(QuestionBank.retired_at.is_(None))
                               .order_by(QuestionBank.title))
    return [BankRow(b, counts.get((b.id, ACTIVE), 0), counts.get((b.id, RETIRED), 0)) for b in banks]


@dataclass
class QuestionRow:
    slug: str
    label: str
    objective: str
    difficulty: str
    status: str
    version: int
    stem: str


def bank_questions(bank: QuestionBank) -> list[QuestionRow]:
    """The bank's questions in its order, each with its type, current version and the start of its stem."""
    rows = db.session.execute(
        select(Question, QuestionVersion).join(QuestionVersion, QuestionVersion.id == Question.current_version_id)
        .where(Question.bank_id == bank.id).order_by(Question.position, Question.id))
    return [QuestionRow(q.slug, QUESTION_TYPES[v.qtype].label, q.objective, q.difficulty, q.status, v.number,
                        v.data["stem"][:120]) for q, v in rows]
