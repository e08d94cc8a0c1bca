"""An attempt's pages: what a page shows, saving its answers (autosave and the form), moving between pages.

``attempt_page`` copies only what a trainee may see during an attempt (stems, choice texts in the
shown order, their own answers); the key, feedback and rationale never enter it.
"""
import math
import sys
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime

from sqlalchemy import Text, bindparam, case, func, insert, select, type_coerce, update
from sqlalchemy.dialects.postgresql import aggregate_order_by

from lms.db_engine import driver_connection, driver_statement, run_read, write_together
from lms.exams.attempts import AttemptClosed, accepts_answers_until
from lms.exams.versions import pinned_versions
from lms.extensions import db
from lms.models import (
    SESSION_USER_COLUMNS,
    AnswerLog,
    Attempt,
    AttemptQuestion,
    ExamVersion,
    QuestionVersion,
    SessionUser,
    User,
)
from lms.models.exam import OPEN
from lms.models.types import JSONText
from lms.questions import QUESTION_TYPES

UNANSWERED, ANSWERED = "unanswered", "answered"


@dataclass
class QuestionView:
    """One question on the attempt page."""

    position: int
    number: int
    qtype: str
    label: str
    name: str
    stem_html: str
    template: str  # the type's partial
    control: object = None  # what the partial shows (its type's ``control``)
    answered: bool = False
    flagged: bool = False


@dataclass
class NavItem:
    """A question in the navigation panel."""

    number: int
    page: int
    state: str
    flagged: bool
    current: bool

    @property
    def label(self) -> str:
        """Its accessible name in the panel ("Question 5, answered, flagged, on this page"): built here, once
        per item, as a Python string is cheaper than a template's concatenation of five pieces."""
        return (f"Question {self.number}, {self.state}{', flagged' if self.flagged else ''}"
                f"{', on this page' if self.current else ''}")

    @property
    def classes(self) -> str:
        """Its classes in the panel: its state, flagged, on this page (one string, for the same reason: a final's
        panel has 75 items)."""
        return (f"exam-nav__item exam-nav__item--{self.state}{' exam-nav__item--flagged' if self.flagged else ''}"
                f"{' exam-nav__item--current' if self.current else ''}")


@dataclass
class AttemptPage:
    """One page of an open attempt."""

    page: int
    pages: int
    questions: list[QuestionView]
    nav: list[NavItem]
    forward_only: bool
    deadline_at: object
    accepts_until: object

    @property
    def scripts(self) -> list[str]:
        """The static scripts the partials of this page's question types need (each once)."""
        return list(dict.fromkeys(s for q in self.questions for s in QUESTION_TYPES[q.qtype].scripts))

    @property
    def unanswered(self) -> list[int]:
        return [n.number for n in self.nav if n.state == UNANSWERED]

    @property
    def flagged(self) -> list[int]:
        return [n.number for n in self.nav if n.flagged]


@dataclass(frozen=True)
class OpenAttempt:
    """What an open attempt's pages show of the attempt itself (read as one row, without the ORM)."""

    id: int
    user_id: int
    number: int
    title: str  # the exam version's
    policy: dict
    deadline_at: datetime
    page_reached: int

    @classmethod
    def of(cls, attempt: Attempt) -> "OpenAttempt":
        """The same, of a loaded attempt."""
        return cls(attempt.id, attempt.user_id, attempt.number, attempt.exam_version.title, attempt.policy,
                   attempt.deadline_at, attempt.page_reached)


# The attempt, with its user (whom the session's check admits: lms.views.helpers.reads_session_user).
_OPEN_ATTEMPT = (
    select(Attempt.id, Attempt.user_id, Attempt.number, ExamVersion.title, Attempt.policy, Attempt.deadline_at,
           Attempt.page_reached, Attempt.status, *SESSION_USER_COLUMNS)
    .join(ExamVersion, ExamVersion.id == Attempt.exam_version_id)
    .join(User, User.id == Attempt.user_id)
    .where(Attempt.id == bindparam("attempt_id"), Attempt.user_id == bindparam("user_id"))
)


def open_attempt(attempt_id: int, user_id: int, *, now,
                 admit: Callable[[SessionUser], None] | None = None) -> OpenAttempt | None:
    """The attempt if it is ``user_id``'s and still takes answers at ``now``; None otherwise (anyone else's,
    finished, or past its deadline and grace: the caller loads it to say which, and to finish it). ``admit``, when
    given, is called with the attempt's user (read by the same statement) first: it raises to refuse."""
    row = run_read(db.session, db.engine, _OPEN_ATTEMPT, {"attempt_id": attempt_id, "user_id": user_id}).one_or_none()
    if row is None:
        return None
    (*shown, status), user = SessionUser.split(row)
    if admit is not None:
        admit(user)
    if status != OPEN or now > accepts_answers_until(row.deadline_at):
        return None
    return OpenAttempt(*shown)


_CLOCK = (select(Attempt.status, Attempt.deadline_at, *SESSION_USER_COLUMNS).join(User, User.id == Attempt.user_id)
          .where(Attempt.id == bindparam("attempt_id"), Attempt.user_id == bindparam("user_id")))


def attempt_clock(attempt_id: int, user_id: int, *, admit: Callable[[SessionUser], None]):
    """The attempt's status and deadline (a row) if it is ``user_id``'s, None otherwise; ``admit`` is called with
    its user (read by the same statement) first, and raises to refuse."""
    row = run_read(db.session, db.engine, _CLOCK, {"attempt_id": attempt_id, "user_id": user_id}).one_or_none()
    if row is not None:
        admit(SessionUser.split(row)[1])
    return row


def question_view(row, data: dict, rendered: dict) -> QuestionView:
    """The question as shown, with the trainee's saved answer filled in and nothing of the key."""
    kind = QUESTION_TYPES[row.qtype]
    name = field_name(row.position)
    return QuestionView(row.position, row.position + 1, row.qtype, kind.label, name, rendered["stem"], kind.template,
                        kind.control(name, data, row.shown, row.response), answered=row.response is not None,
                        flagged=row.is_flagged)


# A page reads its attempt's questions in one statement: each one's state for the navigation panel and its
# pinned version (id and content hash: the version's data and rendered HTML are kept per process, in
# lms.exams.versions), and only for the page's own questions the shown order and the answer (NULL for the
# others: nothing of theirs is decoded).
_ON_PAGE = AttemptQuestion.position.between(bindparam("first"), bindparam("last"))
_PAGE_READ = (
    select(AttemptQuestion.position, AttemptQuestion.response.is_not(None).label("answered"),
           AttemptQuestion.is_flagged, AttemptQuestion.qtype, AttemptQuestion.question_version_id,
           QuestionVersion.content_hash, case((_ON_PAGE, AttemptQuestion.shown)).label("shown"),
           case((_ON_PAGE, AttemptQuestion.response)).label("response"))
    .join(QuestionVersion, QuestionVersion.id == AttemptQuestion.question_version_id)
    .where(AttemptQuestion.attempt_id == bindparam("attempt_id"))
    .order_by(AttemptQuestion.position)
)


def attempt_page(attempt: OpenAttempt | Attempt, page: int, *, questions: bool = True) -> AttemptPage:
    """Page ``page`` (0-based; beyond the last, the last) of an open attempt, and the navigation panel
    of all its questions (with ``questions=False``, the panel alone: the submit page)."""
    per_page = attempt.policy["per_page"]
    rows = _page_rows(attempt.id, page if questions else -1, per_page)
    pages = max(1, math.ceil(len(rows) / per_page))
    shown = max(0, min(page, pages - 1))
    if questions and shown != page:  # an address beyond the last page: read the last one
        rows = _page_rows(attempt.id, shown, per_page)
    page = shown
    nav = [NavItem(row.position + 1, page_of(row.position, per_page), ANSWERED if row.answered else UNANSWERED,
                   row.is_flagged, page_of(row.position, per_page) == page) for row in rows]
    on_page = [row for row in rows if page_of(row.position, per_page) == page] if questions else []
    versions = pinned_versions({(row.question_version_id, row.content_hash) for row in on_page})
    views = [question_view(row, *versions[row.question_version_id]) for row in on_page]
    return AttemptPage(page, pages, views, nav, attempt.policy["navigation"] == "forward", attempt.deadline_at,
                       accepts_answers_until(attempt.deadline_at))


def _page_rows(attempt_id: int, page: int, per_page: int) -> list:
    return run_read(db.session, db.engine, _PAGE_READ, {
        "attempt_id": attempt_id, "first": page * per_page, "last": page * per_page + per_page - 1}).all()


# -- saving answers and moving between pages ----------------------------------------------------


@dataclass
class Saved:
    """The outcome of saving one question's answer."""

    position: int
    answered: bool
    flagged: bool
    saved_at: datetime
    deadline_at: datetime
    changed: bool


def page_of(position: int, per_page: int) -> int:
    """The 0-based page a question is on."""
    return position // per_page


_QUESTIONS_READ = (
    select(Attempt.status, Attempt.deadline_at, Attempt.page_reached, Attempt.policy,
           AttemptQuestion.id, AttemptQuestion.qtype, AttemptQuestion.shown, AttemptQuestion.response,
           AttemptQuestion.is_flagged, AttemptQuestion.position)
    .join(AttemptQuestion, AttemptQuestion.attempt_id == Attempt.id)
    .where(Attempt.id == bindparam("attempt_id"), Attempt.user_id == bindparam("user_id"))
)
# One question's row, with the attempt's user (whom the session's check admits: lms.views.helpers.reads_session_user).
_QUESTION_READ = (_QUESTIONS_READ.add_columns(*SESSION_USER_COLUMNS).join(User, User.id == Attempt.user_id)
                  .where(AttemptQuestion.position == bindparam("position")))
# A share lock on the attempt: a concurrent submit waits for this save, or this save sees it.
_SAVE_READ_ALL = _QUESTIONS_READ.with_for_update(read=True, of=Attempt)
_SAVE_READ = _QUESTION_READ.with_for_update(read=True, of=Attempt)


_SAVE_ANSWER = update(AttemptQuestion).where(AttemptQuestion.id == bindparam("aq_id")).values(
    response=bindparam("response", type_=AttemptQuestion.response.type),
    answered_at=bindparam("answered_at", type_=AttemptQuestion.answered_at.type),
    is_flagged=bindparam("is_flagged"))


_SAVE_FLAG = update(AttemptQuestion).where(AttemptQuestion.id == bindparam("aq_id")).values(
    is_flagged=bindparam("is_flagged"))


_SAVE_LOG = insert(AnswerLog).values(
    attempt_id=bindparam("attempt_id"), position=bindparam("position"),
    response=bindparam("response", type_=AnswerLog.response.type),
    saved_at=bindparam("saved_at", type_=AnswerLog.saved_at.type), via=bindparam("via"))


def save_answer(*, attempt_id: int, user_id: int, position: int, values: list[str] | None = None,
                form=None, flagged: bool | None = None, now, via: str = "autosave",
                admit: Callable[[SessionUser], None] | None = None, conn=None) -> Saved | None:
    """Save one question's answer (the lean autosave path): one read, one update, one log row, on ``conn`` (a Core
    connection in its transaction), by default the session's.

    ``admit``, when given, is called with the attempt's user (read by the same statement) before anything is
    written: it raises to refuse (a session's check, lms.views.helpers.reads_session_user).

    The answer comes as the question's form values (``values``), or as the submitted fields
    (``form``, a MultiDict) from which they are read; with neither, the answer stays as it is (a flag
    toggle).
    Returns None when there is no such attempt of this trainee or no such question (a 404).
    Raises AttemptClosed after the deadline and grace or once finished, ResponseInvalid for values no
    control could send.
    """
    # Core statements built once, run on the session's connection (or the one given): the hot path skips the ORM.
    conn = db.session.connection() if conn is None else conn
    row = conn.execute(_SAVE_READ, {"attempt_id": attempt_id, "user_id": user_id, "position": position}).one_or_none()
    checked = _check(row, attempt_id=attempt_id, values=values, form=form, flagged=flagged, now=now, via=via,
                     admit=admit)
    if checked is None:
        return None
    _question, writes, saved = checked
    writes.run(conn)
    return saved


def _check(row, *, attempt_id: int, values, form, flagged, now, via,
           admit: Callable[[SessionUser], None] | None, answer_kept: bool = False) -> tuple | None:
    """One question's row (as ``_QUESTION_READ`` selects it, read with its lock or without, or as a process kept it:
    ``answer_kept``), its user admitted, the save checked against the attempt's rules: (the row, the writes it needs,
    the outcome); None when there is no such question of this trainee's attempt (no row). Raises as save_answer does."""
    if row is None:
        return None
    question, user = SessionUser.split(row)
    if admit is not None:
        admit(user)
    writes = _Writes()
    saved = _save_one(question, attempt_id, values=values, form=form, flagged=flagged, now=now, via=via, writes=writes,
                      answer_kept=answer_kept)
    return question, writes, saved


# A save whose rules are checked against a read without a lock (save_answer_unlocked), then written only if the
# attempt is still as the read saw it: open, with the same deadline and the same page reached (what the rules were
# checked against). The parameters' names are no column's: SQLAlchemy adds to an UPDATE's SET (even one inside a
# WITH) a column that a parameter names.
_AS_READ = (Attempt.id == bindparam("the_attempt"), Attempt.status == bindparam("open", OPEN),
            Attempt.deadline_at == bindparam("read_deadline", type_=Attempt.deadline_at.type),
            Attempt.page_reached == bindparam("read_page_reached"))
_ANSWER_VALUES = {"response": bindparam("answer", type_=AttemptQuestion.response.type),
                  "answered_at": bindparam("at", type_=AttemptQuestion.answered_at.type),
                  "is_flagged": bindparam("flagged")}

# On PostgreSQL both writes are one statement, which takes the attempt's share lock: a submit that claimed the attempt
# first, committed or not, leaves it unwritten (the lock waits for the claim's end, and the row is checked again as it
# then is); one that comes second waits for the save, and grades it. It also checks that the attempt's user is as read
# (every column of the session's check) and the question's flag (which an answer's save writes as it read it), so that
# a read kept from an earlier save (_KnownAttempts) is worth what a fresh one is. Not the question's answer as read:
# another process's save of the same question since the process's own (the next save of a question often goes to
# another process) is no reason to read it again. The answer sent is written only if the question does not already
# hold it, and the statement tells which (``held``: the answer and the flag already so), so a kept answer that is no
# longer the question's (A kept here, B saved elsewhere, A sent again here) costs no second round trip either way.
_USER_AS_READ = tuple(column.is_not_distinct_from(bindparam(f"read_{column.key}", type_=column.type))
                      for column in SESSION_USER_COLUMNS if column.key != "id")
_STILL_AS_READ = (select(Attempt.id).join(User, User.id == Attempt.user_id)
                  .where(*_AS_READ, Attempt.user_id == bindparam("the_user"), *_USER_AS_READ)
                  .with_for_update(read=True, of=Attempt).cte("open_attempt"))
_QUESTION_AS_READ = (AttemptQuestion.id == bindparam("the_question"), AttemptQuestion.attempt_id == _STILL_AS_READ.c.id,
                     AttemptQuestion.is_flagged == bindparam("read_flagged"))
_SENT = bindparam("answer", type_=AttemptQuestion.response.type)
_SAVED = (
    update(AttemptQuestion)
    .where(*_QUESTION_AS_READ, AttemptQuestion.response.is_distinct_from(_SENT))
    .values(**_ANSWER_VALUES)
    .returning(AttemptQuestion.attempt_id, AttemptQuestion.position)
    .cte("saved")
)
_LOGGED = (
    insert(AnswerLog)
    .from_select(("attempt_id", "position", "response", "saved_at", "via"),
                 select(_SAVED.c.attempt_id, _SAVED.c.position, bindparam("answer", type_=AnswerLog.response.type),
                        bindparam("at", type_=AnswerLog.saved_at.type), bindparam("way", type_=AnswerLog.via.type)))
    .returning(AnswerLog.id)
    .cte("logged")
)
_HELD = (select(AttemptQuestion.id)  # as the statement began: the update's change is not seen here
         .where(AttemptQuestion.id == bindparam("the_question"), AttemptQuestion.attempt_id == _STILL_AS_READ.c.id,
                AttemptQuestion.response.is_not_distinct_from(_SENT),
                AttemptQuestion.is_flagged == bindparam("flagged")))
_SAVE_ANSWER_IF_AS_READ = select(select(_LOGGED.c.id).scalar_subquery().label("logged"), _HELD.exists().label("held"))
_SAVE_FLAG_IF_AS_READ = (
    update(AttemptQuestion)
    .where(*_QUESTION_AS_READ)
    .values(is_flagged=bindparam("flagged"))
    .returning(AttemptQuestion.id)
)
# On SQLite (no data-modifying WITH) the answer's update, then its log row, in one write transaction: SQLite's one
# writer at a time, so the attempt read there is as it is until the commit.
_OPEN_AS_READ = select(Attempt.id).where(*_AS_READ).scalar_subquery()
_WRITE_ANSWER_IF_AS_READ = (
    update(AttemptQuestion)
    .where(AttemptQuestion.id == bindparam("the_question"), AttemptQuestion.attempt_id == _OPEN_AS_READ)
    .values(**_ANSWER_VALUES)
    .returning(AttemptQuestion.id)
)
_WRITE_FLAG_IF_AS_READ = (
    update(AttemptQuestion)
    .where(AttemptQuestion.id == bindparam("the_question"), AttemptQuestion.attempt_id == _OPEN_AS_READ)
    .values(is_flagged=bindparam("flagged"))
    .returning(AttemptQuestion.id)
)


class ChangedSinceRead(Exception):
    """The attempt changed between a save's read and its write (save_answer_unlocked): nothing was written."""


def save_answer_unlocked(*, attempt_id: int, user_id: int, position: int, form=None, flagged: bool | None = None,
                         now, via: str = "autosave", admit: Callable[[SessionUser], None],
                         engine) -> Saved | None:
    """``save_answer`` with its rules checked against a read without a lock, on one of ``engine``'s pooled connections
    used as the driver's own (lms.db_engine.driver_connection; its statements sent by the driver, DriverStatement:
    SQLAlchemy's execution cost more than they do), the writes then sent only if what was read is still so. On
    PostgreSQL one round trip, or two, instead of five (BEGIN, the locked read, the update, the log, COMMIT): one
    statement that writes both, committed by itself (``_SAVE_ANSWER_IF_AS_READ``), after a read of the attempt's
    questions that the process keeps for the attempt's next saves (``_save_as_known``). On SQLite the question's read,
    then the write lock held for the writes alone (lms.db_engine.driver_write), not for the read and the rules. Raises
    ChangedSinceRead when the attempt changed (nothing written: the caller saves the usual way, which decides anew),
    and as ``save_answer`` does otherwise. The autosave's short way (lms.views.autosave_path); its cost against the
    locked transaction: bench/README.md, "The autosave's floor" (PostgreSQL) and "SQLite's autosave without the lock
    for its read"."""
    dialect = engine.dialect
    asked = {"values": None, "form": form, "flagged": flagged, "now": now, "via": via, "admit": admit}
    with driver_connection(engine) as conn:
        if dialect.name == "postgresql":
            return _save_as_known(conn, dialect, _known_attempts(engine), attempt_id, user_id, position, asked)
        row = driver_statement(_QUESTION_READ, dialect).execute(
            conn, {"attempt_id": attempt_id, "user_id": user_id, "position": position}).one_or_none()
        checked = _check(row, attempt_id=attempt_id, **asked)
        if checked is None:
            return None
        question, writes, saved = checked
        if not (writes.answers or writes.flags):
            return saved  # nothing to write (the same answer again): as save_answer, which writes nothing either
        if not _write_in_one_transaction(conn, dialect, _as_read(attempt_id, question), writes):
            raise ChangedSinceRead
    return saved


def _as_read(attempt_id: int, question) -> dict:
    """What a save's write checks is unchanged since the question's row was read (``_AS_READ``)."""
    _status, deadline_at, page_reached = question[:3]  # (as _QUESTIONS_READ selects them)
    return {"the_attempt": attempt_id, "read_deadline": deadline_at, "read_page_reached": page_reached}


# -- PostgreSQL: an attempt's rows kept by the process between its saves ------------------------------------------

# An attempt, its user and all its questions in one row, the questions' columns as arrays in the order of their
# positions (their JSON as stored: decoded one question at a time, when saved). For a final of 75 questions this costs
# the app about a fifth of the same read as 75 rows, and one to two times a single question's row (bench/README.md,
# "The autosave in one round trip": bench/kept_attempts.py).
def _by_position(column):
    return func.array_agg(aggregate_order_by(column, AttemptQuestion.position))


_ATTEMPT_KEPT_READ = (
    select(Attempt.status, Attempt.deadline_at, Attempt.page_reached, Attempt.policy, *SESSION_USER_COLUMNS,
           *(_by_position(column) for column in (
               AttemptQuestion.position, AttemptQuestion.id, AttemptQuestion.qtype,
               type_coerce(AttemptQuestion.shown, Text), type_coerce(AttemptQuestion.response, Text),
               AttemptQuestion.is_flagged)))
    .join(AttemptQuestion, AttemptQuestion.attempt_id == Attempt.id).join(User, User.id == Attempt.user_id)
    .where(Attempt.id == bindparam("attempt_id"), Attempt.user_id == bindparam("user_id"))
    .group_by(Attempt.id, User.id)
)


_JSON = JSONText()  # its conversions of a question's JSON as stored (shown, response), NULL kept as None


class _KnownAttempt:
    """An attempt's questions, its state and its user as this process last read or wrote them (``_ATTEMPT_KEPT_READ``):
    what its next save is checked against without reading them again (``_save_as_known``). Nothing of it is trusted: a
    save's write goes through only if the attempt, its user and the question's flag are still as kept, all that its
    checks read (``_SAVE_ANSWER_IF_AS_READ``); the kept answer is not trusted to say whether the answer sent is new:
    the write skips an answer the question already holds, and says so."""

    __slots__ = ("user_id", "used_at", "_head", "_user", "_place", "_ids", "_types", "_shown", "_answers", "_flags")

    def __init__(self, row, used_at: float):
        users = len(SESSION_USER_COLUMNS)
        self._head, self._user = tuple(row[:4]), tuple(row[4:4 + users])  # the attempt's columns; the user's
        self.user_id, self.used_at = self._user[0], used_at
        positions, self._ids, types, self._shown, self._answers, self._flags = row[4 + users:]
        self._types = [sys.intern(kind) for kind in types]
        self._place = {position: place for place, position in enumerate(positions)}

    def row(self, position: int) -> tuple | None:
        """The question's row as ``_QUESTION_READ`` reads it; None for no such question."""
        place = self._place.get(position)
        if place is None:
            return None
        return (*self._head, self._ids[place], self._types[place], _JSON.process_result_value(self._shown[place], None),
                _JSON.process_result_value(self._answers[place], None), self._flags[place], position, *self._user)

    def refresh(self, position: int, row) -> bool:
        """The question as ``row`` (``_QUESTION_READ``'s, read now) holds it, if the attempt and its user are as kept;
        False (nothing changed here) when they are not."""
        users = len(SESSION_USER_COLUMNS)
        if tuple(row[:4]) != self._head or tuple(row[len(row) - users:]) != self._user:
            return False
        place = self._place[position]
        self._answers[place], self._flags[place] = _JSON.process_bind_param(row[7], None), row[8]
        return True

    def written(self, position: int, checked: tuple) -> None:
        """The question as a save (``_check``'s outcome) wrote it."""
        _question, writes, saved = checked
        place = self._place[position]
        if writes.answers:
            self._answers[place] = _JSON.process_bind_param(writes.answers[0]["response"], None)
        self._flags[place] = saved.flagged


class _KnownAttempts:
    """The attempts whose rows a process keeps (_KnownAttempt), at most ``size``, one set per engine. Room is made
    by forgetting the one least recently used, if it has not been used for ``stale_seconds``: a process that sees
    more open attempts than it keeps, all saving, keeps those it has (their saves in one round trip) and saves the
    others as before (a question's row read for each save), instead of reading each attempt anew at every save."""

    def __init__(self, size: int, *, stale_seconds: float = 120, clock: Callable[[], float] = time.monotonic):
        self.size, self.stale_seconds, self.clock = size, stale_seconds, clock
        self._kept: OrderedDict[int, _KnownAttempt] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, attempt_id: int) -> _KnownAttempt | None:
        with self._lock:
            known = self._kept.get(attempt_id)
            if known is not None:
                self._kept.move_to_end(attempt_id)
                known.used_at = self.clock()
            return known

    def has_room(self) -> bool:
        with self._lock:
            if len(self._kept) < self.size:
                return True
            oldest = next(iter(self._kept.values()), None)
            return oldest is not None and self.clock() - oldest.used_at >= self.stale_seconds

    def keep(self, attempt_id: int, known: _KnownAttempt) -> None:
        with self._lock:
            self._kept[attempt_id] = known
            self._kept.move_to_end(attempt_id)
            while len(self._kept) > self.size:
                self._kept.popitem(last=False)

    def forget(self, attempt_id: int) -> None:
        with self._lock:
            self._kept.pop(attempt_id, None)


# At most this many attempts kept by each process: 12 kB each for a final of 75 questions (bench/README.md, "The
# autosave in one round trip"), so 50 MB at most; more than the open attempts a process of a 2,000-seat wave sees.
KEPT_ATTEMPTS = 4096
_known_by_engine: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()
_known_lock = threading.Lock()


def forget_known_attempts() -> None:
    """Forget every attempt's kept rows (a database emptied under a running process: the tests')."""
    with _known_lock:
        _known_by_engine.clear()


def _known_attempts(engine) -> _KnownAttempts:
    with _known_lock:
        known = _known_by_engine.get(engine)
        if known is None:
            known = _known_by_engine[engine] = _KnownAttempts(KEPT_ATTEMPTS)
        return known


def _save_as_known(conn, dialect, known_attempts: _KnownAttempts, attempt_id: int, user_id: int, position: int,
                   asked: dict) -> Saved | None:
    """PostgreSQL: a save checked against the attempt's rows as this process keeps them from its last save, written in
    one round trip (the write checks they are still so, and skips an answer the question already holds). When the
    write finds them changed, or the checks refuse or find nothing to write (a refusal, like a flag set as it was, is
    decided on what the database holds now): the question's row read again (and kept, when the attempt and its user
    are as kept; else the attempt forgotten), and the save checked and written on it as any. With none kept: the
    attempt's rows read and kept (or, with no room to keep them, the question's alone). Returns and raises as
    ``save_answer_unlocked``."""
    known = known_attempts.get(attempt_id)
    read = {"attempt_id": attempt_id, "user_id": user_id}
    if known is not None and known.user_id == user_id:
        row = known.row(position)
        try:
            checked = _check(row, attempt_id=attempt_id, answer_kept=True, **asked)
        except Exception:  # noqa: BLE001  (a refusal on kept rows: decided again on a fresh read, below)
            checked = None
        if checked is not None and (written := _write_as_read(conn, dialect, attempt_id, user_id, row, checked)):
            known.written(position, checked)
            return written
        row = driver_statement(_QUESTION_READ, dialect).execute(conn, {**read, "position": position}).one_or_none()
        if row is None or not known.refresh(position, row):
            known_attempts.forget(attempt_id)
            known = None
    elif known_attempts.has_room():
        found = driver_statement(_ATTEMPT_KEPT_READ, dialect).execute(conn, read).one_or_none()
        known = None if found is None else _KnownAttempt(found, known_attempts.clock())
        row = None if known is None else known.row(position)
    else:
        known = None
        row = driver_statement(_QUESTION_READ, dialect).execute(conn, {**read, "position": position}).one_or_none()
    checked = _check(row, attempt_id=attempt_id, **asked)
    if checked is None:
        return None
    if known is not None:
        known_attempts.keep(attempt_id, known)
    _question, writes, saved = checked
    if not (writes.answers or writes.flags):
        return saved  # nothing to write (the same answer again): as save_answer, which writes nothing either
    written = _write_as_read(conn, dialect, attempt_id, user_id, row, checked)
    if written is None:
        known_attempts.forget(attempt_id)
        raise ChangedSinceRead
    if known is not None:
        known.written(position, checked)
    return written


def _write_as_read(conn, dialect, attempt_id: int, user_id: int, row, checked: tuple) -> Saved | None:
    """A save's writes as one statement, if the attempt, its user and the question's flag are still as ``row`` (as
    ``_QUESTION_READ`` reads it, or as kept) holds them: the save ``checked`` on it (``_check``'s outcome). Returns the
    save's outcome when written, or when the question already held the answer sent (unchanged: nothing written, as
    ``save_answer`` writes nothing then); None when they changed since, or when there is nothing to write."""
    question, writes, saved = checked
    if not (writes.answers or writes.flags):
        return None
    user = row[len(row) - len(SESSION_USER_COLUMNS):]
    as_read = {**_as_read(attempt_id, question), "the_user": user_id, "read_flagged": question[8],
               **{f"read_{column.key}": value for column, value in zip(SESSION_USER_COLUMNS, user)
                  if column.key != "id"}}
    if writes.answers:
        answer = writes.answers[0]
        logged, held = driver_statement(_SAVE_ANSWER_IF_AS_READ, dialect).execute(conn, {
            **as_read, "the_question": answer["aq_id"], "answer": answer["response"],
            "at": answer["answered_at"], "flagged": answer["is_flagged"], "way": writes.logs[0]["via"]}).one()
        if logged is not None:
            return replace(saved, changed=True)
        return replace(saved, changed=False) if held else None
    flag = writes.flags[0]
    flagged = driver_statement(_SAVE_FLAG_IF_AS_READ, dialect).execute(
        conn, {**as_read, "the_question": flag["aq_id"], "flagged": flag["is_flagged"]}).first()
    return None if flagged is None else saved


def _write_in_one_transaction(conn, dialect, as_read: dict, writes: "_Writes") -> bool:
    """SQLite: a save's writes in one write transaction, if the attempt is still as read, committed with the saves
    other threads of this process send at the same moment (lms.db_engine.write_together); True when written."""
    def write(connection) -> bool:
        if writes.answers:
            answer = writes.answers[0]
            written = driver_statement(_WRITE_ANSWER_IF_AS_READ, dialect).execute(connection, {
                **as_read, "the_question": answer["aq_id"], "answer": answer["response"],
                "at": answer["answered_at"], "flagged": answer["is_flagged"]}).first() is not None
            if written:
                driver_statement(_SAVE_LOG, dialect).execute(connection, writes.logs[0])
            return written
        flag = writes.flags[0]
        return driver_statement(_WRITE_FLAG_IF_AS_READ, dialect).execute(
            connection, {**as_read, "the_question": flag["aq_id"], "flagged": flag["is_flagged"]}).first() is not None

    return write_together(conn, write)


def save_answers(*, attempt_id: int, user_id: int, answers: list[tuple[int, list[str], datetime]],
                 via: str = "autosave") -> list[Saved] | None:
    """Save several answers of one attempt at once, each (position, values, when), under the rules of
    ``save_answer`` (one read for them all, then the updates and the log rows in a batch each): a sitting
    replayed (the fact-sheet demo's simulated trainees). Returns None when there is no such attempt of this
    trainee or no such question; raises as ``save_answer`` does, before anything is written, and ValueError
    for a question given twice."""
    conn = db.session.connection()
    rows = {row.position: row for row in conn.execute(_SAVE_READ_ALL, {"attempt_id": attempt_id, "user_id": user_id})}
    positions = [position for position, _, _ in answers]
    if len(set(positions)) != len(positions):
        raise ValueError("a question is saved twice in one batch")
    if any(position not in rows for position in positions):
        return None
    writes = _Writes()
    saved = [_save_one(rows[position], attempt_id, values=values, form=None, flagged=None, now=now, via=via,
                       writes=writes) for position, values, now in answers]
    writes.run(conn)
    return saved


@dataclass
class _Writes:
    """The statements a save runs, gathered so that a batch runs each once (executemany)."""

    answers: list = field(default_factory=list)
    logs: list = field(default_factory=list)
    flags: list = field(default_factory=list)

    def run(self, conn) -> None:
        for statement, params in ((_SAVE_ANSWER, self.answers), (_SAVE_LOG, self.logs), (_SAVE_FLAG, self.flags)):
            if params:
                conn.execute(statement, params)


def _save_one(row, attempt_id: int, *, values, form, flagged, now, via, writes: _Writes,
              answer_kept: bool = False) -> Saved:
    """Check one question's save against the attempt's rules and gather its writes. With ``answer_kept`` the row's
    answer is as a process kept it, perhaps no longer the question's: an answer sent is written whatever it is, by a
    statement that skips it if the question already holds it (``_SAVE_ANSWER_IF_AS_READ``)."""
    status, deadline_at, page_reached, policy, aq_id, qtype, shown, current, is_flagged, position = row
    if status != OPEN:
        raise AttemptClosed("This attempt is finished; answers can no longer be changed.")
    if now > accepts_answers_until(deadline_at):
        raise AttemptClosed("Time is up: answers are no longer accepted.")
    if policy["navigation"] == "forward" and page_of(position, policy["per_page"]) < page_reached:
        raise AttemptClosed("This exam moves forward only: earlier pages can no longer be changed.")
    if form is not None:
        values = QUESTION_TYPES[qtype].form_values(shown, field_name(position), form)
    response = current if values is None else QUESTION_TYPES[qtype].parse(shown, values)
    new_flag = is_flagged if flagged is None else bool(flagged)
    changed = response != current
    if changed or (answer_kept and values is not None):
        writes.answers.append({"aq_id": aq_id, "response": response, "answered_at": now, "is_flagged": new_flag})
        writes.logs.append({"attempt_id": attempt_id, "position": position, "response": response,
                            "saved_at": now, "via": via})
    elif new_flag != is_flagged:
        writes.flags.append({"aq_id": aq_id, "is_flagged": new_flag})
    return Saved(position, response is not None, new_flag, now, deadline_at, changed)


def save_page(attempt: Attempt, form_values, *, page: int, now, via="form") -> list[Saved]:
    """Save the questions of one page (0-based) from a submitted form (the no-JavaScript path)."""
    saved = []
    per_page = attempt.policy["per_page"]
    for position in [q.position for q in attempt.questions if page_of(q.position, per_page) == page]:
        saved.append(save_answer(attempt_id=attempt.id, user_id=attempt.user_id, position=position,
                                 form=form_values, flagged=form_values.get(f"flag{position}") is not None,
                                 now=now, via=via))
    return saved


def field_name(position: int) -> str:
    """The form field of the question at ``position`` (a type with several: ``a3.1``, ``a3.2``...)."""
    return f"a{position}"


REVIEW = "review"


def navigate(attempt: Attempt, page: int, go: str, *, now) -> int | str:
    """Where a page's button leads: "review" (the submit page) or a 0-based page, recorded for
    forward-only exams. ``go`` is next, prev, stay, review, or q<N> (the page of question N)."""
    if go == REVIEW:
        return REVIEW
    target = {"next": page + 1, "prev": page - 1}.get(go, page)
    if go.startswith("q") and go[1:].isdigit():
        target = page_of(int(go[1:]) - 1, attempt.policy["per_page"])
    return move_to_page(attempt, target, now=now)


def move_to_page(attempt: Attempt, page: int, *, now) -> int:
    """Record the furthest page reached (forward-only exams cannot go back); returns the page to show."""
    last = (len(attempt.questions) - 1) // attempt.policy["per_page"]
    page = max(0, min(page, last))
    if attempt.policy["navigation"] == "forward":
        if page < attempt.page_reached:
            return attempt.page_reached
        if page > attempt.page_reached and attempt.status == OPEN:
            db.session.execute(update(Attempt).where(Attempt.id == attempt.id, Attempt.page_reached < page)
                               .values(page_reached=page))
            db.session.refresh(attempt, ["page_reached"])
            return attempt.page_reached
    return page
