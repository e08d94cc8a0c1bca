"""The route inventory and the rules every route follows: log-in, roles, CSRF, and reads that change nothing."""
import pytest

from lms.models import Role

from ..conftest import csrf_token
from .conftest import changed_tables, snapshot
from .routes import GET_ROUTES, POST_ROUTES, PUBLIC, ROUTES

# GET routes whose side effect is part of the design, and the only tables they may touch.
GET_SIDE_EFFECTS = {
    ("course.module", "GET"): {"module_progress"},  # the read receipt (first_read_at)
    ("verify.verify_code", "GET"): {"rate_counter"},  # the public lookup's rate-limit counters
    ("certificates.pdf", "GET"): {"certificate_document"},  # rendered once, then the stored bytes
    ("registry.pdf", "GET"): {"certificate_document"},
    ("registry.passlist_download", "GET"): {"audit_event", "audit_head", "audit_seq"},  # exports are audited
    ("exports.download", "GET"): {"audit_event", "audit_head", "audit_seq"},
    ("interchange.bank_export", "GET"): {"audit_event", "audit_head", "audit_seq"},
    ("classroom.training_record", "GET"): {"audit_event", "audit_head", "audit_seq"},
    ("classroom.my_transcript", "GET"): {"audit_event", "audit_head", "audit_seq"},
    ("classroom.trainee_transcript", "GET"): {"audit_event", "audit_head", "audit_seq"},
}


def test_every_route_is_classified(app):
    """A new route must be added to routes.ROUTES with its roles (and a URL) before the suite passes."""
    found = {(rule.endpoint, method) for rule in app.url_map.iter_rules()
             for method in rule.methods - {"HEAD", "OPTIONS"}}
    assert found - ROUTES.keys() == set(), "unclassified routes: add them to tests/security/routes.py"
    assert ROUTES.keys() - found == set(), "routes.py names routes that no longer exist"


def _headers_problems(response, authenticated: bool) -> list[str]:
    h = response.headers
    problems = []
    csp = h.get("Content-Security-Policy", "")
    if "unsafe-inline" in csp or "unsafe-eval" in csp or "frame-ancestors 'none'" not in csp \
            or "default-src 'self'" not in csp:
        problems.append(f"CSP {csp!r}")
    if h.get("X-Content-Type-Options") != "nosniff":
        problems.append("no nosniff")
    if not h.get("Referrer-Policy"):
        problems.append("no Referrer-Policy")
    if authenticated and "no-store" not in h.get("Cache-Control", ""):
        problems.append(f"Cache-Control {h.get('Cache-Control')!r}")
    return problems


def test_anonymous_users_are_sent_to_log_in(client, world):
    token = csrf_token(client, "/notice")
    problems = []
    for (endpoint, method), route in ROUTES.items():
        url = route.url(world)
        if method == "GET":
            response = client.get(url)
        else:
            response = client.post(url, data={"csrf_token": token})
        location = response.headers.get("Location", "")
        if route.roles is PUBLIC:
            if response.status_code >= 500 or location.startswith("/login"):
                problems.append(f"{method} {url} (public): {response.status_code} {location}")
        elif response.status_code != 302 or not location.startswith("/login"):
            problems.append(f"{method} {url}: {response.status_code} {location}")
        problems += [f"{method} {url}: {p}" for p in _headers_problems(response, authenticated=False)]
    assert problems == []


@pytest.mark.parametrize("role", list(Role))
def test_a_user_without_the_role_gets_403(world, as_user, role):
    client = as_user(world.user(role))
    token = csrf_token(client, "/account/password")
    problems = []
    for (endpoint, method), route in ROUTES.items():
        if route.roles is PUBLIC or role in route.roles:
            continue
        url = route.url(world)
        response = client.get(url) if method == "GET" else client.post(url, data={"csrf_token": token})
        if response.status_code != 403:
            problems.append(f"{role.value} {method} {url}: {response.status_code}")
    assert problems == []


def test_every_post_refuses_a_request_without_its_csrf_token(world, as_user, db, app):
    problems = []
    for (endpoint, method), route in POST_ROUTES.items():
        client = app.test_client() if route.roles is PUBLIC else as_user(route.user(world))
        url = route.url(world)
        before = snapshot(db)
        if endpoint == "exams.autosave":
            response = client.post(url, json={"position": 0, "fields": [["q0", "1"]]})
        else:
            response = client.post(url, data={"reason": "x", "minutes": "10", "cohort_id": str(world.a.cohort.id),
                                              "week": "2", "email": world.staff.email, "password": "x"})
        after = snapshot(db)
        if response.status_code != 400:
            problems.append(f"POST {url}: {response.status_code}")
        if changed := changed_tables(before, after):
            problems.append(f"POST {url} changed {changed}")
        # A wrong token is refused the same way.
        response = client.post(url, data={"csrf_token": "forged"}, headers={"X-CSRFToken": "forged"})
        if response.status_code != 400:
            problems.append(f"POST {url} with a forged token: {response.status_code}")
    assert problems == []


def test_no_get_changes_state_and_every_page_carries_the_security_headers(world, as_user, db):
    problems = []
    for key, route in GET_ROUTES.items():
        endpoint, _ = key
        user = None if route.roles is PUBLIC else route.user(world)
        client = as_user(user) if user else as_user(world.staff)  # public pages, seen by a logged-in user
        url = route.url(world)
        before = snapshot(db)
        response = client.get(url)
        response.get_data()  # streamed downloads run to the end
        response.close()
        after = snapshot(db)
        if user is not None and response.status_code != route.ok:
            problems.append(f"GET {url} as {user.role}: {response.status_code}, expected {route.ok}")
        changed = set(changed_tables(before, after))
        if changed - GET_SIDE_EFFECTS.get(key, set()):
            problems.append(f"GET {url} changed {sorted(changed)}")
        if endpoint != "static":
            problems += [f"GET {url}: {p}" for p in _headers_problems(
                response, authenticated=endpoint not in ("verify.signing_keys",))]
    assert problems == []
