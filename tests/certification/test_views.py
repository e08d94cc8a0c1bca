"""The trainee's certificates, the registry and the pass list: who sees what, actions, downloads."""
import csv
import io
import json

import pytest
from sqlalchemy import select

from lms.models import AuditEvent, Certification, Role
from tests.conftest import login, post


def test_a_trainee_sees_their_certificates_and_downloads_the_pdf_and_record(kit, db, client):
    trainee = kit.trainee()
    certification = kit.certified(trainee=trainee)
    number = certification.number
    login(client, trainee.email)
    page = client.get("/certificates").get_data(as_text=True)
    assert number in page and "Download the PDF certificate" in page and "Valid" in page
    detail = client.get(f"/certificates/{number}").get_data(as_text=True)
    assert "Examinations passed" in detail and "90%" in detail  # their own scores, to them
    pdf = client.get(f"/certificates/{number}/certificate.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
    assert f'filename="certificate-{number}.pdf"' in pdf.headers["Content-Disposition"]
    assert client.get(f"/certificates/{number}/certificate.pdf").data == pdf.data  # the same bytes every time
    record = json.loads(client.get(f"/certificates/{number}/record.json").data)
    assert record["snapshot"] == db.session.scalar(select(Certification.snapshot))


def test_another_trainees_certificate_is_a_404(kit, db, client):
    owner, other = kit.trainee(), kit.trainee()
    certification = kit.certified(trainee=owner)
    login(client, other.email)
    for url in ("", "/certificate.pdf", "/record.json"):
        assert client.get(f"/certificates/{certification.number}{url}").status_code == 404
    assert certification.number not in client.get("/certificates").get_data(as_text=True)
    assert client.get("/registry").status_code == 403  # trainees have no registry


def test_a_trainee_without_certificates_is_told_how_to_earn_one(kit, db, client):
    trainee = kit.trainee()
    login(client, trainee.email)
    assert "You have no certificate yet" in client.get("/certificates").get_data(as_text=True)


def test_a_coordinator_sees_and_exports_only_their_own_agency(kit, db, factory, client):
    mine, theirs = factory.agency(name="Mine County"), factory.agency(name="Their County")
    track = kit.track(validity_years=1)
    own = kit.certified(track, agency=mine, name="Own Officer")
    foreign = kit.certified(track, agency=theirs, name="Foreign Officer")
    coordinator = factory.user(Role.COORDINATOR, agency=mine)
    login(client, coordinator.email)
    listing = client.get("/registry").get_data(as_text=True)
    assert own.number in listing and foreign.number not in listing
    assert client.get(f"/registry/{own.number}").status_code == 200
    for url in ("", "/certificate.pdf", "/record.json"):
        assert client.get(f"/registry/{foreign.number}{url}").status_code == 404
    # Asking for the other agency in the filters changes nothing.
    page = client.get(f"/passlist?agency_id={theirs.id}").get_data(as_text=True)
    assert "Own Officer" in page and "Foreign Officer" not in page and "Their County" not in page
    data = client.get(f"/passlist.csv?agency_id={theirs.id}").get_data().decode("utf-8-sig")
    names = [row[1] for row in csv.reader(io.StringIO(data, newline=""))][1:]
    assert names == ["Own Officer"]
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "passlist.export"))
    assert event.details["filters"]["agency_id"] == mine.id and event.details["rows"] == 1
    assert event.actor == coordinator.email
    due = client.get(f"/registry/due?days=400&agency_id={theirs.id}").get_data(as_text=True)
    assert "Own Officer" in due and "Foreign Officer" not in due
    # Coordinators read; they do not act.
    response = post(client, f"/registry/{own.number}/suspend", {"suspend-reason": "x"}, page=f"/registry/{own.number}")
    assert response.status_code == 403


def test_staff_suspend_reinstate_and_revoke_from_the_registry(kit, db, factory, client):
    staff = factory.user(Role.STAFF, email="sam@ice.example")
    certification = kit.certified()
    number = certification.number
    login(client, staff.email)
    detail = client.get(f"/registry/{number}").get_data(as_text=True)
    assert "Status history" in detail and "Suspend" in detail and "Reinstate" not in detail
    response = post(client, f"/registry/{number}/suspend", {"suspend-reason": "Complaint received", "confirm": "yes"},
                    page=f"/registry/{number}/suspend")
    assert response.status_code == 302
    page = client.get(f"/registry/{number}").get_data(as_text=True)
    assert "is now suspended" in page and "Complaint received" in page and "by sam@ice.example" in page
    post(client, f"/registry/{number}/reinstate", {"reinstate-reason": "Unfounded", "confirm": "yes"},
         page=f"/registry/{number}")
    post(client, f"/registry/{number}/revoke", {"revoke-reason": "Misconduct", "confirm": "yes"},
         page=f"/registry/{number}")
    db.session.expire_all()
    assert db.session.scalar(select(Certification.status)) == "revoked"
    # A refused transition is explained, not a crash.
    response = post(client, f"/registry/{number}/reinstate", {"reinstate-reason": "Try", "confirm": "yes"},
                    page=f"/registry/{number}")
    assert response.status_code == 302
    assert "revocation is permanent" in client.get(f"/registry/{number}").get_data(as_text=True)


def test_actions_need_a_reason_and_a_csrf_token(kit, db, factory, client):
    staff = factory.user(Role.STAFF)
    certification = kit.certified()
    number = certification.number
    login(client, staff.email)
    response = client.post(f"/registry/{number}/suspend", data={"suspend-reason": "No token"})
    assert response.status_code == 400 and "Form expired" in response.get_data(as_text=True)
    response = post(client, f"/registry/{number}/suspend", {"suspend-reason": "", "confirm": "yes"},
                    page=f"/registry/{number}")
    assert response.status_code == 400 and "Give the reason" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.scalar(select(Certification.status)) == "active"
    assert client.get("/registry/287G-2026-000999").status_code == 404


def test_staff_filter_the_pass_list_and_download_each_format(kit, db, factory, client):
    staff = factory.user(Role.ADMIN)
    north, south = factory.agency(name="North County"), factory.agency(name="South County")
    track = kit.track()
    kit.certified(track, agency=north, name="Nora North")
    kit.certified(track, agency=south, name="Sid South")
    login(client, staff.email)
    page = client.get(f"/passlist?agency_id={south.id}").get_data(as_text=True)
    assert "Sid South" in page and "Nora North" not in page and "Download 1 row" in page
    assert f"/passlist.csv?agency_id={south.id}" in page
    everything = client.get("/passlist").get_data(as_text=True)
    assert "Sid South" in everything and "Nora North" in everything
    csv_response = client.get(f"/passlist.csv?agency_id={south.id}")
    assert csv_response.mimetype == "text/csv" and "attachment;" in csv_response.headers["Content-Disposition"]
    assert "Sid South" in csv_response.get_data().decode("utf-8-sig")
    xlsx = client.get("/passlist.xlsx")
    assert xlsx.data[:2] == b"PK"
    assert json.loads(client.get("/passlist.json?status=active").data)["count"] == 2
    assert client.get("/passlist.pdf").status_code == 404
    listing = client.get("/registry?q=nora").get_data(as_text=True)
    assert "Nora North" in listing and "Sid South" not in listing


@pytest.mark.parametrize("role", [Role.INSTRUCTOR, Role.TRAINEE])
def test_the_pass_list_is_not_for_instructors_or_trainees(kit, db, factory, client, role):
    user = factory.user(role)
    login(client, user.email)
    assert client.get("/passlist").status_code == 403
    assert client.get("/passlist.csv").status_code == 403


def test_anonymous_users_are_sent_to_log_in(db, client):
    response = client.get("/passlist.csv")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert client.get("/certificates").status_code == 302


def test_the_registry_links_a_renewal_both_ways_and_flags_a_record_whose_signature_fails(kit, db, factory, client,
                                                                                           clock):
    from datetime import datetime, timezone

    basic = kit.track("basic", validity_years=2)
    refresher = kit.track("basic-refresher", modules=("m/refresh",), exams=("refresher-exam",), weeks=1,
                          validity_years=2, refresher_of="basic")
    trainee = kit.trainee()
    original = kit.certified(basic, trainee=trainee)
    clock.when = datetime(2027, 12, 1, 15, 0, tzinfo=timezone.utc)
    renewal = kit.certified(refresher, trainee=trainee)
    login(client, factory.user(Role.STAFF).email)
    old_page = client.get(f"/registry/{original.number}").get_data(as_text=True)
    new_page = client.get(f"/registry/{renewal.number}").get_data(as_text=True)
    assert f'Renewed by <a class="usa-link" href="/registry/{renewal.number}">' in old_page
    assert f'Renews <a class="usa-link" href="/registry/{original.number}">' in new_page
    assert f'href="/verify/{original.verification_code}"' in old_page  # the public page, by its code
    assert "signature does not check" not in old_page
    original.snapshot = original.snapshot.replace('"weeks":2', '"weeks":3')
    db.session.commit()
    assert "signature does not check" in client.get(f"/registry/{original.number}").get_data(as_text=True)
