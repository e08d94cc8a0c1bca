"""Fixtures for agencies, agreements, nominations and the program dashboard."""
from dataclasses import dataclass
from datetime import date

import pytest

from lms.agencies.agreements import create_mou
from lms.models import Role

from ..certification.conftest import CertKit


@pytest.fixture
def kit(db, factory, clock):
    return CertKit(db, factory, clock)


@dataclass
class Side:
    """An agency with an agreement in force, its coordinator, and a cohort open to it."""

    agency: object
    mou: object
    coordinator: object


@pytest.fixture
def program(db, factory, clock):
    """Builds agencies with an MOU (officer-basic and custody-assistant tracks need synced content)."""

    def make(name="North County Sheriff", ori=None, tracks=(), annexes=(), functions=("Interview", "Process")):
        agency = factory.agency(name=name, ori=ori)
        mou = create_mou(agency=agency, model="jail_enforcement", signed_on=date(2025, 1, 6),
                         effective_on=date(2025, 2, 1), authorized_functions=list(functions),
                         track_slugs=list(tracks), annex_slugs=list(annexes), now=clock())
        db.session.commit()
        coordinator = factory.user(Role.COORDINATOR, agency=agency)
        return Side(agency, mou, coordinator)

    return make
