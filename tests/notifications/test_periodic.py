"""The periodic jobs: each does its work once, logs it, and finds nothing to do the second time."""
import logging
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select

from lms import jobs
from lms.certification import status as st
from lms.models import AuditEvent, Certification, Notification, Role

from ..factories import exam_world, start


def _subjects(db, user, kind):
    return [n.subject for n in db.session.scalars(select(Notification).where(
        Notification.user_id == user.id, Notification.kind == kind).order_by(Notification.id))]


def test_weeks_and_exam_windows_are_announced_once_as_they_open(kit, db, factory, clock, caplog):
    track = kit.track(weeks=2, title="Jail Enforcement")  # modules in week 1, exams in week 2
    enrollment = kit.enrollment(track, start=date(2026, 3, 2))  # the clock's day: week 1 opens today
    trainee = enrollment.user
    caplog.set_level(logging.INFO, logger="lms.jobs")
    assert jobs.run_periodic("announce") == 1
    assert "announce: 1 notifications recorded" in caplog.text
    assert jobs.run_periodic("announce") == 0
    clock.advance(days=7)
    assert jobs.run_periodic("announce") == 3  # week 2 and its two exams
    assert jobs.run_periodic("announce") == 0
    assert _subjects(db, trainee, "week_opened") == ["Week 1 of Jail Enforcement is open",
                                                     "Week 2 of Jail Enforcement is open"]
    assert _subjects(db, trainee, "exam_window") == ["Exam exam-a is open to you", "Exam exam-b is open to you"]


def test_a_week_opened_long_ago_is_not_announced(kit, db, clock):
    track = kit.track(weeks=2)
    kit.enrollment(track, start=date(2026, 1, 5))  # both weeks opened in January
    assert jobs.run_periodic("announce") == 0


def test_refresher_notices_at_90_60_and_30_days_each_once(kit, db, clock):
    certification = kit.certified(kit.track(validity_years=2))  # expires 2028-03-02
    holder = certification.user
    counts = []
    for day in (date(2027, 12, 1), date(2027, 12, 3), date(2027, 12, 10), date(2028, 1, 2), date(2028, 2, 1),
                date(2028, 2, 2)):
        clock.when = datetime(day.year, day.month, day.day, 15, 0, tzinfo=UTC)
        counts.append(jobs.run_periodic("announce"))
    assert counts == [0, 1, 0, 1, 1, 0]
    assert _subjects(db, holder, "refresher_due") == [
        f"Your certificate {certification.number} expires in 90 days",
        f"Your certificate {certification.number} expires in 60 days",
        f"Your certificate {certification.number} expires in 30 days"]


def test_a_holder_first_found_inside_30_days_is_told_once(kit, db, clock):
    certification = kit.certified(kit.track(validity_years=2))
    clock.when = datetime(2028, 2, 10, 15, 0, tzinfo=UTC)
    assert jobs.run_periodic("announce") == 1
    assert jobs.run_periodic("announce") == 0
    assert _subjects(db, certification.user, "refresher_due") == [
        f"Your certificate {certification.number} expires in 21 days"]


def test_certifications_past_expiry_are_expired_and_the_holder_told(kit, db, clock):
    certification = kit.certified(kit.track(validity_years=2))
    clock.when = datetime(2028, 3, 3, 15, 0, tzinfo=UTC)
    assert jobs.run_periodic("expire-certifications") == 1
    assert jobs.run_periodic("expire-certifications") == 0
    assert certification.status == "expired"
    assert _subjects(db, certification.user, "certificate_status")[-1] == \
        f"Your certificate {certification.number} has expired"


def test_expired_attempts_are_finished_graded_and_told(factory, db, clock):
    world = exam_world(factory)
    attempt = start(world.trainee, "mixed-exam", clock)
    clock.when = attempt.deadline_at + timedelta(minutes=5)
    assert jobs.run_periodic("close-expired") == 1
    assert jobs.run_periodic("close-expired") == 0
    db.session.refresh(attempt)
    assert attempt.status == "finished" and attempt.finish_reason == "expired"
    assert len(_subjects(db, world.trainee, "exam_result")) == 1


def test_inactive_accounts_are_disabled_once(factory, db, clock):
    idle = factory.user(Role.COORDINATOR)
    clock.advance(days=91)
    assert jobs.run_periodic("disable-inactive") >= 1
    assert jobs.run_periodic("disable-inactive") == 0
    db.session.refresh(idle)
    assert idle.disabled_at is not None


def test_a_withheld_refresher_is_issued_when_the_record_it_renews_is_reinstated(kit, db, clock):
    basic = kit.track("basic")
    refresher = kit.track("basic-refresher", exams=("refresher-exam",), refresher_of="basic")
    trainee = kit.trainee()
    original = kit.certified(basic, trainee=trainee)
    st.suspend(original, reason="Complaint under review", now=clock())
    db.session.commit()
    enrollment = kit.enrollment(refresher, trainee=trainee)
    kit.complete_modules(enrollment)
    assert kit.pass_exam(enrollment, "refresher-exam") is None  # withheld: the record to renew is suspended

    def withheld_events():
        return db.session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "certification.withhold"))

    assert withheld_events() == 1
    assert jobs.run_periodic("reissue-withheld") == 0
    assert withheld_events() == 1  # still withheld: nothing new recorded

    clock.advance(days=3)
    st.reinstate(original, reason="Complaint unfounded", now=clock())  # the reason goes away: issued at once
    db.session.commit()
    renewal = db.session.scalar(select(Certification).where(Certification.enrollment_id == enrollment.id))
    assert renewal is not None and renewal.renews_id == original.id
    assert jobs.run_periodic("reissue-withheld") == 0


def test_lms_jobs_run_runs_one_periodic_job_by_hand(kit, db, app):
    kit.enrollment(kit.track(weeks=1), start=date(2026, 3, 2))
    result = app.test_cli_runner().invoke(args=["jobs", "run", "announce"])
    assert result.exit_code == 0 and "announce: 3 notifications recorded." in result.output, result.output


def test_import_files_previewed_and_never_confirmed_are_removed_once_no_session_could_confirm_them(app, db, clock,
                                                                                                   caplog):
    import os

    from lms.content.interchange.service import PREVIEW_UPLOAD_KIND
    from lms.uploads import upload_folder

    folder = upload_folder(PREVIEW_UPLOAD_KIND)
    hours = app.config["SESSION_MAX_HOURS"]
    stale, fresh = folder / "stale.gift", folder / "fresh.gift"
    stale.write_text("::q:: x {T}")
    fresh.write_text("::q:: y {F}")
    # Written when the app's clock says (in production the app's clock is the file system's).
    for path, age in ((stale, timedelta(hours=hours, minutes=1)), (fresh, timedelta(hours=hours, minutes=-1))):
        moment = (clock() - age).replace(tzinfo=UTC).timestamp()  # the app keeps UTC without a zone
        os.utime(path, (moment, moment))
    with caplog.at_level(logging.INFO, logger="lms.jobs"):
        assert jobs.run_periodic("discard-previews") == 1
    assert not stale.exists() and fresh.exists()
    assert "discard-previews: 1 unconfirmed import files removed" in caplog.text
    assert jobs.run_periodic("discard-previews") == 0
