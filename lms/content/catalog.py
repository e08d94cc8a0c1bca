"""What the content check reads: a Catalog of plain dataclasses (modules, tracks, banks, exams), each
with the file and lines it came from, and the problems found, each a ContentError at a line."""
import hashlib
import json
from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True, order=True)
class ContentError:
    """A problem in a content file, at a line."""

    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


@dataclass
class ModuleSpec:
    """A module as read from its file."""

    id: str
    title: str
    topic: str
    minutes: int
    objectives: list[dict]
    sources: list[str]
    annex: bool
    body: str
    path: str
    content_hash: str
    reviewed: date | None = None
    reviewed_by: str = ""
    reviewed_line: int = 0
    sources_line: int = 0
    front_matter: dict = field(default_factory=dict)  # as read: what content_hash covers with the body
    id_line: int = 0
    objective_lines: list[int] = field(default_factory=list)


@dataclass
class TrackSpec:
    """A track as read from its file; ``schedule`` is [(week, title, [modules], [exams])]."""

    id: str
    title: str
    audience: str
    weeks: int
    sample: bool
    description: str
    refresher_of: str | None
    certification_title: str
    validity_years: int
    schedule: list[tuple[int, str, list[str], list[str]]]
    path: str
    content_hash: str
    length_unit: str = "weeks"
    no_repeats_across_exams: bool = False
    online_hours: float | None = None
    classroom_hours: float | None = None
    source_data: dict = field(default_factory=dict)  # the file's values as read (content_hash covers them)
    attendance_percent: float | None = None
    exercises: list[tuple[int, str]] = field(default_factory=list)  # (week, exercise id)


@dataclass
class BankSpec:
    """A question bank: its questions as plain dicts (validated), with their source lines."""

    id: str
    title: str
    description: str
    questions: list[dict]
    question_lines: dict[str, int]
    path: str


@dataclass
class ExamSpec:
    """An exam blueprint as plain data (validated), with defaults filled in."""

    id: str
    title: str
    description: str
    data: dict
    path: str
    content_hash: str
    draw_lines: list[int] = field(default_factory=list)


@dataclass
class ExerciseSpec:
    """A practical exercise as read from its file: instructions (Markdown), rubric and pass rule."""

    id: str
    title: str
    mode: str
    instructions: str
    rubric: list[dict]
    pass_total: float
    sources: list[str]
    path: str
    content_hash: str


@dataclass
class Catalog:
    """Everything the content folder holds."""

    modules: dict[str, ModuleSpec] = field(default_factory=dict)
    tracks: dict[str, TrackSpec] = field(default_factory=dict)
    banks: dict[str, BankSpec] = field(default_factory=dict)
    exams: dict[str, ExamSpec] = field(default_factory=dict)
    exercises: dict[str, ExerciseSpec] = field(default_factory=dict)

    def objectives(self) -> dict[str, str]:
        """Objective id -> the module that declares it."""
        return {o["id"]: m.id for m in self.modules.values() for o in m.objectives}


EXAM_DEFAULTS = {
    "description": "",
    "cooldown_hours": 0,
    "shuffle_questions": True,
    "shuffle_choices": True,
    "navigation": "free",
    "per_page": 5,
    "no_repeats": False,
    "review": {"show": "answers", "when": "after_submit"},
}


def plain(value):
    """LineDict/LineList -> dict/list, recursively."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def content_hash(value) -> str:
    """A stable hash of plain data."""
    data = json.dumps(plain(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(data.encode()).hexdigest()
