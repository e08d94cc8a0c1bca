"""Nominations: a coordinator nominates with the eligibility facts; staff accept (account + enrollment
under the MOU) or decline with a reason; every step audited; the coordinator sees the status."""
import re
from datetime import date

from sqlalchemy import select

from lms.models import AuditEvent, Enrollment, Nomination, Role, User

from ..conftest import PASSWORD, csrf_token, login, post


def _form(track, mou, **over):
    data = {"mou_id": mou.id, "track": track.slug, "name": "Olivia Officer", "email": "olivia@north.example",
            "background_check_on": "2024-06-01", "years_experience": "6", "citizenship_attested": "y",
            "commits_two_years": "y"}
    data.update(over)
    return data


def test_coordinator_nominates_staff_accept_and_the_officer_logs_in(kit, program, db, client, make_client, factory):
    track = kit.track()
    side = program(tracks=[track.slug])
    cohort = factory.cohort(track.slug, agencies=[side.agency])
    login(client, side.coordinator.email)
    response = post(client, "/nominations/new", _form(track, side.mou), page="/nominations/new")
    assert response.status_code == 302
    nomination = db.session.scalar(select(Nomination))
    assert (nomination.status, nomination.years_experience, nomination.background_check_on) == (
        "pending", 6, date(2024, 6, 1))
    assert "Awaiting decision" in client.get("/nominations").get_data(as_text=True)

    staff = factory.user(Role.STAFF)
    staff_client = make_client()
    login(staff_client, staff.email)
    page = staff_client.get(f"/nominations/{nomination.id}").get_data(as_text=True)
    assert cohort.name in page
    response = post(staff_client, f"/nominations/{nomination.id}/accept", {"cohort_id": cohort.id},
                    page=f"/nominations/{nomination.id}")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    page = response.get_data(as_text=True)
    password = re.search(r'class="temporary-password">([^<]+)<', page).group(1)
    assert password not in staff_client.get(f"/nominations/{nomination.id}").get_data(as_text=True)  # shown once
    db.session.expire_all()
    user = db.session.scalar(select(User).where(User.email == "olivia@north.example"))
    assert user.role == "trainee" and user.agency_id == side.agency.id and user.must_change_password
    enrollment = db.session.scalar(select(Enrollment).where(Enrollment.user_id == user.id))
    assert enrollment.cohort_id == cohort.id and enrollment.mou_id == side.mou.id
    assert "Accepted and enrolled" in client.get("/nominations").get_data(as_text=True)
    actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {"nomination.create", "nomination.accept", "user.create", "enrollment.create",
            "enrollment.set_mou"} <= actions
    officer = make_client()
    login(officer, "olivia@north.example", password)
    assert officer.get("/course").headers["Location"].endswith("/account/password")


def test_staff_decline_with_a_reason_the_coordinator_sees(kit, program, db, client, make_client, factory):
    track = kit.track()
    side = program(tracks=[track.slug])
    login(client, side.coordinator.email)
    post(client, "/nominations/new", _form(track, side.mou), page="/nominations/new")
    nomination = db.session.scalar(select(Nomination))
    staff_client = make_client()
    login(staff_client, factory.user(Role.STAFF).email)
    assert post(staff_client, f"/nominations/{nomination.id}/decline", {"reason": "", "confirm": "yes"},
                page=f"/nominations/{nomination.id}/decline").status_code == 400
    db.session.expire_all()
    assert db.session.get(Nomination, nomination.id).status == "pending"
    post(staff_client, f"/nominations/{nomination.id}/decline", {"reason": "Background check incomplete",
                                                                 "confirm": "yes"},
         page=f"/nominations/{nomination.id}/decline")
    page = client.get(f"/nominations/{nomination.id}").get_data(as_text=True)
    assert "Declined" in page and "Background check incomplete" in page
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "nomination.decline")).details == {
        "reason": "Background check incomplete"}


def test_eligibility_is_checked(kit, program, db, client):
    track = kit.track()
    side = program(tracks=[track.slug])
    login(client, side.coordinator.email)
    for over, reason in ((dict(citizenship_attested=""), "citizenship is not attested"),
                         (dict(background_check_on="2020-01-01"), "older than 5 years"),
                         (dict(background_check_on="2027-01-01"), "in the future"),
                         (dict(commits_two_years=""), "two years")):
        data = _form(track, side.mou, **over)
        for key in ("citizenship_attested", "commits_two_years"):
            if not data[key]:
                del data[key]
        response = post(client, "/nominations/new", data, page="/nominations/new")
        assert reason in response.get_data(as_text=True), reason
    assert db.session.scalar(select(Nomination)) is None


def test_accepting_an_existing_trainee_of_another_agency_is_refused(kit, program, db, client, factory):
    from lms.agencies.nominations import NominationError, accept_nomination, check_nominee, nominate

    track = kit.track()
    side = program(tracks=[track.slug])
    other = factory.user(Role.TRAINEE, email="taken@example.test")
    cohort = factory.cohort(track.slug, agencies=[side.agency])
    nominee, problems = check_nominee(mou=side.mou, name="X Y", email=other.email, track_slug=track.slug,
                                      background_check_on=date(2025, 1, 1), years_experience=3,
                                      citizenship_attested=True, commits_two_years=True, today=date(2026, 3, 2))
    assert problems == []
    nomination = nominate(nominee, mou=side.mou, actor=side.coordinator, now=kit.clock())
    try:
        accept_nomination(nomination, cohort, actor=None, now=kit.clock())
    except NominationError as error:
        assert "not a trainee of this agency" in str(error)
    else:
        raise AssertionError


def test_officer_cap_is_enforced(kit, program, db, factory):
    from lms.agencies.agreements import update_mou
    from lms.agencies.nominations import NominationError, accept_nomination, check_nominee, nominate

    track = kit.track()
    side = program(tracks=[track.slug])
    update_mou(side.mou, officer_cap=1, now=kit.clock())
    cohort = factory.cohort(track.slug, agencies=[side.agency])
    results = []
    for email in ("a@x.test", "b@x.test"):
        nominee, _ = check_nominee(mou=side.mou, name="Some One", email=email, track_slug=track.slug,
                                   background_check_on=date(2025, 1, 1), years_experience=3,
                                   citizenship_attested=True, commits_two_years=True, today=date(2026, 3, 2))
        nomination = nominate(nominee, mou=side.mou, actor=side.coordinator, now=kit.clock())
        try:
            accept_nomination(nomination, cohort, actor=None, now=kit.clock(), password=PASSWORD)
            results.append("ok")
        except NominationError as error:
            results.append(str(error))
    assert results[0] == "ok" and "cap of 1" in results[1]


def test_evidence_upload_is_checked_and_served_as_an_attachment(kit, program, db, client, app):
    import io
    from pathlib import Path

    track = kit.track()
    side = program(tracks=[track.slug])
    login(client, side.coordinator.email)
    data = _form(track, side.mou, csrf_token=csrf_token(client, "/nominations/new"))
    data["evidence"] = (io.BytesIO(b"<html>not a pdf</html>"), "letter.pdf")
    response = client.post("/nominations/new", data=data, content_type="multipart/form-data")
    assert "not a valid PDF" in response.get_data(as_text=True)
    data = _form(track, side.mou, csrf_token=csrf_token(client, "/nominations/new"))
    data["evidence"] = (io.BytesIO(b"%PDF-1.4 letter"), "../../bg check.pdf")
    assert client.post("/nominations/new", data=data, content_type="multipart/form-data").status_code == 302
    nomination = db.session.scalar(select(Nomination))
    assert nomination.evidence_name == "bg check.pdf" and nomination.evidence_stored.endswith(".pdf")
    stored = Path(app.instance_path) / "uploads" / "evidence" / nomination.evidence_stored
    assert stored.read_bytes() == b"%PDF-1.4 letter"
    response = client.get(f"/nominations/{nomination.id}/evidence")
    assert response.status_code == 200 and response.headers["Content-Disposition"].startswith("attachment")
    assert response.data == b"%PDF-1.4 letter"
