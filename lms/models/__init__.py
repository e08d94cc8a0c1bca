"""The schema. Import every model here so Alembic and create_all see them."""
from .agency import Agency
from .audit import AuditEvent, AuditHead
from .cohort import Cohort, Enrollment, ModuleProgress, WeekOpening, cohort_agency, cohort_instructor
from .content import Module, ModuleVersion, Track, TrackItem
from .exam import (
    AnswerLog, Attempt, AttemptQuestion, Exam, ExamGrant, ExamVersion, Question, QuestionBank, QuestionVersion,
)
from .user import Role, User

__all__ = [
    "Agency",
    "AnswerLog",
    "Attempt",
    "AttemptQuestion",
    "AuditEvent",
    "AuditHead",
    "Cohort",
    "Enrollment",
    "Exam",
    "ExamGrant",
    "ExamVersion",
    "Module",
    "ModuleProgress",
    "ModuleVersion",
    "Question",
    "QuestionBank",
    "QuestionVersion",
    "Role",
    "Track",
    "TrackItem",
    "User",
    "WeekOpening",
    "cohort_agency",
    "cohort_instructor",
]
