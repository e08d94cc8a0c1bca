"""The migrated schema matches the models, on SQLite and on PostgreSQL."""
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.exc import DatabaseError

from lms.app import create_app
from lms.extensions import db as _db


def _modelled(name, type_, parent_names) -> bool:
    """SQLite's FTS5 search table and its shadow tables are the engine's, not the models' (lms.models.search)."""
    return not (type_ == "table" and name and name.startswith("module_fts"))


def _compare(engine_url):
    engine = create_engine(engine_url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True, "render_as_batch": True,
                                                             "include_name": _modelled})
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
    from lms.demo.setup import seed_demo
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


def test_0007_moves_attempts_grants_and_multipliers_to_the_enrollment(empty_database_url, tmp_path):
    """Rows written under 0005 (attempts numbered per user, grants and the time multiplier per user) are
    moved to enrollments by 0007, and moved back by its downgrade."""
    from datetime import datetime, timedelta

    from sqlalchemy import MetaData, Table, select
    from sqlalchemy.exc import IntegrityError

    app = create_app({"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": empty_database_url, "INSTANCE_PATH": str(tmp_path)})
    directory = app.extensions["migrate"].directory
    t0 = datetime(2026, 1, 5, 14, 0)  # naive UTC, as stored
    with app.app_context():
        upgrade(directory=directory, revision="0005")
        engine = _db.engine

        def tables():
            meta = MetaData()
            return {n: Table(n, meta, autoload_with=engine) for n in (
                "user", "track", "track_item", "cohort", "enrollment", "exam", "exam_version", "attempt",
                "exam_grant")}

        t = tables()
        person = {"password_hash": "x", "must_change_password": False, "session_token": "x", "failed_logins": 0,
                  "created_at": t0}
        track = {"audience": "Officers", "weeks": 2, "description": "", "is_sample": True, "certification_title": "C",
                 "validity_years": 2, "content_hash": "h", "created_at": t0, "updated_at": t0}
        with engine.begin() as conn:
            conn.execute(t["user"].insert(), [
                {"id": 1, "email": "terry@example.test", "name": "Terry", "role": "trainee", "time_multiplier": 1.5,
                 **person},
                {"id": 2, "email": "ivy@example.test", "name": "Ivy", "role": "instructor", "time_multiplier": 1.0,
                 **person},
                {"id": 3, "email": "nobody@example.test", "name": "Nobody", "role": "trainee", "time_multiplier": 1.0,
                 **person}])
            conn.execute(t["track"].insert(), [{"id": 1, "slug": "basic", "title": "Basic", **track},
                                               {"id": 2, "slug": "other", "title": "Other", **track}])
            conn.execute(t["track_item"].insert(), [
                {"id": 1, "track_id": 1, "week": 1, "week_title": "W1", "position": 0, "kind": "exam", "ref": "law"}])
            conn.execute(t["cohort"].insert(), [
                {"id": c, "name": f"Cohort {c}", "track_id": track_id, "start_date": (t0 + timedelta(days=d)).date(),
                 "created_at": t0} for c, track_id, d in ((1, 1, 0), (2, 2, 10), (3, 1, 30))])
            # Terry: cohort 1 (fails the exam twice), cohort 2 of another track, then cohort 3 (the same track again).
            conn.execute(t["enrollment"].insert(), [
                {"id": e, "user_id": 1, "cohort_id": c, "status": "active", "enrolled_at": t0 + timedelta(days=d)}
                for e, c, d in ((1, 1, 0), (2, 2, 10), (3, 3, 30))])
            conn.execute(t["exam"].insert(), [{"id": 1, "slug": "law", "created_at": t0}])
            conn.execute(t["exam_version"].insert(), [
                {"id": 1, "exam_id": 1, "number": 1, "content_hash": "h", "title": "Law", "description_html": "",
                 "blueprint": "{}", "source_path": "law.yml", "created_at": t0}])
            conn.execute(t["attempt"].insert(), [
                {"id": a, "user_id": 1, "exam_id": 1, "exam_version_id": 1, "enrollment_id": e, "number": n,
                 "status": status, "seed": "s", "policy": "{}", "time_multiplier": 1.5, "extra_seconds": 0,
                 "started_at": t0 + timedelta(days=d), "deadline_at": t0 + timedelta(days=d, hours=1),
                 "page_reached": 0} for a, e, n, status, d in ((1, 1, 1, "finished", 1), (2, 1, 2, "finished", 3),
                                                              (3, 3, 3, "open", 31))])
            grant = {"exam_id": 1, "reason": "", "granted_by_id": 2, "attempt_id": None}
            conn.execute(t["exam_grant"].insert(), [
                # An extra attempt while in cohort 1; extra time applied to the attempt in cohort 3;
                # extra time pending since cohort 3; a grant of someone never enrolled (dropped).
                {"id": 1, "user_id": 1, "kind": "extra_attempt", "minutes": 0, "granted_at": t0 + timedelta(days=4),
                 **grant},
                {"id": 2, "user_id": 1, "kind": "extra_time", "minutes": 10, "granted_at": t0 + timedelta(days=31),
                 **{**grant, "attempt_id": 3}},
                {"id": 3, "user_id": 1, "kind": "extra_time", "minutes": 5, "granted_at": t0 + timedelta(days=32),
                 **grant},
                {"id": 4, "user_id": 3, "kind": "extra_attempt", "minutes": 0, "granted_at": t0, **grant}])
        _db.session.remove()

        upgrade(directory=directory, revision="0007")
        t = tables()
        with engine.connect() as conn:
            numbers = conn.execute(select(t["attempt"].c.id, t["attempt"].c.enrollment_id, t["attempt"].c.number)
                                   .order_by(t["attempt"].c.id)).all()
            assert [tuple(r) for r in numbers] == [(1, 1, 1), (2, 1, 2), (3, 3, 1)]
            grants = conn.execute(select(t["exam_grant"].c.id, t["exam_grant"].c.enrollment_id,
                                         t["exam_grant"].c.waives_cooldown).order_by(t["exam_grant"].c.id)).all()
            assert [tuple(r) for r in grants] == [(1, 1, False), (2, 3, False), (3, 3, False)]
            multipliers = conn.execute(select(t["enrollment"].c.time_multiplier)).scalars().all()
            assert multipliers == [1.5, 1.5, 1.5]
            assert "time_multiplier" not in t["user"].c
        # One open attempt per enrollment and exam, now enforced per enrollment.
        open_row = {"user_id": 1, "exam_id": 1, "exam_version_id": 1, "status": "open", "seed": "s", "policy": "{}",
                    "time_multiplier": 1.0, "extra_seconds": 0, "started_at": t0, "deadline_at": t0, "page_reached": 0}
        with engine.begin() as conn:
            conn.execute(t["attempt"].insert().values(id=4, enrollment_id=1, number=3, **open_row))
        with pytest.raises(IntegrityError):
            with engine.begin() as conn:
                conn.execute(t["attempt"].insert().values(id=5, enrollment_id=3, number=2, **open_row))
        with engine.begin() as conn:
            conn.execute(t["attempt"].delete().where(t["attempt"].c.id == 4))
        _db.session.remove()

        downgrade(directory=directory, revision="0005")
        t = tables()
        with engine.connect() as conn:
            numbers = conn.execute(select(t["attempt"].c.number).order_by(t["attempt"].c.id)).scalars().all()
            assert numbers == [1, 2, 3]
            assert conn.execute(select(t["user"].c.time_multiplier).order_by(t["user"].c.id)).scalars().all() \
                == [1.5, 1.0, 1.0]
            assert (conn.execute(select(t["exam_grant"].c.id).order_by(t["exam_grant"].c.id)).scalars().all()
                    == [1, 2, 3])
        _db.session.remove()
        _db.engine.dispose()
