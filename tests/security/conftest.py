"""Security fixtures: a small program with two of everything (agencies, MOUs, cohorts, coordinators,
instructors, trainees, attempts, certifications, nominations, documents), built through the services,
so every object a URL can name has an owner and an outsider."""
import io
from dataclasses import dataclass
from datetime import date

import pytest
from sqlalchemy import func, select

from lms.models import AuditEvent, Role
from werkzeug.datastructures import FileStorage

from ..certification.conftest import CertKit
from ..conftest import login
from ..exams.conftest import EXAM_ROOT, start

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 32
PDF = b"%PDF-1.4\n%test\n"


def upload(data: bytes, name: str) -> FileStorage:
    return FileStorage(stream=io.BytesIO(data), filename=name, content_type="application/octet-stream")


@dataclass
class Side:
    """One agency's half of the world."""

    agency: object
    mou: object
    coordinator: object
    instructor: object
    cohort: object
    trainee: object
    attempt: object
    certification: object
    nomination: object
    document: object


@dataclass
class World:
    a: Side
    b: Side
    peer: object  # a second trainee in side a's cohort
    staff: object
    admin: object

    def user(self, role: Role):
        """A user of ``role`` on side a (staff and admin are global)."""
        return {Role.TRAINEE: self.a.trainee, Role.INSTRUCTOR: self.a.instructor, Role.COORDINATOR: self.a.coordinator,
                Role.STAFF: self.staff, Role.ADMIN: self.admin}[role]


def _side(letter, factory, kit, db, clock, evil="") -> Side:
    from lms.agencies.agreements import attach_document, create_mou
    from lms.agencies.nominations import check_nominee, nominate
    from lms.clock import program_today

    place = evil + {"a": "Ashford", "b": "Bexley"}[letter]
    agency = factory.agency(name=f"{place} County Sheriff", ori=f"VA{letter.upper()}000000")
    mou = create_mou(agency=agency, model="jail_enforcement", signed_on=date(2025, 1, 6), effective_on=date(2025, 2, 1),
                     authorized_functions=[evil + "Interview", "Process"], track_slugs=["exam-track"], now=clock())
    db.session.commit()
    coordinator = factory.user(Role.COORDINATOR, agency=agency, name=f"Cora {place}dahl")
    instructor = factory.user(Role.INSTRUCTOR, name=f"Ian {place}sen")
    cohort = factory.cohort("exam-track", start=date(2026, 3, 2), agencies=[agency], instructors=[instructor],
                            name=f"Cohort {place}")
    trainee = factory.user(Role.TRAINEE, agency=agency, name=f"Tina {place}quist")
    factory.enroll(trainee, cohort)
    attempt = start(trainee, "mixed-exam", clock)
    certification = kit.certified(agency=agency, name=f"Carl {place}berg")
    nominee, problems = check_nominee(
        mou=mou, name=f"Nora {place}vik", email=f"nominee-{letter}@example.test", track_slug="exam-track",
        notes=evil + "notes", background_check_on=date(2025, 6, 1), years_experience=5, citizenship_attested=True,
        commits_two_years=True, today=program_today(clock()))
    assert not problems, problems
    nomination = nominate(nominee, mou=mou, actor=coordinator, now=clock(),
                          evidence=upload(PNG, evil + "evidence.png"))
    document = attach_document(mou, upload(PDF, evil + "signed.pdf"), actor=None, now=clock())
    db.session.commit()
    return Side(agency, mou, coordinator, instructor, cohort, trainee, attempt, certification, nomination, document)


def build_world(db, factory, clock, evil: str = "") -> World:
    """The world; ``evil`` is put in front of every free-text field (names, functions, notes, file names)."""
    factory.synced_content(EXAM_ROOT)
    kit = CertKit(db, factory, clock)
    a = _side("a", factory, kit, db, clock, evil)
    b = _side("b", factory, kit, db, clock, evil)
    peer = factory.user(Role.TRAINEE, agency=a.agency, name=evil + "Peer Trainee")
    factory.enroll(peer, a.cohort)
    staff = factory.user(Role.STAFF, name=evil + "Program Staff")
    admin = factory.user(Role.ADMIN, name=evil + "Site Admin")
    return World(a, b, peer, staff, admin)


@pytest.fixture
def world(db, factory, clock) -> World:
    return build_world(db, factory, clock)


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
