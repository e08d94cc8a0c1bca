"""Background jobs and the periodic schedule, on Huey (docs/JOBS.md says why Huey).

One machine: the queue is a SQLite file in the instance folder (no server to run), and `lms quickstart`
runs a consumer in threads of its own process (``LMS_JOBS_EMBEDDED=off`` leaves that to `lms worker`). Several machines:
``LMS_JOBS_URL=redis://host:6379/0`` and
`lms worker` on one or more of them. Tests run jobs immediately (Huey's immediate mode, in memory).

A job runs in an app context and commits (it is a command boundary, like a CLI command); every job is
idempotent, so a retry or a second run changes nothing that the first did.
"""
import functools
import logging
from contextlib import nullcontext
from datetime import timedelta
from pathlib import Path

from flask import current_app, has_app_context
from huey import Huey, crontab
from huey.consumer import Consumer
from huey.storage import MemoryStorage, RedisStorage, SqliteStorage
from sqlalchemy import event
from sqlalchemy.orm import Session

from lms import uploads
from lms.accounts.access_review import disable_inactive_users
from lms import origin
from lms.certification import exports
from lms.certification.issue import reevaluate_withheld
from lms.certification.pdf import certificate_pdf, certifications_without_pdf
from lms.certification.status import expire_due
from lms.clock import utcnow
from lms.content.interchange.service import PREVIEW_UPLOAD_KIND
from lms.exams.attempts import close_expired_attempts
from lms.extensions import db
from lms.models import Certification
from lms.notifications import announcements, mail
from lms.notifications.service import PENDING_KEY, take_pending_deliveries
from lms.signals import certification_changed

log = logging.getLogger("lms.jobs")

DELIVERY_RETRIES = 6
DELIVERY_RETRY_SECONDS = 60  # then 2, 4, 8, 16, 32 minutes (backoff 2): about an hour in all

# The storage is chosen by use_storage(app) when this process first queues or consumes a job.
huey = Huey("lms", storage_class=MemoryStorage, results=False, utc=True)
_app = None


def configure(app) -> None:
    """Check the app's queue settings and keep them on the app (create_app); the test app (TESTING, no
    LMS_JOBS_URL) runs jobs immediately. Other apps change nothing until they queue or consume a job."""
    url = app.config.get("JOBS_URL")
    if url and url.startswith(("redis://", "rediss://", "unix://")):
        storage = RedisStorage, {"url": url}
    elif url and url.startswith("sqlite:///"):
        storage = SqliteStorage, {"filename": url[len("sqlite:///"):]}
    elif url:
        raise RuntimeError(f"LMS_JOBS_URL must be redis://... or sqlite:///...; got {url!r}")
    else:
        storage = SqliteStorage, {"filename": str(Path(app.instance_path) / "jobs.db")}
    app.extensions["lms.jobs"] = storage
    if app.config.get("TESTING") and not url:
        huey.immediate = True


def use_storage(app) -> None:
    """Point the queue at the app's storage (LMS_JOBS_URL, else a SQLite file in the instance folder) and
    run its jobs in that app. One app per process: the last one used runs them. Immediate mode (tests)
    keeps its memory storage."""
    global _app
    _app = app
    storage_class, kwargs = app.extensions["lms.jobs"]
    if huey.immediate or (huey.storage_class, huey.storage_kwargs) == (storage_class, kwargs):
        return
    if storage_class is SqliteStorage:
        Path(kwargs["filename"]).parent.mkdir(parents=True, exist_ok=True)
    huey.storage_class, huey.storage_kwargs = storage_class, kwargs
    huey.storage = huey.create_storage()


def _in_app(job):
    """Run ``job`` in an app context (the consumer's threads have none), with the database session
    removed afterwards; a job called where there is one (tests, immediate mode) uses it."""
    @functools.wraps(job)
    def run(*args, **kwargs):
        with nullcontext() if has_app_context() else _app.app_context():
            return job(*args, **kwargs)
    return run


# -- e-mail ----------------------------------------------------------------------------------------


@huey.task(retries=DELIVERY_RETRIES, retry_delay=DELIVERY_RETRY_SECONDS, retry_backoff=2, context=True)
@_in_app
def deliver_email(delivery_id: int, task=None) -> str:
    """Send one notification's e-mail (or put it in the outbox); a failure is recorded and retried."""
    last_try = task is not None and not task.retries
    try:
        status = mail.deliver(delivery_id, now=utcnow(), last_try=last_try)
    except mail.DeliveryFailed as failure:
        db.session.commit()  # the try and its error are recorded; Huey retries the job
        log.warning("E-mail delivery %s failed%s: %s", delivery_id, " for good" if last_try else "", failure)
        raise
    db.session.commit()
    log.info("E-mail delivery %s: %s", delivery_id, status)
    return status


CERTIFICATES_KEY = "lms.jobs.certificates"  # session.info: certifications issued in this transaction


def enqueue_deliveries(ids) -> None:
    """Queue the delivery job for each id (after the transaction that created them committed)."""
    for delivery_id in ids:
        deliver_email(delivery_id)


@event.listens_for(Session, "after_commit")
def _enqueue_committed(session) -> None:
    # Jobs wait for their commit: a rolled-back notification is never sent, a rolled-back issue never
    # rendered. In immediate mode (tests) the session cannot run a job from inside its own commit: tests
    # call send_pending() and render_certificate(), and a download renders a PDF not yet stored.
    # The commit has happened: a queue that cannot be reached (Redis down, the SQLite queue file locked
    # past its timeout) must not turn it into an error for the person who made it (a trainee's submit
    # that issued a certificate). What was not queued is left to the sweeps, which find it in the
    # database: send-pending (every minute) and render-certificates (hourly).
    ids = take_pending_deliveries(session)
    issued = session.info.pop(CERTIFICATES_KEY, [])
    if (ids or issued) and not huey.immediate and has_app_context():
        try:
            use_storage(current_app._get_current_object())
            enqueue_deliveries(ids)
            for certification_id, site_url in issued:
                render_certificate(certification_id, site_url)
        except Exception as error:  # noqa: BLE001  (whatever the queue raised, the commit stands)
            log.warning("Jobs not queued after a commit (%s: %s); the periodic sweeps will pick up %d e-mail(s) "
                        "and %d certificate PDF(s)", type(error).__name__, error, len(ids), len(issued))


@event.listens_for(Session, "after_rollback")
def _forget_rolled_back(session) -> None:
    session.info.pop(PENDING_KEY, None)
    session.info.pop(CERTIFICATES_KEY, None)


# -- certificate PDFs --------------------------------------------------------------------------------

@huey.task(retries=3, retry_delay=60)
@_in_app
def render_certificate(certification_id: int, site_url: str | None = None) -> bool:
    """Render and store an issued certificate's PDF (links on ``site_url``, the address it was issued on
    when no LMS_PUBLIC_URL is set); a PDF already stored (a download came first) is left as it is."""
    certification = db.session.get(Certification, certification_id)
    if certification is None:
        return False
    origin.set_origin(origin.Origin(site_url=site_url))
    try:
        certificate_pdf(certification, now=utcnow())
        db.session.commit()
    finally:
        origin.clear_origin()
    return True


@certification_changed.connect
def _on_issued(certification, *, action: str, **_details) -> None:
    # The PDF does not show the status, so only an issue needs one rendered; after the commit
    # (_enqueue_committed).
    if action == "issue":
        db.session.info.setdefault(CERTIFICATES_KEY, []).append((certification.id, origin.current().site_url))


# -- export jobs ---------------------------------------------------------------------------------------


@huey.task()
@_in_app
def prepare_export(export_id: int) -> str | None:
    """Write one export's file, committing its progress as it goes (a failure is recorded on it, for its
    owner to retry: Huey does not retry it)."""
    export = exports.prepare_export(export_id, now=utcnow(), publish=db.session.commit)
    db.session.commit()
    status = export.status if export is not None else None
    log.info("Export %s: %s", export_id, status)
    return status


def queue_export(export_id: int) -> None:
    """Queue an export's job (after the transaction that asked for it committed); in tests it runs now. A queue
    that cannot be reached fails the export at once (committed), for its owner to try again."""
    if huey.immediate:
        prepare_export(export_id)
        return
    try:
        use_storage(current_app._get_current_object())
        prepare_export(export_id)
    except Exception as error:  # noqa: BLE001  (whatever the queue raised, the owner sees a failed export)
        log.warning("Export %s not queued (%s: %s)", export_id, type(error).__name__, error)
        exports.fail_unqueued(export_id, now=utcnow())
        db.session.commit()


# -- the periodic jobs: each idempotent, each logs what it did ---------------------------------------


def send_pending() -> int:
    """Queue every delivery still pending (one missed by a crash between commit and queue)."""
    ids = mail.pending_deliveries()
    db.session.commit()
    enqueue_deliveries(ids)
    return len(ids)


def close_expired(*, batch: int = 200) -> int:
    """Finish and grade every attempt whose time ran out (as `lms exams close-expired`)."""
    total = 0
    while True:
        done = close_expired_attempts(now=utcnow(), limit=batch)
        db.session.commit()
        total += done
        if done < batch:
            return total


def expire_certifications() -> int:
    """Mark certifications past their expiry date expired (as `lms certs expire`)."""
    count = expire_due(now=utcnow(), actor_label="system:jobs")
    db.session.commit()
    return count


def disable_inactive() -> int:
    """Disable accounts with no log-in for LMS_INACTIVE_DAYS days (as `lms users disable-inactive`)."""
    disabled = disable_inactive_users(now=utcnow())
    db.session.commit()
    return len(disabled)


def reissue_withheld() -> int:
    """Issue the certifications withheld earlier whose reason has gone away."""
    issued = reevaluate_withheld(now=utcnow())
    db.session.commit()
    return len(issued)


def delete_expired_exports() -> int:
    """Delete export files (and their records) past their expiry."""
    count = exports.delete_expired(now=utcnow())
    db.session.commit()
    return count


def render_missing_certificates(*, batch: int = 100) -> int:
    """Render the PDFs of issued certifications that have none yet (a job lost, or issued by a command)."""
    ids = certifications_without_pdf(limit=batch)
    for certification_id in ids:
        render_certificate.call_local(certification_id)
    return len(ids)


def announce() -> int:
    """Tell trainees of weeks and exam windows that opened, and holders of refreshers falling due."""
    now = utcnow()
    told = announcements.announce_open_weeks(now=now) + announcements.announce_refreshers_due(now=now)
    db.session.commit()
    return told


def discard_previews() -> int:
    """Remove question-import files previewed and never confirmed, once no session could still confirm
    them (a session ends LMS_SESSION_MAX_HOURS after log-in)."""
    hours = current_app.config["SESSION_MAX_HOURS"]
    return uploads.discard_older_than(PREVIEW_UPLOAD_KIND, utcnow() - timedelta(hours=hours))


PERIODIC = {  # name: (the job, what its count means)
    "close-expired": (close_expired, "expired attempts finished"),
    "expire-certifications": (expire_certifications, "certifications marked expired"),
    "disable-inactive": (disable_inactive, "inactive accounts disabled"),
    "reissue-withheld": (reissue_withheld, "withheld certifications issued"),
    "announce": (announce, "notifications recorded"),
    "send-pending": (send_pending, "pending e-mails queued"),
    "discard-previews": (discard_previews, "unconfirmed import files removed"),
    "delete-expired-exports": (delete_expired_exports, "expired export files deleted"),
    "render-certificates": (render_missing_certificates, "certificate PDFs rendered"),
}


def run_periodic(name: str) -> int:
    """Run one periodic job now and log its count (the schedule below, `lms worker --once`, tests)."""
    job, meaning = PERIODIC[name]
    count = _in_app(job)()
    log.info("%s: %d %s", name, count, meaning)
    return count


@huey.periodic_task(crontab(minute="*"))
def _every_minute():
    run_periodic("close-expired")
    run_periodic("send-pending")


@huey.periodic_task(crontab(minute="7"))
def _hourly():
    for name in ("expire-certifications", "reissue-withheld", "announce", "discard-previews",
                 "delete-expired-exports", "render-certificates"):
        run_periodic(name)


@huey.periodic_task(crontab(minute="17", hour="3"))
def _daily():
    run_periodic("disable-inactive")


# -- consumers -----------------------------------------------------------------------------------


def drain(app) -> int:
    """Run every job queued now, one after another, and return how many ran (`lms jobs drain`: an operator
    without a worker; the browser tests)."""
    use_storage(app)
    ran = 0
    while (task := huey.dequeue()) is not None:
        huey.execute(task)
        ran += 1
    return ran


class EmbeddedConsumer(Consumer):
    """A consumer running in threads of another program (quickstart): the program keeps its signals."""

    def _set_signal_handlers(self):
        pass


def consumer(app, *, workers: int = 2, embedded: bool = False) -> Consumer:
    """A consumer of the app's queue with the periodic scheduler (`lms worker`; quickstart's threads)."""
    use_storage(app)
    kind = EmbeddedConsumer if embedded else Consumer
    return kind(huey, workers=workers, worker_type="thread", periodic=True)
