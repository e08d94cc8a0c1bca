"""The schema. Import every model here so Alembic and create_all see them."""
from .agency import Agency
from .agreement import MOU_MODELS, Mou, MouDocument, MouModel
from .audit import AuditEvent, AuditHead
from .certification import (
    CertificateDocument, CertificateSequence, Certification, CertificationStatusChange, SigningKey,
)
from .cohort import Cohort, Enrollment, ModuleProgress, WeekOpening, cohort_agency, cohort_instructor
from .content import Module, ModuleVersion, Track, TrackItem
from .exam import (
    AnswerLog, Attempt, AttemptQuestion, Exam, ExamGrant, ExamVersion, Question, QuestionBank, QuestionVersion,
)
from .limit import RateCounter
from .nomination import NOMINATION_STATUSES, Nomination
from .user import RecoveryCode, Role, User

__all__ = [
    "Agency",
    "AnswerLog",
    "Attempt",
    "AttemptQuestion",
    "AuditEvent",
    "AuditHead",
    "CertificateDocument",
    "CertificateSequence",
    "Certification",
    "CertificationStatusChange",
    "Cohort",
    "Enrollment",
    "Exam",
    "ExamGrant",
    "ExamVersion",
    "Module",
    "ModuleProgress",
    "ModuleVersion",
    "MOU_MODELS",
    "Mou",
    "MouDocument",
    "MouModel",
    "NOMINATION_STATUSES",
    "Nomination",
    "Question",
    "QuestionBank",
    "QuestionVersion",
    "RateCounter",
    "RecoveryCode",
    "Role",
    "SigningKey",
    "Track",
    "TrackItem",
    "User",
    "WeekOpening",
    "cohort_agency",
    "cohort_instructor",
]
