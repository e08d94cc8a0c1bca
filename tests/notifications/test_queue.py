"""The queue's storage: a SQLite file in the instance folder by default, Redis when LMS_JOBS_URL says so."""
import pytest
from huey.storage import RedisStorage, SqliteStorage
from sqlalchemy import select

from lms import jobs
from lms.models import CertificateDocument, EmailDelivery

from .conftest import drain


def test_one_machine_uses_a_sqlite_file_in_the_instance_folder(app, configured):
    storage = configured(None)
    assert isinstance(storage, SqliteStorage) and storage.filename.endswith("jobs.db")
    assert storage.filename.startswith(app.instance_path)


def test_several_machines_share_redis_and_a_worker_runs_the_queued_delivery(kit, db, configured):
    storage = configured("redis://127.0.0.1:6379/15")
    assert isinstance(storage, RedisStorage)
    storage.flush_all()
    # The issue notice's delivery and the certificate's PDF are queued in Redis when the transaction commits.
    certification = kit.certified()
    assert storage.queue_size() == 2
    assert drain() == 2  # what `lms worker` does on any machine
    assert db.session.scalars(select(EmailDelivery.status)).one() == "outbox"
    assert db.session.get(CertificateDocument, certification.id) is not None


def test_an_unknown_jobs_url_is_refused(configured):
    with pytest.raises(RuntimeError, match="LMS_JOBS_URL"):
        configured("amqp://somewhere")


def test_a_queue_that_cannot_be_reached_leaves_the_commit_standing_and_the_sweeps_catch_up(
        app, kit, db, configured, caplog):
    """The certificate is issued (and its notice recorded) when the transaction commits; a queue that refuses
    the jobs at that moment does not make the commit an error for whoever made it, and the periodic sweeps
    queue what was left once the queue answers again."""
    configured("redis://127.0.0.1:1/0")  # nothing listens there: every enqueue is refused
    certification = kit.certified()  # commits; the enqueue fails inside the commit's hook
    assert "Jobs not queued after a commit (ConnectionError" in caplog.text
    assert "1 e-mail(s) and 1 certificate PDF(s)" in caplog.text
    assert db.session.scalars(select(EmailDelivery.status)).one() == "pending"
    assert db.session.get(CertificateDocument, certification.id) is None
    storage = configured(None)  # the queue is back (the instance folder's SQLite file)
    storage.flush_all()
    assert jobs.run_periodic("send-pending") == 1
    assert drain() == 1
    assert db.session.scalars(select(EmailDelivery.status)).one() == "outbox"
    assert jobs.run_periodic("render-certificates") == 1
    assert db.session.get(CertificateDocument, certification.id) is not None
