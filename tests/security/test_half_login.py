"""A session between password and second factor grants nothing: every route but its step sends back to it."""
import pytest

from lms.models import Role

from ..conftest import PASSWORD, csrf_token
from .conftest import changed_tables, snapshot
from .routes import GET_ROUTES, POST_ROUTES

OPEN = {("static", "GET"), ("main.healthz", "GET"), ("auth.logout", "POST")}  # serve nothing of an account


def half_logged_in(app, user):
    client = app.test_client()
    client.post("/notice", data={"acknowledge": "y", "csrf_token": csrf_token(client, "/notice")})
    response = client.post("/login", data={"email": user.email, "password": PASSWORD,
                                           "csrf_token": csrf_token(client, "/login")})
    assert response.status_code == 302
    return client, response.headers["Location"]


@pytest.mark.parametrize("role", [Role.ADMIN, Role.STAFF])
@pytest.mark.parametrize("enrolled", [True, False], ids=["code step", "enrolment step"])
def test_a_half_logged_in_session_reaches_only_its_step(app, world, factory, db, role, enrolled):
    user = world.user(role) if enrolled else factory.user(role, two_factor=False)
    client, step = half_logged_in(app, user)
    assert step == ("/login/code" if enrolled else "/account/two-factor/enrol")
    token = csrf_token(client, step)
    problems = []
    for key, route in GET_ROUTES.items():
        url = route.url(world)
        response = client.get(url)
        if key in OPEN or url == step:
            if response.status_code != 200:
                problems.append(f"GET {url}: {response.status_code}")
        elif response.status_code != 302 or response.headers["Location"] != step:
            problems.append(f"GET {url}: {response.status_code} {response.headers.get('Location')}")
    for key, route in POST_ROUTES.items():
        url = route.url(world)
        if key in OPEN or url == step:
            continue
        before = snapshot(db)
        response = client.post(url, data={"csrf_token": token, "code": "123456", "reason": "x"})
        if response.status_code != 302 or response.headers["Location"] != step:
            problems.append(f"POST {url}: {response.status_code} {response.headers.get('Location')}")
        if changed := changed_tables(before, snapshot(db)):
            problems.append(f"POST {url} changed {changed}")
    assert problems == []
    assert client.get(step).status_code == 200  # still half logged in, at its step
