"""The certificate PDF: number and verification URL (with the unguessable code, never the number) in it,
the QR encodes that URL, tagged, no network, and the same bytes on every download, also after the user is
renamed."""
import io
import json
import subprocess

import pypdf
import segno
from sqlalchemy import func, select

from lms.models import CertificateDocument
from lms.certification.pdf import certificate_context, certificate_pdf, html_to_pdf, qr_svg, render_certificate

from ..conftest import require_commands


def _text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages)


def test_the_pdf_holds_the_number_and_the_qr_codes_url(kit, db, clock):
    certification = kit.certified(name="Dana Álvarez")
    pdf = certificate_pdf(certification, now=clock())
    text = _text(pdf)
    url = f"http://127.0.0.1:5000/verify/{certification.verification_code}"
    assert certification.number in text and "Dana Álvarez" in text
    assert url in text.replace("\n", "")
    assert f"/verify/{certification.number}" not in text.replace("\n", "")
    context = certificate_context(certification)
    assert context["qr"] == qr_svg(url)  # the QR drawn is the one of that URL...
    assert segno.make(url, error="m", micro=False).svg_inline(scale=4, border=2,
                                                              title=f"QR code: {url}") == context["qr"]
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    root = reader.trailer["/Root"]
    assert "/StructTreeRoot" in root and root["/Lang"] == "en"  # tagged, with its language
    assert reader.metadata.title.startswith(f"Certificate {certification.number}")


def test_every_download_is_the_same_bytes_even_after_edits(kit, db, clock):
    certification = kit.certified()
    first = certificate_pdf(certification, now=clock())
    db.session.commit()
    certification.user.name = "Someone Else"
    certification.track.title = "Another title"
    db.session.commit()
    clock.advance(days=30)
    assert certificate_pdf(certification, now=clock()) == first
    assert db.session.scalar(select(func.count(CertificateDocument.certification_id))) == 1
    assert render_certificate(certification) == first  # rendering is deterministic from the snapshot too


def test_rendering_never_fetches_anything(app, db, caplog):
    html = ('<html lang="en"><head><title>t</title><link rel="stylesheet" href="http://127.0.0.1:9/x.css"></head>'
            '<body><img src="http://127.0.0.1:9/x.png" alt="x"><img src="file:///etc/hostname" alt="y">'
            '<p>Hello</p></body></html>')
    with app.test_request_context():
        pdf = html_to_pdf(html, identifier=b"0" * 32)
    assert pdf.startswith(b"%PDF") and "Hello" in _text(pdf)
    refused = [r.getMessage() for r in caplog.records if "disallowed protocol" in r.getMessage()]
    assert len(refused) == 3, [r.getMessage() for r in caplog.records]


def test_the_printed_qr_code_decodes_to_the_verification_url(kit, db, clock, tmp_path):
    """Read the QR code back off the rendered page (needs poppler-utils and zbar-tools: see the README)."""
    require_commands({"pdftoppm": "poppler-utils", "zbarimg": "zbar-tools"})
    certification = kit.certified()
    (tmp_path / "c.pdf").write_bytes(certificate_pdf(certification, now=clock()))
    subprocess.run(["pdftoppm", "-png", "-r", "200", "-singlefile", str(tmp_path / "c.pdf"), str(tmp_path / "page")],
                   check=True)
    out = subprocess.run(["zbarimg", "--raw", "-q", str(tmp_path / "page.png")], capture_output=True, text=True)
    assert out.stdout.strip() == f"http://127.0.0.1:5000/verify/{certification.verification_code}"


def test_the_certificate_states_the_length_frozen_at_issue_in_hours_or_weeks(kit, db, clock, client):
    """A course stated in hours prints its hours, as the course page does; editing the track later changes
    nothing; a record issued before the snapshot held the length still prints its weeks."""
    from flask import render_template

    from tests.conftest import login

    trainee = kit.trainee()
    track = kit.track("wso-course", weeks=1, length_unit="hours", hours=(2.5, 5.5))
    certification = kit.certified(track, trainee=trainee)
    assert json.loads(certification.snapshot)["track"]["length"] == "8 hours"
    track.length_unit, track.online_hours, track.weeks = "weeks", 30, 3
    db.session.commit()
    text = _text(certificate_pdf(certification, now=clock())).replace("\n", " ")
    assert "(8 hours, cohort" in text and "3 weeks" not in text
    login(client, trainee.email)
    page = client.get(f"/certificates/{certification.number}").get_data(as_text=True)
    assert "(8 hours)" in page

    context = certificate_context(kit.certified())  # a course in weeks, as issued before: no length
    assert context["s"]["track"]["length"] == "2 weeks"
    del context["s"]["track"]["length"]
    assert "(2 weeks," in render_template("pdf/certificate.html", **context)
