"""The trainee's learning path: which weeks are open, each module's state, reading and completing."""
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select

from lms.cohorts.schedule import ANNEX_WEEK, open_weeks, week_start
from lms.exams.overview import exam_states
from lms.extensions import db
from lms.models import Enrollment, Module, ModuleProgress
from lms.signals import module_completed

LOCKED, OPEN, READ, COMPLETED = "locked", "open", "read", "completed"


@dataclass
class ItemView:
    """A module or exam on the timeline."""

    kind: str
    slug: str
    title: str
    minutes: int | None
    state: str


@dataclass
class WeekView:
    """A week of the timeline."""

    number: int
    title: str
    opens_on: date
    is_open: bool
    items: list[ItemView] = field(default_factory=list)


@dataclass
class CoursePath:
    """Everything "My course" shows for one enrollment."""

    enrollment: Enrollment
    weeks: list[WeekView]
    current_week: int
    modules_total: int
    modules_completed: int
    annex: list[ItemView] = field(default_factory=list)  # the MOU's agency annex modules

    @property
    def percent(self) -> int:
        return round(100 * self.modules_completed / self.modules_total) if self.modules_total else 0


def active_enrollments(user) -> list[Enrollment]:
    """The user's enrollments, newest first."""
    return list(
        db.session.scalars(
            select(Enrollment).where(Enrollment.user_id == user.id, Enrollment.status != "withdrawn")
            .order_by(Enrollment.enrolled_at.desc(), Enrollment.id.desc())
        )
    )


def annex_slugs(enrollment: Enrollment) -> list[str]:
    """The agency annex modules the enrollment's MOU adds (required of this enrollment only)."""
    mou = enrollment.mou
    return list(mou.annex_slugs or []) if mou is not None else []


def required_module_slugs(enrollment: Enrollment) -> list[str]:
    """Every module the enrollment must complete: its track's, then its MOU's annexes."""
    slugs = enrollment.cohort.track.module_slugs()
    return slugs + [s for s in annex_slugs(enrollment) if s not in slugs]


def _module_state(is_open: bool, progress) -> str:
    if not is_open:
        return LOCKED
    if progress and progress.completed_at:
        return COMPLETED
    return READ if progress else OPEN


def _progress_by_module(enrollment: Enrollment) -> dict[int, ModuleProgress]:
    rows = db.session.scalars(select(ModuleProgress).where(ModuleProgress.enrollment_id == enrollment.id))
    return {p.module_id: p for p in rows}


def _modules_by_slug(slugs) -> dict[str, Module]:
    if not slugs:
        return {}
    return {m.slug: m for m in db.session.scalars(select(Module).where(Module.slug.in_(list(slugs))))}


def course_path(enrollment: Enrollment, now) -> CoursePath:
    """The week-by-week timeline with each module's state and overall progress."""
    cohort = enrollment.cohort
    track = cohort.track
    opened = open_weeks(cohort, now)
    annexes = [s for s in annex_slugs(enrollment) if s not in {i.ref for i in track.items}]
    modules = _modules_by_slug({i.ref for i in track.items if i.kind == "module"} | set(annexes))
    progress = _progress_by_module(enrollment)

    exams = exam_states(enrollment.id, track.exam_slugs(), now)
    weeks: dict[int, WeekView] = {}
    for item in track.items:
        week = weeks.setdefault(
            item.week, WeekView(item.week, item.week_title, week_start(cohort, item.week), item.week in opened)
        )
        if item.kind == "module" and item.ref in modules:
            module = modules[item.ref]
            version = module.current_version
            state = _module_state(week.is_open, progress.get(module.id))
            week.items.append(ItemView("module", module.slug, version.title, version.minutes, state))
        elif item.kind == "exam" and item.ref in exams:
            title, state = exams[item.ref]
            # An exam already taken keeps its state; one not started stays locked until its week opens.
            week.items.append(ItemView("exam", item.ref, title, None,
                                       state if week.is_open or state != "not_started" else LOCKED))
    annex_items = []
    for slug in annexes:
        module = modules.get(slug)
        if module is not None and module.current_version is not None:
            version = module.current_version
            annex_items.append(ItemView("module", slug, version.title, version.minutes,
                                        _module_state(ANNEX_WEEK in opened, progress.get(module.id))))
    module_items = [i for w in weeks.values() for i in w.items if i.kind == "module"] + annex_items
    return CoursePath(
        enrollment=enrollment,
        weeks=[weeks[n] for n in sorted(weeks)],
        current_week=max(opened, default=0),
        modules_total=len(module_items),
        modules_completed=sum(1 for i in module_items if i.state == COMPLETED),
        annex=annex_items,
    )


@dataclass
class ModuleAccess:
    """A module as one enrollment may see it, with its place in the track."""

    enrollment: Enrollment
    module: Module
    week: int
    is_open: bool
    previous_slug: str | None
    next_slug: str | None
    progress: ModuleProgress | None


def module_access(enrollments: list[Enrollment], slug: str, now) -> ModuleAccess | None:
    """The module in the first of the user's enrollments whose track contains it, or None."""
    for enrollment in enrollments:
        items = [i for i in enrollment.cohort.track.items if i.kind == "module"]
        slugs = [i.ref for i in items]
        annexes = [s for s in annex_slugs(enrollment) if s not in slugs]
        if slug not in slugs and slug not in annexes:
            continue
        module = db.session.scalar(select(Module).where(Module.slug == slug))
        if module is None or module.current_version is None:
            return None
        if slug in annexes:  # an agency annex: its own short sequence, open with week 1
            slugs, index, week = annexes, annexes.index(slug), ANNEX_WEEK
        else:
            index = slugs.index(slug)
            week = items[index].week
        progress = db.session.scalar(
            select(ModuleProgress).where(
                ModuleProgress.enrollment_id == enrollment.id, ModuleProgress.module_id == module.id
            )
        )
        return ModuleAccess(
            enrollment=enrollment,
            module=module,
            week=week,
            is_open=week in open_weeks(enrollment.cohort, now),
            previous_slug=slugs[index - 1] if index > 0 else None,
            next_slug=slugs[index + 1] if index + 1 < len(slugs) else None,
            progress=progress,
        )
    return None


def record_read(access: ModuleAccess, now) -> ModuleProgress:
    """Note that the trainee opened the module (first time only)."""
    if access.progress is None:
        access.progress = ModuleProgress(
            enrollment_id=access.enrollment.id, module_id=access.module.id, first_read_at=now
        )
        db.session.add(access.progress)
        db.session.flush()
    return access.progress


def mark_completed(access: ModuleAccess, now) -> ModuleProgress:
    """Record completion against the version the trainee read (idempotent)."""
    if not access.is_open:
        raise PermissionError("This module is not open yet.")
    progress = record_read(access, now)
    if progress.completed_at is None:
        progress.completed_at = now
        progress.completed_version_id = access.module.current_version_id
        db.session.flush()
        module_completed.send(access.enrollment, now=now)  # the last module may be what completes the track
    return progress



