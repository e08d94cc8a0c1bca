"""Rows written in bulk (lms/db_engine.py, insert_rows and update_rows): on PostgreSQL one statement whatever their
number, elsewhere an executemany; the same rows either way, types and Python-side defaults included."""
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import Boolean, Column, Float, Integer, MetaData, String, Table, select

from lms.db_engine import insert_rows, update_rows
from lms.models.types import JSONText, UTCDateTime

from .statements import listening

AT = datetime(2026, 12, 6, 9, 30, tzinfo=timezone.utc)


@pytest.fixture
def scratch(db):
    """A table of the types the exam's rows use, created inside the test's transaction (gone with its rollback)."""
    table = Table("bulk_scratch", MetaData(), Column("id", Integer, primary_key=True), Column("position", Integer),
                  Column("kind", String(20)), Column("shown", JSONText()), Column("answered_at", UTCDateTime()),
                  Column("is_flagged", Boolean), Column("points", Float), Column("max_points", Float, default=1.0))
    table.create(db.session.connection())
    return table


@pytest.fixture
def statements(db):
    """The statements the test's connection sends: (text, executemany) each."""
    sent = []
    engine = db.session.connection().engine

    def record(conn, cursor, statement, parameters, context, executemany):
        sent.append((statement, executemany))

    with listening(engine, record):
        yield sent


def rows_of(db, table):
    return [row._asdict() for row in db.session.connection().execute(select(table).order_by(table.c.id))]


def test_inserted_rows_read_back_as_given_with_the_columns_defaults(db, scratch):
    # text with what a quoted form would have to escape: quotes, a backslash, braces, commas, a line break
    kinds = ["single", 'a "b", {c} \\ d', "line\nbreak, é", ""]
    given = [{"id": n + 1, "position": n, "kind": kinds[n],
              "shown": [[3, 1], {"text": "é\\\""}] if n % 2 else {"n": [n]},
              "answered_at": AT + timedelta(minutes=n, microseconds=n) if n % 2 else None, "is_flagged": n == 2,
              "points": None if n % 2 else n / 3}
             for n in range(4)]
    insert_rows(db.session.connection(), scratch, given)
    assert rows_of(db, scratch) == [row | {"max_points": 1.0} for row in given]  # max_points: its default


def test_a_column_of_nulls_keeps_its_type(db, scratch):
    given = [{"id": n, "answered_at": None, "shown": None, "points": None} for n in (1, 2)]
    insert_rows(db.session.connection(), scratch, given)
    assert [(r["answered_at"], r["shown"], r["points"]) for r in rows_of(db, scratch)] == [(None, None, None)] * 2


def test_updated_rows_change_the_rows_they_name_only(db, scratch):
    connection = db.session.connection()
    insert_rows(connection, scratch, [{"id": n, "position": n, "points": None, "is_flagged": False} for n in (1, 2, 3)])
    update_rows(connection, scratch, "id", [{"id": 3, "points": 0.5, "is_flagged": True},
                                            {"id": 1, "points": 1.0, "is_flagged": None}])
    assert [(r["id"], r["position"], r["points"], r["is_flagged"]) for r in rows_of(db, scratch)] == [
        (1, 1, 1.0, None), (2, 2, None, False), (3, 3, 0.5, True)]


def test_no_rows_send_no_statement(db, scratch, statements):
    insert_rows(db.session.connection(), scratch, [])
    update_rows(db.session.connection(), scratch, "id", [])
    assert statements == []


def test_postgresql_writes_any_number_of_rows_in_one_statement(db, scratch, statements, postgresql_only):
    connection = db.session.connection()
    insert_rows(connection, scratch, [{"id": n, "position": n, "shown": [n, [n]]} for n in range(75)])
    update_rows(connection, scratch, "id", [{"id": n, "points": n / 2} for n in range(75)])
    assert [(statement.split()[0], executemany) for statement, executemany in statements] == [
        ("INSERT", False), ("UPDATE", False)]
    assert [(r["shown"], r["points"]) for r in rows_of(db, scratch)] == [([n, [n]], n / 2) for n in range(75)]
