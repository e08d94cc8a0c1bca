"""The migrated schema matches the models, on SQLite and on PostgreSQL."""
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.exc import DatabaseError

from lms import create_app
from lms.extensions import db as _db


def _compare(engine_url):
    engine = create_engine(engine_url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True, "render_as_batch": True})
            return compare_metadata(context, _db.metadata), inspect(conn).get_table_names()
    finally:
        engine.dispose()


def test_migrations_produce_the_models_schema_and_downgrade_cleanly(empty_database_url, tmp_path):
    app = create_app({"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": empty_database_url, "INSTANCE_PATH": str(tmp_path)})
    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory)
        diff, tables = _compare(empty_database_url)
        assert diff == [], diff
        assert {"user", "audit_event", "module_version"} <= set(tables)
        assert _db.session.execute(text("SELECT seq, hash FROM audit_head")).one() == (0, "0" * 64)
        _db.session.remove()
        downgrade(directory=app.extensions["migrate"].directory, revision="base")
        _, tables = _compare(empty_database_url)
        assert set(tables) <= {"alembic_version"}
        _db.engine.dispose()


def test_migrations_run_on_a_database_that_holds_data(empty_database_url, tmp_path):
    """Down to the first revision and back up again with demo data in place (SQLite copies tables to
    alter them: that must work with rows and foreign keys present)."""
    from sqlalchemy import func, select

    from lms.audit import verify_chain
    from lms.clock import utcnow
    from lms.content import sync_content
    from lms.demo import seed_demo
    from lms.models import User

    from .conftest import PROJECT_ROOT

    app = create_app({"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": empty_database_url, "INSTANCE_PATH": str(tmp_path),
                      "ARGON2_PARAMS": {"time_cost": 1, "memory_cost": 1024, "parallelism": 1}})
    directory = app.extensions["migrate"].directory
    with app.app_context():
        upgrade(directory=directory)
        sync_content(PROJECT_ROOT, now=utcnow())
        seed_demo(now=utcnow())
        _db.session.commit()
        users = _db.session.scalar(select(func.count(User.id)))
        assert users >= 6
        _db.session.remove()
        downgrade(directory=directory, revision="0001")
        upgrade(directory=directory)
        _db.session.remove()
        assert _db.session.scalar(select(func.count(User.id))) == users
        assert verify_chain().ok
        _db.session.remove()
        for statement in ("UPDATE audit_event SET actor = 'x'", "DELETE FROM audit_event"):
            with pytest.raises(DatabaseError, match="append-only"):  # the triggers came back with 0009
                _db.session.execute(text(statement))
            _db.session.rollback()
        _db.session.remove()
        diff, _ = _compare(empty_database_url)
        assert diff == [], diff
        _db.engine.dispose()
