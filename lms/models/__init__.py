"""The schema. Import every model here so Alembic and create_all see them."""
from .agency import Agency
from .audit import AuditEvent, AuditHead
from .cohort import Cohort, Enrollment, ModuleProgress, WeekOpening, cohort_agency, cohort_instructor
from .content import Module, ModuleVersion, Track, TrackItem
from .user import Role, User

__all__ = [
    "Agency",
    "AuditEvent",
    "AuditHead",
    "Cohort",
    "Enrollment",
    "Module",
    "ModuleProgress",
    "ModuleVersion",
    "Role",
    "Track",
    "TrackItem",
    "User",
    "WeekOpening",
    "cohort_agency",
    "cohort_instructor",
]
