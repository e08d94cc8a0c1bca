"""The exam wave's requests make a fixed, small number of SQL statements (issue #15): starting an attempt,
a page, an autosave and a submit, counted as production runs them (committed, each request in its own
transaction, the audit log sealed in the background). A change that adds a query per question, or per
request, makes these fail: measure again and say why in the commit. Transaction control (BEGIN, COMMIT,
savepoints) and a new pooled connection's own set-up are not counted, nor the statements of other threads:
the audit sealer's (lms.audit.Sealer) run in its own thread, woken by the request's commit, and are no
longer the request's. The lists are the same on both engines but for the start's check on SQLite (it reads
and draws without the write lock, then reads the attempts and grants again once writing).

Before issue #15's work: start 20, page 5, autosave 4, submit 20 (with the audit head locked in the
request's transaction). Then, with the sealer run by the request after its commit (PostgreSQL) or inside
its transaction (SQLite): start 14 or 15 (and one more for a process's first start of an exam), submit
21 or 22. Now, the request path alone: start 10 (12 on SQLite; one more for the first start), page 5,
autosave 4, submit 16 (the result's notice is one insert that skips a duplicate), and the e-mail's
delivery row.

The page then went from 5 to 3: the exam-taking pages have their own header (templates/exams/_layout.html),
without the site's menus and so without the unread count; the attempt is one row (no ORM object, its exam
version's title joined); one statement reads the panel's state of every question and the rows of the page's
own questions only, with their versions' content hashes (the others' come back NULL: nothing decoded); the
versions' data and rendered HTML are kept per process by (version id, content hash) (lms.exams.versions,
shared with the start's draw), so only a process's first page of those versions reads them.

The start's context (the exam, its current version, the enrollment, its cohort and track, whether the week was
opened early) is now one statement of plain rows instead of two ORM loads and a selectin of the week
openings, and the version's definition (blueprint, policy) is kept per process by id and content hash (an
exam version never changes): start 8 (10 on SQLite), one more for a process's first start of a version.
The attempt's INSERT is ON CONFLICT DO NOTHING RETURNING id (a start that loses the race reads the winner's),
so the SAVEPOINT and RELEASE around it (not counted here) are gone.

Then the submit and its result page (branch submit-lean): submit 16 -> 11 on a pass that does not complete
the track (12 on PostgreSQL), and the e-mail's row. Grading reads the responses with each pinned version's
content hash (the versions' data is kept per process by it, as a start's draw keeps it) and whether any
decision on a challenge touches a drawn version, so the decisions are read only when one does (SELECT
grading_adjustment gone); the exam version's title comes with the attempt (SELECT exam_version gone); a pass
loads the enrollment with the attempt and locks it with its cohort, track, track items and MOU in one
statement (SELECT enrollment x2, SELECT track_item gone), with the certification in that statement on
SQLite, whose writer holds the whole database (on PostgreSQL it is read in a statement of its own once the
lock is held, so a certification issued by the transaction it waited for is seen). The result page, pinned
here for the first time (RESULT): the review level is worked out once, whether the exam is closed is one
statement (the finished attempts with the extra attempts granted) and only for a review that waits for the
close, the certification is read by the enrollment's id, and the exam version and exam come with the attempt
(12 -> 5 statements on the benchmark's failed after-close attempt).

Then the start's facts (branch start-facts): the enrollment's attempts at the exam and its grants are one
statement (a UNION ALL of two selects shaped alike, each half by its own index), read before the draw and, on
SQLite, again once writing: start 8 -> 7 on PostgreSQL, 10 -> 8 on SQLite (one more for a process's first
start of a version, as before).

Then the result page reads a finished attempt as one row of plain columns, with its certification (no ORM load of the
attempt, its exam version, exam and user: lms.exams.review.finished_attempt): SELECT certification gone, and the
header's SELECT user back (Flask-Login reads the user the ORM no longer loaded): 5 statements, 6 % fewer Python
calls (bench/request_cpu.py --calls: 6,372 -> 5,981).

Then the reads of a request that only reads go outside a transaction on PostgreSQL (lms.db_engine.run_read): an
attempt's page and a result page send the same statements, each committed by itself, and no BEGIN or COMMIT
(READ_ONLY_TRANSACTIONS counts the transactions SQLAlchemy begins for them).
"""
import threading
from contextlib import contextmanager

import pytest
from sqlalchemy import event

from lms.audit import verify_chain
from lms.exams.attempts import forget_exam_definitions
from lms.exams.draw import forget_version_data
from lms.extensions import db as _db
from lms.models import Attempt

from ..conftest import csrf_from, login
from ..factories import answer_all
from ..statements import listening

SKIPPED = ("show ", "select pg_catalog.version", "select current_schema", "select version", "begin", "commit",
           "rollback", "savepoint", "release savepoint")
# The session's user is read with the exam's context (lms.views.helpers.reads_session_user).
# which exam (its current version), in which enrollment, is its week open, and the question pool's token: one statement
START = ["SELECT exam",
         "SELECT attempt",  # the attempts so far and the grants: one statement (a UNION ALL)
         # (the candidates are kept per process under the pool's token, the drawn versions' data by content hash)
         "INSERT INTO attempt", "INSERT INTO attempt_question", "INSERT INTO audit_event"]
READS = 2  # the statements before the check once writing (SQLite's)
# A process's first start of an exam version also reads the version (kept per process, by id and content hash),
# the candidates (kept under the pool's token) and the drawn question versions' data.
# (What each of START's first statements is followed by, by its place.)
COLD = {0: ["SELECT exam_version"], READS - 1: ["SELECT question", "SELECT question_version"]}
# SQLite reads (and draws) without the write lock, then checks in the writing transaction that the attempts
# and grants it read are unchanged (lms.exams.attempts.start_attempt).
START_RECHECK = {"sqlite": ["SELECT attempt"], "postgresql": []}
PAGE = ["SELECT attempt",  # the attempt with its exam version's title and the session's user, one row
        "SELECT attempt_question"]  # every question's state, and the page's own with their versions' hashes
# The session's user is read by the autosave's own statement, with the question and the attempt
# (lms.views.helpers.reads_session_user): no statement of its own.
# On PostgreSQL the read takes no lock, and both writes are one statement that checks the attempt is still as read,
# each committed by itself (lms.exams.pages.save_answer_unlocked).
AUTOSAVE = {"sqlite": ["SELECT attempt", "UPDATE attempt_question", "INSERT INTO answer_log"],
            "postgresql": ["SELECT attempt", "WITH open_attempt"]}
SUBMIT = ["SELECT attempt",  # with its exam version, its enrollment and the session's user (who is admitted)
          # claim; read the responses with the versions' content hashes (their data is kept per process) and
          # whether a decision on a challenge touches them (lms/exams/challenges.py: read only then)
          "UPDATE attempt", "SELECT attempt_question",
          "UPDATE attempt_question", "UPDATE attempt",  # grade
          "INSERT INTO audit_event",
          # a pass: certify? The enrollment (loaded with the attempt) locked with its cohort, track, track items
          # and MOU (and, on SQLite, its certification), then the exams passed
          "SELECT enrollment", "SELECT count(DISTINCT",
          # the result, told (unless told already, or turned off: the insert skips a duplicate and reads the
          # preference itself, lms.notifications.service.notify)
          "INSERT INTO notification"]
# PostgreSQL reads the certification in a statement of its own once the enrollment's lock is held (a snapshot
# taken after the lock: a certification issued by the transaction it waited for is seen); SQLite's writer holds
# the whole database, and reads it with the enrollment (lms.certification.issue._lock_enrollment).
SUBMIT_CERTIFICATION = {"sqlite": [], "postgresql": ["SELECT certification"]}
# The result page of that pass (the mixed exam reviews every answer once submitted): the finished attempt as one row of
# plain columns with its exam version, exam, user (the session's, admitted) and the certification earned
# (lms.exams.review.finished_attempt), the review's questions with their versions' content hashes (the versions'
# data is kept per process: the submit's grading kept it, so SELECT question_version is gone), the challenges made,
# and the header's unread count. The header's user is the one the first statement read and admitted
# (lms.views.helpers.admitted_user): no SELECT user.
RESULT = ["SELECT attempt",
          "SELECT attempt_question", "SELECT attempt_question",
          "SELECT count(notification.id)"]  # the header's
# The exam's own page, which every examinee opens before the start: the session's user (Flask-Login), the exam's
# context, the attempts (open and finished) in one statement, the grants (extra attempts and extra minutes) in one,
# the header's unread count. Nothing is written (no COMMIT, so the user is not read again for the header) unless an
# overdue open attempt is finished (8 statements before: open and finished attempts read apart, the grants and the
# pending minutes apart, and the user again after an unconditional commit).
EXAM_PAGE = ["SELECT user", "SELECT exam", "SELECT attempt", "SELECT exam_grant", "SELECT count(notification.id)"]
AFTER_COMMIT = ["INSERT INTO email_delivery"]  # the result's e-mail, with the notice; sent by a job once committed


@contextmanager
def counted(app, sealer):
    """The statements a block sends from this thread (the requests'), each as its first words; the sealer
    has finished with the block's events at its end."""
    statements, thread = [], threading.get_ident()
    with app.app_context():
        engine = _db.engine

    def record(conn, cursor, statement, parameters, context, executemany):
        if threading.get_ident() != thread or statement.lower().lstrip().startswith(SKIPPED):
            return
        words = statement.replace('"', "").split()
        if words[0] == "SELECT" and not words[1].startswith("count("):
            words[1] = words[1].split(".")[0]  # the table of the first column
        statements.append(" ".join(words[:3] if words[0] == "INSERT" else words[:2]))

    with listening(engine, record):
        yield statements
        assert sealer.wait_idle(timeout=10)


@contextmanager
def transactions_begun(app):
    """How many transactions SQLAlchemy began from this thread within the block (a list that holds one entry per
    transaction)."""
    begun, thread = [], threading.get_ident()
    with app.app_context():
        engine = _db.engine

    def record(conn):
        if threading.get_ident() == thread:
            begun.append(conn)

    event.listen(engine, "begin", record)
    try:
        yield begun
    finally:
        event.remove(engine, "begin", record)


# An attempt's page and a result page that only read hold no transaction on PostgreSQL: each of their reads is
# committed by itself (lms.db_engine.run_read), no BEGIN or COMMIT is sent; SQLite reads in the session's deferred
# transaction (no write lock).
READ_ONLY_TRANSACTIONS = {"sqlite": 1, "postgresql": 0}


def _the_attempt(user):
    _db.session.rollback()
    return _db.session.query(Attempt).filter_by(user_id=user.id).one()


@pytest.mark.committed  # each request in its own transaction, as in production
def test_queries_per_start_page_autosave_and_submit(app, client, make_client, world, clock, background_sealing):
    login(client, world.trainee.email)
    token = csrf_from(client.get("/exams/mixed-exam").get_data(as_text=True))
    other = make_client()
    login(other, world.other.email)
    other_token = csrf_from(other.get("/exams/mixed-exam").get_data(as_text=True))
    _db.session.rollback()
    sealer = background_sealing
    recheck = START_RECHECK[_db.engine.dialect.name]
    start_ = START[:READS] + recheck + START[READS:]

    forget_version_data()
    forget_exam_definitions()
    with counted(app, sealer) as cold_start:
        assert client.post("/exams/mixed-exam/start", data={"csrf_token": token}).status_code == 302
    assert cold_start == [s for place, statement in enumerate(start_) for s in [statement, *COLD.get(place, [])]]
    with counted(app, sealer) as start:
        assert other.post("/exams/mixed-exam/start", data={"csrf_token": other_token}).status_code == 302
    assert start == start_

    attempt = _the_attempt(world.trainee)
    url = f"/exams/attempts/{attempt.id}"  # (the test's own reads stay out of the counted blocks)
    tf = next(q for q in attempt.questions if q.qtype == "true_false")
    body = {"position": tf.position, "fields": [[f"a{tf.position}", "true"]]}
    _db.session.rollback()
    forget_version_data()
    with counted(app, sealer) as cold_page:
        assert client.get(f"{url}?page=1").status_code == 200
    assert cold_page == PAGE + ["SELECT question_version"]  # a process's first page reads its versions' data
    with counted(app, sealer) as page, transactions_begun(app) as page_transactions:
        assert client.get(f"{url}?page=1").status_code == 200
    assert page == PAGE
    assert len(page_transactions) == READ_ONLY_TRANSACTIONS[_db.engine.dialect.name]

    with counted(app, sealer) as autosave:
        response = client.post(f"{url}/autosave", headers={"X-CSRFToken": token}, json=body)
    assert response.status_code == 200 and response.get_json()["answered"]
    assert autosave == AUTOSAVE[_db.engine.dialect.name]
    assert "Set-Cookie" not in response.headers  # nothing in the session changed: the cookie is not re-sent

    answer_all(_the_attempt(world.trainee), clock)
    _db.session.rollback()
    # A process that has not kept every drawn version (the page above kept only its own questions'; in
    # production the exam lane's processes did not draw) reads the rest once, with the responses' grading.
    forget_version_data()
    with counted(app, sealer) as submit:
        assert client.post(f"{url}/submit", data={"csrf_token": token}).status_code == 302
    certify = SUBMIT.index("SELECT count(DISTINCT")
    submit_ = SUBMIT[:certify] + SUBMIT_CERTIFICATION[_db.engine.dialect.name] + SUBMIT[certify:]
    graded = submit_.index("SELECT attempt_question") + 1
    submit_ = submit_[:graded] + ["SELECT question_version"] + submit_[graded:]
    assert submit == submit_ + AFTER_COMMIT, "\n".join(submit)
    with counted(app, sealer) as result, transactions_begun(app) as result_transactions:
        assert client.get(f"{url}/result").status_code == 200
    assert result == RESULT, "\n".join(result)
    assert len(result_transactions) == READ_ONLY_TRANSACTIONS[_db.engine.dialect.name]
    forget_version_data()  # a process that kept none of them (another instance's) reads them once
    with counted(app, sealer) as cold_result:
        assert client.get(f"{url}/result").status_code == 200
    assert cold_result == RESULT[:2] + ["SELECT question_version"] + RESULT[2:], "\n".join(cold_result)
    attempt = _the_attempt(world.trainee)
    assert attempt.status == "finished" and attempt.passed
    report = verify_chain()  # the sealer sealed every event of the requests above
    assert report.ok and report.unsealed == 0


@pytest.mark.committed
def test_the_session_cookie_is_sent_again_when_the_session_changes(app, client, world, clock):
    """Not on every response (the autosave above), but once last_seen is refreshed (a minute on): the
    idle timeout's clock and the cookie's expiry move on with activity."""
    login(client, world.trainee.email)
    client.get("/exams/mixed-exam")  # the first form page puts the CSRF token in the session
    assert "Set-Cookie" not in client.get("/exams/mixed-exam").headers
    clock.advance(minutes=2)
    response = client.get("/exams/mixed-exam")
    assert response.status_code == 200 and "Set-Cookie" in response.headers


@pytest.mark.committed
def test_queries_of_the_exam_page(app, client, world, clock, background_sealing):
    login(client, world.trainee.email)
    assert client.get("/exams/mixed-exam").status_code == 200  # (the first form page stores its CSRF token)
    _db.session.rollback()
    with counted(app, background_sealing) as before_the_start:
        response = client.get("/exams/mixed-exam")
    assert response.status_code == 200 and "Start attempt 1" in response.get_data(as_text=True)
    assert before_the_start == EXAM_PAGE, "\n".join(before_the_start)
    token = csrf_from(response.get_data(as_text=True))
    assert client.post("/exams/mixed-exam/start", data={"csrf_token": token}).status_code == 302
    _db.session.rollback()
    with counted(app, background_sealing) as during:
        response = client.get("/exams/mixed-exam")
    assert "Your attempt in progress" in response.get_data(as_text=True)
    assert during == EXAM_PAGE, "\n".join(during)


@pytest.mark.committed
def test_the_exam_page_finishes_an_overdue_attempt_for_good(app, client, make_client, world, clock):
    """Past its deadline and grace, the open attempt is finished by the exam's page, and that is committed: the
    page shows it among the finished ones, and so does the database afterwards."""
    login(client, world.trainee.email)
    token = csrf_from(client.get("/exams/mixed-exam").get_data(as_text=True))
    assert client.post("/exams/mixed-exam/start", data={"csrf_token": token}).status_code == 302
    attempt = _the_attempt(world.trainee)
    deadline = attempt.deadline_at
    _db.session.rollback()
    clock.advance(minutes=45)
    later = make_client()  # (the first session's idle time is over too)
    login(later, world.trainee.email)
    page = later.get("/exams/mixed-exam").get_data(as_text=True)
    assert "Your attempt in progress" not in page and "Your finished attempts" in page
    assert "1 used" in page
    attempt = _the_attempt(world.trainee)
    assert attempt.status == "finished" and attempt.finish_reason == "expired" and attempt.finished_at == deadline
