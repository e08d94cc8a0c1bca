"""The home page redirect by role, and a bare health endpoint."""
from flask import Blueprint, redirect, url_for
from flask_login import current_user

from lms.models import Role

bp = Blueprint("main", __name__)


@bp.get("/")
def index():
    """Send each user to where their work is."""
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    if current_user.has_role(Role.TRAINEE):
        return redirect(url_for("course.my_course"))
    if current_user.has_role(Role.ADMIN):
        return redirect(url_for("admin.users"))
    return redirect(url_for("cohorts.cohort_list"))


@bp.get("/healthz")
def healthz():
    """A trivial endpoint: liveness checks and the benchmarks' baseline."""
    return {"status": "ok"}
