"""The trainee's certificates: list, detail, the PDF and the signed record."""
from flask import Blueprint, render_template
from flask_login import current_user

from lms.certification.issue import certifications_of
from lms.certification.status import effective_status
from lms.clock import program_today, utcnow
from lms.models import Certification, Role
from lms.security import role_required
from lms.views.helpers import load_or_404, own_record, pdf_response, record_response, snapshot_of

bp = Blueprint("certificates", __name__, url_prefix="/certificates")


def _own_certification(number: str) -> Certification:
    """The current trainee's certification with this number; 404 for anyone else's (no hint it exists)."""
    return load_or_404(Certification, number, by=Certification.number, within=own_record)


@bp.get("")
@role_required(Role.TRAINEE)
def my_certificates():
    """The trainee's certifications, newest first."""
    today = program_today(utcnow())
    rows = [(c, effective_status(c, today)) for c in certifications_of(current_user)]
    return render_template("certificates/list.html", rows=rows)


@bp.get("/<number>")
@role_required(Role.TRAINEE)
def detail(number):
    """One certification as it was issued: what it covers, the exams and the versions studied."""
    certification = _own_certification(number)
    status = effective_status(certification, program_today(utcnow()))
    return render_template("certificates/detail.html", c=certification, s=snapshot_of(certification),
                           status=status)


@bp.get("/<number>/certificate.pdf")
@role_required(Role.TRAINEE)
def pdf(number):
    """Download the certificate PDF (the same bytes every time)."""
    return pdf_response(_own_certification(number))


@bp.get("/<number>/record.json")
@role_required(Role.TRAINEE)
def record(number):
    """Download the signed record."""
    return record_response(_own_certification(number))
