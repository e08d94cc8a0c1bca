"""The training record: a trainee's transcript (online hours, classroom hours attended, practical results,
exam results) as a PDF rendered like the certificate, and a cohort's record as CSV or XLSX in a POST-style
layout (officer, agency, course, dates, hours by kind, results), every cell made safe by lms.spreadsheets.
Both downloads are audited. The transcript reads the live record; the certificate's frozen snapshot is
the record at issue."""
import hashlib
from dataclasses import dataclass
from datetime import timedelta
from typing import Iterator

from flask import render_template

from lms.audit import record_event
from lms.certification.issue import Requirements, certification_of, requirements
from lms.certification.pdf import html_to_pdf
from lms.clock import program_today
from lms.cohorts.roster import visible_enrollments
from lms.models import Cohort, Enrollment
from lms.spreadsheets import csv_chunks, xlsx_chunks

FORMATS = {"csv": "text/csv; charset=utf-8",
           "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
HEADER = ["Officer", "Agency", "ORI", "Course", "Cohort", "Start date", "End date", "Online hours",
          "Classroom hours attended", "Classroom hours required", "Total hours", "Practical exercises passed",
          "Examinations passed", "Result", "Certificate number"]


@dataclass
class Transcript:
    """Everything a transcript shows for one enrollment."""

    enrollment: Enrollment
    reqs: Requirements
    certification: object  # Certification | None

    @property
    def end_date(self):
        """The day the course ended for this trainee: certified, else the cohort's last scheduled day."""
        if self.certification is not None:
            return self.certification.issued_on
        cohort = self.enrollment.cohort
        return cohort.start_date + timedelta(weeks=cohort.track.weeks) - timedelta(days=3)

    @property
    def result(self) -> str:
        if self.certification is not None:
            return "Certified"
        return "Withdrawn" if self.enrollment.status == "withdrawn" else "In training"


def transcript_of(enrollment: Enrollment) -> Transcript:
    """The enrollment's transcript, read now."""
    return Transcript(enrollment, requirements(enrollment), certification_of(enrollment))


def transcript_pdf(enrollment: Enrollment, *, actor, now) -> bytes:
    """The transcript as a tagged PDF (audited)."""
    record = transcript_of(enrollment)
    html = render_template("pdf/transcript.html", t=record, today=program_today(now))
    identifier = hashlib.sha256(f"transcript:{enrollment.id}:{now.isoformat()}".encode()).hexdigest()[:32]
    pdf = html_to_pdf(html, identifier=identifier.encode())
    record_event("transcript.download", actor=actor, obj=enrollment, now=now, details={"user_id": enrollment.user_id})
    return pdf


def record_row(t: Transcript) -> tuple:
    """One trainee's row of the cohort's training record."""
    e, h = t.enrollment, t.reqs.hours
    user, cohort = e.user, e.cohort
    practicals = t.reqs.practicals
    exams_passed = sum(1 for _, _, a in t.reqs.exams if a is not None)
    return (user.name, user.agency.name if user.agency else "", user.agency.ori if user.agency else "",
            cohort.track.title, cohort.name, cohort.start_date, t.end_date, h.online, h.classroom,
            h.required if h.required is not None else "", round(h.online + h.classroom, 2),
            f"{sum(1 for r in practicals if r.passed)} of {len(practicals)}",
            f"{exams_passed} of {len(t.reqs.exams)}", t.result,
            t.certification.number if t.certification else "")


def record_chunks(cohort: Cohort, fmt: str, *, viewer, now, progress=None) -> Iterator[bytes]:
    """The cohort's training record as CSV or XLSX chunks (a coordinator sees their agency's people only);
    audited when the first chunk is asked for. ``progress`` (an export job's) is told (rows done, rows in
    all) as each row is read."""
    if fmt not in FORMATS:
        raise ValueError(f"Unknown format {fmt!r}; use csv or xlsx.")
    enrollments = visible_enrollments(cohort, viewer)
    record_event("transcript.export", actor=viewer, obj=cohort, now=now,
                 details={"format": fmt, "rows": len(enrollments)})

    def rows():
        for done, enrollment in enumerate(enrollments):
            if progress is not None:
                progress(done, len(enrollments))
            yield record_row(transcript_of(enrollment))
        if progress is not None:
            progress(len(enrollments), len(enrollments))

    if fmt == "csv":
        yield from csv_chunks(HEADER, rows())
    else:
        yield from xlsx_chunks(HEADER, rows(), title="Training record", widths=[28, 28, 12, 40, 24] + [14] * 10)


def cohort_record(cohort: Cohort, fmt: str, *, viewer, now) -> tuple[bytes, str]:
    """The cohort's training record as CSV or XLSX (a coordinator sees their agency's people only); audited."""
    return b"".join(record_chunks(cohort, fmt, viewer=viewer, now=now)), FORMATS[fmt]


def record_filename(cohort: Cohort, fmt: str) -> str:
    """The training record's file name."""
    return f"training-record-{cohort.id}.{fmt}"
