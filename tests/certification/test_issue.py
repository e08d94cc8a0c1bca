"""Issuing: on the last pass and not before, with a frozen snapshot that later edits do not touch."""
import json
import re
from datetime import date, datetime, timezone

from sqlalchemy import func, select

from lms.agencies.agreements import create_mou
from lms.certification import issue_if_complete, requirements
from lms.certification.issue import allocate_number
from lms.clock import add_years
from lms.models import AuditEvent, Certification, CertificationStatusChange, ExamVersion


def test_issued_on_the_last_pass_and_not_before(kit, db):
    track = kit.track(modules=("m/one", "m/two"), exams=("exam-a", "exam-b", "exam-c"))
    enrollment = kit.enrollment(track)
    assert kit.complete_modules(enrollment) is None  # modules alone certify nothing
    assert kit.pass_exam(enrollment, "exam-a") is None
    assert kit.pass_exam(enrollment, "exam-b", percent=40, passed=False) is None  # a failed attempt does not count
    assert kit.pass_exam(enrollment, "exam-c") is None
    assert db.session.scalar(select(func.count(Certification.id))) == 0
    certification = kit.pass_exam(enrollment, "exam-b")  # the retake passes: the last requirement
    assert certification is not None and certification.status == "active"
    assert certification.enrollment_id == enrollment.id
    assert db.session.scalar(select(func.count(Certification.id))) == 1
    assert enrollment.status == "completed"
    # The history starts with the issue; the audit log has it.
    history = db.session.scalars(select(CertificationStatusChange)).all()
    assert [(h.from_status, h.to_status) for h in history] == [(None, "active")]
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "certification.issue")).details["number"] \
        == certification.number


def test_not_issued_while_a_module_is_incomplete_then_issued_when_it_is(kit, db):
    track = kit.track(modules=("m/one", "m/two"), exams=("exam-a",))
    enrollment = kit.enrollment(track)
    assert kit.pass_exam(enrollment, "exam-a") is None  # every exam passed, modules not completed
    reqs = requirements(enrollment)
    assert not reqs.complete and reqs.missing == ["m/one", "m/two"]
    certification = kit.complete_modules(enrollment)  # completing the last module issues it
    assert certification is not None


def test_issue_is_idempotent_and_skips_withdrawn_enrollments(kit, db, clock):
    certification = kit.certified()
    again = issue_if_complete(certification.enrollment, now=clock())
    assert again.id == certification.id
    assert db.session.scalar(select(func.count(Certification.id))) == 1

    track = kit.track()
    enrollment = kit.enrollment(track)
    enrollment.status = "withdrawn"
    db.session.commit()
    kit.complete_modules(enrollment)
    assert kit.pass_exam(enrollment, "exam-a") is None
    assert kit.pass_exam(enrollment, "exam-b") is None


def test_snapshot_holds_what_the_certificate_says(kit, db, factory, clock):
    agency = factory.agency(name="Example County Sheriff", ori="VA0420000")
    mou = create_mou(agency=agency, model="jail_enforcement", signed_on=date(2025, 6, 1),
                     effective_on=date(2025, 7, 1), authorized_functions=["Interrogate in jail", "Process for removal"],
                     now=clock())
    db.session.commit()
    track = kit.track(modules=("m/one",), exams=("exam-a", "exam-b"), weeks=5, validity_years=2)
    certification = kit.certified(track, agency=agency, mou=mou, name="Dana Álvarez")
    snap = json.loads(certification.snapshot)
    assert certification.number == snap["number"] == "287G-2026-000001"
    assert snap["holder"]["name"] == "Dana Álvarez"
    assert snap["agency"] == {"id": agency.id, "name": "Example County Sheriff", "ori": "VA0420000", "state": "VA"}
    assert snap["track"]["slug"] == track.slug and snap["track"]["weeks"] == 5 and snap["track"]["length"] == "5 weeks"
    assert snap["mou"]["id"] == mou.id and snap["mou"]["model"] == "jail_enforcement"
    assert snap["mou"]["authorized_functions"] == ["Interrogate in jail", "Process for removal"]
    assert [e["slug"] for e in snap["exams"]] == ["exam-a", "exam-b"]
    exam = snap["exams"][0]
    assert exam["score_percent"] == 90.0 and exam["pass_mark"] == 70 and exam["attempt_id"] > 0
    assert exam["finished_at"] == "2026-03-02T14:00:00+00:00"
    assert snap["modules"] == [{"slug": "m/one", "title": "Module m/one", "version": 1,
                                "completed_at": "2026-03-02T14:00:00+00:00"}]
    assert snap["issued_on"] == "2026-03-02" and snap["expires_on"] == "2028-03-02"
    assert snap["verification_url"] == "http://127.0.0.1:5000/verify/287G-2026-000001"  # the look-up by number
    # The public link's code is random, unique, and not signed (docs/CERTIFICATION.md says why).
    assert re.fullmatch(r"[A-Za-z0-9_-]{22}", certification.verification_code)
    assert certification.verification_code not in certification.snapshot
    assert "email" not in certification.snapshot
    # Canonical JSON: sorted keys, no whitespace between tokens.
    assert certification.snapshot == json.dumps(snap, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert certification.mou_id == mou.id and certification.agency_ori == "VA0420000"


def test_editing_the_user_agency_track_and_exam_later_changes_nothing(kit, db, client):
    certification = kit.certified(name="Original Name")
    before = (certification.snapshot, certification.signature, certification.holder_name, certification.track_title)
    number = certification.number
    user, track = certification.user, certification.track
    user.name = "Renamed Person"
    user.agency.name = "Renamed Agency"
    track.title, track.weeks, track.validity_years = "Renamed Track", 9, 5
    db.session.execute(ExamVersion.__table__.update().values(title="Renamed exam", blueprint={"pass_mark": 99}))
    db.session.commit()
    db.session.expire_all()
    certification = db.session.scalar(select(Certification).where(Certification.number == number))
    assert (certification.snapshot, certification.signature, certification.holder_name,
            certification.track_title) == before
    page = client.get(f"/verify/{certification.verification_code}").get_data(as_text=True)
    assert "Original Name" in page and "Renamed" not in page
    assert "Signature" in page and "Verified: the record is exactly as it was issued" in page


def test_numbers_are_sequential_per_year_and_unique(kit, db, clock):
    first = kit.certified()
    second = kit.certified()
    assert (first.number, second.number) == ("287G-2026-000001", "287G-2026-000002")
    clock.when = datetime(2027, 1, 5, 15, 0, tzinfo=timezone.utc)
    third = kit.certified()
    assert third.number == "287G-2027-000001"
    assert allocate_number(2027) == "287G-2027-000002"
    db.session.rollback()  # a rolled-back issue leaves no gap
    assert allocate_number(2027) == "287G-2027-000002"


def test_expiry_is_the_issue_date_plus_the_tracks_validity():
    assert add_years(date(2026, 3, 2), 2) == date(2028, 3, 2)
    assert add_years(date(2028, 2, 29), 1) == date(2029, 2, 28)


def test_a_terminated_mou_withholds_the_certification(kit, db, factory, clock):
    from lms.agencies.agreements import terminate_mou

    agency = factory.agency()
    mou = create_mou(agency=agency, model="task_force", signed_on=date(2025, 1, 1), effective_on=date(2025, 1, 1),
                     authorized_functions=["Arrest without warrant"], now=clock())
    track = kit.track(exams=("exam-a",))
    enrollment = kit.enrollment(track, agency=agency)
    from lms.agencies.agreements import attach_mou

    attach_mou(enrollment, mou, now=clock())
    terminate_mou(mou, action="revoke", reason="Agency left the program", now=clock())
    db.session.commit()
    kit.complete_modules(enrollment)
    assert kit.pass_exam(enrollment, "exam-a") is None
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "certification.withhold"))
    assert event.outcome == "denied" and "terminated" in event.details["reason"]
