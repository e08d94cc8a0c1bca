"""What an instructor does to run a cohort besides opening weeks: enroll trainees who have accounts, one by
one or from a CSV roster (every row checked first, nothing enrolled from a file with a bad row), and post
notices that the cohort's trainees see on their course page.

New officers (no account yet) come through a nomination, which staff accept (lms/agencies/); an enrollment
roster that creates accounts is staff's (``rosters.import_enrollments``). The CSV file is read by
``lms.spreadsheets.csv_rows``, the reader the agencies' rosters use.
"""
from dataclasses import dataclass, field

from sqlalchemy import select

from lms.accounts.users import normalize_email
from lms.audit import record_event
from lms.cohorts.roster import CohortError, enroll
from lms.extensions import db
from lms.inputs import describe, text_problem
from lms.markdown import render_markdown
from lms.models import Cohort, CohortNotice, Enrollment, Role, User
from lms.spreadsheets import CheckedRows, check_rows

ROSTER_COLUMNS = ["email"]
OPTIONAL_COLUMNS = ["name"]  # for the instructor's eyes; the account's own name is kept
MAX_ROSTER_BYTES = 256 * 1024
MAX_ROSTER_ROWS = 500
READING = {"columns": ROSTER_COLUMNS, "optional": OPTIONAL_COLUMNS, "max_bytes": MAX_ROSTER_BYTES,
           "max_rows": MAX_ROSTER_ROWS}
MAX_NOTICE_CHARS = 5000


def enrollment_problems(cohort: Cohort, email: str, user: User | None) -> list[str]:
    """Why the person with ``email`` cannot be enrolled in the cohort (nothing when they can)."""
    if not email:
        return ["no e-mail address"]
    if user is None:
        return [f"no account for {email} (an officer without one is nominated, and staff enroll them)"]
    if not user.has_role(Role.TRAINEE):
        return [f"{email} is not a trainee's account"]
    if user.disabled_at is not None:
        return [f"{email}'s account is disabled"]
    if not cohort.is_open_to(user.agency_id):
        return [f"{email}'s agency is not one of this cohort's agencies"]
    if db.session.scalar(select(Enrollment.id).where(Enrollment.user_id == user.id,
                                                     Enrollment.cohort_id == cohort.id)) is not None:
        return [f"{email} is already enrolled in this cohort"]
    return []


def _account(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == email)) if email else None


def enroll_by_email(cohort: Cohort, email: str, *, actor, now) -> Enrollment:
    """Enroll one trainee who has an account; CohortError says why not."""
    email = normalize_email(email)
    user = _account(email)
    problems = enrollment_problems(cohort, email, user)
    if problems:
        raise CohortError(f"Not enrolled: {'; '.join(problems)}.")
    return enroll(user, cohort, actor=actor, now=now)


@dataclass
class CohortRosterReport(CheckedRows):
    """A cohort roster checked, and what was enrolled from it (nothing when a row is bad)."""

    good: list[tuple[int, User]] = field(default_factory=list)
    enrolled: list[Enrollment] = field(default_factory=list)


def read_cohort_roster(data: bytes, cohort: Cohort) -> CohortRosterReport:
    """Check every row of a CSV roster (a column ``email``, perhaps ``name``); nothing is written."""
    seen: dict[str, int] = {}

    def check(line, row):
        email = normalize_email(row["email"])
        user = _account(email)
        problems = [f"the same person as line {seen[email]}"] if email in seen else \
            enrollment_problems(cohort, email, user)
        if not problems:
            seen[email] = line
        return user, problems

    return check_rows(data, check, CohortRosterReport(), **READING)


def enroll_roster(data: bytes, cohort: Cohort, *, actor, now) -> CohortRosterReport:
    """Enroll every trainee a CSV roster names, or nobody when any row is bad (each bad row reported with
    its line and reasons). One ``cohort.roster_import`` event, plus one per enrollment."""
    report = read_cohort_roster(data, cohort)
    if report.file_error or report.errors:
        record_event("cohort.roster_import", actor=actor, obj=cohort, now=now, outcome="denied", details={
            "file_error": report.file_error, "bad_lines": [e.line for e in report.errors], "enrolled": 0})
        return report
    report.enrolled = [enroll(user, cohort, actor=actor, now=now) for _, user in report.good]
    record_event("cohort.roster_import", actor=actor, obj=cohort, now=now, details={"enrolled": len(report.enrolled)})
    return report


def post_notice(cohort: Cohort, body: str, *, actor, now) -> CohortNotice:
    """Post a notice (Markdown, rendered and sanitized once) on the cohort's page and its trainees' course page."""
    body = (body or "").strip()
    if not body:
        raise CohortError("Write the notice first.")
    if len(body) > MAX_NOTICE_CHARS:
        raise CohortError(f"A notice holds at most {MAX_NOTICE_CHARS} characters; this one has {len(body)}.")
    if (char := text_problem(body)) is not None:
        raise CohortError(f"The notice contains a control character, {describe(char)}; type it again without it.")
    notice = CohortNotice(cohort_id=cohort.id, body_md=body, body_html=render_markdown(body), posted_by_id=actor.id,
                          posted_at=now)
    db.session.add(notice)
    db.session.flush()
    record_event("cohort.notice", actor=actor, obj=cohort, now=now, details={"notice_id": notice.id,
                                                                            "characters": len(body)})
    return notice
