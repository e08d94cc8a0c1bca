"""Notifications: the person's list (mark read), their preferences, and the administrators' outbox."""
from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from lms.clock import utcnow
from lms.models import Notification, Role
from lms.notifications import mail, service
from lms.notifications.kinds import KINDS, optional_kinds
from lms.security import role_required
from lms.views.helpers import load_or_404, own_record, run_service

bp = Blueprint("notifications", __name__)


@bp.get("/notifications")
@login_required
def inbox():
    """The person's notifications, newest first, unread ones marked."""
    return render_template("notifications/list.html", notifications=service.notifications_for(current_user),
                           unread=service.unread_count(current_user))


@bp.post("/notifications/<int:notification_id>/read")
@login_required
def mark_read(notification_id):
    """Mark one notification read and open what it is about (another person's is a 404)."""
    notification = load_or_404(Notification, notification_id, within=own_record)
    run_service(lambda: service.mark_read(notification, now=utcnow()))
    if request.form.get("open") and notification.link:
        return redirect(notification.link)
    return redirect(url_for("notifications.inbox"))


@bp.post("/notifications/read-all")
@login_required
def mark_all_read():
    """Mark every notification of the person read."""
    run_service(lambda: service.mark_all_read(current_user, now=utcnow()), success="All notifications marked read.")
    return redirect(url_for("notifications.inbox"))


@bp.route("/notifications/preferences", methods=["GET", "POST"])
@login_required
def preferences():
    """Which messages the person receives, and how; essential ones are listed, not offered."""
    if request.method == "POST":
        choices = {kind: request.form[kind] for kind in optional_kinds(current_user.role) if kind in request.form}
        user = current_user._get_current_object()
        if run_service(lambda: service.set_preferences(user, choices, actor=user, now=utcnow()),
                       refused=service.PreferenceError, success="Your choices are saved."):
            return redirect(url_for("notifications.preferences"))
    essential = [kind.label for kind in KINDS.values() if kind.essential]
    return render_template("notifications/preferences.html", kinds=optional_kinds(current_user.role),
                           essential=essential,
                           chosen=service.preferences_of(current_user))


@bp.get("/admin/outbox")
@role_required(Role.ADMIN)
def outbox():
    """E-mails kept in the local outbox (no SMTP server set) and those that failed for good."""
    return render_template("notifications/outbox.html", deliveries=mail.outbox())
