"""Every download the app offers, fetched as a production server serves it and read to its last byte.

The test client elsewhere runs each request inside an app context the test pushed, which keeps the
request's database session alive while a streamed body is read; a real server pops the request's
context first and then iterates the body. ``ServerClient`` does the same: each request runs in an
empty context (no app context of the test's) and its whole body is read after the view returned.

Downloads are found, not listed: every GET route of routes.py (every route of the url_map, which
test_routes holds) is fetched, with each value of an ``any(...)`` URL part, and a response with a
Content-Disposition or a streamed body is a download. Each one needs a content check below, run as
every role that may use it; a new download fails the test until it has one.
"""
import contextvars
import csv
import io
import json
import zipfile
from urllib.parse import urlsplit

from flask import request, request_finished
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy import select
from werkzeug.routing import AnyConverter

from icalendar import Calendar

from lms.certification.transcript import HEADER as TRAINING_HEADER
from lms.exams.results import CSV_HEADER
from lms.certification.passlist import COLUMNS
from lms.extensions import db as _db
from lms.models import CertificateDocument, Certification, Role

from ..conftest import PROJECT_ROOT, login
from ..factories import PDF, PNG, start
from .routes import GET_ROUTES, PUBLIC


class ServerClient(FlaskClient):
    """A test client that serves each request the way a WSGI server does (see the module docstring)."""

    def open(self, *args, **kwargs):
        _db.session.rollback()  # the test's session lets go of SQLite's writer lock
        kwargs["buffered"] = True  # the whole body, read after the view has returned
        return contextvars.Context().run(super().open, *args, **kwargs)


def _variants(app, url: str) -> list[str]:
    """The URL, and one URL per other value of each ``any(...)`` part of its rule (passlist.csv -> .xlsx ...)."""
    parts = urlsplit(url)
    adapter = app.url_map.bind("localhost")
    rule, args = adapter.match(parts.path, method="GET", return_rule=True)
    endpoint = rule.endpoint
    urls = [url]
    for name, converter in rule._converters.items():
        if isinstance(converter, AnyConverter):
            for item in converter.items:
                other = adapter.build(endpoint, {**args, name: item})
                if other not in (parts.path, url):
                    urls.append(other + (f"?{parts.query}" if parts.query else ""))
    return urls


# -- what each download must hold ----------------------------------------------------------------


def _check_results_csv(world, user, body, response):
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(body.decode("utf-8"))))
    assert rows[0] == CSV_HEADER
    # Both trainees of side a's cohort have an attempt (world.peer's started by the test): a line each.
    names = sorted(r[1] for r in rows[1:])
    assert names == sorted([world.a.trainee.name, world.peer.name]), names
    assert all(r[0] == world.a.cohort.name and r[4] == "mixed-exam" and r[7] == "open" for r in rows[1:])
    assert world.b.trainee.name not in body.decode("utf-8")


def _expected_numbers(world, user) -> set[str]:
    query = select(Certification.number)
    if user.role == Role.COORDINATOR.value:
        query = query.where(Certification.agency_id == user.agency_id)
    return set(_db.session.scalars(query))


def _check_passlist(world, user, body, response):
    expected = _expected_numbers(world, user)
    assert world.a.certification.number in expected
    if user.role == Role.COORDINATOR.value:
        assert world.b.certification.number not in expected
    kind = response.mimetype
    labels = [label for _, label in COLUMNS]
    if kind == "text/csv":
        assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
        rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
        assert rows[0] == labels and {r[0] for r in rows[1:]} == expected and len(rows) == len(expected) + 1
    elif kind == "application/json":
        data = json.loads(body)
        # JSON keeps the status code for programs and adds the word people read (docs/VOCABULARY.md).
        assert [c["label"] for c in data["columns"]] == \
            ["Status code" if key == "status" else label for key, label in COLUMNS] + ["Status"]
        assert {r["number"] for r in data["rows"]} == expected and data["count"] == len(expected)
        assert all(r["status_label"] == "Valid" for r in data["rows"] if r["status"] == "active")
    else:
        assert kind == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        sheet = load_workbook(io.BytesIO(body), read_only=True).active
        rows = [list(r) for r in sheet.iter_rows(values_only=True)]
        assert rows[0] == labels and {r[0] for r in rows[1:]} == expected and len(rows) == len(expected) + 1


def _check_pdf(world, user, body, response):
    assert response.mimetype == "application/pdf"
    assert body.startswith(b"%PDF-") and body.rstrip().endswith(b"%%EOF")
    stored = _db.session.get(CertificateDocument, world.a.certification.id)
    assert stored is not None and body == stored.pdf  # the whole stored document, byte for byte


def _check_record(world, user, body, response):
    assert response.mimetype == "application/json"
    record = json.loads(body)
    assert record["number"] == world.a.certification.number
    assert record["signature"] == world.a.certification.signature and record["snapshot"]


def _check_document(world, user, body, response):
    assert body == PDF


def _check_evidence(world, user, body, response):
    assert body == PNG


def _check_static(world, user, body, response):
    # A file served from disk (streamed by send_file): the file, whole.
    assert body == (PROJECT_ROOT / "static" / "css" / "app.css").read_bytes()


def _check_bank_export(world, user, body, response):
    if response.mimetype == "application/zip":
        with zipfile.ZipFile(io.BytesIO(body)) as package:
            assert "imsmanifest.xml" in package.namelist() and len(package.namelist()) > 2
    elif response.mimetype == "application/xml":
        assert body.startswith(b"<?xml") and body.count(b"<question ") > 5 and body.rstrip().endswith(b"</quiz>")
    else:
        assert response.mimetype == "text/plain" and body.decode("utf-8").count("::") > 5


def _check_calendar(world, user, body, response):
    assert response.mimetype == "text/calendar"
    events = [c for c in Calendar.from_ical(body).walk("VEVENT")]
    assert [str(e["SUMMARY"]) for e in events] == [world.a.class_session.title]


def _check_training_record(world, user, body, response):
    if response.mimetype == "text/csv":
        rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    else:
        rows = [list(r) for r in load_workbook(io.BytesIO(body), read_only=True).active.iter_rows(values_only=True)]
    assert rows[0] == TRAINING_HEADER
    assert [r[0] for r in rows[1:]] == [world.a.classroom_enrollment.user.name]
    assert world.b.classroom_enrollment.user.name not in str(rows)


def _check_transcript(world, user, body, response):
    assert response.mimetype == "application/pdf"
    assert body.startswith(b"%PDF-") and body.rstrip().endswith(b"%%EOF")


CHECKS = {
    "interchange.bank_export": _check_bank_export,
    "classroom.calendar": _check_calendar,
    "classroom.training_record": _check_training_record,
    "classroom.my_transcript": _check_transcript,
    "classroom.trainee_transcript": _check_transcript,
    "static": _check_static,
    "results.exam_results_csv": _check_results_csv,
    "registry.passlist_download": _check_passlist,
    "exports.download": _check_passlist,  # side a's coordinator's pass list: their agency's rows only
    "certificates.pdf": _check_pdf,
    "registry.pdf": _check_pdf,
    "certificates.record": _check_record,
    "registry.record": _check_record,
    "agencies.mou_document": _check_document,
    "nominations.nomination_evidence": _check_evidence,
}


def test_every_download_is_whole_for_every_role_that_may_use_it(app, world, db, clock):
    start(world.peer, "mixed-exam", clock)
    seen = []  # (endpoint, streamed, disposition) of every response, as the app built it

    def record(sender, response, **extra):
        seen.append((request.endpoint, response.is_streamed, response.headers.get("Content-Disposition")))

    clients = {None: ServerClient(app, app.response_class, use_cookies=True)}  # None: anonymous

    def client_for(user):
        if user is None:
            return clients[None]
        if user.id not in clients:
            client = ServerClient(app, app.response_class, use_cookies=True)
            assert login(client, user.email).status_code == 302
            clients[user.id] = client
        return clients[user.id]

    downloads = {}  # endpoint -> (route, [urls])
    with request_finished.connected_to(record, app):
        for (endpoint, _), route in GET_ROUTES.items():
            user = None if route.roles is PUBLIC else route.user(world)
            for url in _variants(app, route.url(world)):
                seen.clear()
                response = client_for(user).get(url)
                # Public pages may first send a visitor to the notice; another variant of a route's URL may
                # redirect (reinstating a valid certification has nothing to confirm), never fail.
                if route.roles is not PUBLIC:
                    allowed = {route.ok} if url == route.url(world) else {route.ok, 302}
                    assert response.status_code in allowed, f"GET {url}: {response.status_code}"
                (_, streamed, disposition), = [s for s in seen if s[0] == endpoint]
                if disposition or streamed:
                    downloads.setdefault(endpoint, (route, []))[1].append(url)

    assert sorted(downloads) == sorted(CHECKS), "a download without a content check here (or a check for none)"
    problems = []
    for endpoint, (route, urls) in downloads.items():
        if route.roles is PUBLIC:
            users = [None]
        else:
            users = [route.who(world)] if route.who else [world.user(role) for role in route.roles]
        for user in users:
            for url in urls:
                response = client_for(user).get(url)
                body = response.get_data()
                try:
                    assert response.status_code == 200, response.status_code
                    CHECKS[endpoint](world, user, body, response)
                except AssertionError as error:
                    problems.append(f"GET {url} as {user.role if user else 'anyone'}: {error}")
    assert problems == []
