"""The demo set-up that quickstart creates: an agency with an agreement in force for each 287(g) model, a cohort
per course (the Task Force and Warrant Service Officer cohorts under the agreements of their models),
one account per role, so that every demo role can do its main job at once (the coordinator nominates
under the agreement, staff decide, trainees study, the instructor runs the cohorts)."""
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import select

from lms.agencies.agencies import create_agency
from lms.accounts import users as accounts

from lms.cohorts import roster as cohorts

from lms.clock import program_today
from lms.agencies.agreements import attach_mou, create_mou
from lms.models import Agency, Cohort, Mou, Role, Track, User
from lms.extensions import db

DEMO_AGENCY = {"name": "Example County Sheriff's Office (demo)", "state": "VA", "ori": "VA9999900",
               "kind": "Sheriff's office"}
# The demo agency's agreements, one per 287(g) model its demo cohorts study under (every current course;
# effective from the demo cohorts' start): model -> the functions it authorizes.
DEMO_MOUS = {
    "jail_enforcement": [
        "Interrogate persons in custody about their right to be in the United States",
        "Serve warrants of arrest for immigration violations",
        "Prepare charging documents for the signature of an ICE officer",
    ],
    "task_force": [
        "Interrogate persons believed to be aliens about their right to be in the United States, during routine duties",
        "Arrest without a warrant a person likely to escape before a warrant can be obtained (8 U.S.C. 1357(a)(2))",
        "Serve warrants of arrest for immigration violations",
        "Prepare charging documents and records for the review and signature of an ICE officer",
        "Transport arrested persons to ICE-approved facilities",
    ],
    "warrant_service_officer": [
        "Serve and execute ICE administrative warrants (Forms I-200 and I-205) on persons in the agency's jail",
    ],
}
# (cohort name, track, the trainee e-mail enrolled in it, the model of the agreement they are nominated under)
DEMO_COHORTS = [
    ("Demo officer cohort", "officer-basic", "trainee@demo.example", "jail_enforcement"),
    ("Demo custody assistant cohort", "custody-assistant", "custody.trainee@demo.example", "jail_enforcement"),
    ("Demo Task Force cohort", "task-force", "taskforce.trainee@demo.example", "task_force"),
    ("Demo Warrant Service Officer cohort", "warrant-service-officer", "wso.trainee@demo.example",
     "warrant_service_officer"),
]
DEMO_ACCOUNTS = [
    (Role.TRAINEE, "trainee@demo.example", "Dana Trainee"),
    (Role.TRAINEE, "custody.trainee@demo.example", "Cruz Custody"),
    (Role.TRAINEE, "taskforce.trainee@demo.example", "Tate Taskforce"),
    (Role.TRAINEE, "wso.trainee@demo.example", "Wes Warrant"),
    (Role.INSTRUCTOR, "instructor@demo.example", "Ian Instructor"),
    (Role.COORDINATOR, "coordinator@demo.example", "Cora Coordinator"),
    (Role.STAFF, "staff@demo.example", "Sam Staff"),
    (Role.ADMIN, "admin@demo.example", "Ada Admin"),
]


@dataclass
class DemoSetup:
    """What seeding created; passwords only for accounts created in this run."""

    new_accounts: list[tuple[str, str, str]] = field(default_factory=list)  # role, email, password
    existing_accounts: list[tuple[str, str]] = field(default_factory=list)
    cohorts: list[Cohort] = field(default_factory=list)
    mou: Mou | None = None  # the Jail Enforcement agreement (the officer and custody cohorts study under it)


def _demo_mou(agency: Agency, model: str, *, now) -> Mou:
    """The demo agency's agreement of this model: the one it has, or one recorded now, in force from last week."""
    mou = db.session.scalar(
        select(Mou).where(Mou.agency_id == agency.id, Mou.model == model).order_by(Mou.id).limit(1))
    if mou is None:
        since = program_today(now) - timedelta(days=8)
        mou = create_mou(agency=agency, model=model, signed_on=since, effective_on=since, now=now,
                         authorized_functions=DEMO_MOUS[model])
    return mou


def seed_demo(*, now) -> DemoSetup:
    """Create the demo agency and its agreement, the cohorts and the accounts if missing (idempotent).
    Caller commits."""
    result = DemoSetup()
    agency = db.session.scalar(select(Agency).where(Agency.ori == DEMO_AGENCY["ori"]))
    if agency is None:
        agency = create_agency(**DEMO_AGENCY, now=now)
    mous = {model: _demo_mou(agency, model, now=now) for model in DEMO_MOUS}
    result.mou = mous["jail_enforcement"]
    users: dict[str, User] = {}
    for role, email, name in DEMO_ACCOUNTS:
        user = db.session.scalar(select(User).where(User.email == email))
        if user is None:
            password = accounts.generate_password(email=email, name=name)
            user = accounts.create_user(
                email=email, name=name, role=role, password=password,
                agency=agency if role in (Role.TRAINEE, Role.COORDINATOR) else None, now=now,
            )
            result.new_accounts.append((role.value, email, password))
        else:
            result.existing_accounts.append((role.value, email))
        users[email] = user
    instructor = users["instructor@demo.example"]
    for name, track_slug, trainee_email, model in DEMO_COHORTS:
        track = db.session.scalar(select(Track).where(Track.slug == track_slug))
        cohort = db.session.scalar(select(Cohort).where(Cohort.name == name))
        if cohort is None and track is not None:
            # Started last week, so weeks 1 and 2 are open on the first visit; the instructor
            # can open later weeks early from the cohort page.
            start = program_today(now) - timedelta(days=8)
            cohort = cohorts.create_cohort(name=name, track=track, start_date=start, agencies=[agency],
                                           instructors=[instructor], now=now)
        if cohort is not None:
            enrollment = cohorts.enroll(users[trainee_email], cohort, now=now)
            if enrollment.mou_id is None and mous[model].terminated_at is None:
                attach_mou(enrollment, mous[model], now=now)  # nominated under the agreement, as the program does
            result.cohorts.append(cohort)
    return result
