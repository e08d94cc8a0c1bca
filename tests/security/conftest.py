"""Security fixtures: a small program with two of everything (agencies, MOUs, cohorts, coordinators,
instructors, trainees, attempts, certifications, nominations, documents), built by tests/factories.py
through the services, so every object a URL can name has an owner and an outsider."""
import pytest
from sqlalchemy import func, select

from lms.models import AuditEvent

from ..conftest import login
from ..factories import PDF, PNG, SecurityWorld, security_world, upload  # noqa: F401


@pytest.fixture
def world(db, factory, clock) -> SecurityWorld:
    return security_world(db, factory, clock)


@pytest.fixture
def as_user(app, db):
    """as_user(user) -> a test client logged in as that user (one client per user, cached)."""
    clients = {}

    def get(user):
        if user.id not in clients:
            client = app.test_client()
            response = login(client, user.email)
            assert response.status_code == 302, f"log-in of {user.email} failed"
            clients[user.id] = client
        return clients[user.id]

    return get


def snapshot(db) -> dict:
    """Every table's rows (sorted, as text) and the audit chain's length: what a read must leave unchanged."""
    db.session.rollback()
    state = {t.name: sorted(tuple(str(v) for v in row) for row in db.session.execute(select(t)))
             for t in db.metadata.sorted_tables}
    state["audit_seq"] = db.session.scalar(select(func.max(AuditEvent.seq)))
    db.session.rollback()
    return state


def changed_tables(before: dict, after: dict) -> list[str]:
    return sorted(k for k in before if before[k] != after[k])
