"""Issuing: when an enrollment has passed every exam and completed every module of its track, issue
its certification as a frozen, signed snapshot, in the caller's transaction (the one that graded the
last passing attempt, or completed the last module). Exactly one per enrollment: the enrollment row is
locked first (PostgreSQL; SQLite serializes writers with BEGIN IMMEDIATE), and ``certification``'s
unique enrollment_id is the database's last word.
"""
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date, datetime

from flask import current_app
from sqlalchemy import bindparam, distinct, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from lms.audit import record_event
from lms.certification.links import new_verification_code, number_lookup_url, public_base_url
from lms.certification.signing import canonical_json, load_signer
from lms.classroom.grading import PracticalResult, all_practicals_passed, practical_results
from lms.classroom.hours import Hours, attendance_met, hours_of
from lms.clock import add_years, program_today
from lms.db_engine import insert_for
from lms.extensions import db
from lms.learning.course import required_module_slugs
from lms.models import (
    Attempt,
    AuditEvent,
    CertificateSequence,
    Certification,
    CertificationStatusChange,
    Cohort,
    Enrollment,
    Exam,
    Module,
    ModuleProgress,
    ModuleVersion,
    Track,
)
from lms.models.certification import ACTIVE, REVOKED, SUSPENDED
from lms.models.exam import FINISHED
from lms.signals import attempt_passed, certification_changed, classroom_progress, module_completed

# v2 adds "training" (hours by kind, practical results); v1 records keep verifying as they were signed.
SNAPSHOT_FORMAT = "lms287g.certification.v2"
NUMBER_PREFIX = "287G"


class CertificationWithheld(Exception):
    """Everything is passed, but the certification cannot be issued (the reason says why)."""


@dataclass
class Requirements:
    """What a track asks of an enrollment, and what the enrollment has done of it."""

    exams: list[tuple[str, Exam | None, Attempt | None]] = field(default_factory=list)  # slug, exam, passing attempt
    modules: list[tuple[str, Module | None, ModuleProgress | None]] = field(default_factory=list)
    practicals: list[PracticalResult] = field(default_factory=list)  # the track's exercises with their grades
    hours: Hours | None = None  # hours by kind and the attendance the track requires

    @property
    def complete(self) -> bool:
        return (all(a is not None for _, _, a in self.exams)
                and all(p is not None and p.completed_at is not None for _, _, p in self.modules)
                and all(r.passed for r in self.practicals) and (self.hours is None or self.hours.attendance_met))

    @property
    def missing(self) -> list[str]:
        """Slugs of the exams not passed, the modules not completed and the exercises not passed, and
        "attendance" while the attendance the track requires is not met."""
        return ([s for s, _, a in self.exams if a is None]
                + [s for s, _, p in self.modules if p is None or p.completed_at is None]
                + [r.exercise.slug for r in self.practicals if not r.passed]
                + (["attendance"] if self.hours is not None and not self.hours.attendance_met else []))


def requirements(enrollment: Enrollment) -> Requirements:
    """Every exam of the track with its first passing attempt, every module with its progress."""
    track = enrollment.cohort.track
    exam_slugs = track.exam_slugs()
    module_slugs = required_module_slugs(enrollment)  # the track's modules and the MOU's agency annexes
    exams = {e.slug: e for e in db.session.scalars(select(Exam).where(Exam.slug.in_(exam_slugs)))} if exam_slugs else {}
    passing: dict[int, Attempt] = {}
    if exams:
        rows = db.session.scalars(
            select(Attempt).where(
                Attempt.enrollment_id == enrollment.id, Attempt.exam_id.in_([e.id for e in exams.values()]),
                Attempt.status == FINISHED, Attempt.passed.is_(True),
            ).order_by(Attempt.finished_at, Attempt.id)
        )
        for attempt in rows:
            passing.setdefault(attempt.exam_id, attempt)
    modules = ({m.slug: m for m in db.session.scalars(select(Module).where(Module.slug.in_(module_slugs)))}
               if module_slugs else {})
    progress = {p.module_id: p for p in db.session.scalars(
        select(ModuleProgress).where(ModuleProgress.enrollment_id == enrollment.id))}
    result = Requirements()
    for slug in exam_slugs:
        exam = exams.get(slug)
        result.exams.append((slug, exam, passing.get(exam.id) if exam else None))
    for slug in module_slugs:
        module = modules.get(slug)
        result.modules.append((slug, module, progress.get(module.id) if module else None))
    result.practicals = practical_results(enrollment)
    result.hours = hours_of(enrollment)
    return result


def is_complete(enrollment: Enrollment) -> bool:
    """``requirements(enrollment).complete``, counted in the database without loading the attempts and
    the progress (most calls come from a module or an exam that does not complete the track)."""
    exam_slugs = set(enrollment.cohort.track.exam_slugs())
    module_slugs = set(required_module_slugs(enrollment))
    if exam_slugs and db.session.scalar(
            select(func.count(distinct(Exam.slug))).join(Attempt, Attempt.exam_id == Exam.id).where(
                Attempt.enrollment_id == enrollment.id, Exam.slug.in_(exam_slugs), Attempt.status == FINISHED,
                Attempt.passed.is_(True))) != len(exam_slugs):
        return False
    if module_slugs and db.session.scalar(
        select(func.count(distinct(Module.slug))).join(ModuleProgress, ModuleProgress.module_id == Module.id).where(
            ModuleProgress.enrollment_id == enrollment.id, Module.slug.in_(module_slugs),
            ModuleProgress.completed_at.is_not(None))) != len(module_slugs):
        return False
    return all_practicals_passed(enrollment) and attendance_met(enrollment)


def allocate_number(year: int) -> str:
    """The next certificate number of the year, e.g. 287G-2026-000123.

    The counter row is created if missing (insert-or-ignore), then incremented with UPDATE ...
    RETURNING, which holds the row's lock until commit: concurrent issuers get distinct numbers
    on PostgreSQL, and SQLite runs writers one at a time. A rolled-back issue leaves no gap.
    """
    table = CertificateSequence.__table__
    db.session.execute(insert_for(db.session.get_bind().dialect.name, table).values(year=year, last_value=0)
                       .on_conflict_do_nothing(index_elements=["year"]))
    value = db.session.execute(
        update(table).where(table.c.year == year).values(last_value=table.c.last_value + 1)
        .returning(table.c.last_value)
    ).scalar_one()
    return f"{NUMBER_PREFIX}-{year:04d}-{value:06d}"


def _lineage_latest(user_id: int, base_slug: str) -> Certification | None:
    """The user's newest certification of the original track or of any refresher of it."""
    return db.session.scalar(
        select(Certification).join(Track, Track.id == Certification.track_id)
        .where(Certification.user_id == user_id, or_(Track.slug == base_slug, Track.refresher_of == base_slug))
        .order_by(Certification.issued_at.desc(), Certification.id.desc()).limit(1)
    )


def _renewal(enrollment: Enrollment) -> Certification | None:
    """For a refresher track, the certification it renews; raises CertificationWithheld when none can be."""
    track = enrollment.cohort.track
    if not track.refresher_of:
        return None
    previous = _lineage_latest(enrollment.user_id, track.refresher_of)
    if previous is None:
        raise CertificationWithheld(f"a refresher renews a certification of {track.refresher_of}, and there is none")
    if previous.status in (REVOKED, SUSPENDED):
        raise CertificationWithheld(f"the certification to renew, {previous.number}, is {previous.status}")
    return previous


def withhold_reason(enrollment: Enrollment) -> str | None:
    """Why a complete enrollment's certification cannot be issued now, or None."""
    try:
        _check_mou(enrollment)
        _renewal(enrollment)
    except CertificationWithheld as withheld:
        return str(withheld)
    return None


def withheld_enrollments(*, user_id: int | None = None, mou_id: int | None = None) -> list[Enrollment]:
    """Enrollments whose certification was withheld (audited) and that still have none."""
    ids = {int(i) for i in db.session.scalars(select(AuditEvent.object_id).where(
        AuditEvent.action == "certification.withhold", AuditEvent.object_type == "enrollment").distinct())}
    if not ids:
        return []
    query = select(Enrollment).where(Enrollment.id.in_(ids), Enrollment.status == "active",
                                     ~select(Certification.id).where(Certification.enrollment_id == Enrollment.id)
                                     .exists())
    if user_id is not None:
        query = query.where(Enrollment.user_id == user_id)
    if mou_id is not None:
        query = query.where(Enrollment.mou_id == mou_id)
    return list(db.session.scalars(query.order_by(Enrollment.id)))


def reevaluate_withheld(*, now, user_id: int | None = None, mou_id: int | None = None) -> list[Certification]:
    """Issue the certifications withheld earlier whose reason has gone away (an agreement in force again,
    the certification a refresher renews reinstated). Idempotent: a reason still there records nothing."""
    issued = []
    for enrollment in withheld_enrollments(user_id=user_id, mou_id=mou_id):
        if withhold_reason(enrollment) is None:
            certification = issue_if_complete(enrollment, now=now)
            if certification is not None:
                issued.append(certification)
    return issued


def _check_mou(enrollment: Enrollment) -> None:
    mou = enrollment.mou
    if mou is not None and mou.terminated_at is not None:
        raise CertificationWithheld(f"the agreement (MOU {mou.id}) the trainee is nominated under was terminated")


def build_snapshot(enrollment: Enrollment, reqs: Requirements, *, number: str, now, issued_on: date,
                   expires_on: date, renews: Certification | None) -> dict:
    """The frozen record: everything the certificate says, copied now so later edits change nothing."""
    user, cohort = enrollment.user, enrollment.cohort
    track, agency, mou = cohort.track, user.agency, enrollment.mou
    version_numbers = {}
    version_ids = [p.completed_version_id for _, _, p in reqs.modules if p and p.completed_version_id]
    if version_ids:
        version_numbers = dict(db.session.execute(
            select(ModuleVersion.id, ModuleVersion.number).where(ModuleVersion.id.in_(version_ids))).all())
    exams = []
    for slug, exam, attempt in reqs.exams:
        version = attempt.exam_version
        pass_mark = (attempt.policy or {}).get("pass_mark", (version.blueprint or {}).get("pass_mark"))
        exams.append({
            "slug": slug, "title": version.title, "exam_version": version.number,
            "attempt_id": attempt.id, "attempt_number": attempt.number,
            "score_percent": attempt.percent, "points": attempt.points, "max_points": attempt.max_points,
            "pass_mark": pass_mark, "finished_at": attempt.finished_at.isoformat(),
        })
    modules = []
    for slug, module, progress in reqs.modules:
        version = progress.completed_version
        modules.append({
            "slug": slug, "title": version.title if version else slug,
            "version": version_numbers.get(progress.completed_version_id),
            "completed_at": progress.completed_at.isoformat(),
        })
    hours = reqs.hours
    training = {
        "online_hours": hours.online if hours else None,
        "classroom_hours_attended": hours.classroom if hours else None,
        "classroom_hours_required": hours.required if hours else None,
        "practicals": [{
            "slug": r.exercise.slug, "title": r.version.title, "version": r.version.number,
            "total": r.first.total, "max_points": r.version.max_points, "pass_total": r.version.pass_total,
            "passed": r.first.passed, "graded_at": r.first.graded_at.isoformat(),
        } for r in reqs.practicals],
    }
    return {
        "format": SNAPSHOT_FORMAT,
        "training": training,
        "number": number,
        "issuer": {"name": "287(g) Training", "url": public_base_url()},
        # The look-up of the number, which asks for the holder's last name. The unguessable
        # verification code is deliberately not signed (docs/CERTIFICATION.md, "Public verification").
        "verification_url": number_lookup_url(number),
        "holder": {"user_id": user.id, "name": user.name},
        "agency": ({"id": agency.id, "name": agency.name, "ori": agency.ori, "state": agency.state}
                   if agency else None),
        # The length as the course page states it ("5 weeks", "8 hours"), frozen with the rest.
        "track": {"slug": track.slug, "title": track.title, "weeks": track.weeks, "length": track.length_label,
                  "certification_title": track.certification_title, "validity_years": track.validity_years,
                  "refresher_of": track.refresher_of},
        "cohort": {"id": cohort.id, "name": cohort.name, "start_date": cohort.start_date.isoformat()},
        "enrollment_id": enrollment.id,
        "mou": ({"id": mou.id, "model": mou.model, "signed_on": mou.signed_on.isoformat(),
                 "effective_on": mou.effective_on.isoformat(),
                 "ends_on": mou.ends_on.isoformat() if mou.ends_on else None,
                 "authorized_functions": list(mou.authorized_functions)} if mou else None),
        "exams": exams,
        "modules": modules,
        "issued_at": now.isoformat(),
        "issued_on": issued_on.isoformat(),
        "expires_on": expires_on.isoformat(),
        "renews": {"number": renews.number, "expires_on": renews.expires_on.isoformat()} if renews else None,
    }


def _lock_enrollment(enrollment: Enrollment) -> Certification | None:
    """Serialize issuing per enrollment: a later transaction waits, then sees the earlier one's work; returns
    the enrollment's certification, if it has one, as it stands once the lock is held.

    The enrollment lock is FOR NO KEY UPDATE: it must not conflict with the key-share locks that
    inserting an attempt (a foreign key to the enrollment) takes, or two graders would deadlock. (The
    audit chain's tip is no longer taken by requests: lms.audit seals after the commit.) What the requirements
    read of the enrollment (its cohort, track and the track's items, its MOU) comes with it, in the same
    statement.
    """
    load = (select(Enrollment).where(Enrollment.id == enrollment.id)
            .options(joinedload(Enrollment.cohort, innerjoin=True).joinedload(Cohort.track, innerjoin=True)
                     .joinedload(Track.items), joinedload(Enrollment.mou)))
    if db.session.get_bind().dialect.name == "sqlite":
        # The writer holds the whole database (BEGIN IMMEDIATE): the certification comes in the same statement.
        row = db.session.execute(load.add_columns(Certification)
                                 .outerjoin(Certification, Certification.enrollment_id == Enrollment.id)).unique().one()
        return row[1]
    db.session.execute(load.with_for_update(key_share=True, of=Enrollment)).unique().all()
    # A statement of its own (under READ COMMITTED, a snapshot taken once the lock is held): a certification
    # issued by the transaction this one waited for is seen.
    return certification_of_enrollment(enrollment.id)


def issue_if_complete(enrollment: Enrollment, *, now, actor=None) -> Certification | None:
    """Issue the enrollment's certification if every exam is passed and every module completed.

    Idempotent: returns the existing certification if there is one, None while something is missing
    or when issuing is withheld (audited). Flushes; the caller commits.
    """
    existing = _lock_enrollment(enrollment)
    if existing is not None or enrollment.status == "withdrawn":
        return existing
    if not is_complete(enrollment):
        return None
    reqs = requirements(enrollment)
    if not reqs.complete:
        return None
    today = program_today(now)
    try:
        _check_mou(enrollment)
        renews = _renewal(enrollment)
    except CertificationWithheld as withheld:
        record_event("certification.withhold", actor=actor, obj=enrollment, outcome="denied", now=now,
                     details={"reason": str(withheld)})
        return None
    return _issue(enrollment, reqs, now=now, today=today, renews=renews, actor=actor)



# While a deferred block runs (``deferred_issuing``): enrollment id -> (the enrollment, the time of its last
# progress), in the order of their last progress (an enrollment that progresses again moves to the end).
_deferred: ContextVar[dict[int, tuple[Enrollment, datetime]] | None] = ContextVar("deferred_issuing", default=None)


@contextmanager
def deferred_issuing():
    """Check each enrollment that progresses inside the block once, when the block ends, instead of at every
    step: for a simulated history (the fact-sheet demo), whose thousands of steps would each check the
    track. An enrollment is issued as of its last progress in the block, and the enrollments are issued
    in the order of their last progress, so the certifications (numbers, dates) are those that checking at
    every step gives when the last progress is the one that completes the track. The enrollments due are
    checked even when the block raises (the exception is raised after). Nested blocks check at the end of
    the outermost."""
    if _deferred.get() is not None:
        yield
        return
    pending: dict[int, tuple[Enrollment, datetime]] = {}
    token = _deferred.set(pending)
    try:
        yield
    finally:
        _deferred.reset(token)
        for enrollment, now in list(pending.values()):
            issue_if_complete(enrollment, now=now)


@module_completed.connect
@attempt_passed.connect
@classroom_progress.connect
def _on_progress(enrollment: Enrollment, *, now, **_details) -> None:
    """A module completed, an attempt passed, attendance recorded or a practical graded: issue the
    certification if that completed the track (at the end of a ``deferred_issuing`` block inside one)."""
    pending = _deferred.get()
    if pending is None:
        issue_if_complete(enrollment, now=now)
        return
    pending.pop(enrollment.id, None)
    pending[enrollment.id] = (enrollment, now)


@certification_changed.connect
def _on_reinstated(certification: Certification, *, now, action: str, **_details) -> None:
    """A certification reinstated: a refresher of it withheld meanwhile is issued now."""
    if action == "reinstate":
        reevaluate_withheld(now=now, user_id=certification.user_id)


def _issue(enrollment, reqs, *, now, today, renews, actor) -> Certification | None:
    track = enrollment.cohort.track
    base = today
    if renews is not None and renews.expires_on > today:
        base = renews.expires_on  # renewing early loses no time
    expires_on = add_years(base, track.validity_years)
    signer = load_signer(now=now, create_if_missing=current_app.config.get("ENV_NAME") != "production")
    number = allocate_number(today.year)
    snapshot = canonical_json(build_snapshot(enrollment, reqs, number=number, now=now, issued_on=today,
                                             expires_on=expires_on, renews=renews))
    user, agency = enrollment.user, enrollment.user.agency
    certification = Certification(
        number=number, verification_code=new_verification_code(), enrollment_id=enrollment.id, user_id=user.id,
        agency_id=agency.id if agency else None,
        cohort_id=enrollment.cohort_id, track_id=track.id, mou_id=enrollment.mou_id,
        renews_id=renews.id if renews else None, status=ACTIVE, status_changed_at=now,
        holder_name=user.name, agency_name=agency.name if agency else "", agency_ori=agency.ori if agency else "",
        track_slug=track.slug, track_title=track.title, cohort_name=enrollment.cohort.name,
        issued_at=now, issued_on=today, expires_on=expires_on,
        snapshot=snapshot, key_id=signer.key_id, signature=signer.sign(snapshot.encode("utf-8")),
    )
    try:
        with db.session.begin_nested():
            db.session.add(certification)
            db.session.flush()
    except IntegrityError:
        # Another transaction issued it first (only reachable if the lock above was bypassed).
        return db.session.scalar(select(Certification).where(Certification.enrollment_id == enrollment.id))
    db.session.add(CertificationStatusChange(
        certification_id=certification.id, from_status=None, to_status=ACTIVE, reason="Issued",
        actor_id=getattr(actor, "id", None), actor=getattr(actor, "email", None) or "system", changed_at=now))
    enrollment.status = "completed"
    db.session.flush()
    record_event("certification.issue", actor=actor, obj=certification, now=now,
                 details={"number": number, "enrollment_id": enrollment.id, "key_id": signer.key_id,
                          "renews": renews.number if renews else None, "expires_on": expires_on.isoformat()})
    certification_changed.send(certification, now=now, action="issue", reason="Issued")
    return certification


def certification_of(enrollment) -> Certification | None:
    """The certification an enrollment earned, if any."""
    return certification_of_enrollment(enrollment.id)


# Built once (its cache key then memoized by SQLAlchemy): the result page of every submit in a wave reads it.
_OF_ENROLLMENT = select(Certification).where(Certification.enrollment_id == bindparam("enrollment_id"))


def certification_of_enrollment(enrollment_id: int) -> Certification | None:
    """The certification the enrollment ``enrollment_id`` earned, if any (without loading the enrollment)."""
    return db.session.scalar(_OF_ENROLLMENT, {"enrollment_id": enrollment_id})


def certifications_of(user) -> list[Certification]:
    """A trainee's certifications, newest first."""
    return list(db.session.scalars(
        select(Certification).where(Certification.user_id == user.id)
        .order_by(Certification.issued_at.desc(), Certification.id.desc())))


