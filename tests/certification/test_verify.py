"""The public verification page: each status, nothing else revealed, rate-limited, and the CLI twin."""
import re
from datetime import datetime, timezone

import pytest

from lms.certification import status as st
from lms.certification.verify import normalize_number
from lms.models import Role

LEAKS = ["score", "90.0", "pass mark", "@example.test", "exam-a", "Exam exam-a", "Cohort", "MOU", "Interrogate",
         "Misconduct reason", "attempt"]


def _page(client, number):
    response = client.get(f"/verify/{number}")
    return response, response.get_data(as_text=True)


def _certified_with_mou(kit, factory, clock, db):
    from datetime import date

    from lms.agreements import create_mou

    agency = factory.agency(name="Example County Sheriff", ori="VA0420000")
    mou = create_mou(agency=agency, model="jail_enforcement", signed_on=date(2025, 1, 1),
                     effective_on=date(2025, 1, 1), authorized_functions=["Interrogate in jail"], now=clock())
    db.session.commit()
    return kit.certified(agency=agency, mou=mou, name="Dana Álvarez")


def test_a_valid_certificate_shows_only_the_public_facts(kit, db, factory, client, clock):
    certification = _certified_with_mou(kit, factory, clock, db)
    response, page = _page(client, certification.number)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store" and "noindex" in response.headers["X-Robots-Tag"]
    assert 'data-status="active"' in page and "Valid" in page
    for fact in ("Dana Álvarez", "Example County Sheriff (VA0420000)", "Track track-", "March 2, 2026", "March 2, 2028",
                 "Verified: the record is exactly as it was issued"):
        assert fact in page
    body = page.split('id="main-content"')[1]
    for leak in LEAKS:
        assert leak.lower() not in body.lower(), leak
    assert certification.user.email not in page


@pytest.mark.parametrize("status", ["suspended", "revoked", "expired"])
def test_each_status_is_shown_and_none_of_the_reasons(kit, db, client, clock, status):
    certification = kit.certified()
    if status == "suspended":
        st.suspend(certification, reason="Misconduct reason", now=clock())
    elif status == "revoked":
        st.revoke(certification, reason="Misconduct reason", now=clock())
    db.session.commit()
    if status == "expired":
        clock.when = datetime(2028, 3, 5, 15, 0, tzinfo=timezone.utc)
    response, page = _page(client, certification.number)
    assert response.status_code == 200
    assert f'data-status="{status}"' in page
    assert {"suspended": "Suspended", "revoked": "Revoked", "expired": "Expired"}[status] in page
    assert "is valid until" not in page
    assert "Misconduct reason" not in page


def test_a_tampered_record_says_its_signature_does_not_check(kit, db, client):
    certification = kit.certified()
    certification.snapshot = certification.snapshot.replace("Person", "Persona")
    db.session.commit()
    _, page = _page(client, certification.number)
    assert "signature does not check" in page and "Persona" in page


def test_unknown_and_malformed_numbers(kit, db, client):
    response, page = _page(client, "287G-2026-000999")
    assert response.status_code == 404 and "No certificate has this number" in page
    response = client.get("/verify?number=287g-2026-12")
    assert response.status_code == 302 and response.headers["Location"].endswith("/verify/287G-2026-000012")
    response = client.get("/verify?number=hello")
    assert response.status_code == 400 and "not a certificate number" in response.get_data(as_text=True)
    assert client.get("/verify").status_code == 200
    assert normalize_number(" 287G - 2026 - 000123 ") == "287G-2026-000123"
    assert normalize_number("287G-26-1") is None


def test_lookups_are_rate_limited_per_address_in_the_database(app, kit, db, client, clock, monkeypatch):
    monkeypatch.setitem(app.config, "VERIFY_LOOKUP_LIMIT", 5)
    monkeypatch.setitem(app.config, "VERIFY_MISS_LIMIT", 3)
    certification = kit.certified()
    for n in range(3):
        assert client.get(f"/verify/287G-2026-{900 + n:06d}").status_code == 404
    limited = client.get(f"/verify/{certification.number}")
    assert limited.status_code == 429 and "Too many lookups" in limited.get_data(as_text=True)
    assert limited.headers["Retry-After"] == "600"
    other = client.get(f"/verify/{certification.number}", environ_base={"REMOTE_ADDR": "10.9.8.7"})
    assert other.status_code == 200  # another address is not affected
    for _ in range(4):
        assert client.get(f"/verify/{certification.number}", environ_base={"REMOTE_ADDR": "10.9.8.7"}).status_code == 200
    assert client.get(f"/verify/{certification.number}", environ_base={"REMOTE_ADDR": "10.9.8.7"}).status_code == 429
    clock.advance(minutes=11)  # the window has passed
    assert client.get(f"/verify/{certification.number}").status_code == 200


def test_verification_needs_no_login_and_works_for_logged_in_users_too(kit, db, factory, client):
    from tests.conftest import login

    certification = kit.certified()
    assert client.get(f"/verify/{certification.number}").status_code == 200
    staff = factory.user(Role.STAFF)
    login(client, staff.email)
    assert client.get(f"/verify/{certification.number}").status_code == 200


def test_cli_verify_shows_the_same_with_the_signature_check(app, kit, db):
    certification = kit.certified(name="Dana Álvarez")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["certs", "verify", certification.number.lower()])
    assert result.exit_code == 0, result.output
    assert re.search(r"Status:\s+Valid", result.output) and "Dana Álvarez" in result.output
    assert re.search(r"Signature:\s+OK", result.output)
    certification.signature = "A" + certification.signature[1:] if certification.signature[0] != "A" else \
        "B" + certification.signature[1:]
    db.session.commit()
    result = runner.invoke(args=["certs", "verify", certification.number])
    assert result.exit_code == 1 and "DOES NOT CHECK" in result.output
    result = runner.invoke(args=["certs", "verify", "287G-2026-000404"])
    assert result.exit_code == 1
