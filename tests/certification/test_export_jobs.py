"""Export jobs (lms/certification/exports.py, the job in lms/jobs.py, the pages in lms/views/exports.py): a
large export asked for by a POST, written by a job with its progress, the same file as the direct download,
seen by its owner only, deleted when it expires, retried after a failure; certificate PDFs rendered by a job.

In tests the queue runs a job at once (Huey's immediate mode), inside the request that queued it;
``queued()`` (tests/notifications/conftest.py) holds jobs back as production does, for ``drain()``."""
import csv
import io
import json
import re

import openpyxl
import pytest
from sqlalchemy import select

from lms import jobs
from lms.certification import exports, passlist
from lms.certification.passlist import PassListFilters
from lms.models import AuditEvent, CertificateDocument, ExportJob, Role
from tests.conftest import login, post
from tests.notifications.conftest import drain, queued

HOSTILE = "=HYPERLINK(\"http://evil.example\",\"x\")"


@pytest.fixture
def world(kit, factory, clock):
    """Two agencies' certified officers (one with a name a spreadsheet would run), staff, a coordinator of
    each agency, and a cohort of both agencies with its instructor."""
    mine, theirs = factory.agency(name="Mine County"), factory.agency(name="Their County")
    track = kit.track("export-track", title="Export track")
    instructor = factory.user(Role.INSTRUCTOR)
    cohort = factory.cohort(track.slug, agencies=[mine, theirs], instructors=[instructor], name="Export cohort")
    for name, agency in [("Ann Mine", mine), (HOSTILE, mine), ("Tom Theirs", theirs)]:
        kit.certified(track, trainee=kit.trainee(agency=agency, name=name), cohort=cohort)
    kit.certified(track, agency=mine, name="Bea Mine")  # in a cohort of its own
    kit.db.session.commit()
    return type("World", (), dict(
        mine=mine, theirs=theirs, cohort=cohort, instructor=instructor, staff=factory.user(Role.STAFF),
        coordinator=factory.user(Role.COORDINATOR, agency=mine),
        other_coordinator=factory.user(Role.COORDINATOR, agency=theirs),
        admin=factory.user(Role.ADMIN), trainee=kit.trainee(agency=mine),
    ))


def _client_of(app, user):
    client = app.test_client()
    login(client, user.email)
    return client


def _ask(client, url, page="/passlist"):
    """POST an export request as its page does; the id of the export it redirected to."""
    response = post(client, url, page=page)
    assert response.status_code == 302, response.status_code
    return int(re.fullmatch(r"/exports/(\d+)", response.headers["Location"]).group(1))


def _csv_names(body: bytes) -> list[str]:
    return [row[1] for row in csv.reader(io.StringIO(body.decode("utf-8-sig"), newline=""))][1:]


# -- the job, its progress and its file ----------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_the_prepared_pass_list_is_byte_for_byte_the_direct_download(app, world, db, fmt):
    client = _client_of(app, world.staff)
    export_id = _ask(client, f"/exports/passlist.{fmt}?status=active")
    page = client.get(f"/exports/{export_id}").get_data(as_text=True)
    assert "Ready" in page and f"/exports/{export_id}/download" in page and "4 rows" in page
    prepared = client.get(f"/exports/{export_id}/download")
    assert prepared.status_code == 200 and prepared.headers["Cache-Control"] == "no-store"
    assert re.fullmatch(rf'attachment; filename=pass-list-2026-03-02\.{fmt}', prepared.headers["Content-Disposition"])
    direct = client.get(f"/passlist.{fmt}?status=active")
    assert prepared.mimetype == direct.mimetype and prepared.data == direct.data
    if fmt == "csv":  # formula-safe, as the direct download
        assert "'" + HOSTILE in _csv_names(prepared.data)


def test_the_prepared_xlsx_holds_the_same_cells_as_the_direct_download(app, world, db):
    client = _client_of(app, world.staff)
    export_id = _ask(client, "/exports/passlist.xlsx")
    prepared = client.get(f"/exports/{export_id}/download").data
    direct = client.get("/passlist.xlsx").data
    cells = [list(openpyxl.load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True))
             for data in (prepared, direct)]
    assert cells[0] == cells[1] and len(cells[0]) == 5
    assert ("'" + HOSTILE) in [row[1] for row in cells[0]]


def test_progress_is_committed_as_the_rows_are_written_and_the_page_reads_it(app, world, db, clock, monkeypatch):
    monkeypatch.setattr(passlist, "BATCH", 2)  # progress every 2 rows
    export = exports.request_passlist_export(PassListFilters(), "csv", actor=world.staff, now=clock())
    db.session.commit()
    client = _client_of(app, world.staff)
    assert json.loads(client.get(f"/exports/{export.id}/status").data) == {
        "status": "queued", "rows_done": 0, "rows_total": None, "percent": 0}
    assert "Waiting to start." in client.get(f"/exports/{export.id}").get_data(as_text=True)
    seen = []

    def publish():
        db.session.commit()
        seen.append(json.loads(client.get(f"/exports/{export.id}/status").data))

    exports.prepare_export(export.id, now=clock(), publish=publish)
    db.session.commit()
    assert [(s["status"], s["rows_done"], s["rows_total"], s["percent"]) for s in seen] == [
        ("running", 0, None, 0), ("running", 0, 4, 0), ("running", 2, 4, 50), ("running", 4, 4, 100),
        ("running", 4, 4, 100)]
    assert json.loads(client.get(f"/exports/{export.id}/status").data)["status"] == "ready"


def test_the_progress_page_names_rows_done_and_has_a_refresh_link_without_script(app, world, db, clock):
    export = exports.request_passlist_export(PassListFilters(), "csv", actor=world.staff, now=clock())
    export.status, export.rows_done, export.rows_total = "running", 1, 4
    db.session.commit()
    page = _client_of(app, world.staff).get(f"/exports/{export.id}").get_data(as_text=True)
    assert "1 of 4 rows done (25%)" in page and 'value="25"' in page
    assert f'href="/exports/{export.id}"' in page and "Check again" in page
    assert "js/export-progress.js" in page and f'data-status-url="/exports/{export.id}/status"' in page


def test_a_job_held_in_the_queue_is_run_by_a_worker(app, world, db):
    client = _client_of(app, world.staff)
    with queued():
        export_id = _ask(client, "/exports/passlist.csv")
        assert db.session.get(ExportJob, export_id).status == "queued"
        assert "Waiting to start" in client.get(f"/exports/{export_id}").get_data(as_text=True)
        assert drain() == 1
    db.session.expire_all()
    export = db.session.get(ExportJob, export_id)
    assert (export.status, export.rows_done, export.rows_total, export.percent) == ("ready", 4, 4, 100)
    assert exports.file_path(export).parent.name == "exports" and exports.file_path(export).exists()
    jobs.prepare_export(export_id)  # the job run again: the file stays as it is
    assert db.session.get(ExportJob, export_id).stored_name == export.stored_name


def test_the_training_record_is_prepared_as_the_direct_download_gives_it(app, world, db):
    client = _client_of(app, world.instructor)
    page = f"/classroom/cohorts/{world.cohort.id}"
    offer = f'action="/exports/cohorts/{world.cohort.id}/training-record.xlsx"'
    assert offer in client.get(page).get_data(as_text=True)
    export_id = _ask(client, f"/exports/cohorts/{world.cohort.id}/training-record.csv", page=page)
    prepared = client.get(f"/exports/{export_id}/download")
    direct = client.get(f"/classroom/cohorts/{world.cohort.id}/training-record.csv")
    assert prepared.data == direct.data
    assert prepared.headers["Content-Disposition"] == f"attachment; filename=training-record-{world.cohort.id}.csv"
    names = [row[0] for row in csv.reader(io.StringIO(prepared.data.decode("utf-8-sig")))][1:]
    assert sorted(names) == sorted(["Ann Mine", "'" + HOSTILE, "Tom Theirs"])
    export = db.session.get(ExportJob, export_id)
    assert (export.rows_done, export.rows_total, export.percent) == (3, 3, 100)


# -- access -------------------------------------------------------------------------------------------


def test_only_the_owner_sees_or_downloads_an_export(app, world, db):
    owner = _client_of(app, world.staff)
    export_id = _ask(owner, "/exports/passlist.csv")
    urls = [f"/exports/{export_id}", f"/exports/{export_id}/status", f"/exports/{export_id}/download"]
    assert all(owner.get(url).status_code == 200 for url in urls)
    for someone in (world.coordinator, world.other_coordinator, world.instructor, world.admin):
        client = _client_of(app, someone)
        assert [client.get(url).status_code for url in urls] == [404, 404, 404]
        assert post(client, f"/exports/{export_id}/retry", page="/exports").status_code == 404
        assert f"/exports/{export_id}" not in client.get("/exports").get_data(as_text=True)
    trainee = _client_of(app, world.trainee)
    assert trainee.get("/exports").status_code == 403 and trainee.get(urls[0]).status_code == 403


def test_a_coordinators_export_holds_their_agency_only_whatever_the_filters_say(app, world, db):
    client = _client_of(app, world.coordinator)
    export_id = _ask(client, f"/exports/passlist.csv?agency_id={world.theirs.id}")
    names = _csv_names(client.get(f"/exports/{export_id}/download").data)
    assert sorted(names) == sorted(["Ann Mine", "Bea Mine", "'" + HOSTILE])
    record_id = _ask(client, f"/exports/cohorts/{world.cohort.id}/training-record.csv", page="/exports")
    body = client.get(f"/exports/{record_id}/download").data.decode("utf-8-sig")
    assert "Tom Theirs" not in body and "Ann Mine" in body


def test_the_job_judges_access_again_when_it_runs(app, world, db, clock):
    """Between the request and the job the coordinator moved agency: the file is the new agency's. One who
    lost the role gets a failure, no file."""
    client = _client_of(app, world.coordinator)
    with queued():
        moved = _ask(client, "/exports/passlist.csv")
        refused = _ask(client, f"/exports/cohorts/{world.cohort.id}/training-record.csv", page="/exports")
        world.coordinator.agency_id = world.theirs.id
        world.cohort.agencies.remove(world.theirs)  # the cohort is no longer open to the new agency
        db.session.commit()
        assert drain() == 2
    db.session.expire_all()
    assert exports.file_path(db.session.get(ExportJob, moved)).read_bytes().decode("utf-8-sig").count("Tom Theirs") == 1
    assert "Ann Mine" not in exports.file_path(db.session.get(ExportJob, moved)).read_bytes().decode("utf-8-sig")
    failed = db.session.get(ExportJob, refused)
    assert failed.status == "failed" and "no longer export this cohort" in failed.error and failed.stored_name is None


def test_an_export_is_asked_for_only_with_the_forms_token(app, world, db):
    client = _client_of(app, world.staff)
    assert client.post("/exports/passlist.csv").status_code == 400
    assert client.post("/exports/passlist.csv", data={"csrf_token": "forged"}).status_code == 400
    assert db.session.scalar(select(ExportJob.id)) is None
    assert client.get("/exports/passlist.csv").status_code == 405  # asking is a POST


# -- audit, list, expiry, failure ------------------------------------------------------------------------


def test_asking_preparing_and_downloading_are_audited(app, world, db):
    client = _client_of(app, world.staff)
    export_id = _ask(client, "/exports/passlist.json?status=active")
    client.get(f"/exports/{export_id}/download")
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.object_type == "export_job")
                                .order_by(AuditEvent.id)).all()
    assert [(e.action, e.actor, e.object_id) for e in events] == [
        ("export.request", world.staff.email, str(export_id)), ("export.prepare", world.staff.email, str(export_id)),
        ("export.download", world.staff.email, str(export_id))]
    assert events[1].details["rows"] == 4 and events[1].details["format"] == "json"
    written = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "passlist.export"))
    assert written.details["via"] == "job" and written.details["filters"]["status"] == "active"


def test_my_exports_lists_my_files_newest_first(app, world, db, clock):
    client = _client_of(app, world.staff)
    first = _ask(client, "/exports/passlist.csv")
    clock.advance(minutes=5)
    second = _ask(client, "/exports/passlist.xlsx")
    _ask(_client_of(app, world.coordinator), "/exports/passlist.json")
    page = client.get("/exports").get_data(as_text=True)
    assert page.index(f"/exports/{second}/download") < page.index(f"/exports/{first}/download")
    assert "Pass list (JSON)" not in page and "Pass list (Excel (XLSX))" in page
    assert "/exports" in client.get("/passlist").get_data(as_text=True)  # linked from the pass list


def test_an_expired_export_is_refused_then_deleted_with_its_file(app, world, db, clock):
    client = _client_of(app, world.staff)
    export_id = _ask(client, "/exports/passlist.csv")
    path = exports.file_path(db.session.get(ExportJob, export_id))
    clock.advance(hours=23)
    assert jobs.run_periodic("delete-expired-exports") == 0 and path.exists()
    client = _client_of(app, world.staff)  # a new session: the first one has timed out meanwhile
    assert client.get(f"/exports/{export_id}/download").status_code == 200
    clock.advance(hours=1)  # 24 hours (LMS_EXPORT_KEEP_HOURS) after it was ready
    client = _client_of(app, world.staff)
    response = client.get(f"/exports/{export_id}/download", follow_redirects=True)
    text = response.get_data(as_text=True)
    assert "has expired" in text and "Download pass-list" not in text
    assert jobs.run_periodic("delete-expired-exports") == 1
    assert not path.exists() and db.session.get(ExportJob, export_id) is None
    assert client.get(f"/exports/{export_id}").status_code == 404
    assert db.session.scalar(select(AuditEvent.action).where(AuditEvent.action == "export.expire")) == "export.expire"


def test_a_failed_export_says_so_keeps_nothing_and_is_retried(app, world, db, monkeypatch, caplog):
    def broken(*args, **kwargs):
        yield b"Certificate number"
        raise OSError("disk full at /srv/secret/place")

    client = _client_of(app, world.staff)
    with monkeypatch.context() as patch:
        patch.setattr(passlist, "export_chunks", broken)
        export_id = _ask(client, "/exports/passlist.csv")
    export = db.session.get(ExportJob, export_id)
    assert export.status == "failed" and export.stored_name is None
    assert list(exports.export_folder().glob("*.part")) == []  # the half-written file is gone
    page = client.get(f"/exports/{export_id}").get_data(as_text=True)
    assert "could not be written" in page and "Try again" in page and "/srv/secret" not in page
    assert client.get(f"/exports/{export_id}/download").status_code == 302
    assert db.session.scalar(select(AuditEvent.outcome).where(AuditEvent.action == "export.fail")) == "failure"
    retried = post(client, f"/exports/{export_id}/retry", page=f"/exports/{export_id}")
    assert retried.headers["Location"] == f"/exports/{export_id}"
    db.session.expire_all()
    export = db.session.get(ExportJob, export_id)
    assert (export.status, export.tries, export.error) == ("ready", 2, None)
    assert len(_csv_names(client.get(f"/exports/{export_id}/download").data)) == 4
    # A ready export is not "retried".
    again = post(client, f"/exports/{export_id}/retry", page="/exports")
    assert again.status_code == 302 and db.session.get(ExportJob, export_id).tries == 2


# -- certificate PDFs ------------------------------------------------------------------------------------


def test_an_issued_certificate_is_rendered_by_a_job_and_downloads_serve_those_bytes(app, kit, db, client):
    trainee = kit.trainee()
    with queued():
        certification = kit.certified(trainee=trainee)
        assert db.session.get(CertificateDocument, certification.id) is None
        assert drain() >= 1  # the PDF (and the issue notice's e-mail)
    stored = db.session.get(CertificateDocument, certification.id)
    assert stored is not None and stored.pdf.startswith(b"%PDF")
    login(client, trainee.email)
    assert client.get(f"/certificates/{certification.number}/certificate.pdf").data == stored.pdf
    jobs.render_certificate(certification.id, "http://elsewhere.example/")  # run again: nothing changes
    assert db.session.get(CertificateDocument, certification.id).pdf == stored.pdf


def test_a_download_before_the_job_renders_it_and_the_job_then_keeps_those_bytes(app, kit, db, client):
    trainee = kit.trainee()
    certification = kit.certified(trainee=trainee)  # immediate mode: nothing rendered at issue
    login(client, trainee.email)
    first = client.get(f"/certificates/{certification.number}/certificate.pdf").data
    jobs.render_certificate(certification.id, None)
    assert db.session.get(CertificateDocument, certification.id).pdf == first
    assert client.get(f"/certificates/{certification.number}/certificate.pdf").data == first


def test_the_hourly_job_renders_certificates_left_without_a_pdf(app, kit, db):
    done = [kit.certified(), kit.certified()]
    assert jobs.run_periodic("render-certificates") == 2
    assert all(db.session.get(CertificateDocument, c.id) is not None for c in done)
    assert jobs.run_periodic("render-certificates") == 0


def test_lms_jobs_drain_runs_the_queued_export_as_a_worker_would(app, world, db):
    client = _client_of(app, world.staff)
    with queued():
        export_id = _ask(client, "/exports/passlist.csv")
        result = app.test_cli_runner().invoke(args=["jobs", "drain"])
        assert result.exit_code == 0 and "1 queued job(s) run." in result.output
    db.session.expire_all()
    assert db.session.get(ExportJob, export_id).status == "ready"


def test_an_export_the_queue_cannot_take_fails_at_once_and_is_retried_once_it_can(app, world, db, configured, caplog):
    """The export is asked for (committed) before its job is queued: a queue that does not answer then fails
    it at once, for its owner to see and try again, instead of an error page and an export waiting forever."""
    client = _client_of(app, world.staff)
    configured("redis://127.0.0.1:1/0")  # nothing listens there: every enqueue is refused
    export_id = _ask(client, "/exports/passlist.csv")  # its page, as always
    assert f"Export {export_id} not queued (ConnectionError" in caplog.text
    db.session.expire_all()
    export = db.session.get(ExportJob, export_id)
    assert export.status == "failed" and "the job queue did not answer" in export.error
    page = client.get(f"/exports/{export_id}").get_data(as_text=True)
    assert "the job queue did not answer" in page and "Try again" in page
    configured(None)  # the queue answers again (the instance folder's SQLite file)
    post(client, f"/exports/{export_id}/retry", page=f"/exports/{export_id}")
    assert db.session.get(ExportJob, export_id).status == "queued"
    assert drain() == 1
    db.session.expire_all()
    assert db.session.get(ExportJob, export_id).status == "ready"


def test_an_export_no_worker_ran_is_failed_after_the_keeping_time_and_can_be_retried(app, world, db, clock):
    client = _client_of(app, world.staff)
    with queued():
        export_id = _ask(client, "/exports/passlist.csv")
        clock.advance(hours=24)
        assert jobs.run_periodic("delete-expired-exports") == 0
        export = db.session.get(ExportJob, export_id)
        assert export.status == "failed" and "no worker ran the job" in export.error
        drain()  # a worker that comes back late finds it failed and leaves it alone
    db.session.expire_all()
    assert db.session.get(ExportJob, export_id).status == "failed"
    client = _client_of(app, world.staff)
    assert "Try again" in client.get(f"/exports/{export_id}").get_data(as_text=True)
    post(client, f"/exports/{export_id}/retry", page=f"/exports/{export_id}")
    db.session.expire_all()
    assert db.session.get(ExportJob, export_id).status == "ready"
