"""A correction after a certification was issued that takes the holder below the track's requirements (attendance
lowered, a practical regraded to a fail) puts the certification up for ICE staff's review, never revoking it
silently: staff are told, a correction back clears it, staff keep or suspend it (audited) and the holder and the
coordinators are told the outcome. The queue is staff's only."""
from datetime import date

import pytest
from sqlalchemy import select

from lms import jobs
from lms.certification.review import ReviewError, decide_review, pending_reviews
from lms.classroom.attendance import Mark, record_attendance
from lms.classroom.grading import grade_practical
from lms.classroom.sessions import schedule_session
from lms.models import AuditEvent, Certification, CertificationReview, Notification, Role

from ..conftest import csrf_token, login
from ..factories import CertKit, session_plan
from ..notifications.conftest import smtp  # noqa: F401  (the local SMTP server the notices are sent to)
from .test_certification import BEST, TODAY, _exercise, _online_part_done

NEXT_DAY = date(2026, 3, 3)


@pytest.fixture
def certified(cw, db, clock, factory):
    """The trainee certified on the blended track: 8 classroom hours of the 6 required (two sessions), both
    exercises passed; a program staff member and the agency's coordinator exist."""
    _online_part_done(cw, db, clock, CertKit(db, None, clock))
    for slug, scores in BEST.items():
        grade_practical(cw.enrollment, _exercise(db, slug), scores=scores, comments="", grader=cw.instructor,
                        now=clock())
    sessions = [schedule_session(cw.cohort, session_plan(TODAY, start=start, end=start + 4, hours=4),
                                 actor=cw.instructor, now=clock()) for start in (8, 13)]
    for session in sessions:
        record_attendance(session, {cw.enrollment.id: Mark("present")}, actor=cw.instructor, now=clock())
    db.session.commit()
    certification = db.session.scalar(select(Certification).where(Certification.enrollment_id == cw.enrollment.id))
    assert certification is not None and certification.status == "active"
    cw.sessions, cw.certification = sessions, certification
    cw.staff = factory.user(Role.STAFF, name="Stacy Staff")
    cw.coordinator = factory.user(Role.COORDINATOR, agency=cw.agency, name="Cory Coordinator")
    clock.advance(days=1)  # what follows is a correction after the sessions' day
    return cw


def _mark(cw, db, clock, session_index, mark):
    record_attendance(cw.sessions[session_index], {cw.enrollment.id: mark}, actor=cw.instructor, now=clock())
    db.session.commit()


def _events(db, action):
    return db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)).all()


def _told(db, user, kind):
    return db.session.scalars(select(Notification).where(Notification.user_id == user.id, Notification.kind == kind)
                              .order_by(Notification.id)).all()


def _mailed(smtp, user):
    jobs.run_periodic("send-pending")
    jobs.run_periodic("send-pending")
    return [m["Subject"].split(": ", 1)[1] for m in smtp.to(user.email)]


def test_lowering_attendance_below_the_requirement_puts_it_up_for_review_and_raising_it_back_clears_it(
        certified, db, clock, smtp):
    cw = certified
    _mark(cw, db, clock, 1, Mark("late", 60))  # 4 + 3 = 7 of 6 hours: still met, nothing to review
    assert pending_reviews() == []
    _mark(cw, db, clock, 1, Mark("absent", note="Was at court"))  # 4 of 6 hours
    [review] = pending_reviews()
    assert review.certification_id == cw.certification.id and review.opened_by_id == cw.instructor.id
    assert review.shortfall == {"attendance": {"attended": 4.0, "required": 6.0}, "practicals": []}
    db.session.refresh(cw.certification)
    assert cw.certification.status == "active"  # never revoked or suspended silently
    [opened] = _events(db, "certification_review.open")
    assert opened.details["cause"] == "attendance" and opened.object_id == str(review.id)
    [told] = _told(db, cw.staff, "certification_review")
    assert told.subject == f"Certificate {cw.certification.number} of Terry Trainee is put up for review"
    assert "4 of the 6 hours" in told.body and told.link == "/registry/reviews"

    _mark(cw, db, clock, 0, Mark("late", 30))  # lower still: the same review, brought up to date, no new notice
    [same] = pending_reviews()
    assert same.id == review.id and same.shortfall["attendance"]["attended"] == 3.5
    assert len(_told(db, cw.staff, "certification_review")) == 1
    assert _mailed(smtp, cw.staff) == [told.subject]  # once, by e-mail too

    _mark(cw, db, clock, 1, Mark("present"))  # 3.5 + 4 = 7.5 of 6: met again before staff decided
    assert pending_reviews() == []
    db.session.refresh(review)
    assert review.status == "cleared" and review.closed_by_id == cw.instructor.id
    assert len(_events(db, "certification_review.clear")) == 1
    with pytest.raises(ReviewError, match="already been decided, or cleared"):
        decide_review(review, suspend_it=True, reason="Too late", actor=cw.staff, now=clock())
    db.session.rollback()
    db.session.refresh(cw.certification)
    assert cw.certification.status == "active" and _told(db, cw.trainee, "certificate_status")[-1].subject.endswith(
        "is issued")


def test_a_practical_regraded_to_a_fail_is_reviewed_and_staff_keeping_it_tell_the_holder_and_coordinator(
        certified, db, clock, smtp):
    cw = certified
    grade_practical(cw.enrollment, _exercise(db, "drill-report"), scores={"facts": 0, "form": 1}, comments="",
                    grader=cw.instructor, now=clock())
    db.session.commit()
    [review] = pending_reviews()
    assert review.shortfall["attendance"] is None
    assert [p["slug"] for p in review.shortfall["practicals"]] == ["drill-report"]
    assert _events(db, "certification_review.open")[0].details["cause"] == "practical"

    with pytest.raises(ReviewError, match="reason"):
        decide_review(review, suspend_it=False, reason="  ", actor=cw.staff, now=clock())
    decide_review(review, suspend_it=False, reason="The regrade was a clerical error under appeal.", actor=cw.staff,
                  now=clock())
    db.session.commit()
    db.session.refresh(cw.certification)
    assert review.status == "kept" and cw.certification.status == "active"
    [kept] = _events(db, "certification_review.keep")
    assert kept.actor_id == cw.staff.id and kept.details["reason"].startswith("The regrade was")
    holder = _told(db, cw.trainee, "certificate_status")[-1]
    assert holder.subject == f"Your certificate {cw.certification.number} stays valid after a review"
    assert "clerical error" in holder.body
    [coordinator] = _told(db, cw.coordinator, "certificate_status")
    assert coordinator.subject == f"Certificate {cw.certification.number} of Terry Trainee stays valid after a review"
    assert _mailed(smtp, cw.coordinator) == [coordinator.subject]
    assert _mailed(smtp, cw.trainee)[-1] == holder.subject
    with pytest.raises(ReviewError):
        decide_review(review, suspend_it=True, reason="again", actor=cw.staff, now=clock())


def test_staff_suspending_it_go_through_the_status_service_and_the_certificate_notices(certified, db, clock, smtp):
    cw = certified
    _mark(cw, db, clock, 0, Mark("absent"))
    [review] = pending_reviews()
    decide_review(review, suspend_it=True, reason="Attendance records show 4 of 6 hours.", actor=cw.staff, now=clock())
    db.session.commit()
    db.session.refresh(cw.certification)
    assert cw.certification.status == "suspended"
    assert cw.certification.history[-1].reason == "Attendance records show 4 of 6 hours."
    [suspended] = _events(db, "certification.suspend")
    assert suspended.details["review_id"] == review.id
    assert len(_events(db, "certification_review.suspend")) == 1
    holder = _told(db, cw.trainee, "certificate_status")
    assert [n.subject for n in holder][-1] == f"Your certificate {cw.certification.number} is suspended"
    assert len(holder) == 2  # issued, suspended: no second notice of the suspension
    [coordinator] = _told(db, cw.coordinator, "certificate_status")
    assert coordinator.subject.endswith("is suspended after a review") and "4 of 6 hours" in coordinator.body
    assert _mailed(smtp, cw.trainee)[-1] == holder[-1].subject
    # A suspended certification is out of force: a further correction opens no new review.
    _mark(cw, db, clock, 1, Mark("absent"))
    assert pending_reviews() == []


def test_no_review_without_an_issued_certification(cw, db, clock):
    session = schedule_session(cw.cohort, session_plan(TODAY, hours=4), actor=cw.instructor, now=clock())
    record_attendance(session, {cw.enrollment.id: Mark("present")}, actor=cw.instructor, now=clock())
    record_attendance(session, {cw.enrollment.id: Mark("absent")}, actor=cw.instructor, now=clock())
    db.session.commit()
    assert db.session.scalars(select(CertificationReview)).all() == []


def test_the_queue_is_program_staffs_and_a_decision_goes_through_the_page(certified, db, clock, app):
    cw = certified
    _mark(cw, db, clock, 1, Mark("absent"))
    [review] = pending_reviews()
    for user in (cw.trainee, cw.instructor, cw.coordinator):
        other = app.test_client()
        login(other, user.email)
        assert other.get("/registry/reviews").status_code == 403
        response = other.post(f"/registry/reviews/{review.id}", data={
            "action": "keep", "reason": "x", "csrf_token": csrf_token(other, "/notifications")})
        assert response.status_code == 403
    assert pending_reviews() == [review]
    client = app.test_client()
    login(client, cw.staff.email)
    page = client.get("/registry/reviews").get_data(as_text=True)
    assert cw.certification.number in page and "Classroom attendance: 4 of the 6 hours" in page
    assert "certifications under review" in client.get("/registry").get_data(as_text=True)
    assert "Put up for review" in client.get(f"/registry/{cw.certification.number}").get_data(as_text=True)
    token = csrf_token(client, "/registry/reviews")
    assert client.post("/registry/reviews/999999", data={"action": "keep", "reason": "x",
                                                         "csrf_token": token}).status_code == 404
    response = client.post(f"/registry/reviews/{review.id}", data={"action": "keep", "reason": "", "csrf_token": token},
                           follow_redirects=True)
    assert "Give the reason for the decision." in response.get_data(as_text=True)
    response = client.post(f"/registry/reviews/{review.id}", data={
        "action": "suspend", "reason": "Short of the required hours.", "csrf_token": token}, follow_redirects=True)
    assert f"Certification {cw.certification.number} is suspended." in response.get_data(as_text=True)
    db.session.refresh(cw.certification)
    assert cw.certification.status == "suspended" and pending_reviews() == []
    assert "No certification is waiting for review." in client.get("/registry/reviews").get_data(as_text=True)
