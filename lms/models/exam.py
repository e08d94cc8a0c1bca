"""Question banks, exams (versioned blueprints), attempts and their answer log.

Content rows (banks, questions, exams) come from files through lms.content.sync; a question or
blueprint change makes a new version and old versions stay for the attempts that used them.
An attempt pins the versions it drew; once finished it is a training record and never changes.
"""
from sqlalchemy import DDL, Boolean, Float, ForeignKey, Index, String, Text, UniqueConstraint, event, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.extensions import db
from lms.models.base import Record
from lms.models.types import JSONText, UTCDateTime
from lms.models.versioned import ContentVersion, VersionedItem

OPEN, FINISHED = "open", "finished"
SUBMITTED, EXPIRED = "submitted", "expired"


class QuestionBank(Record):
    """A bank of questions (one YAML file)."""

    __tablename__ = "question_bank"

    slug: Mapped[str] = mapped_column(String(100), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    source_path: Mapped[str] = mapped_column(String(500))
    retired_at = mapped_column(UTCDateTime(), nullable=True)
    created_at = mapped_column(UTCDateTime(), nullable=False)
    updated_at = mapped_column(UTCDateTime(), nullable=False)


class Question(VersionedItem, Record):
    """A question by its stable id; its content lives in versions, the current one drawn from."""

    __tablename__ = "question"

    slug: Mapped[str] = mapped_column(String(100), unique=True)
    bank_id: Mapped[int] = mapped_column(ForeignKey("question_bank.id"))
    position: Mapped[int] = mapped_column()  # order in the bank file (unshuffled exams)
    status: Mapped[str] = mapped_column(String(10))  # active | retired
    # Copies of the current version's fields the draw filters on.
    objective: Mapped[str] = mapped_column(String(30))
    difficulty: Mapped[str] = mapped_column(String(10))
    # Questions that test the same fact share a family; one attempt never draws two of a family.
    family: Mapped[str | None] = mapped_column(String(100), nullable=True)

    bank = relationship("QuestionBank")

    __table_args__ = (Index("ix_question_draw", "bank_id", "status", "objective", "difficulty"),)


class QuestionPool(Record):
    """The state of the banks' questions, named by a token that changes with each change to a question or a bank.

    What a draw chooses from (lms.exams.draw.load_candidates: the active questions of the blueprint's banks and
    their current versions) is kept per process under this token, so a start reads the token with its context
    instead of every candidate. The database changes the token itself: triggers on ``question`` and
    ``question_bank`` (``POOL_TRIGGERS``) set a new random one in the transaction that changes either, however it
    is changed (a content sync, an import, the studio, a SQL console), so a snapshot that holds a token holds
    the candidates kept under it. Random, not counted: a database restored or rebuilt never shows a process a
    token it kept another state under. One row (id 1); with none (a database emptied by hand) nothing is kept."""

    __tablename__ = "question_pool"

    token: Mapped[str] = mapped_column(String(32))


# A new token for the pool (QuestionPool), per dialect: the row is written back whether or not it is there.
_POOL_TABLES = ("question", "question_bank")
# (The token's expression is one of the two constants below, never input.)
_SET_TOKEN = {dialect: f"INSERT INTO question_pool (id, token) VALUES (1, {token}) "  # nosec B608: constants only
                       "ON CONFLICT (id) DO UPDATE SET token = excluded.token"
              for dialect, token in (("sqlite", "lower(hex(randomblob(16)))"),
                                     ("postgresql", "md5(random()::text || clock_timestamp()::text)"))}
POOL_TRIGGERS = {
    "sqlite": [f"CREATE TRIGGER {table}_{op.lower()}_changes_pool AFTER {op} ON {table} "  # (SQLite: row triggers only)
               f"BEGIN {_SET_TOKEN['sqlite']}; END" for table in _POOL_TABLES for op in ("INSERT", "UPDATE", "DELETE")],
    "postgresql": [
        "CREATE OR REPLACE FUNCTION question_pool_changed() RETURNS trigger LANGUAGE plpgsql AS $$ "
        f"BEGIN {_SET_TOKEN['postgresql']}; RETURN NULL; END $$",
        *(f"CREATE TRIGGER {table}_changes_pool AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
          "FOR EACH STATEMENT EXECUTE FUNCTION question_pool_changed()" for table in _POOL_TABLES),
    ],
}


def _create_pool_triggers_with_the_tables() -> None:
    """Make metadata.create_all (the test suite, fresh databases) install the triggers once every table is there,
    and the pool's first token (migration 0022 does the same with its own copies)."""
    metadata = db.metadata
    for dialect, statements in POOL_TRIGGERS.items():
        for statement in (*statements, _SET_TOKEN[dialect]):
            event.listen(metadata, "after_create", DDL(statement).execute_if(dialect=dialect))
    event.listen(metadata, "after_drop",
                 DDL("DROP FUNCTION IF EXISTS question_pool_changed()").execute_if(dialect="postgresql"))


_create_pool_triggers_with_the_tables()


class QuestionVersion(ContentVersion, Record):
    """One immutable version of a question: stem, choices, key, feedback, rendered HTML."""

    __tablename__ = "question_version"

    question_id: Mapped[int] = mapped_column(ForeignKey("question.id"))
    qtype: Mapped[str] = mapped_column(String(20))
    objective: Mapped[str] = mapped_column(String(30))
    difficulty: Mapped[str] = mapped_column(String(10))
    # The question as authored (key included): choices/answers/pairs, feedback, rationale, source.
    data = mapped_column(JSONText(), nullable=False)
    # Sanitized HTML rendered once at sync: {"stem":..., "feedback": {...}, "rationale":...}.
    rendered = mapped_column(JSONText(), nullable=False)

    question = relationship("Question", foreign_keys=[question_id])

    __table_args__ = (UniqueConstraint("question_id", "number"),)


class Exam(VersionedItem, Record):
    """An exam by its stable id; its blueprint lives in versions."""

    __tablename__ = "exam"

    slug: Mapped[str] = mapped_column(String(100), unique=True)

    @property
    def title(self) -> str:
        return self.current_version.title if self.current_version else self.slug


class ExamVersion(ContentVersion, Record):
    """One immutable version of a blueprint: what to draw and the policy (limits, review)."""

    __tablename__ = "exam_version"

    exam_id: Mapped[int] = mapped_column(ForeignKey("exam.id"))
    title: Mapped[str] = mapped_column(String(300))
    description_html: Mapped[str] = mapped_column(Text, default="")
    blueprint = mapped_column(JSONText(), nullable=False)  # the exam file's values, defaults filled in

    exam = relationship("Exam", foreign_keys=[exam_id])

    __table_args__ = (UniqueConstraint("exam_id", "number"),)


class Attempt(Record):
    """A trainee's attempt at an exam: the draw, the deadline, and once finished, the grade."""

    __tablename__ = "attempt"

    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    exam_id: Mapped[int] = mapped_column(ForeignKey("exam.id"))
    exam_version_id: Mapped[int] = mapped_column(ForeignKey("exam_version.id"))
    # Attempts belong to an enrollment: a trainee enrolled again (another cohort) starts afresh.
    enrollment_id: Mapped[int] = mapped_column(ForeignKey("enrollment.id"), index=True)
    number: Mapped[int] = mapped_column()  # 1, 2, ... per enrollment and exam
    status: Mapped[str] = mapped_column(String(10))  # open | finished
    seed: Mapped[str] = mapped_column(String(64))
    # The policy in force when the attempt started (a copy of the blueprint's rules, not the draw).
    policy = mapped_column(JSONText(), nullable=False)
    time_multiplier: Mapped[float] = mapped_column(Float)
    extra_seconds: Mapped[int] = mapped_column(default=0)
    started_at = mapped_column(UTCDateTime(), nullable=False)
    deadline_at = mapped_column(UTCDateTime(), nullable=False)
    page_reached: Mapped[int] = mapped_column(default=0)  # forward-only navigation
    finished_at = mapped_column(UTCDateTime(), nullable=True)
    finish_reason: Mapped[str | None] = mapped_column(String(10))  # submitted | expired
    points: Mapped[float | None] = mapped_column(Float)
    max_points: Mapped[float | None] = mapped_column(Float)
    percent: Mapped[float | None] = mapped_column(Float)
    passed: Mapped[bool | None] = mapped_column(Boolean)

    user = relationship("User")
    exam = relationship("Exam")
    exam_version = relationship("ExamVersion")
    enrollment = relationship("Enrollment")
    questions = relationship("AttemptQuestion", back_populates="attempt", order_by="AttemptQuestion.position")

    __table_args__ = (
        UniqueConstraint("enrollment_id", "exam_id", "number"),
        # At most one open attempt per enrollment and exam, enforced by the database.
        Index("uq_attempt_one_open", "enrollment_id", "exam_id", unique=True,
              sqlite_where=text("status = 'open'"), postgresql_where=text("status = 'open'")),
        Index("ix_attempt_status_deadline", "status", "deadline_at"),
        Index("ix_attempt_exam_status", "exam_id", "status"),
    )

    @property
    def is_open(self) -> bool:
        return self.status == OPEN


class AttemptQuestion(Record):
    """A question as shown in an attempt: the pinned version, the shown order, the current answer."""

    __tablename__ = "attempt_question"

    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempt.id"))
    position: Mapped[int] = mapped_column()  # 0-based order in the attempt
    question_id: Mapped[int] = mapped_column(ForeignKey("question.id"), index=True)
    question_version_id: Mapped[int] = mapped_column(ForeignKey("question_version.id"), index=True)
    qtype: Mapped[str] = mapped_column(String(20))
    cell: Mapped[int] = mapped_column()  # the blueprint cell it was drawn for
    # The shown order: choice ids (single, multiple), or {"prompts": [...], "answers": [...]} (matching).
    shown = mapped_column(JSONText(), nullable=False)
    response = mapped_column(JSONText(), nullable=True)  # canonical answer (choice ids, text, pairs)
    answered_at = mapped_column(UTCDateTime(), nullable=True)
    is_flagged: Mapped[bool] = mapped_column(default=False)
    points: Mapped[float | None] = mapped_column(Float)
    max_points: Mapped[float] = mapped_column(Float, default=1.0)
    is_correct: Mapped[bool | None] = mapped_column(Boolean)

    attempt = relationship("Attempt", back_populates="questions")
    version = relationship("QuestionVersion")

    __table_args__ = (UniqueConstraint("attempt_id", "position"),)


class AnswerLog(Record):
    """Every saved answer, with the server's time: append-only, never updated."""

    __tablename__ = "answer_log"

    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempt.id"))
    position: Mapped[int] = mapped_column()
    response = mapped_column(JSONText(), nullable=True)
    saved_at = mapped_column(UTCDateTime(), nullable=False)
    via: Mapped[str] = mapped_column(String(10))  # autosave | form

    __table_args__ = (Index("ix_answer_log_attempt", "attempt_id", "id"),)


class ExamGrant(Record):
    """An instructor's grant to a trainee in one enrollment for an exam: extra time or an extra attempt
    (audited). It applies in that enrollment only, never in the trainee's other cohorts."""

    __tablename__ = "exam_grant"

    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    enrollment_id: Mapped[int] = mapped_column(ForeignKey("enrollment.id"))
    exam_id: Mapped[int] = mapped_column(ForeignKey("exam.id"))
    kind: Mapped[str] = mapped_column(String(20))  # extra_time | extra_attempt
    minutes: Mapped[int] = mapped_column(default=0)
    # An extra attempt that may start at once: the cool-down after the attempt latest when granted is lifted.
    waives_cooldown: Mapped[bool] = mapped_column(default=False, server_default=text("false"))
    # Extra time applies to this attempt: the open one when granted, else the next one started.
    attempt_id: Mapped[int | None] = mapped_column(ForeignKey("attempt.id"))
    reason: Mapped[str] = mapped_column(String(500), default="")
    granted_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    granted_at = mapped_column(UTCDateTime(), nullable=False)

    granted_by = relationship("User", foreign_keys=[granted_by_id])

    __table_args__ = (Index("ix_exam_grant_enrollment_exam", "enrollment_id", "exam_id"),)
