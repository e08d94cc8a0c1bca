"""The exam and blueprint editor: cells (bank x objective x difficulty x count), pass mark, time limit,
attempts, review policy; whether each cell can be drawn and for how many attempts without repeats.

The rules are those of ``lms content check`` (lms/content/blueprints.py: a bipartite matching of cell
slots to questions) over the questions the draw would use (``load_candidates`` of lms/exams/draw.py: the
active questions of banks in force). Saving stores a new ExamVersion the way ``lms content sync`` does
(lms/content/sync_exams.py); attempts already started keep the version they pinned. The caller commits.
"""
from dataclasses import dataclass

from sqlalchemy import select

from lms.audit import record_event
from lms.authoring.questions import browser_source, insert_new, stale
from lms.content import check
from lms.content.blueprints import blueprint_problems, blueprint_shortfall, cell_pools, describe_cell, draw_rounds
from lms.content.catalog import EXAM_DEFAULTS, BankSpec, content_hash
from lms.content.interchange.service import declared_objectives
from lms.content.schemas import DIFFICULTIES, EXAM
from lms.exams.draw import load_candidates
from lms.extensions import db
from lms.markdown import render_markdown
from lms.models import Exam, ExamVersion, Question, QuestionBank

EXTRA_CELLS = 3  # blank cell rows the form offers beyond the blueprint's own
# The settings the form edits, in the exam file's words (docs/CONTENT_FORMAT.md), and how each is read.
NUMBERS = ("pass_mark", "time_limit_minutes", "attempts", "cooldown_hours", "per_page")
FLAGS = ("shuffle_questions", "shuffle_choices", "no_repeats")
CHOICES = {"navigation": ("free", "forward"), "review_show": ("score", "wrong", "answers"),
           "review_when": ("after_submit", "after_close")}


class BlueprintRefused(ValueError):
    """A blueprint the editor cannot save: each problem in the words of ``lms content check``."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


def _number(text: str):
    text = (text or "").strip()
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text or None  # not a number: the schema says so


def blueprint_values(exam: Exam) -> dict[str, str]:
    """The form values of an exam's current blueprint."""
    data = exam.current_version.blueprint
    values = {"title": data["title"], "description": data.get("description", ""),
              "review_show": data["review"]["show"], "review_when": data["review"]["when"],
              "navigation": data["navigation"], "base_version": str(exam.current_version.number)}
    values.update({k: str(data[k]) for k in NUMBERS})
    values.update({k: "y" if data[k] else "" for k in FLAGS})
    for index, cell in enumerate(data["draw"]):
        for key in ("bank", "objective", "difficulty", "count"):
            values[f"cell-{index}-{key}"] = str(cell.get(key, ""))
    return values


def cell_count(values: dict[str, str]) -> int:
    """How many cell rows the form shows: the cells typed so far and a few blank ones."""
    used = [int(k.split("-")[1]) for k, v in values.items() if k.startswith("cell-") and v]
    return max(used, default=-1) + 1 + EXTRA_CELLS


def new_exam_values() -> dict[str, str]:
    """The form values of a new exam: the exam file's defaults (docs/CONTENT_FORMAT.md), the rest blank."""
    values = {k: str(EXAM_DEFAULTS[k]) for k in NUMBERS if k in EXAM_DEFAULTS}
    values.update({k: "y" if EXAM_DEFAULTS.get(k) else "" for k in FLAGS})
    values.update(navigation=EXAM_DEFAULTS["navigation"], review_show=EXAM_DEFAULTS["review"]["show"],
                  review_when=EXAM_DEFAULTS["review"]["when"])
    return values


def blueprint_from(exam: Exam | None, values) -> dict:
    """The exam file's values the form makes (what it does not edit, such as a standard-setting record,
    kept from the current version; a new exam's id from the form), defaults filled in as ``lms content
    check`` fills them."""
    data = dict(exam.current_version.blueprint) if exam is not None else {"id": (values.get("id") or "").strip()}
    data["title"] = (values.get("title") or "").strip()
    data["description"] = (values.get("description") or "").replace("\r\n", "\n").strip()
    for key in NUMBERS:
        data[key] = _number(values.get(key))
    for key in FLAGS:
        data[key] = bool(values.get(key))
    data["navigation"] = values.get("navigation") or ""
    data["review"] = {"show": values.get("review_show") or "", "when": values.get("review_when") or ""}
    cells = []
    for index in range(cell_count(values)):
        raw = {key: (values.get(f"cell-{index}-{key}") or "").strip()
               for key in ("bank", "objective", "difficulty", "count")}
        if not any(raw.values()):
            continue
        cell = {key: value for key, value in raw.items() if value and key != "count"}
        cell["count"] = _number(raw["count"]) if raw["count"] else None
        cells.append(cell)
    data["draw"] = cells
    data = {k: v for k, v in data.items() if v is not None}
    data["draw"] = [{k: v for k, v in cell.items() if v is not None} for cell in cells]
    return {**EXAM_DEFAULTS, **data}


def _banks(cells: list[dict]) -> dict[str, BankSpec]:
    """The banks the cells name, holding the questions the draw can use (active, in banks in force)."""
    candidates = load_candidates(cells)
    slugs = dict(db.session.execute(select(Question.id, Question.slug)
                                    .where(Question.id.in_([c.question_id for c in candidates]))).all())
    banks: dict[str, BankSpec] = {}
    for c in candidates:
        banks.setdefault(c.bank, BankSpec(c.bank, "", "", [], {}, "")).questions.append(
            {"id": slugs[c.question_id], "objective": c.objective, "difficulty": c.difficulty})
    return banks


def blueprint_problems_of(data: dict) -> list[tuple[int | None, str]]:
    """Why the blueprint cannot be saved: (cell index or None, the words of ``lms content check``)."""
    schema_problems = check.exam_problems({k: v for k, v in data.items() if k in EXAM["properties"]})
    if schema_problems:
        return [(None, message) for message in schema_problems]
    in_force = set(db.session.scalars(select(QuestionBank.slug).where(QuestionBank.retired_at.is_(None))))
    objectives = declared_objectives()
    problems = []
    for index, cell in enumerate(data["draw"]):
        if cell["bank"] not in in_force:
            problems.append((index, f"unknown bank '{cell['bank']}'"))
        elif "objective" in cell and cell["objective"] not in objectives:
            problems.append((index, f"objective '{cell['objective']}' is not declared by any module"))
    if problems:
        return problems
    banks = _banks(data["draw"])
    problems = list(blueprint_problems(data, banks))
    if not problems and "standard_setting" in data:  # the record a panel's cut was set with must still hold
        pools = cell_pools(data["draw"], banks)
        problems = [(None, message) for _, message in
                    check.standard_setting_problems(data["draw"], data["standard_setting"], pools)]
    return problems


@dataclass
class CellReport:
    """What one cell can draw: its pool, and for how many attempts without repeats."""

    index: int
    description: str
    count: int
    pool: int  # active questions the cell may draw (some may be shared with other cells)
    attempts_without_repeats: int  # attempts the cell can serve fresh questions, the other cells served too
    needed: int  # attempts it must serve: all the exam allows with no_repeats, else 1
    problem: str = ""

    @property
    def drawable(self) -> bool:
        return self.attempts_without_repeats >= 1


@dataclass
class BlueprintReport:
    """The live check of a blueprint: a problem list (empty when it can be saved) and each cell's figures."""

    problems: list[tuple[int | None, str]]
    cells: list[CellReport]
    attempts_without_repeats: int  # attempts the whole blueprint can serve without a repeat
    rounds: int

    @property
    def ok(self) -> bool:
        return not self.problems


def blueprint_report(data: dict) -> BlueprintReport:
    """Whether each cell can be drawn, for how many attempts without repeats, and why the blueprint cannot
    be saved (if it cannot)."""
    problems = blueprint_problems_of(data)
    if any(index is None for index, _ in problems) or not data.get("draw"):
        return BlueprintReport(problems, [], 0, 0)
    cells = [c for c in data["draw"] if isinstance(c.get("count"), int) and c["count"] > 0]
    if len(cells) != len(data["draw"]):
        return BlueprintReport(problems, [], 0, 0)
    banks = _banks(cells)
    pools = [len(p) for p in cell_pools(cells, banks)]
    served = [0] * len(cells)
    whole = 0
    most = max((pool // cell["count"] for pool, cell in zip(pools, cells)), default=0)
    for rounds in range(1, most + 1):
        short = {index for index, _, _ in blueprint_shortfall(cells, banks, rounds)}
        for index in range(len(cells)):
            if index not in short and served[index] == rounds - 1:
                served[index] = rounds
        if not short and whole == rounds - 1:
            whole = rounds
        if len(short) == len(cells):
            break
    rounds = draw_rounds(data) if isinstance(data.get("attempts"), int) else 1
    said = {i: m for i, m in problems if i is not None}
    reports = [CellReport(i, describe_cell(cell), cell["count"], pools[i], served[i], rounds, said.get(i, ""))
               for i, cell in enumerate(cells)]
    return BlueprintReport(problems, reports, whole, rounds)


def save_blueprint(exam: Exam, data: dict, *, actor, now, base_version: int | None = None) -> ExamVersion | None:
    """A new version of the exam's blueprint (None when nothing changed); refused, with each cell's reason,
    when it cannot be drawn for every attempt it must serve, or when the exam is no longer at
    ``base_version`` (someone saved meanwhile). Attempts already started keep their version. Audited."""
    current = exam.current_version
    if base_version is not None and base_version != current.number:
        raise BlueprintRefused([stale(f"exam '{exam.slug}'", current.number)])
    problems = blueprint_problems_of(data)
    if problems:
        raise BlueprintRefused([m if i is None else f"cell {i + 1}: {m}" for i, m in problems])
    digest = content_hash(data)
    if digest == current.content_hash:
        return None
    version = ExamVersion(
        exam_id=exam.id, number=current.number + 1, content_hash=digest, title=data["title"],
        description_html=render_markdown(data["description"]) if data["description"] else "",
        blueprint=data, source_path=browser_source(current.source_path), created_at=now)
    db.session.add(version)
    db.session.flush()
    exam.current_version_id = version.id
    record_event("exam.save_blueprint", actor=actor, obj=exam, now=now,
                 details={"exam": exam.slug, "version": version.number, "cells": len(data["draw"])})
    db.session.flush()
    return version


def exam_file_path(slug: str) -> str:
    """The file ``lms content export`` writes an exam made in the browser to."""
    return f"curriculum/exams/{slug}.yml"


def exam_by_slug(slug: str) -> Exam | None:
    """The exam with this id, in force or retired."""
    return db.session.scalar(select(Exam).where(Exam.slug == slug))


def create_exam(data: dict, *, actor, now) -> Exam:
    """A new exam and its first version from the form: refused, as the blueprint editor refuses, when it
    cannot be drawn (each cell's reason) or its id is taken (by an exam in force or a retired one). Stored as
    sync stores an exam file; a track names it in its schedule (in the track's file). Audited."""
    problems = [m if i is None else f"cell {i + 1}: {m}" for i, m in blueprint_problems_of(data)]
    taken = exam_by_slug(data["id"])
    if taken is not None:
        where = taken.current_version.source_path if taken.current_version else "the database"
        problems.insert(0, check.duplicate_id("exam", data["id"], where))
    if problems:
        raise BlueprintRefused(problems)
    exam = Exam(slug=data["id"], created_at=now)
    insert_new(exam, BlueprintRefused([check.duplicate_id("exam", data["id"], "an exam saved meanwhile")]))
    version = ExamVersion(
        exam_id=exam.id, number=1, content_hash=content_hash(data), title=data["title"],
        description_html=render_markdown(data["description"]) if data["description"] else "",
        blueprint=data, source_path=browser_source(exam_file_path(exam.slug)), created_at=now)
    db.session.add(version)
    db.session.flush()
    exam.current_version_id = version.id
    record_event("exam.create", actor=actor, obj=exam, now=now,
                 details={"exam": exam.slug, "title": data["title"], "cells": len(data["draw"])})
    db.session.flush()
    return exam


def exams_in_force() -> list[Exam]:
    """The exams not retired, by title."""
    exams = db.session.scalars(select(Exam).where(Exam.retired_at.is_(None), Exam.current_version_id.is_not(None)))
    return sorted(exams, key=lambda e: e.title.lower())


def form_choices() -> dict:
    """The choices the form offers: banks in force, objectives declared, difficulties, and each setting's."""
    banks = db.session.execute(select(QuestionBank.slug, QuestionBank.title).where(QuestionBank.retired_at.is_(None))
                               .order_by(QuestionBank.title)).all()
    return {"banks": banks, "objectives": sorted(declared_objectives()), "difficulties": DIFFICULTIES, **CHOICES}
