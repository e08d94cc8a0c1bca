"""Read and validate every content file without touching the database.

Each problem is a ContentError naming the file and line. The result is a Catalog of plain
dataclasses that sync.py loads into the database.
"""
import re
from datetime import date
from difflib import SequenceMatcher
from pathlib import Path

from jsonschema import Draft202012Validator

from lms.content import schemas
from lms.content.blueprints import blueprint_problems, blueprint_shortfall, cell_pools, describe_cell
from lms.content.catalog import (
    EXAM_DEFAULTS, BankSpec, Catalog, ContentError, ExamSpec, ExerciseSpec, ModuleSpec, TrackSpec, content_hash, plain,
)
from lms.content.exercises import read_exercise_text, read_exercises
from lms.content.standard_setting import angoff_result
from lms.content.yamlfile import LineDict, LineList, YAMLProblem, load_yaml, split_front_matter
from lms.questions import QUESTION_TYPES
from lms.questions.editor import value_at

NEAR_DUPLICATE_RATIO = 0.92


class _Collector:
    def __init__(self, root: Path):
        self.root = root
        self.errors: list[ContentError] = []

    def rel(self, path: Path) -> str:
        try:
            return str(path.relative_to(self.root))
        except ValueError:
            return str(path)

    def add(self, path, line: int, message: str) -> None:
        self.errors.append(ContentError(path if isinstance(path, str) else self.rel(path), line, message))

    def mapping(self, path: str, text: str, *, line_offset: int = 0,
                refusal: str = "expected a mapping of keys at the top of the file") -> LineDict | None:
        """YAML text (starting at line ``line_offset`` + 1 of the file) as its top-level mapping, or None
        (the problem reported at its line)."""
        try:
            data = load_yaml(text, line_offset=line_offset)
        except YAMLProblem as problem:
            self.add(path, problem.line, problem.message)
            return None
        if not isinstance(data, LineDict):
            self.add(path, line_offset + 1, refusal)
            return None
        return data

    def schema(self, path: str, data, schema: dict) -> bool:
        """Validate against a JSON Schema, reporting each error at the line it points to."""
        validator = Draft202012Validator(schema)
        ok = True
        for err in sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.absolute_path))):
            ok = False
            where = list(err.absolute_path)
            if err.validator in ("additionalProperties", "unevaluatedProperties"):
                # Point at the first unknown key itself, not at the mapping holding it.
                node = value_at(data, where)
                extra = [k for k in re.findall(r"'([^']+)'", err.message) if isinstance(node, LineDict) and k in node]
                if extra:
                    where = where + [extra[0]]
            self.add(path, _line_at(data, where), _describe(err))
        for line, key in _duplicate_keys(data):
            ok = False
            self.add(path, line, f"key '{key}' appears twice")
        return ok


def _line_at(data, path: list) -> int:
    node, line = data, getattr(data, "line", 1)
    for step in path:
        if isinstance(node, LineDict) and step in node:
            line = node.line_of(step)
            node = node[step]
        elif isinstance(node, LineList) and isinstance(step, int) and step < len(node):
            line = node.item_lines[step]
            node = node[step]
        else:
            break
    return line


def _describe(err) -> str:
    where = ".".join(str(p) for p in err.absolute_path)
    if err.validator in ("additionalProperties", "unevaluatedProperties"):
        extra = re.findall(r"'([^']+)'", err.message)
        return f"unknown key {', '.join(repr(e) for e in extra)}" + (f" in {where}" if where else "")
    if err.validator == "required":
        missing = re.findall(r"'([^']+)'", err.message)[:1]
        return f"missing required key '{missing[0] if missing else err.message}'" + (f" in {where}" if where else "")
    return f"{where or 'file'}: {err.message}"


def _duplicate_keys(data):
    if isinstance(data, LineDict):
        for key, line in data.duplicate_keys:
            yield line, key
        for value in data.values():
            yield from _duplicate_keys(value)
    elif isinstance(data, list):
        for value in data:
            yield from _duplicate_keys(value)


def _read_yaml(c: _Collector, path: Path):
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        c.add(path, 1, "not UTF-8 text")
        return None
    return c.mapping(c.rel(path), text)


def _read_modules(c: _Collector, catalog: Catalog) -> None:
    seen: dict[str, str] = {}
    for path in sorted((c.root / "curriculum").glob("**/*.md")):
        # Judged inside the content folder: a checkout at /srv/tracks/ still has modules.
        if {"tracks", "exams"} & set(path.relative_to(c.root).parts):
            continue
        rel = c.rel(path)
        spec = _read_module(c, rel, path.read_text(encoding="utf-8"))
        if spec is None:
            continue
        if spec.id in seen:
            c.add(rel, spec.id_line, f"duplicate module id '{spec.id}' (also in {seen[spec.id]})")
            continue
        seen[spec.id] = rel
        catalog.modules[spec.id] = spec
    _check_objective_ids(c, catalog.modules.values(), {})


def _check_objective_ids(c: _Collector, modules, seen: dict[str, str]) -> None:
    """Objective ids are unique across the curriculum: ``seen`` maps those already taken to their module."""
    for module in modules:
        for obj, line in zip(module.objectives, module.objective_lines):
            if obj["id"] in seen:
                c.add(module.path, line, f"duplicate objective id '{obj['id']}' (also in {seen[obj['id']]})")
            else:
                seen[obj["id"]] = module.id


def _read_module(c: _Collector, rel: str, text: str) -> ModuleSpec | None:
    """One module file's text checked on its own (front matter, schema, body, dates): its spec, or None."""
    split = split_front_matter(text)
    if split is None:
        c.add(rel, 1, "missing YAML front matter between '---' lines")
        return None
    front, body, body_line = split
    data = c.mapping(rel, front, line_offset=1, refusal="front matter must be a mapping of keys")
    if data is None:
        return None
    if not c.schema(rel, data, schemas.MODULE):
        return None
    if not body.strip():
        c.add(rel, body_line, "the module has an empty body")
        return None
    module_id = data["id"]
    reviewed = _iso_date(c, rel, data, "reviewed")
    if module_id.split("/")[0] != data["topic"]:
        c.add(rel, data.line_of("id"), f"module id '{module_id}' does not start with its topic '{data['topic']}/'")
    return ModuleSpec(
        id=module_id,
        title=data["title"],
        topic=data["topic"],
        minutes=data["minutes"],
        objectives=plain(data["objectives"]),
        sources=plain(data["sources"]),
        annex=bool(data.get("annex", False)),
        body=body,
        path=rel,
        content_hash=content_hash({"front": data, "body": body}),
        reviewed=reviewed,
        reviewed_by=data.get("reviewed_by", ""),
        reviewed_line=data.line_of("reviewed"),
        sources_line=data.line_of("sources"),
        id_line=data.line_of("id"),
        objective_lines=list(data["objectives"].item_lines),
        front_matter=plain(data),
    )


def check_module_text(text: str, path: str, other_objectives: dict[str, str] | None = None,
                      ) -> tuple[ModuleSpec | None, list[ContentError]]:
    """Check one module file's text as `lms content check` checks each module (the browser's editor asks
    this): its spec when it has no error, and the errors, each at its line of ``text``. ``other_objectives``
    maps the objective ids of the curriculum's other modules to their module."""
    c = _Collector(Path("."))
    spec = _read_module(c, path, text)
    if spec is not None:
        _check_objective_ids(c, [spec], dict(other_objectives or {}))
    return (spec if not c.errors else None), sorted(set(c.errors))


def check_exercise_text(text: str, path: str) -> tuple[ExerciseSpec | None, list[ContentError]]:
    """Check one practical exercise file's text as `lms content check` checks each (the browser's editor asks
    this): its spec when it has no error, and the errors, each at its line of ``text``."""
    c = _Collector(Path("."))
    spec = read_exercise_text(c, path, text)
    return (spec if not c.errors else None), sorted(set(c.errors))


def _iso_date(c: _Collector, rel: str, data: LineDict, key: str) -> date | None:
    """The date under ``key`` (schema-checked as YYYY-MM-DD), or None; a date that does not exist is an error."""
    if key not in data:
        return None
    try:
        return date.fromisoformat(data[key])
    except ValueError:
        c.add(rel, data.line_of(key), f"'{key}' is not a date that exists: {data[key]}")
        return None


def duplicate_id(kind: str, ident: str, where: str) -> str:
    """The words for an id that another bank, question, exam or track already has."""
    return f"duplicate {kind} id '{ident}' (also in {where})"


def _new_files(c: _Collector, folder: str, schema: dict, known: dict, kind: str):
    """(relative path, data) of each YAML file in ``folder`` that fits ``schema`` and whose id is new."""
    for path in sorted((c.root / folder).glob("*.yml")):
        rel = c.rel(path)
        data = _read_yaml(c, path)
        if data is None or not c.schema(rel, data, schema):
            continue
        if data["id"] in known:
            c.add(rel, data.line_of("id"), duplicate_id(kind, data["id"], known[data["id"]].path))
            continue
        yield rel, data


def _read_tracks(c: _Collector, catalog: Catalog) -> list[tuple[str, LineDict]]:
    raw = []
    for rel, data in _new_files(c, "curriculum/tracks", schemas.TRACK, catalog.tracks, "track"):
        schedule = []
        for week in data["schedule"]:
            schedule.append((week["week"], week["title"], list(week.get("modules", [])), list(week.get("exams", []))))
        exercises = [(week["week"], ref) for week in data["schedule"] for ref in week.get("exercises", [])]
        catalog.tracks[data["id"]] = TrackSpec(
            id=data["id"],
            title=data["title"],
            audience=data["audience"],
            weeks=data["weeks"],
            sample=bool(data.get("sample", False)),
            description=data.get("description", ""),
            refresher_of=data.get("refresher_of"),
            certification_title=data["certification"]["title"],
            validity_years=data["certification"]["validity_years"],
            schedule=schedule,
            path=rel,
            content_hash=content_hash(data),
            length_unit=data.get("length", "weeks"),
            no_repeats_across_exams=bool(data.get("no_repeats_across_exams", False)),
            online_hours=data["hours"]["online"] if "hours" in data else None,
            classroom_hours=data["hours"]["classroom"] if "hours" in data else None,
            source_data=plain(data),
            attendance_percent=data["attendance"]["required_percent"] if "attendance" in data else None,
            exercises=exercises,
        )
        raw.append((rel, data))
    return raw


def _check_track_references(c: _Collector, catalog: Catalog, raw_tracks) -> None:
    for rel, data in raw_tracks:
        weeks_seen = set()
        placed: dict[str, int] = {}
        for index, week in enumerate(data["schedule"]):
            line = data["schedule"].item_lines[index]
            number = week["week"]
            if number > data["weeks"]:
                c.add(rel, line, f"week {number} is past the track's length of {data['weeks']} weeks")
            if number in weeks_seen:
                c.add(rel, line, f"week {number} is listed twice")
            weeks_seen.add(number)
            for key, known, what in (("modules", catalog.modules, "module"), ("exams", catalog.exams, "exam"),
                                     ("exercises", catalog.exercises, "exercise")):
                items = week.get(key, LineList())
                for ref, ref_line in zip(items, getattr(items, "item_lines", [])):
                    if ref not in known:
                        c.add(rel, ref_line, f"unknown {what} '{ref}'")
                    elif f"{what}:{ref}" in placed:
                        c.add(rel, ref_line, f"{what} '{ref}' is already placed in week {placed[f'{what}:{ref}']}")
                    else:
                        placed[f"{what}:{ref}"] = number
                    if what == "module" and ref in catalog.modules and catalog.modules[ref].annex:
                        c.add(rel, ref_line, f"module '{ref}' is an agency annex; MOUs add annexes, tracks do not")
        missing = sorted(set(range(1, data["weeks"] + 1)) - weeks_seen)
        if missing:
            c.add(rel, data.line_of("schedule"), f"weeks with no schedule entry: {', '.join(map(str, missing))}")
        if data.get("no_repeats_across_exams") and data["id"] in catalog.tracks:
            _check_track_draws(c, catalog, rel, data)
        if "attendance" in data and not (data.get("hours") or {}).get("classroom"):
            c.add(rel, data.line_of("attendance"), "attendance is a share of the classroom hours: state them "
                                                   "(hours: {online: ..., classroom: ...})")
        refresher_of = data.get("refresher_of")
        if refresher_of and refresher_of not in catalog.tracks:
            c.add(rel, data.line_of("refresher_of"), f"refresher_of names unknown track '{refresher_of}'")


def _check_track_draws(c: _Collector, catalog: Catalog, rel: str, data: LineDict) -> None:
    """With no repeats across exams, every allowed attempt of every exam of the track draws fresh questions."""
    cells, owners = [], []
    for exam_id in [e for *_, exams in catalog.tracks[data["id"]].schedule for e in exams]:
        exam = catalog.exams.get(exam_id)
        if exam is None:
            continue
        for cell in exam.data["draw"]:
            cells.append(dict(cell, count=cell["count"] * exam.data["attempts"]))
            owners.append(exam_id)
    for index, needed, found in blueprint_shortfall(cells, catalog.banks, 1):
        cell = cells[index]
        what = describe_cell(cell)
        c.add(rel, data.line_of("no_repeats_across_exams"),
              f"no repeats across exams: exam '{owners[index]}' cannot draw ({what}) for every attempt without "
              f"a question another exam of the track draws: needs {needed}, has {found} "
              "(counting questions shared with other cells once)")


def normalize_stem(stem: str) -> str:
    """A stem in lower-case words, punctuation removed, for comparing stems."""
    return " ".join(re.sub(r"[^a-z0-9 ]", " ", stem.lower()).split())


def _lined(value):
    """Plain data as the YAML reader gives it (mappings and lists that know lines; here all line 0)."""
    if isinstance(value, dict):
        mapping = LineDict({k: _lined(v) for k, v in value.items()})
        return mapping
    if isinstance(value, list):
        items = LineList(_lined(v) for v in value)
        items.item_lines = [0] * len(items)
        return items
    return value


def exam_problems(exam: dict) -> list[str]:
    """What ``lms content check`` says of an exam's values given as plain data (the browser's blueprint
    editor) against the exam schema; messages without a file or line."""
    c = _Collector(Path("."))
    c.schema("", _lined(exam), schemas.EXAM)
    return [error.message for error in c.errors]


def bank_problems(bank: dict) -> list[str]:
    """What ``lms content check`` says of a bank's own values (id, title, description) given as plain data
    (the browser's "New question bank"), its questions aside; messages without a file or line."""
    c = _Collector(Path("."))
    c.schema("", _lined(bank), schemas.BANK_HEADER)
    return [error.message for error in c.errors]


def question_problems(question: dict, objectives) -> list[str]:
    """What ``lms content check`` says of one question given as plain data (the browser's question editor):
    the schema, then its objective and its type's own rules; messages without a file or line."""
    c = _Collector(Path("."))
    q = _lined(question)
    if c.schema("", q, schemas.QUESTION):
        _check_question(c, "", q, objectives)
    return [error.message for error in c.errors]


def _check_question(c: _Collector, rel: str, q: LineDict, objectives) -> None:
    if q["objective"] not in objectives:
        c.add(rel, q.line_of("objective"),
              f"question '{q['id']}': objective '{q['objective']}' is not declared by any module")
    for line, message in QUESTION_TYPES[q["type"]].validate(q):
        c.add(rel, line, message)


def _read_banks(c: _Collector, catalog: Catalog) -> None:
    objectives = catalog.objectives()
    question_seen: dict[str, str] = {}
    stems: list[tuple[str, str, str, int]] = []  # normalized stem, qid, path, line
    for path in sorted((c.root / "question_banks").glob("*.yml")):
        rel = c.rel(path)
        data = _read_yaml(c, path)
        if data is None:
            continue
        for q in data.get("questions") or []:
            if isinstance(q, LineDict) and isinstance(q.get("feedback"), LineDict):
                fb = q["feedback"]
                for key in [k for k in fb if isinstance(k, bool)]:
                    fb[str(key).lower()] = fb.pop(key)
                    fb.key_lines[str(key).lower()] = fb.key_lines.pop(key)
        if not c.schema(rel, data, schemas.BANK):
            continue
        if data["id"] in catalog.banks:
            c.add(rel, data.line_of("id"), duplicate_id("bank", data["id"], catalog.banks[data["id"]].path))
            continue
        lines = {}
        for q in data["questions"]:
            if q["id"] in question_seen:
                c.add(rel, q.line, duplicate_id("question", q["id"], question_seen[q["id"]]))
                continue
            question_seen[q["id"]] = rel
            lines[q["id"]] = q.line
            _check_question(c, rel, q, objectives)
            stems.append((normalize_stem(q["stem"]), q["id"], rel, q.line_of("stem")))
        catalog.banks[data["id"]] = BankSpec(
            id=data["id"],
            title=data["title"],
            description=data.get("description", ""),
            questions=[plain(q) for q in data["questions"]],
            question_lines=lines,
            path=rel,
        )
    _check_stems(c, stems)


def stem_clash(stem: str, other: str, matcher: SequenceMatcher | None = None) -> str | None:
    """"the same" or "nearly the same" when two normalized stems are (nearly) equal, else None. ``matcher``
    holds ``other`` as its second sequence (its index built once when one stem meets many)."""
    if stem == other:
        return "the same"
    shorter, longer = sorted((len(stem), len(other)))
    if longer and shorter / longer < NEAR_DUPLICATE_RATIO:
        return None
    matcher = matcher or SequenceMatcher(None, "", other, autojunk=False)
    matcher.set_seq1(stem)
    if matcher.real_quick_ratio() >= NEAR_DUPLICATE_RATIO and matcher.quick_ratio() >= NEAR_DUPLICATE_RATIO \
            and matcher.ratio() >= NEAR_DUPLICATE_RATIO:
        return "nearly the same"
    return None


def stem_problem(qid: str, clash: str, oid: str, where: str) -> str:
    """The words for a stem that clashes with another question's."""
    return f"question '{qid}' has {clash} stem as '{oid}' ({where})"


def _check_stems(c: _Collector, stems) -> None:
    """Duplicate or near-duplicate stems across all banks."""
    matchers = []  # one per stem, as the second sequence: its index is built once, not once per pair
    for i, (stem, qid, rel, line) in enumerate(stems):
        for (other, oid, orel, oline), matcher in zip(stems[:i], matchers):
            clash = stem_clash(stem, other, matcher)
            if clash:
                c.add(rel, line, stem_problem(qid, clash, oid, f"{orel}:{oline}"))
        matchers.append(SequenceMatcher(None, "", stem, autojunk=False))


def _read_exams(c: _Collector, catalog: Catalog) -> None:
    for rel, data in _new_files(c, "curriculum/exams", schemas.EXAM, catalog.exams, "exam"):
        values = {**EXAM_DEFAULTS, **plain(data)}
        values["review"] = {**EXAM_DEFAULTS["review"], **plain(data.get("review", {}))}
        spec = ExamSpec(
            id=data["id"], title=data["title"], description=values["description"], data=values,
            path=rel, content_hash=content_hash(values), draw_lines=list(data["draw"].item_lines),
        )
        catalog.exams[data["id"]] = spec
        _check_blueprint(c, catalog, rel, data)


def _check_blueprint(c: _Collector, catalog: Catalog, rel: str, data: LineDict) -> None:
    objectives = catalog.objectives()
    ok = True
    for cell, line in zip(data["draw"], data["draw"].item_lines):
        if cell["bank"] not in catalog.banks:
            c.add(rel, line, f"unknown bank '{cell['bank']}'")
            ok = False
        elif "objective" in cell and cell["objective"] not in objectives:
            c.add(rel, line, f"objective '{cell['objective']}' is not declared by any module")
            ok = False
    if not ok:
        return
    for index, message in blueprint_problems(plain(data), catalog.banks):
        c.add(rel, data["draw"].item_lines[index], message)
    if "standard_setting" in data:
        _check_standard_setting(c, catalog, rel, data)


CUT_TOLERANCE = 0.5  # percentage points between a recorded cut and the one its ratings give


def _check_standard_setting(c: _Collector, catalog: Catalog, rel: str, data: LineDict) -> None:
    """The panel's ratings rate questions this exam can draw, one per rater, and give the recorded cut."""
    record = data["standard_setting"]
    pools = cell_pools(plain(data["draw"]), catalog.banks)
    for key, message in standard_setting_problems(plain(data["draw"]), plain(record), pools):
        c.add(rel, record.line_of("cut") if key is None else record["ratings"].line_of(key), message)


def standard_setting_problems(cells: list[dict], record: dict, pools: list[list[str]]) -> list[tuple[str | None, str]]:
    """Why an exam's standard-setting record does not hold for its cells (``pools``: the question ids each
    cell can draw): (the rated question id, or None for the cut; the message)."""
    ratings, raters = record["ratings"], record["raters"]
    drawable = {qid for pool in pools for qid in pool}
    problems = []
    for qid, values in ratings.items():
        if qid not in drawable:
            problems.append((qid, f"standard_setting rates '{qid}', which this exam cannot draw"))
        if len(values) != len(raters):
            problems.append((qid, f"standard_setting: '{qid}' has {len(values)} rating(s) for {len(raters)} rater(s)"))
    if problems:
        return problems
    result = angoff_result(cells, pools, list(raters), ratings)
    if abs(result.cut - record["cut"]) > CUT_TOLERANCE:
        problems.append((None, f"standard_setting: the recorded cut {record['cut']:g} does not follow from the "
                               f"ratings ({result.cut:.1f})"))
    return problems


def check_content(root) -> tuple[Catalog, list[ContentError]]:
    """Validate the content folder (curriculum/ and question_banks/ under ``root``)."""
    c = _Collector(Path(root))
    catalog = Catalog()
    _read_modules(c, catalog)
    raw_tracks = _read_tracks(c, catalog)
    _read_banks(c, catalog)
    _read_exams(c, catalog)
    read_exercises(c, catalog)
    _check_track_references(c, catalog, raw_tracks)
    if not catalog.tracks and not any(e.path.startswith("curriculum/tracks") for e in c.errors):
        c.add("curriculum/tracks", 1, "no track files found")
    return catalog, sorted(set(c.errors))


class ContentInvalid(Exception):
    """Raised by load_catalog when the content has errors."""

    def __init__(self, errors: list[ContentError]):
        super().__init__(f"{len(errors)} content error(s)")
        self.errors = errors


def load_catalog(root) -> Catalog:
    """The validated catalog, or ContentInvalid with every error."""
    catalog, errors = check_content(root)
    if errors:
        raise ContentInvalid(errors)
    return catalog
