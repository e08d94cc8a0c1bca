"""Authoring fixtures: the exam tests' small course (every question type), its instructor logged in; for the
module studio, two instructors and a trainee in a cohort whose first week is open."""
from dataclasses import dataclass

import pytest

from lms.models import Role

from ..conftest import login
from ..factories import EXAM_ROOT, ExamWorld, exam_world


@pytest.fixture
def world(factory) -> ExamWorld:
    """The fixture course synced, a cohort in week 1 with its instructor, two trainees."""
    return exam_world(factory)


@pytest.fixture
def instructor(client, world):
    """A test client logged in as the cohort's instructor."""
    assert login(client, world.instructor.email).status_code == 302
    return client


@dataclass
class Studio:
    author: object
    reviewer: object
    trainee: object
    coordinator: object
    cohort: object


@pytest.fixture
def studio(db, factory):
    factory.synced_content(EXAM_ROOT)
    author = factory.user(Role.INSTRUCTOR, name="Ann Author")
    reviewer = factory.user(Role.INSTRUCTOR, name="Rob Reviewer")
    agency = factory.agency()
    trainee = factory.user(Role.TRAINEE, agency=agency, name="Tess Trainee")
    coordinator = factory.user(Role.COORDINATOR, agency=agency)
    cohort = factory.cohort("exam-track", agencies=[agency], instructors=[author])
    factory.enroll(trainee, cohort)
    return Studio(author, reviewer, trainee, coordinator, cohort)


@pytest.fixture
def two_person(app):
    """Two-person publish on for one test."""
    before = app.config["TWO_PERSON_PUBLISH"]
    app.config["TWO_PERSON_PUBLISH"] = True
    yield
    app.config["TWO_PERSON_PUBLISH"] = before


@pytest.fixture
def as_user(app, db):
    """as_user(user) -> a test client logged in as that user."""
    clients = {}

    def get(user):
        if user.id not in clients:
            client = app.test_client()
            assert login(client, user.email).status_code == 302
            clients[user.id] = client
        return clients[user.id]

    return get
