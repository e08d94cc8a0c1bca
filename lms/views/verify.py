"""Public certificate verification (no log-in) and the published signing keys.

A certificate's link (and QR code) opens its public record by its unguessable code. The form looks a
certificate up by number and the holder's last name and answers only whether that person holds it and
its status. An old link made of a number opens the form with the number filled in. Nothing here lists
certified officers, and every look-up counts against the client address's limits.
"""
from flask import Blueprint, current_app, jsonify, make_response, render_template, request

from lms.audit import client_address
from lms.certification import verify as public
from lms.certification.signing import published_keys
from lms.clock import utcnow
from lms.extensions import db
from lms.forms.certification import VerifyNumberForm

bp = Blueprint("verify", __name__)


def _private(body: str, status: int = 200):
    """A verification answer: never cached, never indexed."""
    response = make_response(body, status)
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _limited():
    """429 once the address made too many look-ups (the transaction is dropped, nothing counted)."""
    db.session.rollback()
    response = _private(render_template("verify/limited.html"), 429)
    response.headers["Retry-After"] = str(60 * current_app.config["VERIFY_WINDOW_MINUTES"])
    return response


def _form_page(form: VerifyNumberForm, status: int = 200):
    return _private(render_template("verify/form.html", form=form), status)


@bp.get("/verify")
def verify_form():
    """The look-up form (number and last name); ``?number=`` fills the number in."""
    form = VerifyNumberForm(formdata=None, number=(request.args.get("number") or "").strip()[:40])
    return _form_page(form)


@bp.post("/verify")
def verify_lookup():
    """Whether the person with this last name holds this certificate, and its status; nothing else."""
    form = VerifyNumberForm()
    if not form.validate_on_submit():
        return _form_page(form, 400)
    now, ip = utcnow(), client_address()
    if not public.lookup_allowed(ip, now=now):
        db.session.commit()  # the counts, where they went with this request's transaction
        return _limited()
    answer = public.check_holder(form.number.data, form.last_name.data, now=now)
    public.record_lookup(ip, found=answer is not None, now=now)
    db.session.commit()
    page = render_template("verify/answer.html", answer=answer, number=form.number.data,
                           contact=current_app.config["PROGRAM_CONTACT"])
    return _private(page, 200 if answer else 404)


@bp.get("/verify/<token>")
def verify_code(token):
    """The public record a certificate's verification code opens (what the QR code holds).

    A certificate number in its place (the links of certificates issued before codes existed) opens
    the look-up form with the number filled in: a number alone answers nothing."""
    number = public.normalize_number(token)
    if number is not None:
        return _form_page(VerifyNumberForm(formdata=None, number=number))
    now, ip = utcnow(), client_address()
    if not public.lookup_allowed(ip, now=now):
        db.session.commit()  # the counts, where they went with this request's transaction
        return _limited()
    record = public.lookup_code(token, now=now)
    public.record_lookup(ip, found=record is not None, now=now)
    db.session.commit()
    page = render_template("verify/result.html", record=record, contact=current_app.config["PROGRAM_CONTACT"])
    return _private(page, 200 if record else 404)


@bp.get("/.well-known/lms-signing-keys.json")
def signing_keys():
    """Every public key that signed certifications (current and retired), to verify records offline."""
    response = jsonify(published_keys())
    response.headers["Cache-Control"] = "public, max-age=300"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response
