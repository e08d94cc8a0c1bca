"""Classroom tests start from the fixture course's blended track (tests/factories.py: classroom_world)."""
import pytest

from ..factories import classroom_world


@pytest.fixture
def cw(db, factory):
    return classroom_world(factory)
