"""Open redirects, session fixation, cookie flags, HSTS, and the error pages."""
import pytest

from ..conftest import PASSWORD, csrf_token, second_step

EVIL = ["//evil.example/x", "https://evil.example/", "/\\evil.example", "\\\\evil.example", "javascript:alert(1)",
        "/\t/evil.example", " //evil.example", "http:evil.example", "///evil.example", "//%2Fevil.example"]


def _login_with_next(client, email, target):
    client.post("/notice", query_string={"next": target},
                data={"acknowledge": "y", "csrf_token": csrf_token(client, "/notice")})
    token = csrf_token(client, "/login")
    response = client.post("/login", query_string={"next": target},
                           data={"email": email, "password": PASSWORD, "csrf_token": token})
    return second_step(client, email, response)


@pytest.mark.parametrize("target", EVIL)
def test_log_in_never_redirects_off_site(app, world, target):
    client = app.test_client()
    notice = client.post("/notice", query_string={"next": target},
                         data={"acknowledge": "y", "csrf_token": csrf_token(client, "/notice")})
    if any(ord(c) < 32 for c in target):
        assert notice.status_code == 400  # a control character in a URL is refused outright: no redirect at all
        return
    assert "evil.example" not in notice.headers["Location"].split("?")[0]
    response = _login_with_next(client, world.staff.email, target)
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith("/") and not location.startswith("//") and "evil" not in location
    # Already logged in: /login?next= must not bounce off-site either.
    again = client.get("/login", query_string={"next": target})
    assert "evil" not in again.headers["Location"]


def test_log_in_follows_a_local_next(app, world):
    response = _login_with_next(app.test_client(), world.staff.email, "/registry?q=x")
    assert response.headers["Location"] == "/registry?q=x"


def test_the_session_is_renewed_at_log_in_and_the_old_cookie_is_worthless(app, world):
    client = app.test_client()
    before_token = csrf_token(client, "/notice")
    client.post("/notice", data={"acknowledge": "y", "csrf_token": before_token})
    fixed = client.get_cookie("lms_session").value  # what an attacker could have planted
    token = csrf_token(client, "/login")
    response = client.post("/login", data={"email": world.staff.email, "password": PASSWORD, "csrf_token": token})
    half = client.get_cookie("lms_session").value  # between password and code
    second_step(client, world.staff.email, response)
    after = client.get_cookie("lms_session").value
    assert len({fixed, half, after}) == 3
    assert csrf_token(client, "/account/password") != token  # a fresh CSRF secret after log-in
    attacker = app.test_client()
    attacker.set_cookie("lms_session", fixed)
    assert attacker.get("/registry").status_code == 302  # the planted cookie is still anonymous
    # Log-out ends the session server-side: a copy of the logged-in cookie stops working.
    stolen = app.test_client()
    stolen.set_cookie("lms_session", after)
    assert stolen.get("/registry").status_code == 200
    client.post("/logout", data={"csrf_token": csrf_token(client, "/account/password")})
    assert stolen.get("/registry").status_code == 302


def test_cookie_flags_and_hsts_over_https(app, world):
    from ..conftest import csrf_from

    client = app.test_client()
    page = client.get("/notice", base_url="https://lms.example").get_data(as_text=True)
    client.post("/notice", base_url="https://lms.example", data={"acknowledge": "y", "csrf_token": csrf_from(page)},
                headers={"Referer": "https://lms.example/notice"})  # Flask-WTF checks it over HTTPS
    response = client.get("/login", base_url="https://lms.example")
    assert response.status_code == 200
    cookie = client.get_cookie("lms_session", domain="lms.example")
    assert cookie.http_only and cookie.secure and cookie.same_site == "Lax"
    assert "max-age=" in response.headers.get("Strict-Transport-Security", "")


def test_error_pages_echo_no_token_and_no_markup(client, world):
    response = client.post("/notice", data={"acknowledge": "y", "csrf_token": "forged-token-ABC123"})
    assert response.status_code == 400 and "forged-token-ABC123" not in response.get_data(as_text=True)
    response = client.get("/nothing/<script>alert(1)</script>")
    assert response.status_code == 404 and "<script>alert(1)" not in response.get_data(as_text=True)
    assert "Content-Security-Policy" in response.headers


def test_bad_input_gets_a_clear_page_and_changes_nothing(world, as_user, db):
    from .conftest import changed_tables, snapshot

    client = as_user(world.admin)
    token = csrf_token(client, f"/admin/users/{world.peer.id}")
    before = snapshot(db)
    response = client.post(f"/admin/users/{world.peer.id}/disable",
                           data={"csrf_token": token, "reason": "x" * 501, "confirm": "yes"})
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert "Nothing was changed" in body and "Content-Security-Policy" in response.headers
    assert changed_tables(before, snapshot(db)) == []
