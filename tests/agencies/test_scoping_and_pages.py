"""A coordinator sees and nominates for their own agency only: every URL about another agency's
agency, MOU, document, nomination, evidence or figures is a 404; staff-only actions are a 403. Staff
pages create and edit agencies and MOUs, with their history, documents and termination."""
import io
from datetime import date

import pytest
from sqlalchemy import select

from lms.agencies.agreements import attach_document
from lms.models import Agency, Mou, MouDocument, Nomination, Role
from lms.agencies.nominations import check_nominee, nominate

from ..conftest import csrf_token, login, post


@pytest.fixture
def two_agencies(kit, program, db, factory, clock):
    track = kit.track()
    mine, theirs = program("Mine County", tracks=[track.slug]), program("Their County", tracks=[track.slug])
    nominee, _ = check_nominee(mou=theirs.mou, name="Their Officer", email="t@their.example", track_slug=track.slug,
                               background_check_on=date(2025, 1, 1), years_experience=2, citizenship_attested=True,
                               commits_two_years=True, today=date(2026, 3, 2))

    class Upload:
        filename = "mou.pdf"
        stream = io.BytesIO(b"%PDF-1.7 signed")

    document = attach_document(theirs.mou, Upload(), actor=None, now=clock())
    evidence = type("E", (), {"filename": "e.pdf", "stream": io.BytesIO(b"%PDF-1.4 e")})()
    nomination = nominate(nominee, mou=theirs.mou, actor=theirs.coordinator, now=clock(), evidence=evidence)
    db.session.commit()
    return track, mine, theirs, document, nomination


def test_coordinator_gets_404_for_everything_of_another_agency(two_agencies, client):
    track, mine, theirs, document, nomination = two_agencies
    login(client, mine.coordinator.email)
    for url in (f"/agencies/{theirs.agency.id}", f"/mous/{theirs.mou.id}", f"/nominations/{nomination.id}",
                f"/nominations/{nomination.id}/evidence",
                f"/program/people?group=nominated&agency_id={theirs.agency.id}",
                f"/program/people?group=nominated&mou_id={theirs.mou.id}"):
        assert client.get(url).status_code == 404, url
    for url in (f"/agencies/{mine.agency.id}", f"/mous/{mine.mou.id}", "/program", "/nominations", "/agencies"):
        assert client.get(url).status_code == 200, url
    assert "Their County" not in client.get("/program").get_data(as_text=True)
    assert "Their Officer" not in client.get("/nominations").get_data(as_text=True)
    assert "Their County" not in client.get("/agencies").get_data(as_text=True)
    # Nominating under another agency's MOU (a forged form) is refused as not found.
    response = post(client, "/nominations/new", {
        "mou_id": theirs.mou.id, "track": track.slug, "name": "X", "email": "x@x.example",
        "background_check_on": "2025-01-01", "years_experience": "3", "citizenship_attested": "y",
        "commits_two_years": "y"}, page="/nominations/new")
    assert response.status_code == 200 and "Not a valid choice" in response.get_data(as_text=True)
    token = csrf_token(client, "/nominations/import")
    response = client.post("/nominations/import", data={
        "csrf_token": token, "mou_id": theirs.mou.id, "mode": "all",
        "roster": (io.BytesIO(b"name\n"), "r.csv")}, content_type="multipart/form-data")
    assert "Not a valid choice" in response.get_data(as_text=True)
    from lms.extensions import db

    assert db.session.scalar(select(Nomination).where(Nomination.name == "X")) is None


def test_staff_only_urls_are_403_for_coordinators_and_nominating_is_403_for_staff(two_agencies, client, make_client,
                                                                                factory):
    _, mine, theirs, document, nomination = two_agencies
    login(client, mine.coordinator.email)
    for url in ("/agencies/new", f"/agencies/{mine.agency.id}/edit", f"/agencies/{mine.agency.id}/mous/new",
                f"/mous/{mine.mou.id}/edit", f"/mous/{theirs.mou.id}/documents/{document.id}", "/mou-models"):
        assert client.get(url).status_code == 403, url
    for url in (f"/mous/{mine.mou.id}/terminate", f"/mous/{mine.mou.id}/documents",
                f"/nominations/{nomination.id}/accept", f"/nominations/{nomination.id}/decline"):
        assert post(client, url, {"reason": "x", "action": "revoke"}, page="/nominations").status_code == 403, url
    staff = make_client()
    login(staff, factory.user(Role.STAFF).email)
    assert staff.get("/nominations/new").status_code == 403
    trainee = make_client()
    login(trainee, factory.user(Role.TRAINEE).email)
    for url in ("/program", "/agencies", "/nominations", f"/mous/{mine.mou.id}"):
        assert trainee.get(url).status_code == 403, url


def test_staff_create_and_edit_agencies_and_mous_with_history(kit, db, client, factory):
    track = kit.track()
    login(client, factory.user(Role.STAFF).email)
    response = post(client, "/agencies/new", {"name": "Alabama State Police", "state": "al", "ori": "al0000100",
                                              "kind": "State police", "contacts": "Lt. A, 555-0100"},
                    page="/agencies/new")
    agency = db.session.scalar(select(Agency).where(Agency.ori == "AL0000100"))
    assert response.status_code == 302 and agency.state == "AL" and agency.contacts == "Lt. A, 555-0100"
    post(client, f"/agencies/{agency.id}/edit", {"name": "Alabama Department of Public Safety", "state": "AL",
                                                 "kind": "State police", "contacts": "Lt. B"},
         page=f"/agencies/{agency.id}/edit")
    page = client.get(f"/agencies/{agency.id}").get_data(as_text=True)
    assert ("Alabama Department of Public Safety" in page and "Agency edited" in page and "agency.update" not in page
            and "Lt. B" in page)
    response = post(client, f"/agencies/{agency.id}/mous/new", {
        "model": "task_force", "signed_on": "2003-09-10", "effective_on": "2003-09-10",
        "functions": "Interrogate\nArrest without warrant\n", "officer_cap": "30", "tracks": [track.slug]},
        page=f"/agencies/{agency.id}/mous/new")
    mou = db.session.scalar(select(Mou).where(Mou.agency_id == agency.id))
    assert response.status_code == 302 and mou.authorized_functions == ["Interrogate", "Arrest without warrant"]
    assert mou.track_slugs == [track.slug] and mou.officer_cap == 30
    post(client, f"/mous/{mou.id}/edit", {"model": "task_force", "signed_on": "2003-09-10",
                                          "effective_on": "2003-09-10", "ends_on": "2030-01-01",
                                          "functions": "Interrogate", "tracks": [track.slug]},
         page=f"/mous/{mou.id}/edit")
    page = client.get(f"/mous/{mou.id}").get_data(as_text=True)
    assert ("Agreement edited" in page and "2030-01-01" in page
            and "Arrest without warrant" not in page.split("History")[0])
    # The history reads as sentences, not JSON.
    history = page.split('id="history-heading"')[1]
    assert "<strong>Ends:</strong> none → 2030-01-01" in history
    assert "<strong>Authorized functions:</strong> Interrogate; Arrest without warrant → Interrogate" in history
    assert ("<strong>Model:</strong> Task Force" in history and "Agreement recorded" in history
            and "{&#34;" not in history)
    assert "mou.create" not in history and "mou.update" not in history  # event codes are not shown to people
    agency_history = client.get(f"/agencies/{agency.id}").get_data(as_text=True).split('id="history-heading"')[1]
    assert "<strong>Name:</strong> Alabama State Police → Alabama Department of Public Safety" in agency_history
    assert "<strong>Points of contact:</strong> Lt. A, 555-0100 → Lt. B" in agency_history

    token = csrf_token(client, f"/mous/{mou.id}")
    bad = client.post(f"/mous/{mou.id}/documents", data={"csrf_token": token, "document": (
        io.BytesIO(b"MZ\x90\x00"), "mou.pdf")}, content_type="multipart/form-data", follow_redirects=True)
    assert "not a valid PDF" in bad.get_data(as_text=True)
    client.post(f"/mous/{mou.id}/documents", data={"csrf_token": csrf_token(client, f"/mous/{mou.id}"), "document": (
        io.BytesIO(b"%PDF-1.7 the agreement"), "Signed MOU.pdf")}, content_type="multipart/form-data")
    document = db.session.scalar(select(MouDocument))
    response = client.get(f"/mous/{mou.id}/documents/{document.id}")
    assert response.data == b"%PDF-1.7 the agreement"
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert "static" not in document.stored_name and document.stored_name != "Signed MOU.pdf"

    post(client, "/mou-models", {"key": "jail_support", "label": "Jail Support"}, page="/mou-models")
    assert "Jail Support" in client.get(f"/agencies/{agency.id}/mous/new").get_data(as_text=True)

    post(client, f"/mous/{mou.id}/terminate", {"action": "suspend", "reason": "Agency withdrew", "confirm": "yes"},
         page=f"/mous/{mou.id}/terminate")
    db.session.expire_all()
    assert db.session.get(Mou, mou.id).termination_reason == "Agency withdrew"
    history = client.get(f"/mous/{mou.id}").get_data(as_text=True).split('id="history-heading"')[1]
    assert "Agreement terminated" in history and "<strong>Certifications:</strong> suspended" in history
    assert "<strong>Reason:</strong> Agency withdrew" in history
    assert "<strong>Document:</strong> Signed MOU.pdf" in history and "document_id" not in history
