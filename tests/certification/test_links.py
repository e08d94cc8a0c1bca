"""Links that leave the site (verification links in pass lists and PDFs) follow the address the app is
served on, unless LMS_PUBLIC_URL is set; behind a proxy (LMS_BEHIND_PROXY) the forwarded host."""
import pytest
from werkzeug.middleware.proxy_fix import ProxyFix

from lms.certification.links import local_url, public_base_url
from lms.models import Role

from ..conftest import ClientAt, login


@pytest.fixture
def staff_at(app, db, factory, monkeypatch):
    """A logged-in staff client on the address given."""
    monkeypatch.setitem(app.config, "PUBLIC_URL", None)
    staff = factory.user(Role.STAFF)

    def at(base_url):
        client = ClientAt(app.test_client(), base_url)
        login(client, staff.email)
        return client
    return at


def _csv_links(client, **kw) -> str:
    return client.get("/passlist.csv", **kw).get_data(as_text=True)


def test_links_follow_the_address_of_the_request(kit, staff_at):
    certification = kit.certified()
    body = _csv_links(staff_at("http://lms.local:8080"))
    assert f"http://lms.local:8080/verify/{certification.verification_code}" in body


def test_behind_a_proxy_links_follow_the_forwarded_host(app, kit, staff_at, monkeypatch):
    monkeypatch.setattr(app, "wsgi_app", ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1))
    certification = kit.certified()
    body = _csv_links(staff_at("http://localhost"),
                      headers={"X-Forwarded-Host": "lms.agency.gov", "X-Forwarded-Proto": "https",
                               "X-Forwarded-For": "203.0.113.9"})
    assert f"https://lms.agency.gov/verify/{certification.verification_code}" in body


def test_lms_public_url_wins_over_any_host_header(app, kit, staff_at, monkeypatch):
    client = staff_at("http://evil.example")
    monkeypatch.setitem(app.config, "PUBLIC_URL", "https://lms.example.gov/")
    certification = kit.certified()
    body = _csv_links(client)
    assert f"https://lms.example.gov/verify/{certification.verification_code}" in body and "evil" not in body


def test_outside_a_request_links_use_the_address_quickstart_serves_on(app, db, monkeypatch):
    monkeypatch.setitem(app.config, "PUBLIC_URL", None)
    monkeypatch.setitem(app.config, "LOCAL_URL", local_url("0.0.0.0", 5101))
    assert public_base_url() == "http://127.0.0.1:5101"
    assert local_url("::1", 5000) == "http://[::1]:5000" and local_url("lms.local", 80) == "http://lms.local:80"
