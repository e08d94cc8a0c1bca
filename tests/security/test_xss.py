"""Stored XSS: every free-text field a user controls (names of people, agencies and cohorts, MOU
functions, nomination notes, uploaded file names, CSV roster values) is escaped on every page."""
import io

import pytest

from ..conftest import csrf_token
from ..factories import security_world
from .routes import GET_ROUTES, PUBLIC

EVIL = "<script>alert(1)</script><img src=x onerror=alert(2)>\"'"
RAW = ("<script>alert(1)", "<img src=x")


@pytest.fixture
def evil_world(db, factory, clock):
    return security_world(db, factory, clock, evil=EVIL)


def _raw(body: str) -> list[str]:
    return [r for r in RAW if r in body]


def test_no_page_renders_a_stored_payload_raw(evil_world, as_user):
    w = evil_world
    viewers = [w.staff, w.admin, w.a.coordinator, w.a.instructor, w.a.trainee, w.a.certification.user]
    problems = []
    for (endpoint, _), route in GET_ROUTES.items():
        if endpoint == "static":
            continue
        users = [u for u in viewers if route.roles is PUBLIC or u.role in {r.value for r in route.roles}]
        for user in users:
            response = as_user(user).get(route.url(w), follow_redirects=True)
            body = response.get_data(as_text=True) if response.mimetype.startswith(("text/", "application/json")) \
                else ""
            if response.mimetype == "text/html" and (found := _raw(body)):
                problems.append(f"{endpoint} as {user.role}: {found}")
            disposition = response.headers.get("Content-Disposition", "")
            if any(c in disposition for c in "<>\r\n"):
                problems.append(f"{endpoint}: Content-Disposition {disposition!r}")
    assert problems == []


def test_admin_pages_escape_user_names_and_audit_details(evil_world, as_user):
    client = as_user(evil_world.admin)
    for url in (f"/admin/users/{evil_world.a.trainee.id}", "/admin/users?q=script", "/admin/audit",
                f"/agencies/{evil_world.a.agency.id}", f"/mous/{evil_world.a.mou.id}"):
        body = client.get(url).get_data(as_text=True)
        assert _raw(body) == [], url
        assert "&lt;script&gt;" in body, f"{url} does not show the (escaped) name at all"


def test_flash_after_accepting_an_evil_nomination_is_escaped(evil_world, as_user):
    client = as_user(evil_world.staff)
    n = evil_world.a.nomination
    token = csrf_token(client, f"/nominations/{n.id}")
    response = client.post(f"/nominations/{n.id}/accept", data={"csrf_token": token,
                                                                "cohort_id": evil_world.a.cohort.id},
                           follow_redirects=True)
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert _raw(body) == []


def test_roster_import_report_escapes_the_values_it_echoes(evil_world, as_user):
    client = as_user(evil_world.a.coordinator)
    csv = ("name,email,track,background_check_on,years_experience,citizenship_attested,commits_two_years,notes\n"
           f'"{EVIL.replace(chr(34), chr(34) * 2)}",{EVIL.replace(chr(34), "")},exam-track<b>,2025-13-45,'
           f"x{EVIL.replace(chr(34), '')},maybe,no,n\n")
    token = csrf_token(client, "/nominations/import")
    response = client.post("/nominations/import", data={
        "csrf_token": token, "mou_id": evil_world.a.mou.id, "mode": "all",
        "roster": (io.BytesIO(csv.encode()), EVIL.replace('"', "") + ".csv")}, content_type="multipart/form-data")
    body = response.get_data(as_text=True)
    assert response.status_code in (200, 400)
    assert _raw(body) == []
