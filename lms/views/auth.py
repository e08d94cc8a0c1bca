"""System-use notice, log-in, log-out and password change."""
from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from .. import accounts
from ..clock import utcnow
from ..extensions import db
from ..forms.auth import LoginForm, NoticeForm, PasswordChangeForm
from ..security import is_safe_redirect

bp = Blueprint("auth", __name__)


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
        result = accounts.authenticate(form.email.data, form.password.data, ip=request.remote_addr, now=now)
        db.session.commit()
        if result.user is None:
            flash(result.message, "error")
            return render_template("auth/login.html", form=form), 401
        session.clear()  # a new session at log-in
        login_user(result.user)
        session["last_seen"] = session["logged_in_at"] = now.timestamp()
        session.permanent = True
        return redirect(_next_url() or url_for("main.index"))
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
@login_required
def logout():
    """Log out: every session of this user ends, on every device."""
    accounts.logout(current_user._get_current_object(), now=utcnow())
    db.session.commit()
    logout_user()
    session.clear()
    flash("You have logged out.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    """Change one's own password; other sessions end, this one continues."""
    form = PasswordChangeForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        try:
            accounts.change_password(user, form.current_password.data, form.new_password.data, now=utcnow())
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
