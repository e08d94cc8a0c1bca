"""Fixtures for agencies, agreements, nominations and the program dashboard (data: tests/factories.py)."""
import pytest

from ..factories import agency_with_mou


@pytest.fixture
def program(db, factory, clock):
    """Builds agencies with an MOU: program(name=..., ori=..., tracks=..., annexes=..., functions=...)."""

    def make(*args, **kw):
        return agency_with_mou(db, factory, clock, *args, **kw)

    return make
