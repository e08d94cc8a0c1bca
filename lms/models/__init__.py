"""The schema. Import every model here so Alembic and create_all see them."""
from lms.models.agency import Agency
from lms.models.agreement import MOU_MODELS, Mou, MouDocument, MouModel
from lms.models.audit import AuditEvent, AuditHead
from lms.models.authoring import REVISION_KINDS, REVISION_STATUSES, ContentRevision, RevisionComment
from lms.models.challenge import GradingAdjustment, ItemChallenge, RegradeHold
from lms.models.certification import (
    CertificateDocument, CertificateSequence, Certification, CertificationReview, CertificationStatusChange,
    SigningKey,
)
from lms.models.classroom import (
    Attendance, ClassSession, Exercise, ExerciseVersion, PracticalGrade, PracticalSubmission,
)
from lms.models.cohort import (
    Cohort, CohortNotice, Enrollment, ModuleProgress, WeekOpening, cohort_agency, cohort_instructor,
)
from lms.models.content import ContentSyncState, Module, ModuleVersion, Track, TrackItem
from lms.models.exam import (
    AnswerLog, Attempt, AttemptQuestion, Exam, ExamGrant, ExamVersion, Question, QuestionBank, QuestionPool,
    QuestionVersion,
)
from lms.models.export import EXPORT_STATUSES, ExportJob
from lms.models.limit import RateCounter
from lms.models.nomination import NOMINATION_STATUSES, Nomination
from lms.models.notification import EmailDelivery, Notification, NotificationPreference
from lms.models.search import ModuleText
from lms.models.standard_setting import AngoffRating, StandardSetting
from lms.models.supervision import SupervisionNote
from lms.models.user import SESSION_USER_COLUMNS, RecoveryCode, Role, SessionUser, User

__all__ = [
    "EXPORT_STATUSES",
    "MOU_MODELS",
    "NOMINATION_STATUSES",
    "Agency",
    "AngoffRating",
    "AnswerLog",
    "Attempt",
    "AttemptQuestion",
    "Attendance",
    "AuditEvent",
    "AuditHead",
    "CertificateDocument",
    "CertificateSequence",
    "Certification",
    "CertificationReview",
    "CertificationStatusChange",
    "ClassSession",
    "Cohort",
    "CohortNotice",
    "ContentRevision",
    "ContentSyncState",
    "EmailDelivery",
    "ExportJob",
    "Enrollment",
    "Exam",
    "ExamGrant",
    "ExamVersion",
    "Exercise",
    "ExerciseVersion",
    "GradingAdjustment",
    "ItemChallenge",
    "Module",
    "ModuleProgress",
    "ModuleText",
    "ModuleVersion",
    "Mou",
    "MouDocument",
    "MouModel",
    "Nomination",
    "Notification",
    "NotificationPreference",
    "PracticalGrade",
    "PracticalSubmission",
    "Question",
    "QuestionBank",
    "QuestionPool",
    "QuestionVersion",
    "RateCounter",
    "RecoveryCode",
    "RegradeHold",
    "REVISION_KINDS",
    "REVISION_STATUSES",
    "RevisionComment",
    "Role",
    "SigningKey",
    "StandardSetting",
    "SupervisionNote",
    "Track",
    "TrackItem",
    "User",
    "WeekOpening",
    "cohort_agency",
    "cohort_instructor",
    "SESSION_USER_COLUMNS",
    "SessionUser",
]
