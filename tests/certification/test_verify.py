"""The public verification page: opened by the certificate's unguessable code; each status, nothing else
revealed; a look-up by number needs the holder's last name and answers only status; a record whose
signature does not check is never called valid; rate-limited; and the CLI twin."""
import re
from datetime import date, datetime, timezone

import pytest
from sqlalchemy import func, select

from lms.certification import status as st
from lms.certification.verify import holds_last_name, normalize_number
from lms.models import RateCounter, Role

from ..conftest import csrf_token

LEAKS = ["score", "90.0", "pass mark", "@example.test", "exam-a", "Exam exam-a", "Cohort", "MOU", "Interrogate",
         "Misconduct reason", "attempt"]
CONTACT = "the ICE 287(g) Program Office"


def _page(client, code):
    response = client.get(f"/verify/{code}")
    return response, response.get_data(as_text=True)


def _main(page: str) -> str:
    return page.split('id="main-content"')[1]


def _ask(client, number, last_name, **kw):
    """The look-up form, submitted as a browser does (with its CSRF token)."""
    response = client.post("/verify", data={"number": number, "last_name": last_name,
                                            "csrf_token": csrf_token(client, "/verify")}, **kw)
    return response, response.get_data(as_text=True)


def _certified_with_mou(kit, factory, clock, db):
    from lms.agencies.agreements import create_mou

    agency = factory.agency(name="Example County Sheriff", ori="VA0420000")
    mou = create_mou(agency=agency, model="jail_enforcement", signed_on=date(2025, 1, 1),
                     effective_on=date(2025, 1, 1), authorized_functions=["Interrogate in jail"], now=clock())
    db.session.commit()
    return kit.certified(agency=agency, mou=mou, name="Dana Álvarez")


def _lookups(db) -> int:
    """Look-ups counted against any address (lms.limits)."""
    return db.session.scalar(select(func.coalesce(func.sum(RateCounter.count), 0))
                             .where(RateCounter.key.like("verify-lookup:%")))


def test_a_valid_certificate_shows_only_the_public_facts(kit, db, factory, client, clock):
    certification = _certified_with_mou(kit, factory, clock, db)
    response, page = _page(client, certification.verification_code)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store" and "noindex" in response.headers["X-Robots-Tag"]
    assert 'data-status="active"' in page and "Valid" in page
    for fact in (certification.number, "Dana Álvarez", "Example County Sheriff (VA0420000)", "Track track-",
                 "March 2, 2026", "March 2, 2028", "Verified: the record is exactly as it was issued"):
        assert fact in page
    for leak in LEAKS:
        assert leak.lower() not in _main(page).lower(), leak
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
    response, page = _page(client, certification.verification_code)
    assert response.status_code == 200
    assert f'data-status="{status}"' in page
    assert {"suspended": "Suspended", "revoked": "Revoked", "expired": "Expired"}[status] in page
    assert "valid until" not in page
    assert "Misconduct reason" not in page


def _tamper(certification, db, what):
    if what == "snapshot":
        certification.snapshot = certification.snapshot.replace("Person", "Persona")
    else:
        signature = certification.signature
        certification.signature = ("B" if signature[0] == "A" else "A") + signature[1:]
    db.session.commit()


@pytest.mark.parametrize("what", ["snapshot", "signature"])
def test_a_tampered_record_is_never_called_valid(kit, db, client, what):
    """Defect: a record whose signature did not check was headed "Valid, but ..."."""
    certification = kit.certified(name="Dana Person")
    _tamper(certification, db, what)
    response, page = _page(client, certification.verification_code)
    assert response.status_code == 200
    assert "valid" not in page.lower().replace("cannot be verified", "")  # title, heading, tag, text
    assert 'data-status="unverifiable"' in page and "usa-alert--success" not in page
    title = re.search(r"<title>(.*?)</title>", page, re.S).group(1)
    assert "cannot be verified" in title
    assert "This record cannot be verified" in page and f"Contact {CONTACT}" in page
    assert certification.number in page
    # The facts may be the altered ones: none is shown.
    assert "Persona" not in page and "Dana Person" not in page and "Agency" not in _main(page)
    # The look-up by number says the same.
    response, page = _ask(client, certification.number, "Person" if what == "signature" else "Persona")
    assert response.status_code == 200 and "valid" not in page.lower().replace("cannot be verified", "")
    assert "This record cannot be verified" in page and CONTACT in page


def test_the_number_alone_answers_nothing_and_old_links_ask_for_the_last_name(kit, db, client):
    """Defect: numbers are sequential, and /verify/<number> showed name, agency and ORI to anyone."""
    certifications = [kit.certified(name=f"Officer Number{n}") for n in range(3)]
    for certification in certifications:
        response, page = _page(client, certification.number)
        assert response.status_code == 200
        assert "Number" not in _main(page).replace("Certificate number", "") and "Agency" not in _main(page)
        assert "Valid" not in page and "data-status" not in page
        assert f'value="{certification.number}"' in page and "Holder&#39;s last name" in page
    # A number that does not exist gets the very same page: walking numbers reveals nothing.
    for n in range(1, 61):
        assert "Officer" not in _page(client, f"287G-2026-{n:06d}")[1]
    missing = _page(client, "287G-2026-000999")[1]
    known = _page(client, certifications[0].number)[1]
    assert missing.replace("287G-2026-000999", "N") == known.replace(certifications[0].number, "N")
    assert _lookups(db) == 0


def test_a_look_up_by_number_and_last_name_answers_only_the_status(kit, db, factory, client, clock):
    certification = _certified_with_mou(kit, factory, clock, db)
    for typed in ("Álvarez", "alvarez", "  ALVAREZ ", "Dana Álvarez"):
        response, page = _ask(client, certification.number.lower().replace("-000", "-"), typed)
        assert response.status_code == 200, typed
        assert 'data-status="active"' in page and "Valid" in page and "valid until March 2, 2028" in page
        for withheld in ("Dana", "Example County", "VA0420000", "Track track-", certification.verification_code):
            assert withheld not in _main(page), withheld
        for leak in LEAKS:
            assert leak.lower() not in _main(page).lower(), leak
    st.revoke(certification, reason="Misconduct reason", now=clock())
    db.session.commit()
    response, page = _ask(client, certification.number, "Alvarez")
    assert 'data-status="revoked"' in page and "Misconduct" not in page and "valid until" not in page


def test_a_wrong_name_and_an_unknown_number_get_the_same_answer(kit, db, client):
    certification = kit.certified(name="Dana Smith")
    wrong_name = _ask(client, certification.number, "Smyth")
    unknown = _ask(client, "287G-2026-000999", "Smith")
    partial = _ask(client, certification.number, "mith")
    for response, page in (wrong_name, unknown, partial):
        assert response.status_code == 404 and "No match" in page and "data-status" not in page
    assert wrong_name[1].replace(certification.number, "N") == unknown[1].replace("287G-2026-000999", "N")
    assert _lookups(db) == 3


def test_the_look_up_form_explains_what_is_missing(kit, db, client):
    response, page = _ask(client, "hello", "Smith")
    assert response.status_code == 400 and "not a certificate number" in page
    response, page = _ask(client, "287G-2026-000001", "")
    assert response.status_code == 400 and "Enter the holder&#39;s last name" in page
    assert client.get("/verify").status_code == 200
    assert 'value="287G-2026-12"' in client.get("/verify?number=287G-2026-12").get_data(as_text=True)
    refused = client.post("/verify", data={"number": "287G-2026-000001", "last_name": "Smith"})
    assert refused.status_code == 400  # no CSRF token
    assert _lookups(db) == 0
    assert normalize_number(" 287G - 2026 - 000123 ") == "287G-2026-000123"
    assert normalize_number("287G-26-1") is None


@pytest.mark.parametrize("holder, typed, holds", [
    ("Dana Álvarez", "Alvarez", True), ("María de la Cruz", "de la Cruz", True), ("María de la Cruz", "Cruz", True),
    ("John Smith Jr.", "Smith", True), ("John Smith Jr.", "smith jr", True), ("Seán O’Brien", "O'Brien", True),
    ("Dana Smith", "Dana", False), ("Dana Smith", "mith", False), ("Dana Smith", "", False),
    ("Dana Smith", "S", False), ("Ann Lee-Park", "Park", False), ("Ann Lee-Park", "lee-park", True),
])
def test_the_last_name_is_the_end_of_the_name_as_certified(holder, typed, holds):
    assert holds_last_name(holder, typed) is holds


def test_unknown_codes_are_not_found_and_count_as_misses(app, kit, db, client, monkeypatch):
    monkeypatch.setitem(app.config, "VERIFY_LOOKUP_LIMIT", 5)
    monkeypatch.setitem(app.config, "VERIFY_MISS_LIMIT", 3)
    certification = kit.certified()
    response, page = _page(client, "A" * 22)
    assert response.status_code == 404 and "does not open any certificate" in page
    assert _page(client, certification.verification_code[:-1])[0].status_code == 404
    assert _page(client, "<script>")[0].status_code == 404
    limited = client.get(f"/verify/{certification.verification_code}")
    assert limited.status_code == 429 and "Too many lookups" in limited.get_data(as_text=True)
    assert limited.headers["Retry-After"] == "600"
    # The look-up by number counts against the same limits.
    assert _ask(client, certification.number, "Person")[0].status_code == 429


def test_lookups_are_rate_limited_per_address_in_the_database(app, kit, db, client, clock, monkeypatch):
    monkeypatch.setitem(app.config, "VERIFY_LOOKUP_LIMIT", 5)
    monkeypatch.setitem(app.config, "VERIFY_MISS_LIMIT", 3)
    certification = kit.certified()
    code = certification.verification_code
    for n in range(3):
        assert _ask(client, f"287G-2026-{900 + n:06d}", "Person")[0].status_code == 404
    limited = client.get(f"/verify/{code}")
    assert limited.status_code == 429 and "Too many lookups" in limited.get_data(as_text=True)
    other = client.get(f"/verify/{code}", environ_base={"REMOTE_ADDR": "10.9.8.7"})
    assert other.status_code == 200  # another address is not affected
    for _ in range(4):
        assert client.get(f"/verify/{code}", environ_base={"REMOTE_ADDR": "10.9.8.7"}).status_code == 200
    assert client.get(f"/verify/{code}", environ_base={"REMOTE_ADDR": "10.9.8.7"}).status_code == 429
    clock.advance(minutes=11)  # the window has passed
    assert client.get(f"/verify/{code}").status_code == 200


def test_renewals_link_both_ways_on_the_public_pages(kit, db, client, clock):
    basic = kit.track("basic", validity_years=2)
    refresher = kit.track("basic-refresher", modules=("m/refresh",), exams=("refresher-exam",), weeks=1,
                          validity_years=2, refresher_of="basic")
    trainee = kit.trainee(name="Dana Renewer")
    original = kit.certified(basic, trainee=trainee)
    other = kit.certified(basic)  # someone else's: never linked
    clock.when = datetime(2027, 12, 1, 15, 0, tzinfo=timezone.utc)
    renewal = kit.certified(refresher, trainee=trainee)
    _, old_page = _page(client, original.verification_code)
    assert "Renewed by certificate" in old_page
    assert f'href="/verify/{renewal.verification_code}">{renewal.number}</a>' in old_page
    _, new_page = _page(client, renewal.verification_code)
    assert f'href="/verify/{original.verification_code}">{original.number}</a>' in new_page
    assert "Renewed by" not in new_page
    for page in (old_page, new_page):
        assert other.number not in page and other.verification_code not in page
        assert "/registry" not in page


def test_verification_needs_no_login_and_works_for_logged_in_users_too(kit, db, factory, client):
    from tests.conftest import login

    certification = kit.certified()
    assert client.get(f"/verify/{certification.verification_code}").status_code == 200
    staff = factory.user(Role.STAFF)
    login(client, staff.email)
    assert client.get(f"/verify/{certification.verification_code}").status_code == 200


def test_cli_verify_shows_the_same_with_the_signature_check(app, kit, db):
    certification = kit.certified(name="Dana Álvarez")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["certs", "verify", certification.number.lower()])
    assert result.exit_code == 0, result.output
    assert re.search(r"Status:\s+Valid", result.output) and "Dana Álvarez" in result.output
    assert re.search(r"Signature:\s+OK", result.output)
    _tamper(certification, db, "signature")
    result = runner.invoke(args=["certs", "verify", certification.number])
    assert result.exit_code == 1 and "DOES NOT CHECK" in result.output
    assert "Valid" not in result.output and re.search(r"Status:\s+Cannot be verified", result.output)
    result = runner.invoke(args=["certs", "verify", "287G-2026-000404"])
    assert result.exit_code == 1
