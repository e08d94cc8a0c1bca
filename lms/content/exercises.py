"""Practical exercises as content: curriculum/exercises/*.yml read and checked (file:line), then synced as
versions like modules (a new version only when the file changed; a removed file retires its exercise).

The rubric is a list of criteria, each with levels (points, label, descriptor) and an optional minimum;
the pass rule is a total. A trainee passes when the total reaches it and every criterion its minimum
(lms.classroom.grading applies the rule; this module only checks that it can be met).
"""
from dataclasses import replace

from sqlalchemy import select

from lms.content import schemas
from lms.content.catalog import Catalog, ExerciseSpec, content_hash, plain
from lms.content.yamlfile import LineDict
from lms.extensions import db
from lms.markdown import render_document
from lms.models import Exercise, ExerciseVersion

FOLDER = "curriculum/exercises"
KEYS = ("id", "title", "mode", "instructions", "rubric", "pass", "sources")  # a file's keys, in their order


def exercise_file_data(*, slug, title, mode, instructions, rubric, pass_total, sources) -> dict:
    """An exercise's file values. A criterion's minimum of 0 is the default and left out, so a file that
    states it and one that does not read the same, and the content hash (taken of these values) does not
    depend on how the file was written. ``lms content export`` writes exactly this."""
    total = float(pass_total)
    return {
        "id": slug, "title": title, "mode": mode, "instructions": instructions,
        "rubric": [{k: v for k, v in criterion.items() if not (k == "minimum" and v == 0)} for criterion in rubric],
        "pass": {"total": int(total) if total.is_integer() else total},
        "sources": list(sources),
    }


def _check_rubric(c, rel: str, data: LineDict) -> bool:
    ok = True
    seen = set()
    best_total = 0.0
    for criterion, line in zip(data["rubric"], data["rubric"].item_lines):
        if criterion["id"] in seen:
            c.add(rel, line, f"criterion '{criterion['id']}' appears twice")
            ok = False
        seen.add(criterion["id"])
        points = [level["points"] for level in criterion["levels"]]
        if len(set(points)) != len(points):
            c.add(rel, line, f"criterion '{criterion['id']}': two levels give the same points")
            ok = False
        best_total += max(points)
        if criterion.get("minimum", 0) > max(points):
            c.add(rel, criterion.line_of("minimum"),
                  f"criterion '{criterion['id']}': the minimum {criterion['minimum']:g} is above its best level "
                  f"({max(points):g})")
            ok = False
    if data["pass"]["total"] > best_total:
        c.add(rel, data["pass"].line_of("total"),
              f"the pass total {data['pass']['total']:g} is above the rubric's most points ({best_total:g})")
        ok = False
    return ok


def _checked_data(c, rel: str, text: str) -> LineDict | None:
    """A file's values when they pass the schema and the rubric's rules, else None (problems on ``c``)."""
    data = c.mapping(rel, text)
    if data is None:
        return None
    if not c.schema(rel, data, schemas.EXERCISE) or not _check_rubric(c, rel, data):
        return None
    return data


def _spec(data: LineDict, rel: str) -> ExerciseSpec:
    spec = ExerciseSpec(
        id=data["id"], title=data["title"], mode=data["mode"], instructions=data["instructions"],
        rubric=[{"minimum": 0, **plain(criterion)} for criterion in data["rubric"]],
        pass_total=float(data["pass"]["total"]), sources=plain(data["sources"]), path=rel, content_hash="")
    values = exercise_file_data(slug=spec.id, title=spec.title, mode=spec.mode, instructions=spec.instructions,
                                rubric=spec.rubric, pass_total=spec.pass_total, sources=spec.sources)
    return replace(spec, content_hash=content_hash(values))


def read_exercise_text(c, rel: str, text: str) -> ExerciseSpec | None:
    """One exercise file's text read and checked (problems on the collector ``c``, each at its line): its
    spec, or None. The file check and the browser's editor (lms.content.check.check_exercise_text) ask this."""
    data = _checked_data(c, rel, text)
    return _spec(data, rel) if data is not None else None


def read_exercises(c, catalog: Catalog) -> None:
    """Read every exercise file into ``catalog.exercises``, reporting problems on the collector ``c``."""
    for path in sorted((c.root / FOLDER).glob("*.yml")):
        rel = c.rel(path)
        data = _checked_data(c, rel, path.read_text(encoding="utf-8"))
        if data is None:
            continue
        if data["id"] in catalog.exercises:
            c.add(rel, data.line_of("id"),
                  f"duplicate exercise id '{data['id']}' (also in {catalog.exercises[data['id']].path})")
            continue
        catalog.exercises[data["id"]] = _spec(data, rel)


def add_exercise_version(exercise: Exercise, spec: ExerciseSpec, number: int, now) -> ExerciseVersion:
    """Store ``spec`` as the exercise's version ``number`` (instructions rendered and sanitized once) and make
    it current. Sync and the studio's publish both add versions this way; earlier versions stay, with the
    grades and submissions that name them."""
    version = ExerciseVersion(
        exercise_id=exercise.id, number=number, content_hash=spec.content_hash, title=spec.title, mode=spec.mode,
        instructions_md=spec.instructions, instructions_html=render_document(spec.instructions).html,
        rubric=spec.rubric, pass_total=spec.pass_total, sources=spec.sources, source_path=spec.path,
        created_at=now,
    )
    db.session.add(version)
    db.session.flush()
    exercise.current_version_id = version.id
    return version


def sync_exercises(catalog: Catalog, report, now) -> None:
    """Store each new or changed exercise as a new version; retire those whose file is gone."""
    existing = {e.slug: e for e in db.session.scalars(select(Exercise))}
    for spec in catalog.exercises.values():
        if report.holds("exercise", spec.id):
            continue  # its browser version stands (lms/content/sync_state.py)
        exercise = existing.get(spec.id)
        if exercise is None:
            exercise = Exercise(slug=spec.id, created_at=now)
            db.session.add(exercise)
            db.session.flush()
            report.note("created", "exercise", spec.id)
            number = 1
        else:
            current = exercise.current_version
            if current is not None and current.content_hash == spec.content_hash:
                if exercise.retired_at is not None:
                    exercise.retired_at = None
                    report.note("updated", "exercise", spec.id)
                continue
            exercise.retired_at = None
            report.note("updated", "exercise", spec.id)
            number = (current.number if current else 0) + 1
        add_exercise_version(exercise, spec, number, now)
    for slug, exercise in existing.items():
        if slug not in catalog.exercises and exercise.retired_at is None and not report.holds("exercise", slug):
            exercise.retired_at = now
            report.note("retired", "exercise", slug)
