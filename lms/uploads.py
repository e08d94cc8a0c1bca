"""Uploaded files (MOU PDFs, nomination evidence): checked, stored outside static/ under the instance
folder with generated names, and served only as attachments to the users a view has authorized."""
import hashlib
import os
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from flask import current_app, send_file

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
# extension -> (content type, leading bytes the file must start with)
DOCUMENT_TYPES = {
    ".pdf": ("application/pdf", b"%PDF-"),
    ".png": ("image/png", b"\x89PNG\r\n\x1a\n"),
    ".jpg": ("image/jpeg", b"\xff\xd8\xff"),
    ".jpeg": ("image/jpeg", b"\xff\xd8\xff"),
}
PDF_ONLY = {".pdf": DOCUMENT_TYPES[".pdf"]}


class UploadRefused(ValueError):
    """The file cannot be accepted (type, size or emptiness), with a message for the user."""


@dataclass
class StoredFile:
    """A file written under the instance folder."""

    original_name: str
    stored_name: str
    content_type: str
    size: int
    sha256: str


def upload_folder(kind: str) -> Path:
    """instance/uploads/<kind>, created on first use (never under static/)."""
    folder = Path(current_app.instance_path) / "uploads" / kind
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def safe_display_name(name: str) -> str:
    """The uploaded file's name, reduced to harmless characters (for display and the download name)."""
    base = os.path.basename((name or "").replace("\\", "/"))
    cleaned = re.sub(r"[^A-Za-z0-9._ -]+", "_", base).strip(" .") or "document"
    return cleaned[-120:]


def store_upload(file_storage, *, kind: str, allowed=DOCUMENT_TYPES, max_bytes: int = MAX_UPLOAD_BYTES) -> StoredFile:
    """Check an uploaded file's extension, leading bytes and size, then store it under a generated name."""
    if file_storage is None or not file_storage.filename:
        raise UploadRefused("Choose a file to upload.")
    name = safe_display_name(file_storage.filename)
    extension = os.path.splitext(name)[1].lower()
    if extension not in allowed:
        raise UploadRefused(f"Only {', '.join(sorted(allowed))} files are accepted.")
    content_type, magic = allowed[extension]
    data = file_storage.stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise UploadRefused(f"The file is larger than {max_bytes // (1024 * 1024)} MB.")
    if not data:
        raise UploadRefused("The file is empty.")
    if not data.startswith(magic):
        raise UploadRefused(f"The file is not a valid {extension[1:].upper()} file.")
    stored_name = secrets.token_hex(16) + extension
    path = upload_folder(kind) / stored_name
    with open(path, "xb") as fh:
        fh.write(data)
    os.chmod(path, 0o600)
    return StoredFile(name, stored_name, content_type, len(data), hashlib.sha256(data).hexdigest())


def send_stored(kind: str, stored_name: str, *, download_name: str, content_type: str):
    """Serve a stored file as an attachment (never inline), not cached."""
    path = upload_folder(kind) / os.path.basename(stored_name)
    response = send_file(path, mimetype=content_type, as_attachment=True, download_name=download_name,
                         max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-store"
    return response


def read_stored(kind: str, stored_name: str) -> bytes | None:
    """A stored file's bytes (None when it is gone)."""
    path = upload_folder(kind) / os.path.basename(stored_name)
    return path.read_bytes() if path.is_file() else None


def discard_stored(kind: str, stored_name: str) -> None:
    """Remove a stored file that served its purpose (an import's file once imported)."""
    (upload_folder(kind) / os.path.basename(stored_name)).unlink(missing_ok=True)


def discard_older_than(kind: str, before: datetime) -> int:
    """Remove the stored files of ``kind`` last written before ``before`` (files left by a step that was
    never finished, such as an import previewed and never confirmed); how many were removed."""
    cutoff = before.timestamp() if before.tzinfo else before.replace(tzinfo=UTC).timestamp()
    removed = 0
    for path in upload_folder(kind).iterdir():
        if path.is_file() and path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)
            removed += 1
    return removed
