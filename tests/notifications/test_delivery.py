"""Each event told once in the app and once by e-mail to a real SMTP server; retries; the outbox; preferences."""
from datetime import date

import pytest
from sqlalchemy import select

from lms import jobs
from lms.agencies.nominations import accept_nomination, check_nominee, decline_nomination, nominate
from lms.certification.status import reinstate, revoke, suspend
from lms.classroom.grading import grade_practical
from lms.classroom.sessions import cancel_session, change_session, schedule_session
from lms.exams.attempts import submit_attempt
from lms.exams.challenges import challenge_item, decide_challenge
from lms.models import EmailDelivery, Exercise, Notification, Role
from lms.models.classroom import SECOND_GRADER
from lms.notifications.service import PreferenceError, notify, set_preferences, silenced

from ..factories import agency_with_mou, answer_all, classroom_world, exam_world, session_plan, start
from .conftest import PUBLIC_URL, drain, queued, run_retries


def _told(db, user, kind=None):
    query = select(Notification).where(Notification.user_id == user.id).order_by(Notification.id)
    if kind:
        query = query.where(Notification.kind == kind)
    return db.session.scalars(query).all()


def _send_twice():
    """The sweep queues pending deliveries; a second sweep (or a repeated job) sends nothing more."""
    jobs.run_periodic("send-pending")
    jobs.run_periodic("send-pending")


def test_certificate_events_reach_the_holder_once_in_the_app_and_by_email(kit, db, smtp, clock):
    certification = kit.certified(name="Casey Holder")
    holder = certification.user
    for change in (suspend, reinstate):
        clock.advance(days=1)
        change(certification, reason="Complaint under review" if change is suspend else "Cleared", now=clock())
        db.session.commit()
    clock.advance(days=1)
    revoke(certification, reason="Authority withdrawn", now=clock())
    db.session.commit()
    _send_twice()

    told = _told(db, holder, "certificate_status")
    assert [n.subject for n in told] == [
        f"Your certificate {certification.number} is issued", f"Your certificate {certification.number} is suspended",
        f"Your certificate {certification.number} is reinstated", f"Your certificate {certification.number} is revoked"]
    assert all(n.essential for n in told)
    received = smtp.to(holder.email)
    assert [m["Subject"] for m in received] == [f"287(g) Training: {n.subject}" for n in told]
    suspended = received[1]
    text = suspended.get_body(("plain",)).get_content()
    html = suspended.get_body(("html",)).get_content()
    assert "Complaint under review" in text and f"{PUBLIC_URL}/certificates/{certification.number}" in text
    assert f'href="{PUBLIC_URL}/certificates/{certification.number}"' in html and "287(g) Training" in html
    assert suspended["From"].addresses[0].display_name == "287(g) Training"
    assert {d.status for d in db.session.scalars(select(EmailDelivery))} == {"sent"}


def test_an_exam_result_is_told_once(factory, db, smtp, clock):
    world = exam_world(factory)
    attempt = start(world.trainee, "mixed-exam", clock)
    answer_all(attempt, clock)
    submit_attempt(attempt, now=clock(), actor=world.trainee)
    db.session.commit()
    submit_attempt(attempt, now=clock(), actor=world.trainee)  # a repeat changes nothing
    db.session.commit()
    _send_twice()

    [told] = _told(db, world.trainee, "exam_result")
    assert told.subject.startswith(attempt.exam_version.title) and "passed" in told.subject
    assert told.link == f"/exams/attempts/{attempt.id}/result"
    [message] = smtp.to(world.trainee.email)
    assert f"{PUBLIC_URL}/exams/attempts/{attempt.id}/result" in message.get_body(("plain",)).get_content()


def test_nomination_decisions_reach_the_coordinator_who_nominated(kit, db, factory, clock, smtp):
    track = kit.track()
    side = agency_with_mou(db, factory, clock, tracks=[track.slug])
    cohort = factory.cohort(track.slug, agencies=[side.agency])
    nominations = []
    for name in ("Alex Accepted", "Dana Declined"):
        nominee, problems = check_nominee(
            mou=side.mou, name=name, email=f"{name.split()[0].lower()}@example.test", track_slug=track.slug,
            background_check_on=date(2025, 1, 1), years_experience=3, citizenship_attested=True,
            commits_two_years=True, today=date(2026, 3, 2))
        assert problems == []
        nominations.append(nominate(nominee, mou=side.mou, actor=side.coordinator, now=clock()))
    staff = factory.user(Role.STAFF)
    accept_nomination(nominations[0], cohort, actor=staff, now=clock())
    decline_nomination(nominations[1], reason="Background check too old", actor=staff, now=clock())
    db.session.commit()
    _send_twice()

    told = _told(db, side.coordinator, "nomination_decided")
    assert [n.subject for n in told] == ["Alex Accepted is accepted and enrolled",
                                         "Your nomination of Dana Declined is declined"]
    assert "Background check too old" in told[1].body
    assert len(smtp.to(side.coordinator.email)) == 2


def test_a_failed_delivery_is_recorded_and_retried_until_sent(kit, db, smtp, app, monkeypatch):
    port = app.config["SMTP_PORT"]
    certification = kit.certified()
    monkeypatch.setitem(app.config, "SMTP_PORT", 9)  # nothing listens there: the server is "down"
    jobs.run_periodic("send-pending")
    delivery = db.session.scalars(select(EmailDelivery)).one()
    assert (delivery.status, delivery.tries) == ("pending", 1)
    assert "Connection" in delivery.last_error or "refused" in delivery.last_error
    assert smtp.messages == []

    monkeypatch.setitem(app.config, "SMTP_PORT", port)  # the server is back: the scheduled retry sends it
    assert run_retries() == 1
    db.session.refresh(delivery)
    assert (delivery.status, delivery.tries, delivery.last_error) == ("sent", 2, None)
    assert [m["To"] for m in smtp.messages] == [certification.user.email]
    assert run_retries() == 0


def test_the_last_failed_try_marks_the_delivery_failed_for_the_outbox(kit, db, app, monkeypatch):
    kit.certified()
    monkeypatch.setitem(app.config, "SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "SMTP_PORT", 9)
    monkeypatch.setattr(jobs.deliver_email.task_class, "default_retries", 0)
    jobs.run_periodic("send-pending")
    delivery = db.session.scalars(select(EmailDelivery)).one()
    assert delivery.status == "failed"


def test_without_smtp_messages_go_to_the_outbox_an_administrator_reads(kit, db, factory, client, app):
    from ..conftest import login

    certification = kit.certified(name="Olga Outbox")
    jobs.run_periodic("send-pending")
    delivery = db.session.scalars(select(EmailDelivery)).one()
    assert delivery.status == "outbox"
    admin = factory.user(Role.ADMIN)
    login(client, admin.email)
    page = client.get("/admin/outbox").get_data(as_text=True)
    assert certification.user.email in page and f"Your certificate {certification.number} is issued" in page


def test_mail_is_sent_by_the_queued_job_after_the_commit_never_by_the_request(kit, db, smtp, factory, client):
    from ..conftest import login, post

    certification = kit.certified()
    jobs.run_periodic("send-pending")  # the issue notice
    staff = factory.user(Role.STAFF)
    login(client, staff.email)
    with queued():
        response = post(client, f"/registry/{certification.number}/suspend",
                        {"suspend-reason": "Complaint under review", "confirm": "yes"},
                        page=f"/registry/{certification.number}/suspend")
        assert response.status_code in (200, 302)
        assert len(smtp.messages) == 1  # the request only queued the job
        assert drain() == 1
    assert [m["Subject"] for m in smtp.messages][-1].endswith("is suspended")


def test_preferences_turn_off_optional_kinds_only(factory, db, clock):
    trainee = factory.user(Role.TRAINEE)
    set_preferences(trainee, {"exam_result": "off", "week_opened": "app"}, actor=trainee, now=clock())
    assert notify(trainee, kind="exam_result", key="a:1", subject="s", body="b", now=clock()) is None
    week = notify(trainee, kind="week_opened", key="w:1", subject="s", body="b", now=clock())
    assert week is not None and week.delivery is None  # in the app only
    status = notify(trainee, kind="certificate_status", key="c:1", subject="s", body="b", now=clock())
    assert status.delivery is not None
    with pytest.raises(PreferenceError):
        set_preferences(trainee, {"certificate_status": "off"}, actor=trainee, now=clock())
    assert notify(trainee, kind="certificate_status", key="c:1", subject="s", body="b", now=clock()) is None


def test_a_preference_counts_for_its_own_person_and_kind_only(factory, db, clock):
    """The insert reads the preference itself (lms.notifications.service): another person's choice, or this
    person's for another kind, changes nothing."""
    trainee, other = factory.user(Role.TRAINEE), factory.user(Role.TRAINEE)
    set_preferences(other, {"exam_result": "off"}, actor=other, now=clock())
    set_preferences(trainee, {"week_opened": "off"}, actor=trainee, now=clock())
    told = notify(trainee, kind="exam_result", key="a:1", subject="s", body="b", now=clock())
    assert told is not None and told.delivery is not None and told.delivery.to_address == trainee.email
    assert notify(other, kind="exam_result", key="a:1", subject="s", body="b", now=clock()) is None
    set_preferences(other, {"exam_result": "app"}, actor=other, now=clock())
    in_app = notify(other, kind="exam_result", key="a:2", subject="s", body="b", now=clock())
    assert in_app is not None and in_app.delivery is None
    assert notify(trainee, kind="exam_result", key="a:1", subject="s", body="b", now=clock()) is None  # told once


def test_a_challenge_decision_reaches_the_trainee_once(factory, db, smtp, clock):
    world = exam_world(factory)
    attempt = start(world.trainee, "mixed-exam", clock)
    answer_all(attempt, clock, right=False)
    clock.advance(minutes=5)
    submit_attempt(attempt, now=clock(), actor=world.trainee)
    db.session.commit()
    made = challenge_item(attempt, 1, "Choice B also applies.", actor=world.trainee, now=clock())
    db.session.commit()
    decide_challenge(made, "reject", "The panel reviewed the sources.", actor=world.instructor, now=clock())
    db.session.commit()
    _send_twice()

    [told] = _told(db, world.trainee, "challenge_decided")
    assert told.subject == f"Your challenge of question 1 of {attempt.exam_version.title} is rejected"
    assert "The panel reviewed the sources." in told.body
    assert [m["Subject"] for m in smtp.to(world.trainee.email)].count(f"287(g) Training: {told.subject}") == 1


def test_a_changed_or_cancelled_session_reaches_each_trainee_of_the_cohort_once(factory, db, smtp, clock):
    cw = classroom_world(factory)
    session = schedule_session(cw.cohort, session_plan(date(2026, 3, 3), title="Interviews"),
                               actor=cw.instructor, now=clock())
    db.session.commit()
    assert _told(db, cw.trainee, "session_changed") == []  # scheduling is on the course page, not a message
    change_session(session, session_plan(date(2026, 3, 4), title="Interviews"), actor=cw.instructor, now=clock())
    db.session.commit()
    cancel_session(session, reason="The room is flooded", actor=cw.instructor, now=clock())
    db.session.commit()
    _send_twice()

    for trainee in (cw.trainee, cw.other):
        changed, cancelled = _told(db, trainee, "session_changed")
        assert changed.subject == "Changed: Interviews, now March 4" and "Academy room 2" in changed.body
        assert cancelled.subject == "Cancelled: Interviews, March 4" and "The room is flooded" in cancelled.body
        assert [m["Subject"].split(": ", 1)[1] for m in smtp.to(trainee.email)] == [changed.subject, cancelled.subject]
    assert _told(db, cw.instructor, "session_changed") == []


def test_a_graded_practical_reaches_the_trainee_once_per_grade(factory, db, smtp, clock):
    cw = classroom_world(factory)
    exercise = db.session.scalar(select(Exercise).where(Exercise.slug == cw.cohort.track.exercise_slugs()[0]))
    rubric = exercise.current_version.rubric
    lowest = {c["id"]: min(level["points"] for level in c["levels"]) for c in rubric}
    best = {c["id"]: max(level["points"] for level in c["levels"]) for c in rubric}
    grade_practical(cw.enrollment, exercise, scores=lowest, comments="Redo the narrative", grader=cw.instructor,
                    now=clock())
    db.session.commit()
    grade_practical(cw.enrollment, exercise, scores=best, comments="", grader=cw.second, role=SECOND_GRADER,
                    now=clock())  # a second grader's grade does not count: no message
    db.session.commit()
    clock.advance(minutes=5)
    grade_practical(cw.enrollment, exercise, scores=best, comments="Good", grader=cw.instructor, now=clock())
    db.session.commit()
    _send_twice()

    first, regrade = _told(db, cw.trainee, "practical_graded")
    title = exercise.current_version.title
    assert first.subject.startswith(f"{title}: not passed yet") and regrade.subject.startswith(f"{title}: passed")
    assert regrade.link == f"/classroom/practicals/{exercise.slug}"
    assert len(smtp.to(cw.trainee.email)) == 2 and _told(db, cw.other, "practical_graded") == []


def test_nothing_is_told_inside_silenced_and_telling_resumes_after_it(factory, db, clock):
    user = factory.user(Role.TRAINEE)
    with silenced():
        assert notify(user, kind="exam_result", key="simulated", subject="s", body="b", now=clock()) is None
    assert _told(db, user) == []
    assert notify(user, kind="exam_result", key="real", subject="s", body="b", now=clock()) is not None
