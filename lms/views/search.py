"""Search the course: module texts, ranked, with highlighted snippets."""
from flask import Blueprint, render_template, request
from flask_login import current_user

from lms.clock import utcnow
from lms.content.search import MAX_QUERY
from lms.learning.search import search_for
from lms.models import Role
from lms.security import role_required

bp = Blueprint("search", __name__)


@bp.get("/search")
@role_required(Role.TRAINEE, Role.INSTRUCTOR, Role.STAFF, Role.ADMIN)
def search():
    """Trainees search the modules of their course (also once certified); instructors and staff all."""
    query = (request.args.get("q") or "").strip()[:MAX_QUERY]
    hits = search_for(current_user, query, now=utcnow()) if query else []
    return render_template("search/results.html", query=query, hits=hits,
                           links=current_user.has_role(Role.TRAINEE))
