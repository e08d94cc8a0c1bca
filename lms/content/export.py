"""Write the database's published content back to files: the inverse of ``lms content sync``.

Modules, tracks, banks and exams go to curriculum/ and question_banks/ under a root, in the formats of
docs/CONTENT_FORMAT.md, so that syncing the export changes nothing. The files are semantically equal to
the ones synced (the same values, so the same content hashes), not byte-identical: the database keeps
values, not the original layout, so keys come out in the documented order and YAML in one style.
Each question is written by its type's class (``file_entry``); questions imported or written in the
browser go into their bank's file, so a sync after an export keeps them.
"""
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from sqlalchemy import select

from lms.audit import record_event
from lms.content.catalog import EXAM_DEFAULTS, content_hash
from lms.content.exercises import FOLDER as EXERCISE_FOLDER
from lms.content.exercises import exercise_file_data
from lms.content.sync_state import question_file_hash, record_items
from lms.extensions import db
from lms.models import (
    ContentSyncState, Exam, ExamVersion, Exercise, ExerciseVersion, Module, ModuleVersion, Question, QuestionBank,
    QuestionVersion, Track)
from lms.questions import QUESTION_TYPES

MODULE_KEYS = ("id", "title", "topic", "minutes", "objectives", "sources", "annex", "reviewed", "reviewed_by")
TRACK_KEYS = ("id", "title", "audience", "weeks", "length", "hours", "attendance", "no_repeats_across_exams", "sample",
              "description", "refresher_of", "certification", "schedule")
EXAM_KEYS = ("id", "title", "description", "pass_mark", "time_limit_minutes", "attempts", "cooldown_hours",
             "shuffle_questions", "shuffle_choices", "navigation", "per_page", "no_repeats", "review", "draw",
             "standard_setting")
# The order of the keys of nested mappings (a choice, a blueprint cell, a week, a panel's record); the
# database keeps JSON with sorted keys, so the files' order is restored from here.
NESTED_KEYS = ("id", "week", "title", "prompt", "text", "answer", "correct", "feedback", "bank", "objective",
               "difficulty", "count", "online", "classroom", "validity_years", "modules", "exams", "exercises",
               "show", "when", "method", "date", "note", "raters", "ratings", "cut")
FLOW_WIDTH = 100  # a list or mapping of plain values shorter than this is written on one line


@dataclass
class ExportReport:
    """The files written, and content files under the root that the database no longer holds."""

    written: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)
    empty: list[str] = field(default_factory=list)  # banks with no question to write (a bank file needs one)


def ordered(data: dict, keys) -> dict:
    """``data`` with ``keys`` first, in that order, then any other key."""
    return {**{k: data[k] for k in keys if k in data}, **{k: v for k, v in data.items() if k not in keys}}


def tidy(value, *, top: bool = True):
    """Nested mappings in NESTED_KEYS order, at every depth below the one given (``top``)."""
    if isinstance(value, dict):
        value = value if top else ordered(value, NESTED_KEYS)
        return {k: tidy(v, top=False) for k, v in value.items()}
    if isinstance(value, list):
        return [tidy(v, top=top) for v in value]
    return value


# -- YAML in the style of the bundled files ----------------------------------------------------------

class _Dumper(yaml.SafeDumper):
    def increase_indent(self, flow=False, indentless=False):
        return super().increase_indent(flow, False)  # list items indented under their key


def _scalar(value) -> bool:
    return value is None or isinstance(value, (str, int, float, bool))


def _short(values) -> bool:
    return all(_scalar(v) and "\n" not in str(v) for v in values) and len(repr(values)) < FLOW_WIDTH


def _represent_str(dumper, value: str):
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


def _represent_list(dumper, value: list):
    flow = bool(value) and all(_scalar(v) and "\n" not in str(v) for v in value)  # a list of plain values
    return dumper.represent_sequence("tag:yaml.org,2002:seq", value, flow_style=flow)


def _represent_dict(dumper, value: dict):
    flow = bool(value) and _short(list(value.values())) and len(value) > 1 and all(isinstance(k, str) for k in value)
    return dumper.represent_mapping("tag:yaml.org,2002:map", value.items(), flow_style=flow)


_Dumper.add_representer(str, _represent_str)
_Dumper.add_representer(list, _represent_list)
_Dumper.add_representer(dict, _represent_dict)


def dump_yaml(data) -> str:
    """YAML for a content file: keys in the given order, short lists and mappings on one line, long
    texts as literal blocks."""
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=4096)


# -- each kind of file ----------------------------------------------------------------------------

def module_file(module: Module, version: ModuleVersion) -> tuple[str, dict, str]:
    """(path, text) of a module's current version: its front matter as read when it came from a file,
    else its columns over the front matter of its latest version that did."""
    front = version.front_matter
    if front is None:
        earlier = [v.front_matter for v in module.versions if v.front_matter is not None]
        front = dict(earlier[-1] if earlier else {})
        front.update(id=module.slug, title=version.title, topic=module.topic, minutes=version.minutes,
                     objectives=version.objectives, sources=version.sources)
        if module.is_annex or "annex" in front:
            front["annex"] = module.is_annex
    path = version.source_path if version.source_path.startswith("curriculum/") else \
        f"curriculum/modules/{module.slug}.md"
    return path, tidy(ordered(front, MODULE_KEYS)), version.body_md


def track_data(track: Track) -> dict:
    """A track's file values: as read when its hash still matches them, else from its columns."""
    if track.source_data is not None and content_hash(track.source_data) == track.content_hash:
        return tidy(ordered(track.source_data, TRACK_KEYS))
    weeks: dict[int, dict] = {}
    for item in track.items:
        week = weeks.setdefault(item.week, {"week": item.week, "title": item.week_title})
        if item.kind in ("module", "exam", "exercise"):
            week.setdefault(f"{item.kind}s", []).append(item.ref)
    data = {"id": track.slug, "title": track.title, "audience": track.audience, "weeks": track.weeks,
            "length": track.length_unit, "sample": track.is_sample, "description": track.description,
            "refresher_of": track.refresher_of, "no_repeats_across_exams": track.no_repeats_across_exams,
            "certification": {"title": track.certification_title, "validity_years": track.validity_years},
            "schedule": [weeks[w] for w in sorted(weeks)]}
    if track.online_hours is not None:
        data["hours"] = {"online": track.online_hours, "classroom": track.classroom_hours or 0}
    if track.attendance_percent is not None:
        data["attendance"] = {"required_percent": track.attendance_percent}
    return tidy(ordered(data, TRACK_KEYS))


def exam_data(exam: Exam, version: ExamVersion) -> dict:
    """An exam's file values: its blueprint, leaving out what equals the default."""
    data = {k: v for k, v in version.blueprint.items() if EXAM_DEFAULTS.get(k, object()) != v}
    if "review" in data:
        data["review"] = {k: v for k, v in data["review"].items() if EXAM_DEFAULTS["review"].get(k) != v}
    return tidy(ordered(data, EXAM_KEYS))


def bank_file_data(bank: QuestionBank) -> dict:
    """A bank's file values: its questions in order, each written by its type. A retired question is
    written only when it came from a file (a question retired by leaving its file stays out)."""
    from_files = set(db.session.scalars(select(ContentSyncState.key).where(ContentSyncState.kind == "question")))
    rows = db.session.execute(
        select(Question, QuestionVersion).join(QuestionVersion, QuestionVersion.id == Question.current_version_id)
        .where(Question.bank_id == bank.id).order_by(Question.position, Question.id))
    questions = []
    for question, version in rows:
        if question.status != "active" and question.slug not in from_files:
            continue
        meta = {"id": question.slug, "status": question.status if question.status != "active" else None,
                "family": question.family}
        questions.append(tidy(QUESTION_TYPES[version.qtype].file_entry(meta, version.data)))
    data = {"id": bank.slug, "title": bank.title}
    if bank.description:
        data["description"] = bank.description
    data["questions"] = questions
    return data


def exercise_data(exercise: Exercise, version: ExerciseVersion) -> dict:
    """An exercise's file values (lms/content/exercises.py says which)."""
    return tidy(exercise_file_data(
        slug=exercise.slug, title=version.title, mode=version.mode, instructions=version.instructions_md,
        rubric=[ordered(c, ("id", "title", "minimum", "levels")) for c in version.rubric],
        pass_total=version.pass_total, sources=version.sources))


def _published(model, version_model):
    return db.session.execute(
        select(model, version_model).join(version_model, version_model.id == model.current_version_id)
        .where(model.retired_at.is_(None)).order_by(model.slug)).all()


def content_files() -> tuple[dict[str, str], dict[tuple[str, str], tuple[str, str]], list[str]]:
    """Every content file the database's published content makes (path -> text), each item's part of
    them as a sync would record it ((kind, id) -> (path, hash), lms/content/sync_state.py), and the banks
    left out for having no question to write (a bank made in the browser before its first question: a bank
    file without questions would fail ``lms content check``; sync leaves such a bank alone)."""
    files, items, empty = {}, {}, []
    for module, version in _published(Module, ModuleVersion):
        path, front, body = module_file(module, version)
        files[path] = f"---\n{dump_yaml(front)}---\n{body}"
        items["module", module.slug] = (path, content_hash({"front": front, "body": body}))
    for track in db.session.scalars(select(Track).where(Track.retired_at.is_(None)).order_by(Track.slug)):
        path, data = f"curriculum/tracks/{track.slug}.yml", track_data(track)
        files[path] = dump_yaml(data)
        items["track", track.slug] = (path, content_hash(data))
    for bank in db.session.scalars(select(QuestionBank).where(QuestionBank.retired_at.is_(None))
                                   .order_by(QuestionBank.slug)):
        path = bank.source_path if bank.source_path.startswith("question_banks/") else \
            f"question_banks/{bank.slug}.yml"
        data = bank_file_data(bank)
        if not data["questions"]:
            empty.append(bank.slug)
            continue
        files[path] = dump_yaml(data)
        items["bank", bank.slug] = (path, content_hash({"title": bank.title, "description": bank.description or ""}))
        for question in data["questions"]:
            items["question", question["id"]] = (path, question_file_hash(question, bank.slug))
    for exam, version in _published(Exam, ExamVersion):
        path = version.source_path if version.source_path.startswith("curriculum/exams/") else \
            f"curriculum/exams/{exam.slug}.yml"
        files[path] = dump_yaml(exam_data(exam, version))
        items["exam", exam.slug] = (path, content_hash(version.blueprint))
    for exercise, version in _published(Exercise, ExerciseVersion):
        path = version.source_path if version.source_path.startswith(f"{EXERCISE_FOLDER}/") else \
            f"{EXERCISE_FOLDER}/{exercise.slug}.yml"
        files[path] = dump_yaml(exercise_data(exercise, version))
        items["exercise", exercise.slug] = (path, version.content_hash)
    return files, items, empty


def existing_content_files(root: Path) -> set[str]:
    """The content files under ``root`` that a sync would read."""
    found = {str(p.relative_to(root)) for p in (root / "curriculum").glob("**/*.md")
             if not {"tracks", "exams", "exercises"} & set(p.relative_to(root).parts)}
    for folder in ("curriculum/tracks", "curriculum/exams", EXERCISE_FOLDER, "question_banks"):
        found |= {str(p.relative_to(root)) for p in (root / folder).glob("*.yml")}
    return found


def export_content(root, *, actor, now, prune: bool = False) -> ExportReport:
    """Write every published module, track, bank, exam and practical exercise under ``root``. Content files
    there that the database does not hold are listed, or removed with ``prune`` (a sync would load them again). The sync
    record then holds the files' hashes, so the next sync finds both sides unchanged. Audited."""
    root = Path(root)
    files, items, empty = content_files()
    report = ExportReport(stale=sorted(existing_content_files(root) - set(files)), empty=empty)
    for rel, text in sorted(files.items()):
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            target.write_text(text, encoding="utf-8")
            report.written.append(rel)
    if prune:
        for rel in report.stale:
            (root / rel).unlink()
    record_items(items, now, forget_others=False)  # the files now hold the database's versions
    record_event("content.export", actor=actor, object_type="content", now=now,
                 details={"files": len(files), "written": len(report.written), "stale": len(report.stale),
                          "pruned": prune})
    return report
