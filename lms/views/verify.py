"""Public certificate verification (no log-in) and the published signing keys."""
from flask import Blueprint, jsonify, make_response, redirect, render_template, request, url_for

from ..audit import client_address
from ..certification import verify as public
from ..certification.signing import published_keys
from ..clock import utcnow
from ..extensions import db

bp = Blueprint("verify", __name__)


def _private(body: str, status: int = 200):
    """A verification answer: never cached, never indexed."""
    response = make_response(body, status)
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


@bp.get("/verify")
def verify_form():
    """Look up a certificate by its number."""
    typed = (request.args.get("number") or "").strip()
    if typed:
        number = public.normalize_number(typed)
        if number:
            return redirect(url_for("verify.verify_number", number=number))
        return _private(render_template("verify/form.html", typed=typed[:40],
                                        error="That is not a certificate number; they look like 287G-2026-000123."), 400)
    return _private(render_template("verify/form.html", typed="", error=None))


@bp.get("/verify/<number>")
def verify_number(number):
    """What anyone may know about a certificate: status, name, agency, track, dates, signature check."""
    now = utcnow()
    ip = client_address()
    if not public.lookup_allowed(ip, now=now):
        db.session.rollback()
        response = _private(render_template("verify/limited.html"), 429)
        response.headers["Retry-After"] = str(60 * 10)
        return response
    record = public.lookup(number, now=now)
    public.record_lookup(ip, found=record is not None, now=now)
    db.session.commit()
    if record is None:
        return _private(render_template("verify/result.html", record=None, number=number[:40]), 404)
    return _private(render_template("verify/result.html", record=record, number=record.number))


@bp.get("/.well-known/lms-signing-keys.json")
def signing_keys():
    """Every public key that signed certifications (current and retired), to verify records offline."""
    response = jsonify(published_keys())
    response.headers["Cache-Control"] = "public, max-age=300"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response
