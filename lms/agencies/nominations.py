"""Nominations: a coordinator puts an officer of their agency forward for a track under the agency's
agreement, with the eligibility facts the program asks for; ICE staff accept (the account is created
if needed and the officer enrolled in a cohort under the MOU) or decline with a reason. Rosters come
in as CSV files, validated row by row before anything is imported. Every step is audited.
"""
import csv
import io
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select

from lms.accounts import users as accounts

from lms.cohorts import roster as cohorts
from lms.agencies.agreements import AgreementError, attach_mou, enrolled_under
from lms.audit import record_event
from lms.clock import add_years
from lms.extensions import db
from lms.inputs import describe, identity_problem, text_problem
from lms.clock import program_today
from lms.models import Cohort, Enrollment, Mou, Nomination, Role, Track, User
from lms.models.nomination import ACCEPTED, DECLINED, PENDING
from lms.uploads import DOCUMENT_TYPES, store_upload

BACKGROUND_CHECK_YEARS = 5
MAX_ROSTER_BYTES = 1024 * 1024
MAX_ROSTER_ROWS = 2000
ROSTER_COLUMNS = ["name", "email", "track", "background_check_on", "years_experience", "citizenship_attested",
                  "commits_two_years"]
OPTIONAL_COLUMNS = ["notes"]
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
    track = next((t for t in (tracks_for(mou) if tracks is None else tracks) if t.slug == (track_slug or "").strip()), None)
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


def _check_mou_open(mou: Mou, agency_id: int, today: date) -> None:
    if mou.agency_id != agency_id:
        raise NominationError("This agreement belongs to another agency.")
    if not mou.is_in_force(today):
        raise NominationError(f"MOU {mou.id} is not in force; no one can be nominated under it.")


def _duplicate(email: str, track_id: int, agency_id: int) -> bool:
    return db.session.scalar(select(Nomination.id).where(
        Nomination.email == email, Nomination.track_id == track_id, Nomination.agency_id == agency_id,
        Nomination.status == PENDING)) is not None


def nominate(nominee: Nominee, *, mou: Mou, actor, now, evidence=None, source="form") -> Nomination:
    """Record a nomination (pending a staff decision), with optional evidence (PDF or image)."""
    _check_mou_open(mou, mou.agency_id, program_today(now))
    if actor is not None and actor.has_role(Role.COORDINATOR) and actor.agency_id != mou.agency_id:
        raise NominationError("Coordinators nominate people of their own agency only.")
    if _duplicate(nominee.email, nominee.track.id, mou.agency_id):
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
    _check_mou_open(mou, nomination.agency_id, program_today(now))
    if cohort.track_id != nomination.track_id:
        raise NominationError("The cohort runs another track than the one the officer was nominated for.")
    if cohort not in cohorts_for(nomination):
        raise NominationError(f"Cohort {cohort.name} is not open to this agency.")
    if mou.officer_cap is not None and enrolled_under(mou) >= mou.officer_cap:
        raise NominationError(f"MOU {mou.id} is at its cap of {mou.officer_cap} officers.")
    user = db.session.scalar(select(User).where(User.email == nomination.email))
    temporary = None
    if user is None:
        temporary = accounts.generate_password() if password == "generate" else password
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


@dataclass
class RowError:
    """A bad row of a roster: its line in the file and why."""

    line: int
    reasons: list[str]

    def __str__(self) -> str:
        return f"line {self.line}: " + "; ".join(self.reasons)


@dataclass
class RosterReport:
    """The outcome of importing a roster."""

    good: list[tuple[int, Nominee]] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    imported: list[Nomination] = field(default_factory=list)
    enrolled: list["Acceptance"] = field(default_factory=list)  # an enrollment import's accepted rows
    file_error: str | None = None

    @property
    def refused(self) -> bool:
        """Nothing was imported because the file (or a row of it) was bad."""
        return not self.imported


def _flag(value: str):
    value = (value or "").strip().lower()
    return True if value in YES else False if value in NO else None


def _date(value: str):
    try:
        return date.fromisoformat((value or "").strip())
    except ValueError:
        return None


def _int(value: str):
    value = (value or "").strip()
    return int(value) if value.isdigit() else None


def read_roster(data: bytes, *, mou: Mou, today: date, cohort: Cohort | None = None) -> RosterReport:
    """Validate every row of a CSV roster (header: ROSTER_COLUMNS, optional notes); nothing is written.

    With ``cohort`` (an enrollment import), each row must also be enrollable in it: the cohort's track, no
    account of another kind or agency, not already enrolled, within the MOU's officer cap.
    Lines are numbered as in the file (the header is line 1)."""
    report = RosterReport()
    if len(data) > MAX_ROSTER_BYTES:
        report.file_error = f"The file is larger than {MAX_ROSTER_BYTES // 1024} KB."
        return report
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        report.file_error = "The file is not UTF-8 text; save it from the spreadsheet as CSV UTF-8."
        return report
    refused = text_problem(text)
    if refused:
        line = text.count("\n", 0, text.index(refused)) + 1
        report.file_error = (f"line {line}: the file contains a control character, {describe(refused)}, that no "
                             "field accepts; remove it and upload the file again.")
        return report
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        report.file_error = "The file is empty."
        return report
    except csv.Error as error:
        report.file_error = f"line 1: not a readable CSV header ({error})."
        return report
    missing = [c for c in ROSTER_COLUMNS if c not in header]
    unknown = [c for c in header if c not in ROSTER_COLUMNS + OPTIONAL_COLUMNS]
    if missing or unknown:
        report.file_error = ("line 1: the header must name the columns " + ", ".join(ROSTER_COLUMNS)
                             + (f" (missing: {', '.join(missing)})" if missing else "")
                             + (f" (unknown: {', '.join(unknown)})" if unknown else "") + ".")
        return report
    seen: dict[tuple[str, str], int] = {}
    places = None
    if cohort is not None and mou.officer_cap is not None:
        places = max(mou.officer_cap - enrolled_under(mou), 0)
    tracks = tracks_for(mou)  # read once, not once per row
    rows = 0
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            report.errors.append(RowError(reader.line_num, [f"not readable as CSV ({error})"]))
            break
        line = reader.line_num
        if not any(c.strip() for c in cells):
            continue  # blank lines are not rows
        rows += 1
        if rows > MAX_ROSTER_ROWS:
            report.file_error = f"The file has more than {MAX_ROSTER_ROWS} rows; split it."
            return report
        if len(cells) != len(header):
            report.errors.append(RowError(line, [f"expected {len(header)} cells, found {len(cells)}"]))
            continue
        row = dict(zip(header, cells))
        nominee, problems = check_nominee(
            mou=mou, name=row["name"], email=row["email"], track_slug=row["track"],
            background_check_on=_date(row["background_check_on"]), years_experience=_int(row["years_experience"]),
            citizenship_attested=_flag(row["citizenship_attested"]), commits_two_years=_flag(row["commits_two_years"]),
            notes=row.get("notes"), today=today, tracks=tracks)
        if nominee is not None:
            key = (nominee.email, nominee.track.slug)
            if key in seen:
                problems = [f"the same person and track as line {seen[key]}"]
            elif _duplicate(nominee.email, nominee.track.id, mou.agency_id):
                problems = ["already nominated for this track, awaiting a decision"]
            elif cohort is not None:
                problems = _enrollment_problems(nominee, mou, cohort)
            if not problems and places is not None:
                if places <= 0:
                    problems = [f"over MOU {mou.id}'s cap of {mou.officer_cap} officers"]
                else:
                    places -= 1
            if not problems:
                seen[key] = line
        if problems:
            report.errors.append(RowError(line, problems))
        else:
            report.good.append((line, nominee))
    if not report.good and not report.errors:
        report.file_error = "The file has a header but no rows."
    return report


def _enrollment_problems(nominee: Nominee, mou: Mou, cohort: Cohort) -> list[str]:
    """Why a checked nominee could not be enrolled in the cohort under the MOU (nothing if they can)."""
    if nominee.track.id != cohort.track_id:
        return [f"track '{nominee.track.slug}' is not the cohort's track ({cohort.track.slug})"]
    user = db.session.scalar(select(User).where(User.email == nominee.email))
    if user is None:
        return []
    if not user.has_role(Role.TRAINEE) or user.agency_id != mou.agency_id:
        return ["already has an account that is not a trainee of this agency"]
    if db.session.scalar(select(Enrollment.id).where(Enrollment.user_id == user.id,
                                                     Enrollment.cohort_id == cohort.id)) is not None:
        return ["already enrolled in this cohort"]
    return []


def import_roster(data: bytes, *, mou: Mou, only_good_rows: bool, actor, now) -> RosterReport:
    """Validate a roster, then nominate its rows: all of them, or none if any row is bad unless
    ``only_good_rows``. One audit event for the import (with the bad lines), one per nomination."""
    today = program_today(now)
    _check_mou_open(mou, mou.agency_id, today)
    report = read_roster(data, mou=mou, today=today)
    if report.file_error or (report.errors and not only_good_rows):
        record_event("nomination.import", actor=actor, obj=mou, now=now, outcome="denied", details={
            "file_error": report.file_error, "bad_lines": [e.line for e in report.errors], "imported": 0})
        return report
    for _, nominee in report.good:
        report.imported.append(nominate(nominee, mou=mou, actor=actor, now=now, source="csv"))
    record_event("nomination.import", actor=actor, obj=mou, now=now, details={
        "imported": len(report.imported), "bad_lines": [e.line for e in report.errors],
        "only_good_rows": only_good_rows})
    return report


def check_cohort_for(mou: Mou, cohort: Cohort) -> None:
    """Raise NominationError unless the cohort runs one of the MOU's tracks and is open to its agency."""
    if cohort.track_id not in {t.id for t in tracks_for(mou)}:
        raise NominationError(f"Cohort {cohort.name} runs a track that MOU {mou.id}'s people do not take.")
    if not cohort.is_open_to(mou.agency_id):
        raise NominationError(f"Cohort {cohort.name} is not open to {mou.agency.name}.")


def import_enrollments(data: bytes, *, mou: Mou, cohort: Cohort, only_good_rows: bool, actor, now,
                       password: str | None = "generate") -> RosterReport:
    """Staff enroll a roster in a cohort under an MOU: the rows are validated as a nomination roster is
    (plus: enrollable in the cohort), then each row is nominated and accepted at once, so the account is
    created if needed (a temporary password, in ``report.enrolled``) and the enrollment attached to the MOU.
    Nothing is imported from a file with a bad row unless ``only_good_rows``. One ``enrollment.import``
    event (with the bad lines), plus the events of each nomination, account and enrollment."""
    today = program_today(now)
    _check_mou_open(mou, mou.agency_id, today)
    check_cohort_for(mou, cohort)
    report = read_roster(data, mou=mou, today=today, cohort=cohort)
    if report.file_error or (report.errors and not only_good_rows):
        record_event("enrollment.import", actor=actor, obj=cohort, now=now, outcome="denied", details={
            "mou_id": mou.id, "file_error": report.file_error, "bad_lines": [e.line for e in report.errors],
            "imported": 0})
        return report
    for _, nominee in report.good:
        nomination = nominate(nominee, mou=mou, actor=actor, now=now, source="csv")
        report.imported.append(nomination)
        report.enrolled.append(accept_nomination(nomination, cohort, actor=actor, now=now, password=password))
    record_event("enrollment.import", actor=actor, obj=cohort, now=now, details={
        "mou_id": mou.id, "imported": len(report.enrolled), "bad_lines": [e.line for e in report.errors],
        "accounts_created": sum(1 for a in report.enrolled if a.temporary_password), "only_good_rows": only_good_rows})
    return report
