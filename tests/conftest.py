"""Fixtures: one app per test session, a database per test whose writes are rolled back, frozen time,
the factories (tests/factories.py) and HTTP helpers.

The database is SQLite in a temporary folder, or the PostgreSQL server named by
LMS_TEST_DATABASE_URL (the CI runs the suite once on each).
"""
import os
import re
import uuid
from contextlib import contextmanager
from datetime import datetime, timezone

import pyotp
import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from flask import current_app, has_app_context
from flask.testing import FlaskClient

from lms.app import create_app
from lms.audit import ensure_head
from lms.clock import FrozenClock
from lms.config import normalize_database_url
from lms.extensions import db as _db
from lms.models import Role, User
from lms.models.audit import APPEND_ONLY_TRIGGERS
from lms.accounts.twofactor import decrypt_secret

from .database import rolled_back
from .factories import PASSWORD, PROJECT_ROOT, CertKit, Factory, enrol_second_factor  # noqa: F401 (tests import them from here)

START = datetime(2026, 3, 2, 14, 0, tzinfo=timezone.utc)  # a Monday, 9:00 in New York


def test_database_url(tmp_path_factory) -> str:
    url = os.environ.get("LMS_TEST_DATABASE_URL")
    if url:
        return normalize_database_url(url)
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


test_database_url.__test__ = False  # a helper, not a test


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    return test_database_url(tmp_path_factory)


class Client(FlaskClient):
    """Each request runs in its own app context, as in production: its own ``g``, its own
    database session. The test's session ends its transaction first, so SQLite's writer lock
    is free for the request."""

    def open(self, *args, **kwargs):
        if has_app_context():
            _db.session.rollback()
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture(scope="session")
def app(database_url, tmp_path_factory):
    instance = tmp_path_factory.mktemp("instance")
    app = create_app({
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-not-for-production",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "INSTANCE_PATH": str(instance),
        "CONTENT_ROOT": str(PROJECT_ROOT),
        "ARGON2_PARAMS": {"time_cost": 1, "memory_cost": 1024, "parallelism": 1},
        "CLOCK": FrozenClock(START),
    })
    app.test_client_class = Client
    with app.app_context():
        _db.drop_all()
        _db.create_all()
    yield app
    with app.app_context():
        _db.session.remove()
        _db.engine.dispose()


@contextmanager
def audit_guard_lifted(session):
    """Test only: drop the audit log's append-only triggers inside the session's transaction and put
    them back before it ends, as only the table's owner could (a rollback restores them too)."""
    statements = APPEND_ONLY_TRIGGERS[session.get_bind().dialect.name]
    for statement in statements["drop"]:
        session.connection().exec_driver_sql(statement)
    yield
    for statement in statements["create"]:
        session.connection().exec_driver_sql(statement)


def _clean(db) -> None:
    tables = [t.name for t in reversed(db.metadata.sorted_tables)]
    with audit_guard_lifted(db.session):  # the audit log refuses DELETE and TRUNCATE otherwise
        if db.engine.dialect.name == "postgresql":
            db.session.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
        else:
            for table in ("module", "question", "exam"):  # their current_version_id closes a cycle
                db.session.execute(text(f'UPDATE "{table}" SET current_version_id = NULL'))
            for table in tables:
                db.session.execute(text(f'DELETE FROM "{table}"'))
    db.session.commit()


@pytest.fixture
def empty_database_url(database_url, tmp_path):
    """A new, empty database on the same engine as the test run."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrated.db'}"
        return
    name = f"lms_migrate_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def clock(app):
    """The app's frozen clock, reset for each test; move it with clock.advance(minutes=...)."""
    frozen = FrozenClock(START)
    app.config["CLOCK"] = frozen
    return frozen


@pytest.fixture
def db(app, clock, request):
    """The database for one test, inside an app context: empty at the start, and whatever the test wrote
    is rolled back at the end (its commits are savepoints in one outer transaction). A test marked
    ``committed`` (threads, other processes, backups: other connections must see its data) really commits,
    on tables emptied before and after it."""
    with app.app_context():
        if request.node.get_closest_marker("committed"):
            with _committed(_db):
                yield _db
        else:
            with rolled_back(_db, app):
                ensure_head()
                _db.session.commit()
                yield _db


@contextmanager
def _committed(db):
    _clean(db)
    ensure_head()
    db.session.commit()
    try:
        yield
    finally:
        db.session.rollback()
        db.session.remove()
        _clean(db)
        db.session.remove()


@pytest.fixture
def client(app, db):
    return app.test_client()


@pytest.fixture
def make_client(app, db):
    """More clients (other browsers, other devices)."""
    return app.test_client


CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')


def csrf_from(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1) or match.group(2)


def csrf_token(client, url="/notice") -> str:
    """A CSRF token for the client's session, read from a page's form, as a browser would."""
    response = client.get(url)
    return csrf_from(response.get_data(as_text=True))


def login(client, email, password=PASSWORD, *, ack=True):
    """Acknowledge the notice and log in, with a code from the user's authenticator when the account has a
    second factor; returns the last response (a redirect when the log-in succeeded)."""
    if ack:
        client.post("/notice", data={"acknowledge": "y", "csrf_token": csrf_token(client, "/notice")})
    token = csrf_token(client, "/login")
    response = client.post("/login", data={"email": email, "password": password, "csrf_token": token})
    return second_step(client, email, response)


SECRET_RE = re.compile(r'class="totp-secret">([A-Z2-7 ]+)<')


def second_step(client, email, response):
    """After a right password: send the code the account's authenticator shows now (read from its stored
    secret), or, for an account without one, enrol as a person would (the secret read from the page).
    Any other response is returned as it is."""
    location = response.headers.get("Location", "") if response.status_code == 302 else ""
    if location.startswith("/login/code"):
        code = totp_code(_db.session.scalar(select(User).where(User.email == email.strip().lower())))
        return client.post("/login/code", data={"code": code, "csrf_token": csrf_token(client, "/login/code")})
    if location.startswith("/account/two-factor/enrol"):
        page = client.get("/account/two-factor/enrol").get_data(as_text=True)
        secret = SECRET_RE.search(page).group(1).replace(" ", "")
        code = pyotp.TOTP(secret).at(current_app.config["CLOCK"]())
        return client.post("/account/two-factor/enrol", data={"code": code, "csrf_token": csrf_from(page)})
    return response


def totp_code(user) -> str:
    """The code the user's authenticator shows at the frozen clock: the earliest time step of the accepted
    window (now ± 1) not used yet, as the server refuses a step used before. When a test has used all three,
    the clock moves on 30 seconds, as it would between log-ins."""
    _db.session.refresh(user)
    totp = pyotp.TOTP(decrypt_secret(user.totp_secret))
    clock = current_app.config["CLOCK"]
    if user.totp_last_step is not None and user.totp_last_step >= totp.timecode(clock()) + 1:
        clock.advance(seconds=30)
    step = max(totp.timecode(clock()) - 1, (user.totp_last_step or 0) + 1)
    return totp.generate_otp(step)


class ClientAt:
    """A test client whose every request goes to another address (host and port) than localhost."""

    def __init__(self, client, base_url):
        self.client, self.base_url = client, base_url

    def get(self, path, **kw):
        return self.client.get(path, base_url=self.base_url, **kw)

    def post(self, path, **kw):
        return self.client.post(path, base_url=self.base_url, **kw)


def post(client, url, data=None, *, page="/"):
    """POST a form with the CSRF token a page of the site gave this client."""
    data = dict(data or {})
    data["csrf_token"] = csrf_token(client, page)
    return client.post(url, data=data)


@pytest.fixture
def factory(db, clock):
    return Factory(db, clock)


@pytest.fixture
def kit(db, factory, clock):
    """Tracks built directly in the database and results as the exam engine leaves them."""
    return CertKit(db, factory, clock)
