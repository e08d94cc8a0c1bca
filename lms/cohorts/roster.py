"""Cohorts, agencies and enrollments: create them, enroll trainees, read rosters."""
from dataclasses import dataclass, field

from sqlalchemy import select

from lms.audit import record_event
from lms.extensions import db
from lms.models import Agency, Cohort, Enrollment, Module, ModuleProgress, ModuleVersion, Role, Track, User
from lms.security import PROGRAM_STAFF


class CohortError(ValueError):
    """A cohort request that cannot be carried out."""


def create_cohort(*, name, track: Track, start_date, agencies=(), instructors=(), actor=None, now) -> Cohort:
    """Start a cohort of a track from a date, for agencies, with instructors."""
    if db.session.scalar(select(Cohort.id).where(Cohort.name == name)) is not None:
        raise CohortError(f"A cohort named {name!r} already exists.")
    for person in instructors:
        if not person.has_role(Role.INSTRUCTOR):
            raise CohortError(f"{person.email} is not an instructor.")
    cohort = Cohort(name=name, track=track, start_date=start_date, created_at=now)
    cohort.agencies.extend(agencies)
    cohort.instructors.extend(instructors)
    db.session.add(cohort)
    db.session.flush()
    record_event("cohort.create", actor=actor, obj=cohort, now=now,
                 details={"track": track.slug, "start_date": start_date.isoformat(),
                          "agencies": [a.id for a in agencies], "instructors": [i.id for i in instructors]})
    return cohort


def enroll(user: User, cohort: Cohort, *, actor=None, now) -> Enrollment:
    """Enroll a trainee in a cohort (idempotent)."""
    if not user.has_role(Role.TRAINEE):
        raise CohortError(f"{user.email} is not a trainee.")
    if cohort.agencies and user.agency not in cohort.agencies:
        raise CohortError(f"{user.email}'s agency is not part of cohort {cohort.name}.")
    existing = db.session.scalar(
        select(Enrollment).where(Enrollment.user_id == user.id, Enrollment.cohort_id == cohort.id)
    )
    if existing is not None:
        return existing
    enrollment = Enrollment(user=user, cohort=cohort, status="active", enrolled_at=now)
    db.session.add(enrollment)
    db.session.flush()
    record_event("enrollment.create", actor=actor, obj=enrollment, now=now,
                 details={"user_id": user.id, "cohort_id": cohort.id})
    return enrollment


def cohorts_visible_to(user: User) -> list[Cohort]:
    """Staff and admins see every cohort; instructors theirs; coordinators those of their agency."""
    query = select(Cohort).order_by(Cohort.start_date.desc(), Cohort.name)
    if user.has_role(*PROGRAM_STAFF):
        return list(db.session.scalars(query))
    if user.has_role(Role.INSTRUCTOR):
        return list(db.session.scalars(query.where(Cohort.instructors.any(User.id == user.id))))
    if user.has_role(Role.COORDINATOR) and user.agency_id:
        return list(db.session.scalars(query.where(Cohort.agencies.any(Agency.id == user.agency_id))))
    return []


def can_view_cohort(user: User, cohort: Cohort) -> bool:
    """The one rule for who may see a cohort's page and roster."""
    if user.has_role(*PROGRAM_STAFF):
        return True
    if user.has_role(Role.INSTRUCTOR):
        return user in cohort.instructors
    if user.has_role(Role.COORDINATOR):
        return any(a.id == user.agency_id for a in cohort.agencies)
    return False


def can_manage_cohort(user: User, cohort: Cohort) -> bool:
    """The one rule for who may open weeks, grant time or attempts and read item statistics: the
    cohort's instructors, ICE program staff and administrators."""
    return user.has_role(*PROGRAM_STAFF) or user in cohort.instructors


def visible_enrollments(cohort: Cohort, viewer: User) -> list[Enrollment]:
    """The cohort's enrollments the viewer may see (a coordinator: their agency's people only), by name."""
    query = select(Enrollment).join(User, User.id == Enrollment.user_id).where(Enrollment.cohort_id == cohort.id)
    if viewer.has_role(Role.COORDINATOR):
        query = query.where(User.agency_id == viewer.agency_id)
    return list(db.session.scalars(query.order_by(User.name)))


@dataclass
class RosterRow:
    """One trainee's progress through the cohort's modules."""

    enrollment: Enrollment
    states: dict[str, str]  # module slug -> "completed" | "read" | ""
    completed: int
    versions: dict[str, int] = field(default_factory=dict)  # module slug -> the version number completed


def roster(cohort: Cohort, viewer: User) -> tuple[list[Module], list[RosterRow]]:
    """The cohort's modules and each visible trainee's progress, in two queries."""
    slugs = cohort.track.module_slugs()
    modules_by_slug = {m.slug: m for m in db.session.scalars(select(Module).where(Module.slug.in_(slugs)))}
    modules = [modules_by_slug[s] for s in slugs if s in modules_by_slug]
    enrollments = visible_enrollments(cohort, viewer)
    progress = db.session.scalars(
        select(ModuleProgress).where(ModuleProgress.enrollment_id.in_([e.id for e in enrollments]))
    ) if enrollments else []
    by_enrollment: dict[int, dict[int, ModuleProgress]] = {}
    for p in progress:
        by_enrollment.setdefault(p.enrollment_id, {})[p.module_id] = p
    version_ids = {p.completed_version_id for mine in by_enrollment.values() for p in mine.values()} - {None}
    numbers = dict(db.session.execute(select(ModuleVersion.id, ModuleVersion.number)
                                      .where(ModuleVersion.id.in_(version_ids))).all()) if version_ids else {}
    rows = []
    for e in enrollments:
        mine = by_enrollment.get(e.id, {})
        states = {
            m.slug: ("completed" if mine[m.id].completed_at else "read") if m.id in mine else "" for m in modules
        }
        versions = {m.slug: numbers[mine[m.id].completed_version_id] for m in modules
                    if m.id in mine and mine[m.id].completed_version_id in numbers}
        rows.append(RosterRow(e, states, sum(1 for s in states.values() if s == "completed"), versions))
    return modules, rows
