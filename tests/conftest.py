"""Fixtures: one app per test session, a database per test whose writes are rolled back, frozen time,
the factories (tests/factories.py); the HTTP helpers (tests/http.py) are importable from here too.

The database is SQLite in a temporary folder, or the PostgreSQL server named by
LMS_TEST_DATABASE_URL (the CI runs the suite once on each).
"""
import copy
import hashlib
import importlib.util
import os
import shutil
import sqlite3
import uuid
from contextlib import contextmanager, suppress
from datetime import datetime, timezone

import pytest
import redis
from flask import has_app_context
from flask.testing import FlaskClient
from huey.storage import MemoryStorage
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from lms import jobs
from lms.app import create_app
from lms.audit import ensure_head
from lms.audit import sealer as audit_sealer
from lms.clock import FrozenClock
from lms.config import normalize_database_url
from lms.content import check as content_check
from lms.exams.pages import forget_known_attempts
from lms.extensions import db as _db
from lms.models.audit import APPEND_ONLY_TRIGGERS

from .database import rolled_back
from .factories import PASSWORD, PROJECT_ROOT, CertKit, Factory, enrol_second_factor  # noqa: F401 (tests import them from here)
from .http import SECRET_RE, ClientAt, csrf_from, csrf_token, login, post, second_step, totp_code  # noqa: F401 (tests import them from here)

START = datetime(2026, 3, 2, 14, 0, tzinfo=timezone.utc)  # a Monday, 9:00 in New York

# The audit log is sealed right after each commit, in the committing thread (lms.audit): a test sees its
# events sealed when its commit returns. Every app a test builds, and every process it starts, does so;
# the `background_sealing` fixture switches the app to the production mode.
os.environ["LMS_AUDIT_SEALING"] = "inline"


def test_database_url(tmp_path_factory) -> str:
    url = os.environ.get("LMS_TEST_DATABASE_URL")
    if url:
        return normalize_database_url(url)
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


test_database_url.__test__ = False  # a helper, not a test


@contextmanager
def worker_database(url: str, worker: str | None):
    """The database of one pytest-xdist worker: SQLite files are already per worker (each has its own
    temporary folder); on PostgreSQL, worker gw0 of a run on database ``test`` gets ``test_gw0``, created
    empty for the run and dropped after it. Without xdist, the database named."""
    parsed = make_url(url)
    if not worker or parsed.get_backend_name() == "sqlite":
        yield url
        return
    name = f"{parsed.database}_{worker}"
    admin = create_engine(parsed, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield parsed.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def bench_script(name: str):
    """One of bench/'s scripts, loaded as a module (bench/ is not a package): the tests that keep it from rotting."""
    spec = importlib.util.spec_from_file_location(name, PROJECT_ROOT / "bench" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    with worker_database(test_database_url(tmp_path_factory), os.environ.get("PYTEST_XDIST_WORKER")) as url:
        yield url


class Client(FlaskClient):
    """Each request runs in its own app context, as in production: its own ``g``, its own
    database session. The test's session ends its transaction first, so SQLite's writer lock
    is free for the request."""

    def open(self, *args, **kwargs):
        if has_app_context():
            _db.session.rollback()
        with self.application.app_context():
            return super().open(*args, **kwargs)


def _content_key(root) -> str:
    """A digest of every file of a content folder (names and bytes): equal keys, equal check results."""
    digest = hashlib.sha256()
    base = os.fspath(root)
    for folder in ("curriculum", "question_banks"):
        for dirpath, dirnames, filenames in os.walk(os.path.join(base, folder)):
            dirnames.sort()
            for name in sorted(filenames):
                path = os.path.join(dirpath, name)
                digest.update(os.path.relpath(path, base).encode() + b"\0")
                with open(path, "rb") as f:
                    digest.update(f.read() + b"\0")
    return digest.hexdigest()


@pytest.fixture(scope="session", autouse=True)
def content_checked_once_per_tree():
    """Checking the bundled course takes seconds, and a dozen tests sync it: each content folder is checked
    once per test run and the result reused, keyed by the digest of its files, so a test that edits a
    copy gets a real check of its edit. Every test gets its own copy of the catalog."""
    real, results = content_check.check_content, {}

    def check_content(root):
        key = _content_key(root)
        if key not in results:
            results[key] = real(root)
        catalog, errors = results[key]
        return copy.deepcopy(catalog), list(errors)

    patch = pytest.MonkeyPatch()
    patch.setattr(content_check, "check_content", check_content)
    yield
    patch.undo()


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
        "AUDIT_SEALING": "inline",
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
    forget_known_attempts()  # the attempts' rows a process keeps between saves: their ids are used again
    tables = [t.name for t in reversed(db.metadata.sorted_tables)]
    with audit_guard_lifted(db.session):  # the audit log refuses DELETE and TRUNCATE otherwise
        if db.engine.dialect.name == "postgresql":
            db.session.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
        else:
            for table in ("module", "question", "exam", "exercise"):  # their current_version_id closes a cycle
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
def sqlite_only(db):
    """Skip the test on PostgreSQL: it is about SQLite's one write lock (PostgreSQL locks rows)."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's single write lock; PostgreSQL locks rows")


@pytest.fixture
def postgresql_only(db):
    """Skip the test on SQLite: it is about PostgreSQL's own ways, such as what it lets another transaction commit
    between a request's reads and its writes (a SQLite request that writes holds the one write lock from its first
    statement), or its prepared statements."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only")


def sqlite_write_lock_free(app) -> bool:
    """True when another connection could take the SQLite database's write lock at once (nobody holds it)."""
    with app.app_context():
        path = make_url(str(_db.engine.url)).database
    return sqlite_file_lock_free(path)


def sqlite_file_lock_free(path: str) -> bool:
    """True when another connection could take the write lock of the SQLite database at ``path`` at once."""
    conn = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError:
        return False
    finally:
        conn.close()


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
def background_sealing(app, db, request, monkeypatch):
    """The app's sealer, sealing in the background as in production (lms.audit.Sealer); idle again when
    the test ends. Only in a ``committed`` test: the sealer's thread works on connections of its own."""
    assert request.node.get_closest_marker("committed"), "background sealing needs a committed test"
    monkeypatch.setitem(app.config, "AUDIT_SEALING", "background")
    sealer = audit_sealer(app)
    monkeypatch.setattr(sealer, "linger_seconds", 0)  # a round as soon as it is woken (the linger has its own test)
    yield sealer
    assert sealer.wait_idle(timeout=10), "the sealer was still busy at the end of the test"


@pytest.fixture
def client(app, db):
    return app.test_client()


@pytest.fixture
def make_client(app, db):
    """More clients (other browsers, other devices)."""
    return app.test_client


@pytest.fixture
def factory(db, clock):
    return Factory(db, clock)


@pytest.fixture
def kit(db, factory, clock):
    """Tracks built directly in the database and results as the exam engine leaves them."""
    return CertKit(db, factory, clock)


def jobs_run_at_once() -> None:
    """The tests' queue again: jobs run at once, in memory; what a test left queued is dropped (a queue that
    cannot be reached holds nothing)."""
    with suppress(redis.exceptions.ConnectionError):
        jobs.huey.storage.flush_all()
    jobs.huey.storage_class, jobs.huey.storage_kwargs = MemoryStorage, {}
    jobs.huey.immediate = True


@pytest.fixture
def configured(app, monkeypatch):
    """``configured(url)``: the job queue on LMS_JOBS_URL ``url`` (None: the instance folder's SQLite file), jobs
    queued as in production instead of run at once; immediate mode (the tests') is put back afterwards."""
    def make(url):
        monkeypatch.setitem(app.config, "JOBS_URL", url)
        jobs.configure(app)
        jobs.huey.immediate = False  # as in a process that is not the tests'
        jobs.use_storage(app)
        return jobs.huey.storage

    yield make
    monkeypatch.setitem(app.config, "JOBS_URL", None)
    jobs.configure(app)
    jobs_run_at_once()


def require_commands(commands: dict[str, str]) -> None:
    """Skip (saying which Debian packages to install) when a command is missing; with
    LMS_REQUIRE_TOOLS=1 (the CI, which installs them) fail instead, so nothing is skipped there."""
    missing = {command: package for command, package in commands.items() if shutil.which(command) is None}
    if not missing:
        return
    message = (f"{', '.join(missing)} not installed (apt-get install {' '.join(sorted(set(missing.values())))}; "
               "see the README)")
    if os.environ.get("LMS_REQUIRE_TOOLS", "").strip().lower() in {"1", "true", "yes"}:
        pytest.fail(f"LMS_REQUIRE_TOOLS=1 but {message}", pytrace=False)
    pytest.skip(message)
