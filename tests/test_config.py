"""Configuration from the environment, secrets, and the SQLite engine settings."""
import pytest
from sqlalchemy import text

from lms.app import create_app
from lms.config import normalize_database_url


def test_production_refuses_to_start_without_a_secret(monkeypatch, tmp_path):
    monkeypatch.setenv("LMS_ENV", "production")
    monkeypatch.delenv("LMS_SECRET_KEY", raising=False)
    monkeypatch.setenv("LMS_INSTANCE_PATH", str(tmp_path))
    with pytest.raises(RuntimeError, match="LMS_SECRET_KEY must be set"):
        create_app()


def test_production_refuses_to_start_without_a_public_url(monkeypatch, tmp_path):
    """Links frozen into certificates must not follow a Host header the client chose."""
    monkeypatch.setenv("LMS_ENV", "production")
    monkeypatch.setenv("LMS_SECRET_KEY", "from-the-environment")
    monkeypatch.delenv("LMS_PUBLIC_URL", raising=False)
    monkeypatch.setenv("LMS_INSTANCE_PATH", str(tmp_path))
    with pytest.raises(RuntimeError, match="LMS_PUBLIC_URL must be set"):
        create_app()


def test_production_cookies_are_secure(monkeypatch, tmp_path):
    monkeypatch.setenv("LMS_ENV", "production")
    monkeypatch.setenv("LMS_SECRET_KEY", "from-the-environment")
    monkeypatch.setenv("LMS_PUBLIC_URL", "https://lms.example.gov")
    monkeypatch.setenv("LMS_INSTANCE_PATH", str(tmp_path))
    app = create_app()
    assert app.config["SECRET_KEY"] == "from-the-environment" and app.config["SESSION_COOKIE_SECURE"] is True


def test_development_secret_is_generated_once_into_the_instance_folder(monkeypatch, tmp_path):
    monkeypatch.delenv("LMS_ENV", raising=False)
    monkeypatch.delenv("LMS_SECRET_KEY", raising=False)
    monkeypatch.setenv("LMS_INSTANCE_PATH", str(tmp_path))
    first = create_app().config["SECRET_KEY"]
    second = create_app().config["SECRET_KEY"]
    assert first == second and len(first) >= 64
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0
    assert create_app().config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'lms.db'}"


def test_settings_come_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("LMS_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("LMS_SECRET_KEY", "k")
    monkeypatch.setenv("LMS_IDLE_TIMEOUT_MINUTES", "10")
    monkeypatch.setenv("LMS_LOCKOUT_MINUTES", "60")
    monkeypatch.setenv("LMS_DATABASE_URL", "postgresql://u@h/db")
    app = create_app()
    assert app.config["IDLE_TIMEOUT_MINUTES"] == 10 and app.config["LOCKOUT_MINUTES"] == 60
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@h/db"
    assert normalize_database_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"


def test_sqlite_runs_in_wal_mode_with_foreign_keys(db):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite only")
    assert db.session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    assert db.session.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_sqlite_commits_are_durable_by_default(db):
    """synchronous=FULL (2): an acknowledged commit survives a power loss, not only a process crash."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite only")
    assert db.session.execute(text("PRAGMA synchronous")).scalar() == 2


@pytest.mark.parametrize(("setting", "expected"), [(None, 2), ("normal", 1), ("FULL", 2), ("extra", 3)])
def test_sqlite_synchronous_is_configurable(monkeypatch, tmp_path, setting, expected):
    from lms.extensions import db as _db

    monkeypatch.setenv("LMS_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("LMS_SECRET_KEY", "k")
    monkeypatch.delenv("LMS_DATABASE_URL", raising=False)
    if setting is None:
        monkeypatch.delenv("LMS_SQLITE_SYNCHRONOUS", raising=False)
    else:
        monkeypatch.setenv("LMS_SQLITE_SYNCHRONOUS", setting)
    app = create_app()
    with app.app_context():
        try:
            assert _db.session.execute(text("PRAGMA synchronous")).scalar() == expected
            assert _db.session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        finally:
            _db.session.remove()
            _db.engine.dispose()


@pytest.mark.parametrize(("variable", "value", "error", "message"), [
    ("LMS_SQLITE_SYNCHRONOUS", "OFF", ValueError, "LMS_SQLITE_SYNCHRONOUS must be one of NORMAL, FULL, EXTRA"),
    ("LMS_AUDIT_SEALING", "never", RuntimeError, "LMS_AUDIT_SEALING must be one of background, inline"),
    ("LMS_AUDIT_SEAL_LINGER_MS", "60000", RuntimeError, "LMS_AUDIT_SEAL_LINGER_MS must be between 0 and 2000"),
    ("LMS_AUDIT_SEAL_LINGER_MS", "-1", RuntimeError, "LMS_AUDIT_SEAL_LINGER_MS must be between 0 and 2000"),
])
def test_an_unsafe_or_unknown_setting_is_refused(monkeypatch, tmp_path, variable, value, error, message):
    monkeypatch.setenv("LMS_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("LMS_SECRET_KEY", "k")
    monkeypatch.setenv(variable, value)
    with pytest.raises(error, match=message):
        create_app()


@pytest.mark.parametrize(("setting", "expected"), [(None, "background"), ("inline", "inline"),
                                                   ("Background", "background")])
def test_audit_sealing_is_in_the_background_unless_set(monkeypatch, tmp_path, setting, expected):
    """Real runs seal off the request thread; the tests' conftest sets LMS_AUDIT_SEALING=inline."""
    monkeypatch.setenv("LMS_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("LMS_SECRET_KEY", "k")
    if setting is None:
        monkeypatch.delenv("LMS_AUDIT_SEALING", raising=False)
    else:
        monkeypatch.setenv("LMS_AUDIT_SEALING", setting)
    assert create_app().config["AUDIT_SEALING"] == expected
