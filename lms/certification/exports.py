"""Export jobs: a large export (the pass list, a cohort's training record) asked for in a request and
written by a background job (lms.jobs.prepare_export), with its progress, to a file under the instance
folder that only the person who asked may download, until it expires and a periodic job deletes it.

The file is the same as the direct download's: the job writes the chunks of the same export functions
(passlist.export_chunks, transcript.record_chunks). The job judges access again when it runs, as the
person who asked: a coordinator's pass list is their agency's whatever the saved filters say, and one who
lost the role or the cohort gets a failure, not a file.
"""
import json
import logging
import os
import secrets
from contextlib import closing
from datetime import timedelta
from pathlib import Path
from typing import Callable

from flask import current_app
from sqlalchemy import select

from lms.audit import record_event
from lms.certification import passlist, transcript
from lms.clock import program_today
from lms.cohorts.roster import can_view_cohort
from lms.extensions import db
from lms.models import Cohort, ExportJob, User
from lms.models.export import FAILED, QUEUED, READY, RUNNING
from lms.security import PROGRAM_READERS, TRAINING_VIEWERS, agency_scope

log = logging.getLogger("lms.exports")

PASSLIST, TRAINING_RECORD = "passlist", "training-record"
KINDS = {PASSLIST: "Pass list", TRAINING_RECORD: "Training record"}
FORMAT_LABELS = {"csv": "CSV", "xlsx": "Excel (XLSX)", "json": "JSON"}
MIMETYPES = {"csv": "text/csv",  # the response adds "; charset=utf-8" to a text type
             "xlsx": passlist.FORMATS["xlsx"][0],
             "json": "application/json"}
FAILURE_MESSAGE = "The file could not be written. Try again; if it fails again, tell an administrator."


class ExportError(ValueError):
    """An export that cannot be asked for, retried or downloaded; the message says why."""


class ExportRefused(ExportError):
    """The person who asked may no longer export this (checked again when the job runs)."""


def export_folder() -> Path:
    """Where export files are kept: INSTANCE_PATH/exports (made when first needed)."""
    folder = Path(current_app.instance_path) / "exports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def file_path(export: ExportJob) -> Path | None:
    """The export's file, if it has one."""
    return export_folder() / export.stored_name if export.stored_name else None


# -- asking ------------------------------------------------------------------------------------------------


def request_passlist_export(filters: passlist.PassListFilters, fmt: str, *, actor: User, now) -> ExportJob:
    """Ask for the pass list with ``filters`` as a file (the job writes it); flushes and audits."""
    if fmt not in passlist.FORMATS:
        raise ExportError("Choose CSV, XLSX or JSON.")
    scope = agency_scope(actor)
    if scope is not None:
        filters.agency_id = scope
    return _request(PASSLIST, fmt, {"filters": filters.as_dict()}, title=f"Pass list ({FORMAT_LABELS[fmt]})",
                    filename=passlist.export_filename(fmt, program_today(now)), actor=actor, now=now)


def request_record_export(cohort: Cohort, fmt: str, *, actor: User, now) -> ExportJob:
    """Ask for a cohort's training record as a file (the job writes it); flushes and audits."""
    if fmt not in transcript.FORMATS:
        raise ExportError("Choose CSV or XLSX.")
    return _request(TRAINING_RECORD, fmt, {"cohort_id": cohort.id},
                    title=f"Training record of {cohort.name} ({FORMAT_LABELS[fmt]})",
                    filename=transcript.record_filename(cohort, fmt), actor=actor, now=now)


def _request(kind, fmt, params, *, title, filename, actor, now) -> ExportJob:
    export = ExportJob(user_id=actor.id, kind=kind, fmt=fmt, params=json.dumps(params, sort_keys=True), title=title,
                       filename=filename, status=QUEUED, rows_done=0, tries=0, created_at=now)
    db.session.add(export)
    db.session.flush()
    record_event("export.request", actor=actor, obj=export, now=now, details={"kind": kind, "format": fmt, **params})
    return export


def retry_export(export: ExportJob, *, actor: User, now) -> ExportJob:
    """Queue a failed export again (its owner asks); flushes and audits."""
    if export.status != FAILED:
        raise ExportError("Only a failed export can be tried again.")
    export.status, export.error, export.rows_done, export.rows_total = QUEUED, None, 0, None
    export.started_at = export.finished_at = export.expires_at = None
    db.session.flush()
    record_event("export.retry", actor=actor, obj=export, now=now, details={"kind": export.kind, "tries": export.tries})
    return export


# -- the job's work -----------------------------------------------------------------------------------------


def prepare_export(export_id: int, *, now, publish: Callable[[], None]) -> ExportJob | None:
    """Write the export's file (the job): judge access again as its owner, write the file with the same
    chunks as the direct download, keeping the progress (``publish`` commits it, so the owner's page sees
    it), and mark it ready or failed. Only a queued export is written: one running, ready, failed or gone is
    left alone (a job run twice; one that stopped mid-way is failed by delete_expired and retried)."""
    export = db.session.get(ExportJob, export_id)
    if export is None or export.status != QUEUED:
        return export
    export.status, export.started_at, export.tries = RUNNING, now, export.tries + 1
    export.rows_done, export.rows_total = 0, None
    publish()
    stored_name = f"{secrets.token_urlsafe(18)}.{export.fmt}"
    target = export_folder() / stored_name
    partial = target.with_suffix(target.suffix + ".part")

    def progress(done: int, total: int) -> None:
        export.rows_done, export.rows_total = done, total
        publish()

    try:
        with closing(_chunks(export, now=now, progress=progress)) as chunks, open(partial, "wb") as out:
            for chunk in chunks:
                out.write(chunk)
        os.replace(partial, target)
    except ExportRefused as refusal:
        partial.unlink(missing_ok=True)
        return _failed(export, str(refusal), now=now)
    except Exception:  # noqa: BLE001 - any failure is the owner's to see and retry; the log keeps the trace
        log.exception("Export %s failed", export.id)
        db.session.rollback()
        export = db.session.get(ExportJob, export_id)
        partial.unlink(missing_ok=True)
        return _failed(export, FAILURE_MESSAGE, now=now)
    export.status, export.stored_name, export.size = READY, stored_name, target.stat().st_size
    export.finished_at = now
    export.expires_at = now + timedelta(hours=current_app.config["EXPORT_KEEP_HOURS"])
    record_event("export.prepare", actor=export.user, obj=export, now=now,
                 details={"kind": export.kind, "format": export.fmt, "rows": export.rows_total, "bytes": export.size})
    return export


def _failed(export: ExportJob, message: str, *, now) -> ExportJob:
    export.status, export.error, export.finished_at = FAILED, message, now
    export.expires_at = now + timedelta(hours=current_app.config["EXPORT_KEEP_HOURS"])  # the list forgets it too
    record_event("export.fail", actor=export.user, obj=export, now=now, outcome="failure",
                 details={"kind": export.kind, "format": export.fmt, "error": message})
    return export


def _chunks(export: ExportJob, *, now, progress):
    """The file's chunks, for the owner as they are now (their role, agency and cohorts)."""
    owner, params = export.user, json.loads(export.params)
    if owner is None or not owner.is_active:
        raise ExportRefused("Your account can no longer export this.")
    if export.kind == PASSLIST:
        if not owner.has_role(*PROGRAM_READERS):
            raise ExportRefused("You may no longer export the pass list.")
        filters = passlist.filters_from_args(params["filters"], scope_agency_id=agency_scope(owner))
        return passlist.export_chunks(filters, export.fmt, today=program_today(now), now=now, actor=owner,
                                      via="job", progress=progress)
    cohort = db.session.get(Cohort, params["cohort_id"])
    if cohort is None or not owner.has_role(*TRAINING_VIEWERS) or not can_view_cohort(owner, cohort):
        raise ExportRefused("You may no longer export this cohort's training record.")
    return transcript.record_chunks(cohort, export.fmt, viewer=owner, now=now, progress=progress)


# -- reading, downloading, expiring -------------------------------------------------------------------------


def exports_of(user: User, *, limit: int = 50) -> list[ExportJob]:
    """A person's exports, newest first."""
    return list(db.session.scalars(select(ExportJob).where(ExportJob.user_id == user.id)
                                   .order_by(ExportJob.created_at.desc(), ExportJob.id.desc()).limit(limit)))


def open_download(export: ExportJob, *, actor: User, now):
    """The ready export's file, opened for reading; audited. Raises ExportError when there is none."""
    path = file_path(export)
    if export.status != READY or path is None or (export.expires_at is not None and export.expires_at <= now):
        raise ExportError("This file is not ready, or it has expired.")
    try:
        handle = open(path, "rb")
    except FileNotFoundError:
        raise ExportError("This file has expired.") from None
    record_event("export.download", actor=actor, obj=export, now=now,
                 details={"kind": export.kind, "format": export.fmt, "bytes": export.size})
    return handle


STALE_MESSAGE = "The file was not prepared in time (no worker ran the job). Try again."
UNQUEUED_MESSAGE = "The file could not be queued for preparing (the job queue did not answer). Try again."


def fail_unqueued(export_id: int, *, now) -> ExportJob | None:
    """Mark an export failed whose job could not be queued, so that its owner sees why at once and may try
    again (rather than waiting the keeping time for ``delete_expired`` to say so); flushes and audits."""
    export = db.session.get(ExportJob, export_id)
    if export is None or export.status != QUEUED:
        return export
    _failed(export, UNQUEUED_MESSAGE, now=now)
    db.session.flush()
    return export


def delete_expired(*, now) -> int:
    """Delete every export past its expiry, its file first (the periodic job); returns how many. An export
    still waiting or running after the keeping time (no worker, or one that stopped) is marked failed, so its
    owner sees why and may try again; it then expires like any other."""
    keep = timedelta(hours=current_app.config["EXPORT_KEEP_HOURS"])
    for stale in db.session.scalars(select(ExportJob).where(ExportJob.status.in_((QUEUED, RUNNING)),
                                                            ExportJob.created_at <= now - keep)):
        _failed(stale, STALE_MESSAGE, now=now)
    expired = db.session.scalars(select(ExportJob).where(ExportJob.expires_at <= now)).all()
    for export in expired:
        if (path := file_path(export)) is not None:
            path.unlink(missing_ok=True)
        record_event("export.expire", actor_label="system:jobs", obj=export, now=now,
                     details={"kind": export.kind, "owner_id": export.user_id})
        db.session.delete(export)
    db.session.flush()
    return len(expired)
