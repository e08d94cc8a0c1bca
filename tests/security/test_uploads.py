"""Uploads: type checked by extension and content, size limited (per file and per request), stored under
a generated name whatever the client called it, and served only as a nosniff attachment."""
import io
import os

import pytest
from sqlalchemy import select

from lms.models import MouDocument

from ..conftest import csrf_token
from ..factories import PDF


def _upload(client, world, data, name):
    token = csrf_token(client, f"/mous/{world.a.mou.id}")
    return client.post(f"/mous/{world.a.mou.id}/documents", content_type="multipart/form-data",
                       data={"csrf_token": token, "document": (io.BytesIO(data), name)}, follow_redirects=True)


def _documents(db):
    db.session.rollback()
    return db.session.scalars(select(MouDocument).order_by(MouDocument.id)).all()


@pytest.mark.parametrize("data, name, message", [
    (b"<html><script>alert(1)</script></html>", "agreement.pdf", "not a valid PDF"),
    (b"%PDF-1.4 but an html file", "agreement.html", "Only .pdf files"),
    (b"MZ\x90\x00", "agreement.exe", "Only .pdf files"),
    (PDF, "agreement.pdf.svg", "Only .pdf files"),
    (b"", "agreement.pdf", "empty"),
    (PDF + b"0" * (10 * 1024 * 1024), "big.pdf", "larger than 10 MB"),
])
def test_a_bad_file_is_refused_with_a_clear_message_and_nothing_is_stored(world, as_user, db, app, data, name, message):
    client = as_user(world.staff)
    count = len(_documents(db))
    folder = os.path.join(app.instance_path, "uploads", "mou")
    files = set(os.listdir(folder))
    response = _upload(client, world, data, name)
    assert response.status_code == 200 and message in response.get_data(as_text=True)
    assert len(_documents(db)) == count
    assert set(os.listdir(folder)) == files


def test_a_path_in_the_file_name_goes_nowhere_and_the_download_is_a_nosniff_attachment(world, as_user, db, app):
    client = as_user(world.staff)
    _upload(client, world, PDF, "../../../../etc/cron.d/evil;x=<b>1.pdf")
    document = _documents(db)[-1]
    assert document.mou_id == world.a.mou.id
    assert "/" not in document.original_name and ".." not in document.original_name
    assert "\r" not in document.original_name and "\n" not in document.original_name
    assert os.path.exists(os.path.join(app.instance_path, "uploads", "mou", document.stored_name))
    assert os.path.basename(document.stored_name) == document.stored_name
    response = client.get(f"/mous/{world.a.mou.id}/documents/{document.id}")
    assert response.status_code == 200 and response.data == PDF
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.mimetype == "application/pdf"
    assert "no-store" in response.headers["Cache-Control"]


def test_display_names_lose_paths_and_control_characters():
    from lms.uploads import safe_display_name

    assert safe_display_name("..\\..\\windows\\evil.pdf") == "evil.pdf"
    assert safe_display_name("a\r\nX-Injected: 1.pdf") == "a_X-Injected_ 1.pdf"
    assert safe_display_name("../..") == "document"


def test_evidence_is_served_as_an_attachment(world, as_user):
    response = as_user(world.a.coordinator).get(f"/nominations/{world.a.nomination.id}/evidence")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_an_oversized_request_is_refused_before_it_is_read(world, as_user, db, app):
    """The request body is capped (MAX_CONTENT_LENGTH): a huge upload is a 413 with a clear page."""
    assert app.config.get("MAX_CONTENT_LENGTH") and app.config["MAX_CONTENT_LENGTH"] <= 16 * 1024 * 1024
    client = as_user(world.staff)
    count = len(_documents(db))
    response = _upload(client, world, PDF + b"0" * app.config["MAX_CONTENT_LENGTH"], "huge.pdf")
    assert response.status_code == 413
    assert "too large" in response.get_data(as_text=True).lower()
    assert len(_documents(db)) == count
