"""Pass lists: who is certified, filtered, written as CSV, XLSX or JSON, streamed.

Rows come from one read snapshot (PostgreSQL REPEATABLE READ with a server-side cursor; SQLite a
deferred read transaction that does not hold the writer lock), fetched in batches, so 100,000
certifications never sit in memory at once and the audited row count is exactly what the file holds.

Every cell is made safe to open in a spreadsheet by lms.spreadsheets.
"""
import json
from collections import namedtuple
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Callable, Iterable, Iterator

from flask import current_app
from sqlalchemy import func, select

from lms.audit import record_event
from lms.certification.links import verification_prefix
from lms.certification.status import effective_status_sql
from lms.db_engine import reading
from lms.extensions import db
from lms.models import Certification
from lms.models.certification import STATUSES
from lms.spreadsheets import csv_chunks, xlsx_chunks
from lms.vocabulary import certification_status

COLUMNS = [
    ("number", "Certificate number"),
    ("name", "Name"),
    ("agency", "Agency"),
    ("ori", "ORI"),
    ("track", "Track"),
    ("cohort", "Cohort"),
    ("issued_on", "Issued"),
    ("expires_on", "Expires"),
    ("status", "Status"),
    ("verification_url", "Verification URL"),
]
HEADER = [label for _, label in COLUMNS]
XLSX_WIDTHS = [18, 28, 36, 11, 40, 28, 12, 12, 11, 50]

FORMATS = {
    "csv": ("text/csv", "csv"),  # the response adds "; charset=utf-8" to a text type
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
    "json": ("application/json", "json"),
}
BATCH = 2000
# The status cell: CSV and XLSX (read by people) hold its label ("Valid"); JSON keeps the code ("active")
# under "status" for programs and adds the label under "status_label".
STATUS_INDEX = [key for key, _ in COLUMNS].index("status")


@dataclass
class PassListFilters:
    """What a pass list is limited to; None means any."""

    agency_id: int | None = None
    cohort_id: int | None = None
    track_id: int | None = None
    status: str | None = None
    issued_from: date | None = None
    issued_to: date | None = None

    def as_dict(self) -> dict:
        """JSON-ready, for the audit log and the JSON file's header."""
        return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in asdict(self).items()}

    def query_args(self) -> dict:
        """As URL query arguments (for the download links)."""
        return {k: v for k, v in self.as_dict().items() if v is not None}


def _int_arg(value) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None


def _date_arg(value) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except (TypeError, ValueError):
        return None


def filters_from_args(args, *, scope_agency_id: int | None = None) -> PassListFilters:
    """Filters from a query string (unknown or malformed values are ignored).

    ``scope_agency_id`` (a coordinator's agency) overrides whatever agency was asked for.
    """
    status = args.get("status") or None
    return PassListFilters(
        agency_id=scope_agency_id if scope_agency_id is not None else _int_arg(args.get("agency_id")),
        cohort_id=_int_arg(args.get("cohort_id")),
        track_id=_int_arg(args.get("track_id")),
        status=status if status in STATUSES else None,
        issued_from=_date_arg(args.get("issued_from")),
        issued_to=_date_arg(args.get("issued_to")),
    )


def filtered(query, filters: PassListFilters, today: date):
    if filters.agency_id is not None:
        query = query.where(Certification.agency_id == filters.agency_id)
    if filters.cohort_id is not None:
        query = query.where(Certification.cohort_id == filters.cohort_id)
    if filters.track_id is not None:
        query = query.where(Certification.track_id == filters.track_id)
    if filters.status is not None:
        query = query.where(effective_status_sql(today) == filters.status)
    if filters.issued_from is not None:
        query = query.where(Certification.issued_on >= filters.issued_from)
    if filters.issued_to is not None:
        query = query.where(Certification.issued_on <= filters.issued_to)
    return query


def passlist_query(filters: PassListFilters, *, today: date):
    """The pass-list rows, in a stable order; the last column is the verification code, which
    _with_link turns into the verification URL."""
    query = select(
        Certification.number, Certification.holder_name, Certification.agency_name, Certification.agency_ori,
        Certification.track_title, Certification.cohort_name, Certification.issued_on, Certification.expires_on,
        effective_status_sql(today).label("status"), Certification.verification_code,
    ).order_by(Certification.agency_name, Certification.holder_name, Certification.number)
    return filtered(query, filters, today)


def count_query(filters: PassListFilters, *, today: date):
    """How many rows the pass list has, as a query."""
    return filtered(select(func.count(Certification.id)), filters, today)


@contextmanager
def read_snapshot():
    """A connection in one consistent read transaction, set up to stream results in batches: on the
    read-only replica when one is configured (LMS_REPLICA_DATABASE_URL), else on the primary."""
    engine = db.engines["replica"] if current_app.config.get("REPLICA_DATABASE_URL") else db.engine
    options = {"stream_results": True, "yield_per": BATCH}
    if engine.dialect.name == "postgresql":
        options["isolation_level"] = "REPEATABLE READ"
    with reading(engine).connect() as conn:  # on SQLite, deferred: readers do not block writers
        conn = conn.execution_options(**options)
        with conn.begin():
            yield conn


def _with_link(row, base: str) -> tuple:
    """A query row in COLUMNS order: its trailing verification code becomes the verification URL."""
    return (*row[:-1], base + row[-1])


def stream_rows(conn, filters: PassListFilters, *, today: date) -> Iterator[tuple]:
    """Every pass-list row as a tuple in COLUMNS order, fetched BATCH at a time."""
    base = verification_prefix()
    result = conn.execute(passlist_query(filters, today=today))
    for partition in result.partitions(BATCH):
        for row in partition:
            yield _with_link(row, base)


# -- writers ---------------------------------------------------------------------------------------


def labelled(rows: Iterable[tuple]) -> Iterator[tuple]:
    """The rows with the status code replaced by its label, as people read it (lms.vocabulary)."""
    for row in rows:
        yield (*row[:STATUS_INDEX], certification_status(row[STATUS_INDEX]), *row[STATUS_INDEX + 1:])

def json_chunks(rows: Iterable[tuple], *, meta: dict, batch: int = 1000) -> Iterator[bytes]:
    """{"meta": ..., "columns": [...], "rows": [{...}, ...], "count": N}, written as it goes."""
    keys = [key for key, _ in COLUMNS]
    columns = [{"key": k, "label": "Status code" if k == "status" else label} for k, label in COLUMNS]
    columns.append({"key": "status_label", "label": "Status"})
    head = {"meta": meta, "columns": columns}
    yield (json.dumps(head, ensure_ascii=False)[:-1] + ', "rows": [\n').encode("utf-8")
    parts, count = [], 0
    for row in rows:
        record = {k: (v.isoformat() if isinstance(v, date) else v) for k, v in zip(keys, row)}
        record["status_label"] = certification_status(record["status"])
        parts.append(("" if count == 0 else ",\n") + json.dumps(record, ensure_ascii=False))
        count += 1
        if len(parts) >= batch:
            yield "".join(parts).encode("utf-8")
            parts = []
    parts.append(f'\n], "count": {count}}}\n')
    yield "".join(parts).encode("utf-8")

# -- the audited export ----------------------------------------------------------------------------


def export_chunks(filters: PassListFilters, fmt: str, *, today: date, now: datetime, actor=None,
                  actor_label=None, via: str = "web", progress: Callable[[int, int], None] | None = None
                  ) -> Iterator[bytes]:
    """Open a snapshot, count, record the audited export (committed), then stream the file.

    A generator: nothing happens (not even the audit) until the first chunk is asked for. ``progress``
    (an export job's) is told (rows written, rows in all) at the start and every BATCH rows.
    """
    if fmt not in FORMATS:
        raise ValueError(f"Unknown format {fmt!r}; use csv, xlsx or json.")
    with read_snapshot() as conn:
        count = conn.execute(count_query(filters, today=today)).scalar_one()
        record_event("passlist.export", actor=actor, actor_label=actor_label, object_type="passlist", now=now,
                     details={"format": fmt, "filters": filters.as_dict(), "rows": count, "via": via})
        db.session.commit()
        rows = stream_rows(conn, filters, today=today)
        if progress is not None:
            rows = counted(rows, count, progress, every=BATCH)
        if fmt == "csv":
            yield from csv_chunks(HEADER, labelled(rows))
        elif fmt == "json":
            meta = {"generated_at": now.isoformat(), "as_of": today.isoformat(), "filters": filters.as_dict(),
                    "expected_count": count}
            yield from json_chunks(rows, meta=meta)
        else:
            yield from xlsx_chunks(HEADER, labelled(rows), title="Pass list", widths=XLSX_WIDTHS)


def counted(rows: Iterable, total: int, progress: Callable[[int, int], None], *, every: int) -> Iterator:
    """The rows unchanged, telling ``progress`` (done, total) before the first, every ``every`` rows and
    after the last."""
    done = 0
    progress(done, total)
    for row in rows:
        yield row
        done += 1
        if done % every == 0:
            progress(done, total)
    progress(done, total)


def export_filename(fmt: str, today: date) -> str:
    """The download's file name, e.g. pass-list-2026-03-02.csv."""
    return f"pass-list-{today.isoformat()}.{FORMATS[fmt][1]}"


PassListRow = namedtuple("PassListRow", [key for key, _ in COLUMNS])  # a row with its columns by name


def preview_rows(filters: PassListFilters, *, today: date, limit: int = 100) -> list[PassListRow]:
    """The first rows of a pass list, as the files will hold them (for the page)."""
    base = verification_prefix()
    query = passlist_query(filters, today=today).limit(limit)
    return [PassListRow(*_with_link(row, base)) for row in db.session.execute(query)]


def count_rows(filters: PassListFilters, *, today: date) -> int:
    """How many rows the pass list has."""
    return db.session.scalar(count_query(filters, today=today))
