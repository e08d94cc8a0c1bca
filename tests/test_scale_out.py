"""Two app instances (separate create_app() apps, each with its own engine and pool, as two gunicorn masters)
on one database: log-in lockouts and address limits hold across both, with the counters in the database
or in Redis (LMS_LIMITS_STORE); and the exports read from the replica when one is configured."""
import uuid
from datetime import date

import pytest
import redis
from sqlalchemy import event, func, select, text
from sqlalchemy.exc import DBAPIError

from lms.app import create_app
from lms.certification.passlist import PassListFilters, export_chunks
from lms.config import from_environment
from lms.models import AuditEvent, RateCounter

from .conftest import PASSWORD, Client, csrf_token
from .statements import listening

pytestmark = pytest.mark.committed  # the other instances' connections must see the data

WRONG = "wrong password but long enough"
REDIS = "redis://127.0.0.1:6379/0"


def _redis_or_skip() -> None:
    try:
        redis.Redis.from_url(REDIS, socket_timeout=1).ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("no Redis on 127.0.0.1:6379 (the database store is tested all the same)")


def _instance(app, tmp_path, clock, **config):
    """Another app instance on the test database, at the same frozen time."""
    instance = create_app({
        "TESTING": True, "SECRET_KEY": app.config["SECRET_KEY"], "INSTANCE_PATH": str(tmp_path),
        "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"], "CONTENT_ROOT": app.config["CONTENT_ROOT"],
        "ARGON2_PARAMS": app.config["ARGON2_PARAMS"], "CLOCK": clock, **config})
    instance.test_client_class = Client  # each request in its own context, the test's transaction ended first
    return instance


@pytest.fixture(params=["database", "redis"])
def pair(request, app, db, clock, tmp_path):
    """Two instances sharing the limits store named by the parameter (a fresh key prefix in Redis)."""
    store, prefix = "database", f"lms-test-{uuid.uuid4().hex}:"
    if request.param == "redis":
        _redis_or_skip()
        store = REDIS
    config = {"LIMITS_STORE": store, "LIMITS_PREFIX": prefix, "IP_FAILURE_LIMIT": 4}
    apps = [_instance(app, tmp_path / name, clock, **config) for name in ("a", "b")]
    yield apps
    for one in apps:
        with one.app_context():
            db.engine.dispose()
    if store != "database":
        client = redis.Redis.from_url(REDIS)
        for key in client.scan_iter(f"{prefix}*"):
            client.delete(key)


def _log_in(app, email, password, address="192.0.2.50"):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    client.post("/notice", data={"acknowledge": "y", "csrf_token": csrf_token(client)})
    response = client.post("/login", data={"email": email, "password": password,
                                           "csrf_token": csrf_token(client, "/login")})
    return response.status_code, response.get_data(as_text=True)


def test_a_lockout_counts_failures_on_both_instances_and_holds_on_both(pair, factory, db, app):
    a, b = pair
    user = factory.user(email="shared@example.test")
    threshold = app.config["LOCKOUT_THRESHOLD"]
    for n in range(threshold):  # alternating instances, as a load balancer without sticky sessions would
        assert _log_in((a, b)[n % 2], "shared@example.test", WRONG, f"10.1.0.{n}")[0] == 401
    db.session.expire_all()
    assert db.session.get(type(user), user.id).is_locked(factory.clock())
    locks = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "account.lock")).all()
    assert len(locks) == 1 and locks[0].details["failures"] == threshold
    # The right password is refused on either instance while the lockout lasts.
    assert _log_in(a, "shared@example.test", PASSWORD)[0] == 401
    assert _log_in(b, "shared@example.test", PASSWORD)[0] == 401


def test_the_address_limit_counts_failures_on_both_instances(pair, db):
    a, b = pair
    answers = [_log_in((a, b)[n % 2], f"nobody{n}@example.test", WRONG) for n in range(6)]
    assert [code for code, _ in answers] == [401] * 6
    limited = ["Too many failed log-ins from your address" in page for _, page in answers]
    assert limited == [False] * 4 + [True] * 2  # the limit (4) reached across both instances


def test_a_successful_log_in_on_one_instance_clears_the_count_for_both(pair, factory, db, app):
    a, b = pair
    factory.user(email="clear@example.test")
    threshold = app.config["LOCKOUT_THRESHOLD"]
    for n in range(threshold - 1):
        _log_in(a, "clear@example.test", WRONG, f"10.2.0.{n}")
    assert _log_in(b, "clear@example.test", PASSWORD)[0] == 302
    for n in range(threshold - 1):  # a fresh count: as many failures again do not lock
        _log_in(a, "clear@example.test", WRONG, f"10.3.0.{n}")
    assert _log_in(b, "clear@example.test", PASSWORD)[0] == 302


def test_with_redis_the_counters_live_only_in_redis(app, db, clock, tmp_path):
    _redis_or_skip()
    prefix = f"lms-test-{uuid.uuid4().hex}:"
    one = _instance(app, tmp_path, clock, LIMITS_STORE=REDIS, LIMITS_PREFIX=prefix)
    _log_in(one, "nobody@example.test", WRONG)
    assert db.session.scalar(select(func.count()).select_from(RateCounter)) == 0
    client = redis.Redis.from_url(REDIS)
    keys = sorted(k.decode() for k in client.scan_iter(f"{prefix}*"))
    assert [k.split(":", 1)[1] for k in keys] == ["login-address:192.0.2.50", keys[1].split(":", 1)[1]]
    assert keys[1].split(":", 1)[1].startswith("login-unknown:")
    for key in keys:
        client.delete(key)


def test_exports_read_from_the_replica_and_audit_on_the_primary(app, db, clock, kit, tmp_path):
    track = kit.track("basic", title="287(g) Basic")
    names = [kit.certified(track, name=f"Holder {n}").holder_name for n in range(3)]
    db.session.commit()
    replica_app = _instance(app, tmp_path, clock, REPLICA_DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"])
    with replica_app.app_context():
        replica_db = db  # the same extension, bound in this context to the replica app's engines
        on_replica, on_primary = [], []
        event.listen(replica_db.engines["replica"], "before_cursor_execute",
                     lambda *a: on_replica.append(a[2].split()[0].upper()))
        now = clock()
        # (The primary's statements include those the app sends on its session's own driver connection: the audit
        # event's, lms.db_engine.run_statement; the replica's engine is read through SQLAlchemy's, counted above.)
        with listening(replica_db.engine, lambda *a: on_primary.append(a[2].split()[0].upper())):
            data = b"".join(export_chunks(PassListFilters(), "csv", today=date(2026, 3, 2), now=now)).decode(
                "utf-8-sig")
        assert all(name in data for name in names)
        assert set(on_replica) - {"BEGIN"} == {"SELECT"} and on_replica.count("SELECT") >= 2  # the count, the rows
        assert "INSERT" in on_primary  # the audit event, committed on the primary
        if replica_db.engines["replica"].dialect.name == "postgresql":
            # Every transaction on the replica is read-only: a write sent there by mistake fails.
            with replica_db.engines["replica"].connect() as conn, pytest.raises(DBAPIError, match="read-only"):
                conn.execute(text("UPDATE rate_counter SET count = 0"))
        replica_db.session.remove()
        for engine in replica_db.engines.values():
            engine.dispose()
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == "passlist.export")) == 1


def test_a_limits_store_that_is_neither_the_database_nor_redis_refuses_to_start(monkeypatch):
    monkeypatch.setenv("LMS_LIMITS_STORE", "memcached://127.0.0.1")
    with pytest.raises(RuntimeError, match="LMS_LIMITS_STORE"):
        from_environment(load_secret=False)
    monkeypatch.setenv("LMS_LIMITS_STORE", REDIS)
    assert from_environment(load_secret=False)["LIMITS_STORE"] == REDIS
