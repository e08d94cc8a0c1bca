"""Test data, built in one place: through the same services the app uses (a small track and finished
attempts are written directly, as the exam engine's grading would leave them), at the frozen clock.

Fixtures (the conftests) call these; a test never builds its world by hand from another test's kit.
"""
import io
import random
from dataclasses import dataclass, field
from datetime import date, time, timedelta
from pathlib import Path

import pyotp
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from lms.accounts.twofactor import enrol, new_secret
from lms.accounts.users import create_user
from lms.agencies.agencies import create_agency
from lms.agencies.agreements import attach_document, attach_mou, create_mou
from lms.agencies.nominations import check_nominee, nominate
from lms.authoring.exercises import exercise_by_slug
from lms.authoring.exercises import front_from_version as exercise_front
from lms.authoring.exercises import save_draft as save_exercise_draft
from lms.authoring.modules import front_from_version, module_by_slug, save_draft
from lms.certification import issue_if_complete
from lms.classroom.attendance import Mark, record_attendance
from lms.classroom.grading import grade_practical
from lms.classroom.sessions import SessionPlan, schedule_session
from lms.clock import program_today
from lms.cohorts import roster
from lms.content import sync_content
from lms.content.catalog import content_hash
from lms.exams.attempts import exam_context, start_attempt
from lms.exams.pages import save_answer
from lms.extensions import db as _db
from lms.models import (
    Attempt, Enrollment, Exam, ExamVersion, Exercise, Module, ModuleProgress, ModuleVersion, Role, Track, TrackItem,
)
from lms.notifications.service import silenced
from lms.questions import QUESTION_TYPES
from lms.security import PRIVILEGED_ROLES

PROJECT_ROOT = Path(__file__).resolve().parent.parent
EXAM_ROOT = PROJECT_ROOT / "tests" / "fixtures" / "exam_content"  # a small course with every question type
PASSWORD = "correct horse battery staple 42"
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 32
PDF = b"%PDF-1.4\n%test\n"


def enrol_second_factor(user, clock) -> str:
    """Turn on the user's second factor through the real service (the first code is the window's earliest,
    leaving now and now + 1 for log-ins); returns the secret."""
    secret = new_secret()
    totp = pyotp.TOTP(secret)
    with silenced():  # set up before the test's story: its security notice is not part of it
        enrol(user, secret, totp.generate_otp(totp.timecode(clock()) - 1), now=clock())
    return secret


def upload(data: bytes, name: str) -> FileStorage:
    """A file as a form would upload it."""
    return FileStorage(stream=io.BytesIO(data), filename=name, content_type="application/octet-stream")


# -- people, agencies, cohorts ----------------------------------------------------------------------


class Factory:
    """Test data built through the same services the app uses."""

    def __init__(self, db, clock):
        self.db, self.clock, self.n = db, clock, 0

    def agency(self, name=None, ori=None, state="VA"):
        self.n += 1
        return create_agency(name=name or f"Agency {self.n}", state=state, ori=ori or f"VA{self.n:07d}",
                             now=self.clock())

    def user(self, role=Role.TRAINEE, email=None, agency=None, name=None, password=PASSWORD, two_factor=None, **kw):
        """An account; privileged ones (who must have a second factor) are enrolled unless ``two_factor=False``."""
        self.n += 1
        role = Role(role)
        if agency is None and role in (Role.TRAINEE, Role.COORDINATOR):
            agency = self.agency()
        user = create_user(email=email or f"{role.value}{self.n}@example.test", name=name or f"Person {self.n}",
                           role=role, password=password, agency=agency, now=self.clock(), **kw)
        if two_factor if two_factor is not None else role in PRIVILEGED_ROLES:
            enrol_second_factor(user, self.clock)
        self.db.session.commit()
        return user

    def synced_content(self, root=PROJECT_ROOT):
        report = sync_content(root, now=self.clock())
        self.db.session.commit()
        return report

    def cohort(self, track_slug="officer-basic", start=None, agencies=(), instructors=(), name=None):
        track = self.db.session.scalar(select(Track).where(Track.slug == track_slug))
        assert track is not None, f"track {track_slug} not synced"
        self.n += 1
        cohort = roster.create_cohort(name=name or f"Cohort {self.n}", track=track,
                                      start_date=start or date(2026, 3, 2), agencies=list(agencies),
                                      instructors=list(instructors), now=self.clock())
        self.db.session.commit()
        return cohort

    def enroll(self, user, cohort):
        enrollment = roster.enroll(user, cohort, now=self.clock())
        self.db.session.commit()
        return enrollment


# -- a small track and results, as the exam engine leaves them (certification tests) ------------------


@dataclass
class CertKit:
    """Builds tracks, cohorts, trainees and results for certification tests."""

    db: object
    factory: object
    clock: object
    n: int = 0
    attempts: dict = field(default_factory=dict)

    def _next(self) -> int:
        self.n += 1
        return self.n

    def module(self, slug: str) -> Module:
        module = self.db.session.scalar(select(Module).where(Module.slug == slug))
        if module is None:
            now = self.clock()
            module = Module(slug=slug, topic=slug.split("/")[0], created_at=now)
            self.db.session.add(module)
            self.db.session.flush()
            version = ModuleVersion(module_id=module.id, number=1, content_hash="h" * 64, title=f"Module {slug}",
                                    minutes=30, objectives=[], sources=[], body_md="Body", body_html="<p>Body</p>",
                                    toc_html="", source_path=f"{slug}.md", created_at=now)
            self.db.session.add(version)
            self.db.session.flush()
            module.current_version_id = version.id
            self.db.session.flush()
        return module

    def exam(self, slug: str, pass_mark: int = 70) -> Exam:
        exam = self.db.session.scalar(select(Exam).where(Exam.slug == slug))
        if exam is None:
            now = self.clock()
            exam = Exam(slug=slug, created_at=now)
            self.db.session.add(exam)
            self.db.session.flush()
            # a real hash of what the version says: a start keeps exam versions per process by id and hash
            version = ExamVersion(exam_id=exam.id, number=1, title=f"Exam {slug}",
                                  content_hash=content_hash({"title": f"Exam {slug}", "pass_mark": pass_mark}),
                                  description_html="", blueprint={"pass_mark": pass_mark}, source_path=f"{slug}.yml",
                                  created_at=now)
            self.db.session.add(version)
            self.db.session.flush()
            exam.current_version_id = version.id
            self.db.session.flush()
        return exam

    def track(self, slug=None, *, modules=("m/one", "m/two"), exams=("exam-a", "exam-b"), weeks=2,
              validity_years=2, refresher_of=None, title=None, length_unit="weeks", hours=(None, None)) -> Track:
        slug = slug or f"track-{self._next()}"
        now = self.clock()
        track = Track(slug=slug, title=title or f"Track {slug}", audience="Officers", weeks=weeks, description="",
                      length_unit=length_unit, online_hours=hours[0], classroom_hours=hours[1],
                      is_sample=True, certification_title=f"Certification of {slug}",
                      validity_years=validity_years, refresher_of=refresher_of, content_hash="t" * 64,
                      created_at=now, updated_at=now)
        self.db.session.add(track)
        self.db.session.flush()
        position = 0
        for ref in modules:
            self.module(ref)
            track.items.append(TrackItem(week=1, week_title="Week 1", position=position, kind="module", ref=ref))
            position += 1
        for ref in exams:
            self.exam(ref)
            track.items.append(TrackItem(week=weeks, week_title=f"Week {weeks}", position=position, kind="exam",
                                         ref=ref))
            position += 1
        self.db.session.commit()
        return track

    def trainee(self, agency=None, name=None):
        return self.factory.user(Role.TRAINEE, agency=agency, name=name)

    def enrollment(self, track: Track, *, trainee=None, agency=None, cohort=None, start=None) -> Enrollment:
        trainee = trainee or self.trainee(agency=agency)
        cohort = cohort or self.factory.cohort(track.slug, start=start or date(2026, 3, 2))
        return self.factory.enroll(trainee, cohort)

    def complete_modules(self, enrollment: Enrollment, *, issue=True):
        now = self.clock()
        for item in enrollment.cohort.track.items:
            if item.kind != "module":
                continue
            module = self.module(item.ref)
            progress = self.db.session.scalar(select(ModuleProgress).where(
                ModuleProgress.enrollment_id == enrollment.id, ModuleProgress.module_id == module.id))
            if progress is None:
                progress = ModuleProgress(enrollment_id=enrollment.id, module_id=module.id, first_read_at=now)
                self.db.session.add(progress)
            progress.completed_at = now
            progress.completed_version_id = module.current_version_id
        self.db.session.flush()
        result = issue_if_complete(enrollment, now=now) if issue else None
        self.db.session.commit()
        return result

    def finished_attempt(self, enrollment: Enrollment, exam_slug: str, *, percent=90.0, passed=True) -> Attempt:
        """A graded attempt as the exam engine leaves it (flushed, not committed)."""
        exam = self.exam(exam_slug)
        now = self.clock()
        number = 1 + len(self.db.session.scalars(select(Attempt.id).where(
            Attempt.user_id == enrollment.user_id, Attempt.exam_id == exam.id)).all())
        attempt = Attempt(user_id=enrollment.user_id, exam_id=exam.id, exam_version_id=exam.current_version_id,
                          enrollment_id=enrollment.id, number=number, status="finished", seed="s" * 16,
                          policy={"pass_mark": 70}, time_multiplier=1.0, extra_seconds=0,
                          started_at=now - timedelta(minutes=20), deadline_at=now + timedelta(minutes=10),
                          finished_at=now, finish_reason="submitted", points=percent / 10, max_points=10.0,
                          percent=percent, passed=passed)
        self.db.session.add(attempt)
        self.db.session.flush()
        return attempt

    def pass_exam(self, enrollment: Enrollment, exam_slug: str, *, percent=90.0, passed=True):
        """Grade an attempt and run the issue hook in the same transaction; returns the certification or None."""
        self.finished_attempt(enrollment, exam_slug, percent=percent, passed=passed)
        certification = issue_if_complete(enrollment, now=self.clock())
        self.db.session.commit()
        return certification

    def certified(self, track=None, *, agency=None, trainee=None, cohort=None, mou=None, name=None):
        """A trainee who completed and passed everything: their certification."""
        track = track or self.track()
        if trainee is None:
            trainee = self.trainee(agency=agency, name=name)
        enrollment = self.enrollment(track, trainee=trainee, cohort=cohort)
        if mou is not None:
            attach_mou(enrollment, mou, now=self.clock())
        self.complete_modules(enrollment, issue=False)
        certification = None
        for item in track.items:
            if item.kind == "exam":
                certification = self.pass_exam(enrollment, item.ref)
        assert certification is not None
        return certification


# -- an agency with an agreement in force (agency, nomination and dashboard tests) ---------------------


@dataclass
class Side:
    """An agency with an agreement in force, its coordinator, and a cohort open to it."""

    agency: object
    mou: object
    coordinator: object


def agency_with_mou(db, factory, clock, name="North County Sheriff", ori=None, tracks=(), annexes=(),
                    functions=("Interview", "Process")) -> Side:
    """An agency with a Jail Enforcement MOU (officer-basic and custody-assistant tracks need synced
    content) and its coordinator."""
    agency = factory.agency(name=name, ori=ori)
    mou = create_mou(agency=agency, model="jail_enforcement", signed_on=date(2025, 1, 6),
                     effective_on=date(2025, 2, 1), authorized_functions=list(functions),
                     track_slugs=list(tracks), annex_slugs=list(annexes), now=clock())
    db.session.commit()
    coordinator = factory.user(Role.COORDINATOR, agency=agency)
    return Side(agency, mou, coordinator)


# -- the exam tests' world: the fixture course, a cohort in week 1, two trainees --------------------------


@dataclass
class ExamWorld:
    """What the exam tests start from."""

    cohort: object
    instructor: object
    trainee: object
    other: object
    agency: object
    enrollment: object = None  # the trainee's enrollment in the cohort (attempts and grants belong to it)


def exam_world(factory) -> ExamWorld:
    """The fixture course synced, a cohort that started today (week 1 open), two trainees."""
    factory.synced_content(EXAM_ROOT)
    instructor = factory.user(Role.INSTRUCTOR, name="Ivy Instructor")
    agency = factory.agency(name="Test County Sheriff")
    cohort = factory.cohort("exam-track", start=date(2026, 3, 2), agencies=[agency], instructors=[instructor])
    trainee = factory.user(Role.TRAINEE, agency=agency, name="Terry Trainee")
    other = factory.user(Role.TRAINEE, agency=agency, name="Olive Other")
    enrollment = factory.enroll(trainee, cohort)
    factory.enroll(other, cohort)
    return ExamWorld(cohort, instructor, trainee, other, agency, enrollment)


def start(user, slug, clock, **kw):
    """Start (or resume) an attempt through the service, committed."""
    context = exam_context(user.id, slug, clock())
    assert context is not None, f"{slug} is not in the trainee's track"
    attempt = start_attempt(context, user, now=clock(), **kw)
    _db.session.commit()
    return attempt


def answer_all(attempt, clock, *, right=True):
    """Answer every question of an attempt through the save service, right or wrong."""
    for aq in attempt.questions:
        save_answer(attempt_id=attempt.id, user_id=attempt.user_id, position=aq.position,
                    values=form_values_for(aq, right=right), now=clock())
    _db.session.commit()


def form_values_for(aq, *, right=True):
    """The form values a trainee would send to answer ``aq`` right (or wrong: scoring nothing, for the types
    spelled out here, which the exam tests' expected scores rely on)."""
    data = aq.version.data
    kind = data["type"]
    if kind in ("single", "multiple"):
        keys = [c["id"] for c in data["choices"] if c.get("correct") == right or (not right and not c.get("correct"))]
        if kind == "single" or not right:
            keys = keys[:1]
        return [str(aq.shown.index(k) + 1) for k in keys]
    if kind == "true_false":
        return ["true" if data["answer"] == right else "false"]
    if kind == "short":
        return [data["answers"][0] if right else "nothing like it"]
    if kind == "numeric":
        value = data["answer"] if "answer" in data else data["range"][0]
        return [str(value) if right else "-1"]
    if kind == "matching":
        prompts, answers = aq.shown["prompts"], aq.shown["answers"]
        if right:
            return [str(answers.index(p) + 1) for p in prompts]
        return [str(answers.index((p + 1) % len(prompts)) + 1) for p in prompts]
    # Any other type: its own sample answer (wrong: as the fact-sheet simulation answers it).
    return QUESTION_TYPES[kind].sample_values(data, aq.shown, correct=right, rng=random.Random(0))


# -- the security tests' world: two of everything, so every object a URL names has an owner and an outsider


@dataclass
class SecuritySide:
    """One agency's half of the world."""

    agency: object
    mou: object
    coordinator: object
    instructor: object
    cohort: object
    trainee: object
    attempt: object
    certification: object
    nomination: object
    document: object
    classroom: object = None  # a cohort of the blended classroom-track, the trainee enrolled
    class_session: object = None  # one of its sessions, today
    classroom_enrollment: object = None  # of a trainee of its own, enrolled in nothing else


@dataclass
class SecurityWorld:
    a: SecuritySide
    b: SecuritySide
    peer: object  # a second trainee in side a's cohort
    staff: object
    admin: object

    def user(self, role: Role):
        """A user of ``role`` on side a (staff and admin are global)."""
        return {Role.TRAINEE: self.a.trainee, Role.INSTRUCTOR: self.a.instructor, Role.COORDINATOR: self.a.coordinator,
                Role.STAFF: self.staff, Role.ADMIN: self.admin}[role]


def _security_side(letter, factory, kit, db, clock, evil="") -> SecuritySide:
    place = evil + {"a": "Ashford", "b": "Bexley"}[letter]
    agency = factory.agency(name=f"{place} County Sheriff", ori=f"VA{letter.upper()}000000")
    mou = create_mou(agency=agency, model="jail_enforcement", signed_on=date(2025, 1, 6), effective_on=date(2025, 2, 1),
                     authorized_functions=[evil + "Interview", "Process"], track_slugs=["exam-track"], now=clock())
    db.session.commit()
    coordinator = factory.user(Role.COORDINATOR, agency=agency, name=f"Cora {place}dahl")
    instructor = factory.user(Role.INSTRUCTOR, name=f"Ian {place}sen")
    cohort = factory.cohort("exam-track", start=date(2026, 3, 2), agencies=[agency], instructors=[instructor],
                            name=f"Cohort {place}")
    trainee = factory.user(Role.TRAINEE, agency=agency, name=f"Tina {place}quist")
    factory.enroll(trainee, cohort)
    attempt = start(trainee, "mixed-exam", clock)
    certification = kit.certified(agency=agency, name=f"Carl {place}berg")
    nominee, problems = check_nominee(
        mou=mou, name=f"Nora {place}vik", email=f"nominee-{letter}@example.test", track_slug="exam-track",
        notes=evil + "notes", background_check_on=date(2025, 6, 1), years_experience=5, citizenship_attested=True,
        commits_two_years=True, today=program_today(clock()))
    assert not problems, problems
    nomination = nominate(nominee, mou=mou, actor=coordinator, now=clock(),
                          evidence=upload(PNG, evil + "evidence.png"))
    document = attach_document(mou, upload(PDF, evil + "signed.pdf"), actor=None, now=clock())
    db.session.commit()
    classroom = factory.cohort("classroom-track", start=date(2026, 3, 2), agencies=[agency], instructors=[instructor],
                               name=f"Classroom {place}")
    classroom_trainee = factory.user(Role.TRAINEE, agency=agency, name=f"Cleo {place}wright")
    classroom_enrollment = factory.enroll(classroom_trainee, classroom)
    class_session = schedule_session(classroom, SessionPlan(
        evil + "Drill", program_today(clock()), time(10), time(14), evil + "Room 1", 4, 1, ["drill-report"]),
        actor=instructor, now=clock())
    db.session.commit()
    return SecuritySide(agency, mou, coordinator, instructor, cohort, trainee, attempt, certification, nomination,
                        document, classroom, class_session, classroom_enrollment)


def security_world(db, factory, clock, evil: str = "") -> SecurityWorld:
    """The world; ``evil`` is put in front of every free-text field (names, functions, notes, file names)."""
    factory.synced_content(EXAM_ROOT)
    kit = CertKit(db, factory, clock)
    a = _security_side("a", factory, kit, db, clock, evil)
    b = _security_side("b", factory, kit, db, clock, evil)
    peer = factory.user(Role.TRAINEE, agency=a.agency, name=evil + "Peer Trainee")
    factory.enroll(peer, a.cohort)
    staff = factory.user(Role.STAFF, name=evil + "Program Staff")
    admin = factory.user(Role.ADMIN, name=evil + "Site Admin")
    module = module_by_slug("agreement/basics")  # a draft revision 1 in the studio, by side a's instructor
    save_draft(module.slug, front_from_version(module), module.current_version.body_md + "\n" + evil + "Revised.\n",
               actor=a.instructor, now=clock())
    exercise = exercise_by_slug("drill-report")  # and of the exercise drill-report, its rubric's words included
    front = exercise_front(exercise)
    front["rubric"][0]["title"] = evil + "Facts"
    front["rubric"][0]["levels"][0]["descriptor"] = evil + "No facts."
    save_exercise_draft(exercise.slug, front, evil + exercise.current_version.instructions_md, actor=a.instructor,
                        now=clock())
    db.session.commit()
    return SecurityWorld(a, b, peer, staff, admin)


# -- the classroom tests' world: the blended fixture track, its instructors and trainees ----------------


@dataclass
class ClassroomWorld:
    """A cohort of the fixture's classroom-track (8 classroom hours, 75 % required; two exercises)."""

    cohort: object
    instructor: object
    second: object  # another instructor of the cohort (the second grader)
    trainee: object
    other: object
    enrollment: object
    other_enrollment: object
    agency: object


def classroom_world(factory) -> ClassroomWorld:
    """The fixture course synced, a cohort of the classroom track that started today, two trainees."""
    factory.synced_content(EXAM_ROOT)
    instructor = factory.user(Role.INSTRUCTOR, name="Ivy Instructor")
    second = factory.user(Role.INSTRUCTOR, name="Sam Second")
    agency = factory.agency(name="Test County Sheriff")
    cohort = factory.cohort("classroom-track", start=date(2026, 3, 2), agencies=[agency],
                            instructors=[instructor, second])
    trainee = factory.user(Role.TRAINEE, agency=agency, name="Terry Trainee")
    other = factory.user(Role.TRAINEE, agency=agency, name="Olive Other")
    return ClassroomWorld(cohort, instructor, second, trainee, other, factory.enroll(trainee, cohort),
                          factory.enroll(other, cohort), agency)


def session_plan(day, *, start=9, end=13, hours=4.0, week=1, title="Classroom", covers=()) -> SessionPlan:
    """A session on ``day`` from ``start`` to ``end`` o'clock (program time)."""
    return SessionPlan(title, day, time(start), time(end), "Academy room 2", hours, week, list(covers))


def pass_classroom(enrollment, *, grader, now, hours=None) -> None:
    """Meet a track's classroom requirements through the services: sessions covering the hours it requires,
    attended, and every exercise passed at its best levels (flushed; the caller commits)."""
    track = enrollment.cohort.track
    needed = hours if hours is not None else (track.attendance_required_hours or 0)
    day = program_today(now)
    while needed > 0:
        chunk = min(8.0, needed)
        session = schedule_session(enrollment.cohort, session_plan(day, start=8, end=17, hours=chunk), actor=None,
                                   now=now)
        record_attendance(session, {enrollment.id: Mark("present")}, actor=None, now=now)
        needed -= chunk
    for slug in track.exercise_slugs():
        exercise = _db.session.scalar(select(Exercise).where(Exercise.slug == slug))
        best = {c["id"]: max(level["points"] for level in c["levels"]) for c in exercise.current_version.rubric}
        grade_practical(enrollment, exercise, scores=best, comments="", grader=grader, now=now)
