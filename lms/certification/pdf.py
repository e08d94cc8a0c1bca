"""Certificate PDFs: HTML templates rendered by WeasyPrint, tagged for accessibility, with no network.

A certificate is rendered from its frozen snapshot, with fixed metadata (dates from the issue, a
document id from the number), once: by a background job queued when it is issued (lms.jobs), or by the
first download if that comes before the job (so nothing waits on a worker); the bytes are stored and
every later download serves them unchanged. Only the links are not the snapshot's: the verification link
(and its QR code) carries the certification's unguessable code, and the links point to the address the
site is served on when the PDF is rendered (lms.certification.links; the job is given the address the
certification was issued on). Rendering outside the grading transaction keeps grading fast when hundreds
of trainees finish at once. The PDF shows no status, so a change of status renders nothing again.
"""
import hashlib
import json
from datetime import date

import segno
from flask import render_template
from sqlalchemy import select

from lms.certification.links import public_base_url, signing_keys_url, verification_link
from lms.certification.signing import verify_snapshot
from lms.db_engine import insert_for
from lms.extensions import db
from lms.models import MOU_MODELS, CertificateDocument, Certification


def qr_svg(url: str) -> str:
    """An inline SVG QR code (error correction M) that encodes ``url``."""
    return segno.make(url, error="m", micro=False).svg_inline(scale=4, border=2, title=f"QR code: {url}")


def _no_network_fetcher():
    from weasyprint.urls import URLFetcher

    # Everything the certificate needs is inline; refuse any URL, local or remote.
    return URLFetcher(allowed_protocols={"data"})


def html_to_pdf(html: str, *, identifier: bytes) -> bytes:
    """Render HTML to a tagged PDF (PDF/UA-style structure) with a fixed document id."""
    from weasyprint import HTML

    document = HTML(string=html, url_fetcher=_no_network_fetcher())
    return document.write_pdf(pdf_tags=True, pdf_identifier=identifier, custom_metadata=True)


def certificate_context(certification: Certification) -> dict:
    """What the certificate template shows: the signed snapshot's facts, and today's links to it."""
    snapshot = json.loads(certification.snapshot)
    mou = snapshot.get("mou")
    url = verification_link(certification.verification_code)
    return {
        "s": snapshot,
        "verification_url": url,
        "site_url": public_base_url(),
        "keys_url": signing_keys_url(),
        "issued_on": date.fromisoformat(snapshot["issued_on"]),
        "expires_on": date.fromisoformat(snapshot["expires_on"]),
        "mou_label": MOU_MODELS.get(mou["model"], mou["model"]) if mou else None,
        "qr": qr_svg(url),
        "key_id": certification.key_id,
        "signature": certification.signature,
        "signature_ok": verify_snapshot(certification.snapshot, certification.signature, certification.key_id),
    }


def render_certificate(certification: Certification) -> bytes:
    """The certificate PDF, rendered now from the snapshot (deterministic metadata)."""
    html = render_template("pdf/certificate.html", **certificate_context(certification))
    identifier = hashlib.sha256(f"{certification.number}:{certification.signature}".encode()).hexdigest()[:32]
    return html_to_pdf(html, identifier=identifier.encode("ascii"))


def certificate_pdf(certification: Certification, *, now) -> bytes:
    """The stored PDF; rendered and stored on first request (flushes; the caller commits)."""
    stored = db.session.scalar(
        select(CertificateDocument.pdf).where(CertificateDocument.certification_id == certification.id))
    if stored is not None:
        return bytes(stored)
    pdf = render_certificate(certification)
    # Two first downloads at once: the first stored wins and both serve the stored bytes.
    db.session.execute(insert_for(db.session.get_bind().dialect.name, CertificateDocument.__table__).values(
        certification_id=certification.id, pdf=pdf, sha256=hashlib.sha256(pdf).hexdigest(), rendered_at=now,
    ).on_conflict_do_nothing(index_elements=["certification_id"]))
    return bytes(db.session.scalar(
        select(CertificateDocument.pdf).where(CertificateDocument.certification_id == certification.id)))


def certifications_without_pdf(*, limit: int) -> list[int]:
    """Ids of issued certifications whose PDF is not rendered yet, oldest first."""
    stored = select(CertificateDocument.certification_id)
    return list(db.session.scalars(select(Certification.id).where(Certification.id.not_in(stored))
                                   .order_by(Certification.id).limit(limit)))


def pdf_filename(certification: Certification) -> str:
    """The download's file name."""
    return f"certificate-{certification.number}.pdf"
