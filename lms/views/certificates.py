"""The trainee's certificates: list, detail, the PDF and the signed record."""
import json

from flask import Blueprint, Response, abort, render_template
from flask_login import current_user
from sqlalchemy import select

from lms.certification.issue import certifications_of
from lms.certification.status import effective_status
from lms.clock import utcnow
from lms.extensions import db
from lms.clock import program_today
from lms.models import Certification, Role
from lms.models.certification import STATUS_LABELS
from lms.certification.pdf import certificate_pdf, pdf_filename
from lms.security import role_required

bp = Blueprint("certificates", __name__, url_prefix="/certificates")


def load_own_certification_or_404(number: str) -> Certification:
    """The current trainee's certification with this number; 404 for anyone else's (no hint it exists)."""
    certification = db.session.scalar(select(Certification).where(Certification.number == number))
    if certification is None or certification.user_id != current_user.id:
        abort(404)
    return certification


def pdf_response(certification: Certification) -> Response:
    """The stored certificate PDF as a download (rendered and stored on the first request)."""
    pdf = certificate_pdf(certification, now=utcnow())
    db.session.commit()
    return Response(pdf, mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{pdf_filename(certification)}"'})


def record_response(certification: Certification) -> Response:
    """The signed record, to check offline against the published keys."""
    body = json.dumps({"number": certification.number, "algorithm": "Ed25519", "key_id": certification.key_id,
                       "signature": certification.signature, "snapshot": certification.snapshot},
                      ensure_ascii=False, indent=2)
    return Response(body, mimetype="application/json", headers={
        "Content-Disposition": f'attachment; filename="certificate-{certification.number}.json"'})


@bp.app_template_global()
def certification_for(enrollment) -> Certification | None:
    """The certification an enrollment earned, if any (for the "You are certified" notice)."""
    return db.session.scalar(select(Certification).where(Certification.enrollment_id == enrollment.id))


@bp.get("")
@role_required(Role.TRAINEE)
def my_certificates():
    """The trainee's certifications, newest first."""
    today = program_today(utcnow())
    rows = [(c, effective_status(c, today)) for c in certifications_of(current_user)]
    return render_template("certificates/list.html", rows=rows, labels=STATUS_LABELS)


@bp.get("/<number>")
@role_required(Role.TRAINEE)
def detail(number):
    """One certification as it was issued: what it covers, the exams and the versions studied."""
    certification = load_own_certification_or_404(number)
    status = effective_status(certification, program_today(utcnow()))
    return render_template("certificates/detail.html", c=certification, s=json.loads(certification.snapshot),
                           status=status, labels=STATUS_LABELS)


@bp.get("/<number>/certificate.pdf")
@role_required(Role.TRAINEE)
def pdf(number):
    """Download the certificate PDF (the same bytes every time)."""
    return pdf_response(load_own_certification_or_404(number))


@bp.get("/<number>/record.json")
@role_required(Role.TRAINEE)
def record(number):
    """Download the signed record."""
    return record_response(load_own_certification_or_404(number))
