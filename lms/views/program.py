"""The program dashboard: per agency and agreement, who is nominated, in training, certified and current,
expiring, suspended or revoked, with the share current on training; staff see every agency, a coordinator
only their own. Each figure drills down to the people it counts."""
from flask import Blueprint, abort, render_template, request
from flask_login import current_user

from lms.agencies import oversight as program
from lms.charts import stacked_bars
from lms.clock import program_today, utcnow
from lms.security import PROGRAM_READERS, agency_scope, role_required

bp = Blueprint("program", __name__, url_prefix="/program")
CHART_SERIES = [("in_training", "In training"), ("current", "Certified and current"),
                ("suspended", "Suspended"), ("revoked", "Revoked"), ("expired", "Expired")]


@bp.get("")
@role_required(*PROGRAM_READERS)
def dashboard():
    """Figures per agency and MOU, a chart of officers by status, and the share current."""
    today = program_today(utcnow())
    rows, total = program.program_figures(today=today, agency_id=agency_scope(current_user))
    bars, height = stacked_bars([(r.agency.name, r.figures.as_dict()) for r in rows], CHART_SERIES)
    return render_template("program/dashboard.html", rows=rows, total=total, groups=program.GROUPS, today=today,
                           bars=bars, chart_height=height, series=CHART_SERIES)


@bp.get("/people")
@role_required(*PROGRAM_READERS)
def people():
    """The people one figure counts (agency_id or mou_id, and the group)."""
    group = request.args.get("group")
    if group not in program.GROUPS:
        abort(404)
    agency_id, mou_id = request.args.get("agency_id", type=int), request.args.get("mou_id", type=int)
    scope = agency_scope(current_user)
    if scope is not None and agency_id is not None and agency_id != scope:
        abort(404)
    rows, total = program.program_figures(today=program_today(utcnow()), agency_id=scope if scope else agency_id)
    figures, title = total, "the whole program"
    if mou_id is not None:
        match = [(m, f) for r in rows for m, f in r.mous if m.id == mou_id]
        if not match:
            abort(404)
        mou, figures = match[0]
        title = f"MOU {mou.id} ({mou.agency.name})"
    elif agency_id is not None:
        match = [r for r in rows if r.agency.id == agency_id]
        if not match:
            abort(404)
        figures, title = match[0].figures, match[0].agency.name
    elif scope is not None and rows:
        title = rows[0].agency.name
    return render_template("program/people.html", group=group, label=program.GROUPS[group], title=title,
                           people=figures.people[group])
