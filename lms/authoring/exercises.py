"""Practical exercises written in the browser, as modules are (lms.authoring.revisions holds what they share):
a draft is the exercise's file (instructions, rubric, pass rule, mode, sources) kept as a revision, checked by
`lms content check`'s own code (check_exercise_text), and published as a new ExerciseVersion through the same
code as `lms content sync` (add_exercise_version). Grades and submissions keep naming the version they were
given against, so an earlier version's grades stand after a new one is published.
"""
import re

from sqlalchemy import select

from lms.audit import record_event
from lms.authoring.revisions import (
    DraftCheck, StudioRow, errors_by_key, mark_published, publishable_spec, save_checked_draft, studio_rows)
from lms.content.check import check_exercise_text
from lms.content.exercises import FOLDER, KEYS, add_exercise_version, exercise_file_data
from lms.content.export import dump_yaml, tidy
from lms.extensions import db
from lms.markdown import Rendered, render_uncached
from lms.models import ContentRevision, Exercise, ExerciseVersion

KIND = "exercise"
MODES = (("written", "Written work: typed text or a PDF upload"), ("observed", "Observed by the instructor"))
MISSING_KEY = re.compile(r"^missing required key '([a-z_]+)'")
NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


def exercise_by_slug(slug: str) -> Exercise | None:
    return db.session.scalar(select(Exercise).where(Exercise.slug == slug))


def exercise_path(slug: str, exercise: Exercise | None = None) -> str:
    """Where the exercise's file is (or would be) in the content folder."""
    if exercise is not None and exercise.current_version is not None:
        return exercise.current_version.source_path
    return f"{FOLDER}/{slug}.yml"


def _number(text):
    """A typed number as a number; anything else as typed (the check names what is wrong with it)."""
    text = str(text if text is not None else "").strip()
    if not NUMBER.match(text):
        return text
    value = float(text)
    return int(value) if value.is_integer() else value


def data_from_form(values: dict, rubric: list[dict]) -> dict:
    """An exercise's file values (but the instructions) from the editor's fields, as typed: sources one a line,
    the rubric's rows as criteria with their levels. Nothing is judged here; the check says what is wrong."""
    criteria = []
    for row in rubric:
        criterion = {"id": row.get("id", "").strip(), "title": row.get("title", "").strip()}
        if str(row.get("minimum", "")).strip():
            criterion["minimum"] = _number(row["minimum"])
        criterion["levels"] = [{"points": _number(level.get("points")), "label": level.get("label", "").strip(),
                                "descriptor": level.get("descriptor", "").strip()} for level in row.get("levels", [])]
        criteria.append(criterion)
    return {"id": (values.get("id") or "").strip(), "title": (values.get("title") or "").strip(),
            "mode": (values.get("mode") or "").strip(), "rubric": criteria,
            "pass": {"total": _number(values.get("pass_total"))},
            "sources": [line.strip() for line in (values.get("sources") or "").splitlines() if line.strip()]}


def form_from_data(front: dict) -> tuple[dict, list[dict]]:
    """The editor's field values and rubric rows for a revision's values (the inverse of data_from_form)."""
    values = {"id": front.get("id", ""), "title": front.get("title", ""), "mode": front.get("mode", ""),
              "pass_total": str(front.get("pass", {}).get("total", "")), "sources": "\n".join(front.get("sources", []))}
    rubric = [{"id": c.get("id", ""), "title": c.get("title", ""),
               "minimum": "" if c.get("minimum") in (None, 0) else str(c["minimum"]),
               "levels": [{k: str(level.get(k, "")) for k in ("points", "label", "descriptor")}
                          for level in c.get("levels", [])]} for c in front.get("rubric", [])]
    return values, rubric


def front_from_version(exercise: Exercise) -> dict:
    """The file values (but the instructions) of an exercise's published version."""
    version = exercise.current_version
    data = exercise_file_data(slug=exercise.slug, title=version.title, mode=version.mode, instructions="",
                              rubric=version.rubric, pass_total=version.pass_total, sources=version.sources)
    data.pop("instructions")
    return data


def _file_lines(front: dict, instructions: str) -> tuple[str, dict[str, int]]:
    """The exercise file as YAML, key by key in file order, with each key's first line."""
    data = {**front, "instructions": instructions}
    text, starts, line = "", {}, 1
    for key in [k for k in KEYS if k in data] + [k for k in data if k not in KEYS]:
        chunk = dump_yaml(tidy({key: data[key]}))
        starts[key] = line
        text += chunk
        line += chunk.count("\n")
    return text, starts


def exercise_text(front: dict, instructions: str) -> str:
    """The exercise file a revision stands for (what the diff compares and `lms content export` writes)."""
    return _file_lines(front, instructions)[0]


def check_draft(front: dict, instructions: str, path: str) -> DraftCheck:
    """Judge a draft with the content check's own code and words, each error placed at its form field
    ("rubric" for a criterion's or a level's)."""
    text, starts = _file_lines(front, instructions.replace("\r\n", "\n"))
    spec, errors = check_exercise_text(text, path)
    return DraftCheck(spec, errors_by_key(errors, starts, MISSING_KEY))


def preview(instructions: str) -> Rendered:
    """The instructions as trainees will see them: the one renderer and sanitizer that publishing stores."""
    return render_uncached(instructions.replace("\r\n", "\n"))


def save_draft(slug: str, front: dict, instructions: str, *, actor, now, new: bool = False,
               restored_from: ContentRevision | None = None) -> ContentRevision:
    """Save the editor's content as the exercise's next draft revision (refused, with the check's errors,
    when `lms content check` would refuse the file)."""
    exercise = exercise_by_slug(slug)
    return save_checked_draft(KIND, slug, front, instructions, live=exercise, noun="an exercise", actor=actor,
                              now=now, new=new, restored_from=restored_from,
                              check=lambda f, text: check_draft(f, text, exercise_path(slug, exercise)))


def restore_revision(revision: ContentRevision, *, actor, now) -> ContentRevision:
    """Save an earlier revision's content again, as the exercise's newest draft."""
    return save_draft(revision.slug, revision.front, revision.body_md, actor=actor, now=now, restored_from=revision)


def publish_revision(revision: ContentRevision, *, actor, now, two_person: bool) -> ExerciseVersion:
    """Make a draft live: a new ExerciseVersion (the next number), the exercise's current version moved to it;
    grades given against earlier versions keep them. With two-person publish, not the draft's author approves."""
    exercise = exercise_by_slug(revision.slug)
    current = exercise.current_version if exercise is not None else None
    spec = publishable_spec(revision, live=exercise, actor=actor, two_person=two_person,
                            check=lambda f, text: check_draft(f, text, exercise_path(revision.slug, exercise)))
    if exercise is None:
        exercise = Exercise(slug=spec.id, created_at=now)
        db.session.add(exercise)
        db.session.flush()
    exercise.retired_at = None
    version = add_exercise_version(exercise, spec, (current.number if current else 0) + 1, now)
    mark_published(revision, version, actor=actor, now=now, two_person=two_person)
    record_event("exercise.publish", actor=actor, obj=exercise, now=now,  # the exercise's id: sync names its publisher
                 details={"slug": exercise.slug, "revision": revision.number, "version": version.number,
                          "author_id": revision.author_id, "two_person": two_person})
    return version


def exercise_overview() -> list[StudioRow]:
    """Every live exercise and every exercise written in the browser but not yet published, by id."""
    return studio_rows(KIND, {e.slug: e for e in db.session.scalars(select(Exercise)
                                                                    .where(Exercise.retired_at.is_(None)))})
