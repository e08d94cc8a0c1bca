"""Certification on a blended track: withheld until every exercise is passed and the attendance met, issued in
the transaction of whichever step completes the track (the last exam, the last mark or the last grade), with
hours and practical results frozen in the signed snapshot; the transcript and the training record show them."""
import csv
import io
import json
from datetime import date

from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import select

from lms.certification.issue import requirements
from lms.certification.signing import verify_snapshot
from lms.classroom.attendance import Mark, record_attendance
from lms.classroom.grading import grade_practical
from lms.classroom.sessions import schedule_session
from lms.learning import course as learning
from lms.models import Certification, Exercise

from ..conftest import login
from ..factories import CertKit, session_plan

TODAY = date(2026, 3, 2)
BEST = {"drill-report": {"facts": 4, "form": 1}, "drill-observed": {"steps": 2}}


def _exercise(db, slug):
    return db.session.scalar(select(Exercise).where(Exercise.slug == slug))


def _online_part_done(cw, db, clock, kit):
    """The module completed and the exam passed, as the learning path and the exam engine leave them."""
    learning.mark_completed(learning.module_access([cw.enrollment], "agreement/basics", clock()), clock())
    kit.finished_attempt(cw.enrollment, "later-exam")
    db.session.commit()


def _certification(db, enrollment):
    return db.session.scalar(select(Certification).where(Certification.enrollment_id == enrollment.id))


def test_withheld_until_practicals_and_attendance_and_issued_by_the_last_mark(cw, db, clock):
    kit = CertKit(db, None, clock)
    _online_part_done(cw, db, clock, kit)
    assert set(requirements(cw.enrollment).missing) == {"drill-report", "drill-observed", "attendance"}
    for slug, scores in BEST.items():
        grade_practical(cw.enrollment, _exercise(db, slug), scores=scores, comments="", grader=cw.instructor,
                        now=clock())
    morning = schedule_session(cw.cohort, session_plan(TODAY, start=8, end=12, hours=4), actor=cw.instructor,
                               now=clock())
    afternoon = schedule_session(cw.cohort, session_plan(TODAY, start=13, end=17, hours=4), actor=cw.instructor,
                                 now=clock())
    record_attendance(morning, {cw.enrollment.id: Mark("present")}, actor=cw.instructor, now=clock())
    record_attendance(afternoon, {cw.enrollment.id: Mark("late", 150)}, actor=cw.instructor, now=clock())
    assert _certification(db, cw.enrollment) is None  # 4 + 1.5 hours of the 6 required
    assert requirements(cw.enrollment).missing == ["attendance"]
    record_attendance(afternoon, {cw.enrollment.id: Mark("late", 120)}, actor=cw.instructor, now=clock())
    certification = _certification(db, cw.enrollment)
    assert certification is not None  # the correction that met the 6 hours issued it, in the same transaction
    snapshot = json.loads(certification.snapshot)
    assert snapshot["format"] == "lms287g.certification.v2"
    training = snapshot["training"]
    assert training["classroom_hours_attended"] == 6 and training["classroom_hours_required"] == 6
    assert training["online_hours"] == round(20 / 60 + 20 / 60, 1)  # the module's 20 minutes, the attempt's 20
    assert [(p["slug"], p["total"], p["passed"]) for p in training["practicals"]] == [
        ("drill-report", 5, True), ("drill-observed", 2, True)]
    assert verify_snapshot(certification.snapshot, certification.signature, certification.key_id)


def test_a_failed_practical_withholds_until_the_regrade_passes(cw, db, clock):
    kit = CertKit(db, None, clock)
    _online_part_done(cw, db, clock, kit)
    session = schedule_session(cw.cohort, session_plan(TODAY, start=8, end=16, hours=8), actor=cw.instructor,
                               now=clock())
    record_attendance(session, {cw.enrollment.id: Mark("present")}, actor=cw.instructor, now=clock())
    grade_practical(cw.enrollment, _exercise(db, "drill-observed"), scores={"steps": 2}, comments="",
                    grader=cw.instructor, now=clock())
    grade_practical(cw.enrollment, _exercise(db, "drill-report"), scores={"facts": 0, "form": 1}, comments="",
                    grader=cw.instructor, now=clock())
    assert _certification(db, cw.enrollment) is None
    # A second grader's passing grade does not count; the first grader's regrade does.
    grade_practical(cw.enrollment, _exercise(db, "drill-report"), scores={"facts": 4, "form": 1}, comments="",
                    grader=cw.second, role="second", now=clock())
    assert _certification(db, cw.enrollment) is None
    grade_practical(cw.enrollment, _exercise(db, "drill-report"), scores={"facts": 2, "form": 1}, comments="",
                    grader=cw.instructor, now=clock())
    assert _certification(db, cw.enrollment) is not None


def test_the_last_exam_issues_when_the_classroom_part_was_done_first(cw, db, clock):
    kit = CertKit(db, None, clock)
    session = schedule_session(cw.cohort, session_plan(TODAY, start=8, end=16, hours=8), actor=cw.instructor,
                               now=clock())
    record_attendance(session, {cw.enrollment.id: Mark("present")}, actor=cw.instructor, now=clock())
    for slug, scores in BEST.items():
        grade_practical(cw.enrollment, _exercise(db, slug), scores=scores, comments="", grader=cw.instructor,
                        now=clock())
    learning.mark_completed(learning.module_access([cw.enrollment], "agreement/basics", clock()), clock())
    assert _certification(db, cw.enrollment) is None
    assert kit.pass_exam(cw.enrollment, "later-exam") is not None


def test_a_track_without_classroom_requirements_certifies_as_before(kit):
    certification = kit.certified()
    training = json.loads(certification.snapshot)["training"]
    assert training["practicals"] == [] and training["classroom_hours_required"] is None


def test_transcript_and_training_record_show_hours_and_results(cw, db, clock, client, factory):
    kit = CertKit(db, None, clock)
    _online_part_done(cw, db, clock, kit)
    session = schedule_session(cw.cohort, session_plan(TODAY, start=8, end=16, hours=8), actor=cw.instructor,
                               now=clock())
    record_attendance(session, {cw.enrollment.id: Mark("present"), cw.other_enrollment.id: Mark("late", 90)},
                      actor=cw.instructor, now=clock())
    for slug, scores in BEST.items():
        grade_practical(cw.enrollment, _exercise(db, slug), scores=scores, comments="", grader=cw.instructor,
                        now=clock())
    cw.other.name = "=HYPERLINK(\"http://x\")"  # a name a spreadsheet would run
    db.session.commit()
    number = _certification(db, cw.enrollment).number
    login(client, cw.trainee.email)
    text = "".join(page.extract_text()
                   for page in PdfReader(io.BytesIO(client.get("/classroom/transcript.pdf").data)).pages)
    assert "Classroom attended 8 (required 6)" in text and "Drill report 5 of 5 3 Passed" in text
    assert f"Certified: certificate {number}" in text
    coordinator = factory.user("coordinator", agency=cw.agency)
    other_client = client.application.test_client()
    login(other_client, coordinator.email)
    body = other_client.get(f"/classroom/cohorts/{cw.cohort.id}/training-record.csv").data.decode("utf-8-sig")
    rows = {r[0]: r for r in csv.reader(io.StringIO(body))}
    mine = rows[cw.trainee.name]
    assert mine[8:15] == ["8.0", "6.0", "8.7", "2 of 2", "1 of 1", "Certified", number]
    assert rows["'=HYPERLINK(\"http://x\")"][8] == "6.5"  # late by 90 minutes; the formula made text
    sheet = load_workbook(io.BytesIO(other_client.get(
        f"/classroom/cohorts/{cw.cohort.id}/training-record.xlsx").data), read_only=True).active
    assert next(sheet.iter_rows(values_only=True))[7:10] == (
        "Online hours", "Classroom hours attended", "Classroom hours required")
