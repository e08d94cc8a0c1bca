"""Authoring fixtures: the exam tests' small course (every question type), its instructor logged in."""
import pytest

from ..conftest import login
from ..factories import ExamWorld, exam_world


@pytest.fixture
def world(factory) -> ExamWorld:
    """The fixture course synced, a cohort in week 1 with its instructor, two trainees."""
    return exam_world(factory)


@pytest.fixture
def instructor(client, world):
    """A test client logged in as the cohort's instructor."""
    assert login(client, world.instructor.email).status_code == 302
    return client
