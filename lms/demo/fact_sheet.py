"""`lms demo load`: the 287(g) program as ICE's September 2005 fact sheet describes it, produced by the
product itself. Coordinators nominate, staff accept into cohorts under each agency's MOU, and simulated
trainees read their modules and take the real exams through the exam engine (draw, answer, submit,
grade); the engine's hook issues each certification. Time is a frozen clock moved forward by the
simulation, so the records carry realistic dates.

- Florida Department of Law Enforcement: 62 officers certified (officer-basic).
- Alabama State Police: 21 certified, and 25 in training (officer-basic).
- Los Angeles County: 6 jail custody assistants in training (custody-assistant, four weeks).

Simulated answers follow a one-parameter logistic model (ability minus item difficulty), so the item
statistics have realistic data to work on. Agency ORIs and names of people are illustrative.
"""
import math
import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from lms.agencies.agencies import create_agency
from lms.accounts import users as accounts

from lms.cohorts import roster as cohorts
from lms.agencies.agreements import create_mou
from lms.certification.issue import deferred_issuing
from lms.clock import program_timezone
from lms.exams import attempts as engine, pages
from lms.exams.grants import grant_extra_attempt
from lms.questions import QUESTION_TYPES
from lms.extensions import db
from lms.learning.course import mark_completed, module_access
from lms.cohorts.schedule import week_start
from lms.models import Agency, AttemptQuestion, Enrollment, QuestionVersion, Role, Track, User
from lms.agencies.nominations import accept_nomination, check_nominee, nominate
from lms.classroom.attendance import Mark, record_attendance
from lms.classroom.grading import grade_practical
from lms.classroom.sessions import SessionPlan, schedule_session
from lms.models import Exercise, Module
from lms.notifications.service import silenced

DIFFICULTY = {"easy": -1.2, "medium": 0.0, "hard": 1.2}
FIRST = ["James", "Maria", "Robert", "Linda", "Michael", "Patricia", "David", "Jennifer", "Carlos", "Angela",
         "William", "Denise", "Thomas", "Sandra", "Luis", "Karen", "Anthony", "Teresa", "Kevin", "Monica"]
LAST = ["Alvarez", "Brooks", "Carter", "Dunn", "Ellis", "Foster", "Garcia", "Hayes", "Irwin", "Jensen", "Keller",
        "Lopez", "Morgan", "Nguyen", "Owens", "Perez", "Quinn", "Reyes", "Sutton", "Turner", "Vance", "Walsh"]


@dataclass
class Group:
    """A cohort of the fact sheet: how many officers, on which track, how far they get."""

    cohort: str
    track: str
    size: int
    certified: bool
    weeks_ago: int  # the cohort started this many weeks before the as-of date (days for those in training)


# The fact sheet's agencies, each keyed by its ORI in the tables below: name, state, ORI, kind, and whose
# (sample) 287(g) coordinator is the point of contact.
AGENCIES = [
    ("Florida Department of Law Enforcement", "FL", "FL0379900", "State agency", "Statewide"),
    ("Alabama State Police", "AL", "AL0019900", "State police", "Department"),
    ("Los Angeles County Sheriff's Department (custody division)", "CA", "CA0199900", "Sheriff's office",
     "Custody division"),
]
# Each agency's MOU: its 287(g) model, the day it was signed (and took effect), the tracks its people take.
MOUS = {
    "FL0379900": ("task_force", date(2002, 7, 2), ["officer-basic"]),
    "AL0019900": ("task_force", date(2003, 9, 10), ["officer-basic"]),
    "CA0199900": ("jail_enforcement", date(2005, 2, 1), ["custody-assistant"]),
}
INTERROGATE = "Interrogate any person believed to be an alien as to their right to be in the United States"
# The functions each MOU authorizes, worded as in the agreement (printed on the certificates).
FUNCTIONS = {
    "FL0379900": [INTERROGATE, "Serve warrants of arrest for immigration violations",
                  "Prepare charging documents (Form I-213) for ICE supervisory review"],
    "AL0019900": [INTERROGATE, "Arrest without warrant for immigration violations under 8 U.S.C. 1357(a)(2)",
                  "Transport arrested aliens to ICE-approved detention facilities"],
    "CA0199900": ["Interview inmates in jail custody about their immigration status",
                  "Process removable aliens in custody: fingerprints, photographs and Form I-213",
                  "Prepare detainers for ICE supervisory review"],
}
GROUPS = {
    "FL0379900": [Group("FDLE 287(g) class (fact sheet)", "officer-basic", 62, True, 8)],
    "AL0019900": [Group("Alabama 287(g) class 1 (fact sheet)", "officer-basic", 21, True, 8),
                  Group("Alabama 287(g) class 2, for certification in 2006", "officer-basic", 25, False, 0)],
    "CA0199900": [Group("L.A. County custody assistants (four-week course)", "custody-assistant", 6, False, 0)],
}


class DemoAlreadyLoaded(Exception):
    """The fact-sheet agencies are already in the database."""


@dataclass
class DemoReport:
    """What the load produced."""

    certified: dict[str, int] = field(default_factory=dict)
    in_training: dict[str, int] = field(default_factory=dict)
    attempts: int = 0
    extra_attempts_granted: int = 0


def _take(user, slug, ability, *, now, rng, report) -> bool | None:
    """One attempt through the exam engine; True/False when graded, None when the policy refuses a start."""
    context = engine.exam_context(user.id, slug, now)
    try:
        attempt = engine.start_attempt(context, user, now=now, seed=f"{rng.random():.12f}")
    except engine.StartRefused:
        return None
    rows = db.session.execute(
        select(AttemptQuestion.position, AttemptQuestion.qtype, AttemptQuestion.shown, QuestionVersion.data)
        .join(QuestionVersion, QuestionVersion.id == AttemptQuestion.question_version_id)
        .where(AttemptQuestion.attempt_id == attempt.id).order_by(AttemptQuestion.position)).all()
    minutes = attempt.policy["time_limit_minutes"]
    answers = []
    for i, (position, qtype, shown, data) in enumerate(rows):
        p = 1 / (1 + math.exp(-(ability - DIFFICULTY.get(data.get("difficulty"), 0.0))))
        at = now + timedelta(seconds=(minutes * 45) * (i + 1) // max(len(rows), 1))
        answers.append((position, QUESTION_TYPES[qtype].sample_values(data, shown, correct=rng.random() < p, rng=rng),
                        at))
    pages.save_answers(attempt_id=attempt.id, user_id=user.id, answers=answers, via="simulation")
    engine.submit_attempt(attempt, now=now + timedelta(seconds=minutes * 50), actor=user)
    report.attempts += 1
    return bool(attempt.passed)


def _local(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), program_timezone()).astimezone(timezone.utc)


CLASS_DAYS = 4  # Monday to Thursday in the classroom; Friday for the week's examinations


def _classroom_week(cohort, week, enrollments, abilities, *, days, rng, instructor) -> None:
    """The week's classroom days: sessions scheduled, attendance taken at the end of each of the first ``days``
    days (now and then someone is late), and the week's practical exercises graded after the last of them."""
    track = cohort.track
    if not track.classroom_hours:
        return
    per_day = round(track.classroom_hours / track.weeks / CLASS_DAYS, 2)
    covers = [i.ref for i in track.items if i.week == week and i.kind in ("module", "exercise")]
    first_day = week_start(cohort, week)
    for offset in range(CLASS_DAYS):
        day = first_day + timedelta(days=offset)
        session = schedule_session(cohort, SessionPlan(f"Week {week}, day {offset + 1}: classroom and practical work",
                                                       day, time(8), time(17), "Academy classroom A", per_day, week,
                                                       covers), actor=instructor, now=_local(first_day, 7))
        if offset >= days:
            continue
        marks = {e.id: Mark("late", rng.choice((10, 15, 20)), "Traffic (simulated)") if rng.random() < 0.04
                 else Mark("present") for e in enrollments}
        record_attendance(session, marks, actor=instructor, now=_local(day, 17))
    exercises = [i.ref for i in track.items if i.week == week and i.kind == "exercise"]
    if days < CLASS_DAYS or not exercises:
        return
    graded_at = _local(first_day + timedelta(days=CLASS_DAYS - 1), 17)
    for slug in exercises:
        exercise = db.session.scalar(select(Exercise).where(Exercise.slug == slug))
        rubric = exercise.current_version.rubric
        for enrollment in enrollments:
            strong = abilities[enrollment.user_id] > 2.0
            scores = {c["id"]: max(level["points"] for level in c["levels"]) if strong or rng.random() < 0.6
                      else sorted(level["points"] for level in c["levels"])[-2] for c in rubric}
            grade = grade_practical(enrollment, exercise, scores=scores, comments="Observed in class (simulated).",
                                    grader=instructor, now=graded_at)
            if not grade.passed:  # practised and graded again
                best = {c["id"]: max(level["points"] for level in c["levels"]) for c in rubric}
                grade_practical(enrollment, exercise, scores=best, comments="Passed on the second try (simulated).",
                                grader=instructor, now=graded_at + timedelta(minutes=30))


def _run_week(cohort, week, trainees, abilities, *, now, rng, report, instructor, exams_too=True):
    """Everyone reads the week's modules and passes its exams (retaking after the cool-down; an
    instructor grants another attempt when they run out). Returns the clock after the week."""
    track = cohort.track
    items = [i for i in track.items if i.week == week]
    for user in trainees:
        enrollments = list(db.session.scalars(select(Enrollment).where(Enrollment.user_id == user.id,
                                                                       Enrollment.cohort_id == cohort.id)))
        for item in items:
            if item.kind == "module":
                access = module_access(enrollments, item.ref, now)
                mark_completed(access, now)
    exams = [i.ref for i in items if i.kind == "exam"] if exams_too else []
    pending = [(u, slug) for u in trainees for slug in exams]
    rounds = 0
    while pending:
        left = []
        for user, slug in pending:
            result = _take(user, slug, abilities[user.id], now=now, rng=rng, report=report)
            if result is None:  # attempts used up: the instructor grants one more
                context = engine.exam_context(user.id, slug, now)  # the enrollment the attempts were taken in
                grant_extra_attempt(context.enrollment, context.exam, reason="Remediation after study (simulated)",
                                    actor=instructor, now=now)
                report.extra_attempts_granted += 1
                left.append((user, slug))
            elif not result:
                abilities[user.id] += 0.4  # studied before the retake
                left.append((user, slug))
        db.session.flush()
        pending = left
        if pending:
            rounds += 1
            now = now + timedelta(hours=49)  # past every cool-down
            if rounds > 20:
                raise RuntimeError("the simulation does not converge")
    return now


def load_fact_sheet(*, as_of: date, seed: int = 2005) -> DemoReport:
    """Create the three agencies, their MOUs and cohorts, and simulate their officers' training up to
    ``as_of``. Flushes; the caller commits. Refuses if the agencies already exist. The simulated history
    notifies no one (its results, certificates and sessions are past)."""
    with silenced():
        return _load_fact_sheet(as_of=as_of, seed=seed)


def _load_fact_sheet(*, as_of: date, seed: int) -> DemoReport:
    if db.session.scalar(select(Agency.id).where(Agency.ori == AGENCIES[0][2])) is not None:
        raise DemoAlreadyLoaded("The fact-sheet program is already loaded.")
    rng = random.Random(seed)
    report = DemoReport()
    # Held for the whole load: the session keeps only what is referenced, and the simulation reads these at
    # every step (each module read would otherwise load its current version again).
    content = (list(db.session.scalars(select(Module).options(selectinload(Module.current_version))))
               + list(db.session.scalars(select(Exercise).options(selectinload(Exercise.current_version)))))
    start_clock = _local(as_of - timedelta(weeks=9), 8)
    instructor = _account(Role.INSTRUCTOR, "instructor@factsheet.example", "Demo Instructor (fact sheet)", None,
                          start_clock)
    staff = _account(Role.STAFF, "staff@factsheet.example", "Demo ICE Program Staff (fact sheet)", None, start_clock)
    serial = 0
    for agency_name, state, ori, kind, contact in AGENCIES:
        agency = create_agency(name=agency_name, state=state, ori=ori, kind=kind,
                               contacts=f"{contact} 287(g) coordinator (sample contact)", actor=staff, now=start_clock)
        model, signed_on, tracks = MOUS[ori]
        mou = create_mou(agency=agency, model=model, signed_on=signed_on, effective_on=signed_on,
                         authorized_functions=FUNCTIONS[ori], track_slugs=tracks, actor=staff, now=start_clock)
        coordinator = _account(Role.COORDINATOR, f"coordinator.{ori.lower()}@factsheet.example",
                               f"Coordinator, {agency_name}", agency, start_clock)
        for group in GROUPS[ori]:
            track = db.session.scalar(select(Track).where(Track.slug == group.track))
            if track is None:
                raise RuntimeError(f"track {group.track} is missing; run `lms content sync` first")
            start = as_of - timedelta(weeks=group.weeks_ago) if group.certified else as_of - timedelta(days=3)
            now = _local(start - timedelta(days=14), 9)
            cohort = cohorts.create_cohort(name=group.cohort, track=track, start_date=start, agencies=[agency],
                                           instructors=[instructor], actor=staff, now=now)
            trainees = []
            for _ in range(group.size):
                serial += 1
                name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
                nominee, problems = check_nominee(
                    mou=mou, name=name, email=f"officer{serial:03d}.{ori.lower()}@factsheet.example",
                    track_slug=track.slug, background_check_on=start - timedelta(days=rng.randint(30, 900)),
                    years_experience=rng.randint(2, 20), citizenship_attested=True, commits_two_years=True,
                    today=start)
                assert not problems, problems
                nomination = nominate(nominee, mou=mou, actor=coordinator, now=now)
                trainees.append(accept_nomination(nomination, cohort, actor=staff, now=now + timedelta(days=2),
                                                  password=None).user)
            abilities = {u.id: rng.gauss(2.3 if group.certified else 1.6, 0.6) for u in trainees}
            enrollments = list(db.session.scalars(select(Enrollment).where(Enrollment.cohort_id == cohort.id)))
            with deferred_issuing():  # each enrollment checked once, after its history
                if group.certified:
                    for week in range(1, track.weeks + 1):
                        _classroom_week(cohort, week, enrollments, abilities, days=CLASS_DAYS, rng=rng,
                                        instructor=instructor)
                        # The week's examinations on its Friday, after the classroom days.
                        day_clock = max(now, _local(week_start(cohort, week) + timedelta(days=CLASS_DAYS), 10))
                        now = _run_week(cohort, week, trainees, abilities, now=day_clock, rng=rng, report=report,
                                        instructor=instructor)
                    report.certified[ori] = report.certified.get(ori, 0) + group.size
                else:  # in week 1: two classroom days and the first modules read; nobody has taken an exam yet
                    _classroom_week(cohort, 1, enrollments, abilities, days=2, rng=rng, instructor=instructor)
                    now = _local(start + timedelta(days=1), 10)
                    _run_week(cohort, 1, trainees, abilities, now=now, rng=rng, report=report, instructor=instructor,
                              exams_too=False)
                    report.in_training[ori] = report.in_training.get(ori, 0) + group.size
            db.session.flush()
    del content
    return report


def _account(role, email, name, agency, now) -> User:
    """A demo account with no usable password (an administrator's reset makes one usable)."""
    return accounts.create_user(email=email, name=name, role=role, password=None, agency=agency, now=now)
