"""System-use notice, log-in (password, then the second factor), log-out, password and second factor.

Between the password and the code (or, for a privileged account without one, the enrolment of an
authenticator) the session is "half logged in": it names the user but grants nothing; every page but that
step and log-out sends back to it, and it expires after TWO_FACTOR_PENDING_MINUTES.
"""
from datetime import datetime, timedelta, timezone

from flask import Blueprint, current_app, flash, make_response, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from lms.accounts import users as accounts
from lms.accounts import login as login_service

from lms.accounts import twofactor
from lms.clock import utcnow
from lms.extensions import db, login_manager
from lms.forms.auth import CodeForm, EnrolForm, LoginForm, NoticeForm, PasswordChangeForm, RecoveryCodesForm
from lms.models import User
from lms.security import is_safe_redirect, owes_second_factor, second_factor_required, tokens_equal
from lms.views.helpers import view_reads_session_user

bp = Blueprint("auth", __name__)

HALF_LOGIN = "half_login"  # session key: {uid, token, since, step, next}
ENROL_SECRET = "enrol_secret"  # session key: {uid, secret (encrypted)} until the first code confirms it
STEP_ENDPOINTS = {"code": "auth.login_code", "enrol": "auth.enrol"}
ALWAYS_OPEN = {"static", "main.healthz", "auth.logout"}


def _next_url() -> str | None:
    target = request.args.get("next")
    return target if is_safe_redirect(target) else None


@bp.route("/notice", methods=["GET", "POST"])
def notice():
    """The system-use notice, acknowledged before the log-in form (CJIS Security Policy)."""
    form = NoticeForm()
    if form.validate_on_submit():
        session["notice_ack"] = True
        return redirect(url_for("auth.login", next=_next_url()))
    return render_template("auth/notice.html", form=form)


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Log in with e-mail and password, after the notice."""
    if current_user.is_authenticated:
        return redirect(_next_url() or url_for("main.index"))
    if not session.get("notice_ack"):
        return redirect(url_for("auth.notice", next=_next_url()))
    form = LoginForm()
    if form.validate_on_submit():
        now = utcnow()
        result = login_service.authenticate(form.email.data, form.password.data, ip=request.remote_addr, now=now)
        db.session.commit()
        if result.user is None:
            flash(result.message, "error")
            return render_template("auth/login.html", form=form), 401
        if result.second_factor:
            step = "code" if result.user.has_second_factor else "enrol"
            session.clear()  # a new session, which grants nothing until the second step
            session[HALF_LOGIN] = {"uid": result.user.id, "token": result.user.session_token, "step": step,
                                   "since": now.timestamp(), "next": _next_url()}
            return redirect(url_for(STEP_ENDPOINTS[step]))
        _start_session(result.user, now)
        return redirect(_next_url() or url_for("main.index"))
    return render_template("auth/login.html", form=form)


def _start_session(user: User, now) -> None:
    """A new session at (full) log-in: nothing of the session before it survives."""
    session.clear()
    login_user(user)
    session["last_seen"] = session["logged_in_at"] = now.timestamp()
    session.permanent = True


@bp.before_app_request
def confine_unfinished_log_in():
    """A half-logged-in session reaches only its step; a privileged account without a second factor (one
    logged in before two factors were required) reaches only enrolment and the password change."""
    if request.endpoint in ALWAYS_OPEN:
        return None
    state = session.get(HALF_LOGIN)
    if state is not None:
        target = STEP_ENDPOINTS.get(state.get("step"), "auth.login_code")
        return None if request.endpoint == target else redirect(url_for(target))
    if view_reads_session_user():  # the view's own statement checks the user (owes_second_factor included)
        return None
    if (current_user.is_authenticated and owes_second_factor(current_user)
            and request.endpoint not in ("auth.enrol", "auth.change_password")):
        flash("Set up two-factor log-in before continuing.", "warning")
        return redirect(url_for("auth.enrol"))
    return None


def _half_logged_in_user(now) -> User | None:
    """The user between password and second factor, while that state is fresh and their sessions stand."""
    state = session.get(HALF_LOGIN)
    if state is None:
        return None
    started = datetime.fromtimestamp(state["since"], timezone.utc)
    user = db.session.get(User, state["uid"])
    if (now - started > timedelta(minutes=current_app.config["TWO_FACTOR_PENDING_MINUTES"]) or user is None
            or not user.is_active or not tokens_equal(user.session_token, state["token"])):
        return None
    return user


def _back_to_log_in(message: str):
    session.clear()
    session["notice_ack"] = True  # acknowledged in this browser moments ago
    flash(message, "error")
    return redirect(url_for("auth.login"))


def _no_store(body, status=200):
    """Pages with a secret or one-time codes are never cached (half-logged-in pages included)."""
    response = make_response(body, status)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/login/code", methods=["GET", "POST"])
def login_code():
    """The second step of log-in: a code from the authenticator app, or a recovery code."""
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    if HALF_LOGIN not in session:
        return redirect(url_for("auth.login"))
    now = utcnow()
    user = _half_logged_in_user(now)
    if user is None:
        return _back_to_log_in("Your log-in was not completed in time (or the account changed meanwhile). "
                               "Please log in again.")
    form = CodeForm()
    if form.validate_on_submit():
        try:
            method = twofactor.check_code(user, form.code.data, now=now, ip=request.remote_addr)
        except twofactor.TwoFactorError as error:
            db.session.commit()  # the failure counts toward the lockout
            if user.is_locked(now):
                return _back_to_log_in(str(error))
            form.code.errors.append(str(error))
            return _no_store(render_template("auth/code.html", form=form), 401)
        login_service.complete_login(user, now=now, ip=request.remote_addr, second_factor=method)
        db.session.commit()
        next_url = session[HALF_LOGIN].get("next")
        _start_session(user, now)
        if method == twofactor.RECOVERY_CODE:
            flash(f"You used a recovery code; {twofactor.recovery_codes_left(user)} left. Make new ones on your "
                  "two-factor page if you are running out.", "warning")
        return redirect(next_url or url_for("main.index"))
    return _no_store(render_template("auth/code.html", form=form))


def _pending_secret(user: User) -> str:
    """The secret being enrolled: the same one on every reload of the page, kept (encrypted) in the session
    until the first code confirms it."""
    state = session.get(ENROL_SECRET)
    if state and state.get("uid") == user.id:
        try:
            return twofactor.decrypt_secret(state["secret"])
        except twofactor.TwoFactorError:
            pass  # the app's key changed meanwhile: start with a new secret
    secret = twofactor.new_secret()
    session[ENROL_SECRET] = {"uid": user.id, "secret": twofactor.encrypt_secret(secret)}
    return secret


@bp.route("/account/two-factor/enrol", methods=["GET", "POST"])
def enrol():
    """Add an authenticator app: scan the QR code (or type the secret), then confirm with its first code.
    Reached half logged in (a privileged account's first log-in) or from the two-factor page."""
    now = utcnow()
    half = HALF_LOGIN in session
    user = _half_logged_in_user(now) if half else current_user._get_current_object()
    if half and user is None:
        return _back_to_log_in("Your log-in was not completed in time (or the account changed meanwhile). "
                               "Please log in again.")
    if not user.is_authenticated and not half:
        return login_manager.unauthorized()
    if user.has_second_factor:
        flash("Two-factor log-in is already on for your account.", "info")
        return redirect(url_for("auth.two_factor"))
    secret = _pending_secret(user)
    form = EnrolForm()
    if form.validate_on_submit():
        try:
            codes = twofactor.enrol(user, secret, form.code.data, now=now, ip=request.remote_addr)
        except twofactor.TwoFactorError as error:
            db.session.commit()  # the failure counts toward the lockout
            if user.is_locked(now):
                logout_user()
                return _back_to_log_in(str(error))
            form.code.errors.append(str(error))
            return _no_store(render_template("auth/enrol.html", form=form, secret=secret,
                                             qr=twofactor.qr_svg(user, secret), half=half), 400)
        next_url = url_for("auth.two_factor")
        if half:
            next_url = session[HALF_LOGIN].get("next") or url_for("main.index")
            login_service.complete_login(user, now=now, ip=request.remote_addr, second_factor="enrolment")
        db.session.commit()
        session.pop(ENROL_SECRET, None)
        if half:
            _start_session(user, now)
        return _no_store(render_template("auth/recovery_codes.html", codes=codes, next_url=next_url, first=True))
    return _no_store(render_template("auth/enrol.html", form=form, secret=secret, qr=twofactor.qr_svg(user, secret),
                                     half=half))


@bp.get("/account/two-factor")
@login_required
def two_factor():
    """Two-factor log-in for one's own account: whether it is on, recovery codes left, new codes."""
    user = current_user._get_current_object()
    left = twofactor.recovery_codes_left(user) if user.has_second_factor else 0
    return render_template("auth/two_factor.html", user=user, left=left, required=second_factor_required(user),
                           form=RecoveryCodesForm())


@bp.post("/account/two-factor/recovery-codes")
@login_required
def new_recovery_codes():
    """Replace one's recovery codes (a current code confirms it); the new ones are shown once."""
    user = current_user._get_current_object()
    form = RecoveryCodesForm()
    if not form.validate_on_submit():
        flash("Enter the code your authenticator app shows now.", "error")
        return redirect(url_for("auth.two_factor"))
    now = utcnow()
    try:
        twofactor.check_code(user, form.code.data, now=now, ip=request.remote_addr)
        codes = twofactor.regenerate_recovery_codes(user, now=now)
    except twofactor.TwoFactorError as error:
        db.session.commit()  # the failure counts toward the lockout
        if user.is_locked(now):
            logout_user()
            return _back_to_log_in(str(error))
        flash(str(error), "error")
        return redirect(url_for("auth.two_factor"))
    db.session.commit()
    return _no_store(render_template("auth/recovery_codes.html", codes=codes, next_url=url_for("auth.two_factor")))


@bp.post("/logout")
def logout():
    """Log out: every session of this user ends, on every device. Half logged in: the log-in is abandoned."""
    if current_user.is_authenticated:
        login_service.logout(current_user._get_current_object(), now=utcnow())
        db.session.commit()
        logout_user()
        session.clear()
        flash("You have logged out.", "info")
    elif HALF_LOGIN in session:
        session.clear()
        flash("Log-in cancelled.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    """Change one's own password; other sessions end, this one continues."""
    form = PasswordChangeForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        try:
            login_service.change_password(user, form.current_password.data, form.new_password.data, now=utcnow())
        except accounts.AccountError as error:
            db.session.commit()  # keeps the audit record of a failed attempt
            form.new_password.errors.append(str(error))
            return render_template("auth/change_password.html", form=form), 400
        db.session.commit()
        session.clear()
        login_user(user)  # re-bind this session to the new token
        session["last_seen"] = session["logged_in_at"] = utcnow().timestamp()
        flash("Your password has been changed. Other sessions have been logged out.", "success")
        return redirect(url_for("main.index"))
    return render_template("auth/change_password.html", form=form)
