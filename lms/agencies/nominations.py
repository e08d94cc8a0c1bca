"""Nominations: a coordinator puts an officer of their agency forward for a track under the agency's
agreement, with the eligibility facts the program asks for; ICE staff accept (the account is created
if needed and the officer enrolled in a cohort under the MOU) or decline with a reason. Rosters come
in as CSV files, validated row by row before anything is imported. Every step is audited.
"""
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from lms.accounts import users as accounts

from lms.cohorts import roster as cohorts
from lms.agencies.agreements import AgreementError, attach_mou, enrolled_under
from lms.audit import record_event
from lms.clock import add_years
from lms.extensions import db
from lms.inputs import identity_problem
from lms.clock import program_today
from lms.models import Cohort, Mou, Nomination, Role, Track, User
from lms.models.nomination import ACCEPTED, DECLINED, PENDING
from lms.uploads import DOCUMENT_TYPES, store_upload
from lms.signals import nomination_decided

BACKGROUND_CHECK_YEARS = 5
YES, NO = {"yes", "y", "true", "1", "x"}, {"no", "n", "false", "0", ""}


class NominationError(ValueError):
    """A nomination request that cannot be carried out, with a message for the user."""


@dataclass
class Nominee:
    """A nominee's details and eligibility facts, checked."""

    name: str
    email: str
    track: Track
    background_check_on: date
    years_experience: int
    citizenship_attested: bool
    commits_two_years: bool
    notes: str | None = None


def tracks_for(mou: Mou) -> list[Track]:
    """The tracks the agreement's people take (every current, non-refresher track if it names none)."""
    query = select(Track).where(Track.retired_at.is_(None)).order_by(Track.title)
    if mou.track_slugs:
        return list(db.session.scalars(query.where(Track.slug.in_(mou.track_slugs))))
    return list(db.session.scalars(query.where(Track.refresher_of.is_(None))))


def check_nominee(*, mou: Mou, name, email, track_slug, background_check_on, years_experience,
                  citizenship_attested, commits_two_years, notes=None, today: date,
                  tracks: list[Track] | None = None) -> tuple[Nominee | None, list[str]]:
    """Validate one nominee against the program's eligibility rules; returns the nominee or the reasons.

    ``tracks``: the MOU's ``tracks_for``, when the caller checks many rows and has read them once."""
    problems = []
    name, email = (name or "").strip(), accounts.normalize_email(email)
    if not name:
        problems.append("the name is missing")
    elif len(name) > 200:
        problems.append("the name is longer than 200 characters")
    if not email or "@" not in email or " " in email or len(email) > 254:
        problems.append("the e-mail address is not valid")
    problems += filter(None, (identity_problem(name, "the name"), identity_problem(email, "the e-mail address")))
    track = next((t for t in (tracks_for(mou) if tracks is None else tracks)
                  if t.slug == (track_slug or "").strip()), None)
    if track is None:
        problems.append(f"track '{track_slug}' is not one this agreement's people take")
    if not isinstance(background_check_on, date):
        problems.append("the background check date is missing or not a date (YYYY-MM-DD)")
    elif background_check_on > today:
        problems.append("the background check date is in the future")
    elif add_years(background_check_on, BACKGROUND_CHECK_YEARS) < today:
        problems.append(f"the background check is older than {BACKGROUND_CHECK_YEARS} years")
    if not isinstance(years_experience, int) or not 0 <= years_experience <= 60:
        problems.append("years of experience must be a whole number from 0 to 60")
    if citizenship_attested is not True:
        problems.append("U.S. citizenship is not attested")
    if commits_two_years is not True:
        problems.append("the commitment to serve two years in the role is not given")
    if problems:
        return None, problems
    return Nominee(name, email, track, background_check_on, years_experience, True, True,
                   (notes or "").strip()[:2000] or None), []


def check_mou_open(mou: Mou, agency_id: int, today: date) -> None:
    if mou.agency_id != agency_id:
        raise NominationError("This agreement belongs to another agency.")
    if not mou.is_in_force(today):
        raise NominationError(f"MOU {mou.id} is not in force; no one can be nominated under it.")


def is_duplicate(email: str, track_id: int, agency_id: int) -> bool:
    return db.session.scalar(select(Nomination.id).where(
        Nomination.email == email, Nomination.track_id == track_id, Nomination.agency_id == agency_id,
        Nomination.status == PENDING)) is not None


def nominate(nominee: Nominee, *, mou: Mou, actor, now, evidence=None, source="form") -> Nomination:
    """Record a nomination (pending a staff decision), with optional evidence (PDF or image)."""
    check_mou_open(mou, mou.agency_id, program_today(now))
    if actor is not None and actor.has_role(Role.COORDINATOR) and actor.agency_id != mou.agency_id:
        raise NominationError("Coordinators nominate people of their own agency only.")
    if is_duplicate(nominee.email, nominee.track.id, mou.agency_id):
        raise NominationError(f"{nominee.email} already has a nomination for this track awaiting a decision.")
    nomination = Nomination(
        agency_id=mou.agency_id, mou_id=mou.id, track_id=nominee.track.id, name=nominee.name, email=nominee.email,
        citizenship_attested=True, background_check_on=nominee.background_check_on,
        years_experience=nominee.years_experience, commits_two_years=True, notes=nominee.notes, source=source,
        status=PENDING, nominated_by_id=getattr(actor, "id", None), nominated_at=now)
    if evidence is not None and getattr(evidence, "filename", None):
        stored = store_upload(evidence, kind="evidence", allowed=DOCUMENT_TYPES)
        nomination.evidence_name, nomination.evidence_stored = stored.original_name, stored.stored_name
        nomination.evidence_type = stored.content_type
    db.session.add(nomination)
    db.session.flush()
    record_event("nomination.create", actor=actor, obj=nomination, now=now, details={
        "agency_id": mou.agency_id, "mou_id": mou.id, "track": nominee.track.slug, "email": nominee.email,
        "background_check_on": nominee.background_check_on.isoformat(), "years_experience": nominee.years_experience,
        "source": source, "evidence": nomination.evidence_name})
    return nomination


def cohorts_for(nomination: Nomination) -> list[Cohort]:
    """Cohorts a nomination can be enrolled in: its track, open to its agency (or to any agency)."""
    rows = db.session.scalars(select(Cohort).where(Cohort.track_id == nomination.track_id)
                              .order_by(Cohort.start_date.desc(), Cohort.name))
    return [c for c in rows if c.is_open_to(nomination.agency_id)]


@dataclass
class Acceptance:
    """An accepted nomination: the enrollment, and the new account's temporary password if one was made."""

    nomination: Nomination
    user: User
    temporary_password: str | None


def accept_nomination(nomination: Nomination, cohort: Cohort, *, actor, now, password: str | None = "generate"
                      ) -> Acceptance:
    """Accept: create the trainee's account if needed, enroll them in the cohort under the nomination's MOU.

    ``password``: "generate" (a temporary one the trainee must change), a given one, or None (no usable
    password; simulated demo trainees)."""
    if nomination.status != PENDING:
        raise NominationError(f"This nomination was already {nomination.status}.")
    mou = nomination.mou
    check_mou_open(mou, nomination.agency_id, program_today(now))
    if cohort.track_id != nomination.track_id:
        raise NominationError("The cohort runs another track than the one the officer was nominated for.")
    if cohort not in cohorts_for(nomination):
        raise NominationError(f"Cohort {cohort.name} is not open to this agency.")
    if mou.officer_cap is not None and enrolled_under(mou) >= mou.officer_cap:
        raise NominationError(f"MOU {mou.id} is at its cap of {mou.officer_cap} officers.")
    user = db.session.scalar(select(User).where(User.email == nomination.email))
    temporary = None
    if user is None:
        temporary = (accounts.generate_password(email=nomination.email, name=nomination.name)
                     if password == "generate" else password)
        user = accounts.create_user(email=nomination.email, name=nomination.name, role=Role.TRAINEE,
                                    password=temporary, agency=nomination.agency, actor=actor, now=now,
                                    must_change_password=password == "generate")
    elif not user.has_role(Role.TRAINEE) or user.agency_id != nomination.agency_id:
        raise NominationError(f"{user.email} already has an account that is not a trainee of this agency.")
    try:
        enrollment = cohorts.enroll(user, cohort, actor=actor, now=now)
        attach_mou(enrollment, mou, actor=actor, now=now)
    except (cohorts.CohortError, AgreementError) as error:
        raise NominationError(str(error)) from None
    nomination.status, nomination.decided_by_id, nomination.decided_at = ACCEPTED, getattr(actor, "id", None), now
    nomination.user_id, nomination.enrollment_id = user.id, enrollment.id
    db.session.flush()
    record_event("nomination.accept", actor=actor, obj=nomination, now=now, details={
        "user_id": user.id, "account_created": temporary is not None or password is None,
        "cohort_id": cohort.id, "enrollment_id": enrollment.id, "mou_id": mou.id})
    nomination_decided.send(nomination, now=now)
    return Acceptance(nomination, user, temporary)


def decline_nomination(nomination: Nomination, *, reason: str, actor, now) -> Nomination:
    """Decline a pending nomination, with the reason the coordinator will see."""
    reason = (reason or "").strip()
    if not reason:
        raise NominationError("Give the reason for declining.")
    if nomination.status != PENDING:
        raise NominationError(f"This nomination was already {nomination.status}.")
    nomination.status, nomination.decision_reason = DECLINED, reason[:2000]
    nomination.decided_by_id, nomination.decided_at = getattr(actor, "id", None), now
    db.session.flush()
    record_event("nomination.decline", actor=actor, obj=nomination, now=now, details={"reason": reason[:2000]})
    nomination_decided.send(nomination, now=now)
    return nomination


def nominations_for(*, agency_id: int | None = None, status: str | None = None) -> list[Nomination]:
    """Nominations, newest first; one agency's only when ``agency_id`` is given."""
    query = select(Nomination).order_by(Nomination.nominated_at.desc(), Nomination.id.desc())
    if agency_id is not None:
        query = query.where(Nomination.agency_id == agency_id)
    if status:
        query = query.where(Nomination.status == status)
    return list(db.session.scalars(query.limit(500)))


# -- CSV rosters ---------------------------------------------------------------------------------


