"""Rosters: an agency's nominations, or a cohort's enrollments, imported from a CSV file, checked row by row."""
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select

from lms.agencies.agreements import enrolled_under
from lms.agencies.nominations import (
    NO, YES, Acceptance, NominationError, Nominee, check_mou_open, is_duplicate,
    accept_nomination, check_nominee, nominate,
    tracks_for,
)
from lms.audit import record_event
from lms.clock import program_today
from lms.extensions import db
from lms.models import Cohort, Enrollment, Mou, Nomination, Role, User
from lms.spreadsheets import CheckedRows, check_rows


MAX_ROSTER_BYTES = 1024 * 1024


MAX_ROSTER_ROWS = 2000


ROSTER_COLUMNS = ["name", "email", "track", "background_check_on", "years_experience", "citizenship_attested",
                  "commits_two_years"]


OPTIONAL_COLUMNS = ["notes"]
READING = {"columns": ROSTER_COLUMNS, "optional": OPTIONAL_COLUMNS, "max_bytes": MAX_ROSTER_BYTES,
           "max_rows": MAX_ROSTER_ROWS}


@dataclass
class RosterReport(CheckedRows):
    """The outcome of importing a roster."""

    good: list[tuple[int, Nominee]] = field(default_factory=list)
    imported: list[Nomination] = field(default_factory=list)
    enrolled: list["Acceptance"] = field(default_factory=list)  # an enrollment import's accepted rows

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
    seen: dict[tuple[str, str], int] = {}
    places = None
    if cohort is not None and mou.officer_cap is not None:
        places = max(mou.officer_cap - enrolled_under(mou), 0)
    tracks = tracks_for(mou)  # read once, not once per row

    def check(line, row):
        nonlocal places
        nominee, problems = check_nominee(
            mou=mou, name=row["name"], email=row["email"], track_slug=row["track"],
            background_check_on=_date(row["background_check_on"]), years_experience=_int(row["years_experience"]),
            citizenship_attested=_flag(row["citizenship_attested"]),
            commits_two_years=_flag(row["commits_two_years"]), notes=row.get("notes"), today=today, tracks=tracks)
        if nominee is not None:
            key = (nominee.email, nominee.track.slug)
            if key in seen:
                problems = [f"the same person and track as line {seen[key]}"]
            elif is_duplicate(nominee.email, nominee.track.id, mou.agency_id):
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
        return nominee, problems

    return check_rows(data, check, RosterReport(), **READING)


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
    check_mou_open(mou, mou.agency_id, today)
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
    check_mou_open(mou, mou.agency_id, today)
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
