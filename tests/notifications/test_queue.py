"""The queue's storage: a SQLite file in the instance folder by default, Redis when LMS_JOBS_URL says so."""
import pytest
from huey.storage import MemoryStorage, RedisStorage, SqliteStorage
from sqlalchemy import select

from lms import jobs
from lms.models import CertificateDocument, EmailDelivery

from .conftest import drain


@pytest.fixture
def configured(app, monkeypatch):
    """configure(app) with other settings; immediate mode (the tests') is put back afterwards."""
    def make(url):
        monkeypatch.setitem(app.config, "JOBS_URL", url)
        jobs.configure(app)
        jobs.huey.immediate = False  # as in a process that is not the tests'
        jobs.use_storage(app)
        return jobs.huey.storage

    yield make
    jobs.huey.storage.flush_all()
    monkeypatch.setitem(app.config, "JOBS_URL", None)
    jobs.configure(app)
    jobs.huey.storage_class, jobs.huey.storage_kwargs = MemoryStorage, {}
    jobs.huey.immediate = True


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
