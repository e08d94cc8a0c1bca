"""Administrator pages: accounts (with the annual access review) and the audit log."""
from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import or_, select
from wtforms.fields.choices import SelectChoice

from lms.accounts import access_review as review_service, login as login_service, twofactor, users as accounts
from lms.audit import verify_chain
from lms.clock import utcnow
from lms.extensions import db
from lms.forms.admin import AccessReviewForm, ActionForm, ReasonForm, ResetPasswordForm, RoleForm, UserCreateForm
from lms.models import Agency, AuditEvent, Role, User
from lms.security import AUDIT_READERS, role_required, second_factor_required
from lms.views.confirm import Confirmation, unless_confirmed
from lms.views.helpers import load_or_404, posted_form, run_service

bp = Blueprint("admin", __name__, url_prefix="/admin")


def _agency_choices():
    agencies = db.session.scalars(select(Agency).order_by(Agency.name))
    return [SelectChoice(0, "— none —")] + [SelectChoice(a.id, f"{a.name} ({a.ori})") for a in agencies]


@bp.get("/users")
@role_required(Role.ADMIN)
def users():
    """Every account, filterable, with what the annual access review needs."""
    query = select(User).order_by(User.name)
    q = (request.args.get("q") or "").strip()
    role = request.args.get("role") or ""
    status = request.args.get("status") or ""
    if q:
        like = f"%{q.lower()}%"
        query = query.where(or_(User.email.like(like), User.name.ilike(like)))
    if role in {r.value for r in Role}:
        query = query.where(User.role == role)
    now = utcnow()
    if status == "disabled":
        query = query.where(User.disabled_at.is_not(None))
    elif status == "locked":
        query = query.where(User.locked_until > now)
    elif status == "active":
        query = query.where(User.disabled_at.is_(None))
    return render_template("admin/users.html", users=db.session.scalars(query).all(), q=q, role=role,
                           status=status, now=now)


@bp.route("/users/new", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def create_user():
    """Create an account with a role and agency."""
    form = UserCreateForm()
    form.agency_id.choices = _agency_choices()
    if form.validate_on_submit():
        password = form.password.data or accounts.generate_password(email=form.email.data, name=form.name.data)
        try:
            user = accounts.create_user(
                email=form.email.data, name=form.name.data, role=form.role.data, password=password,
                agency=db.session.get(Agency, form.agency_id.data) if form.agency_id.data else None,
                actor=current_user, now=utcnow(), must_change_password=True,
            )
        except accounts.AccountError as error:
            db.session.rollback()
            form.email.errors.append(str(error))
            return render_template("admin/user_new.html", form=form), 400
        db.session.commit()
        # Shown once, on this response only (never flashed into the cookie or logged).
        return render_template("admin/user_created.html", user=user, password=password)
    return render_template("admin/user_new.html", form=form)


@bp.get("/users/<int:user_id>")
@role_required(Role.ADMIN)
def user_detail(user_id):
    """One account: status and the actions an administrator can take."""
    user = load_or_404(User, user_id)
    role_form = RoleForm(role=user.role, agency_id=user.agency_id or 0)
    role_form.agency_id.choices = _agency_choices()
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.object_type == "user", AuditEvent.object_id == str(user.id))
        .order_by(AuditEvent.id.desc()).limit(50)
    ).all()
    return render_template("admin/user_detail.html", user=user, now=utcnow(), role_form=role_form,
                           reset_form=ResetPasswordForm(), action_form=ActionForm(),
                           events=events, second_factor_required=second_factor_required(user))


def _posted_for(user_id: int, form) -> User:
    """The account an action form on its page was posted for (404 if none); 400 if the form does not check."""
    user = load_or_404(User, user_id)
    if not form.validate_on_submit():
        abort(400)
    return user


def _back_to(user: User):
    return redirect(url_for("admin.user_detail", user_id=user.id))


def _one_button_action(user_id: int, act, message):
    """An action the account's page posts with one button: ``act(user, actor=, now=)`` committed, ``message(user)``
    flashed, back to the page."""
    user = _posted_for(user_id, ActionForm())
    run_service(lambda: act(user, actor=current_user, now=utcnow()), success=message(user))
    return _back_to(user)


@bp.post("/users/<int:user_id>/unlock")
@role_required(Role.ADMIN)
def unlock(user_id):
    """Lift a lockout."""
    return _one_button_action(user_id, login_service.unlock_user, lambda user: f"{user.email} is unlocked.")


def _disable_confirmation(user: User) -> Confirmation:
    """What disabling the account does."""
    who = f"{user.name} ({user.email}, {user.role_enum.label.lower()}{', ' + user.agency.name if user.agency else ''})"
    return Confirmation(
        f"Disable the account of {user.name}?",
        [f"{who} can no longer log in.",
         "Their sessions end at once, on every device; an exam in progress can no longer be answered.",
         "Their records (enrollments, attempts, certifications, history) are kept."],
        "It can be undone: an administrator can enable the account again from its page.",
        f"Disable {user.email}", url_for("admin.user_detail", user_id=user.id))


@bp.route("/users/<int:user_id>/disable", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def disable(user_id):
    """Disable an account and end its sessions: GET asks for confirmation, POST (confirmed) acts."""
    user = load_or_404(User, user_id)
    form = ReasonForm()
    refusal = accounts.own_account_refusal(user, current_user)
    if (page := unless_confirmed(_disable_confirmation(user), form, refusal=refusal)) is not None:
        return page
    run_service(lambda: accounts.disable_user(user, actor=current_user, now=utcnow(), reason=form.reason.data or ""),
                refused=accounts.AccountError, success=f"{user.email} is disabled and logged out everywhere.")
    return _back_to(user)


@bp.post("/users/<int:user_id>/enable")
@role_required(Role.ADMIN)
def enable(user_id):
    """Let a disabled account log in again."""
    return _one_button_action(user_id, accounts.enable_user, lambda user: f"{user.email} is enabled.")


@bp.post("/users/<int:user_id>/reset-password")
@role_required(Role.ADMIN)
def reset_password(user_id):
    """Set a temporary password (typed, or generated), shown once."""
    form = ResetPasswordForm()
    user = _posted_for(user_id, form)
    password = form.password.data or accounts.generate_password(email=user.email, name=user.name)
    if not run_service(lambda: accounts.reset_password(user, password, actor=current_user, now=utcnow()),
                       refused=accounts.AccountError):
        return _back_to(user)
    return render_template("admin/user_created.html", user=user, password=password, reset=True)


@bp.post("/users/<int:user_id>/reset-two-factor")
@role_required(Role.ADMIN)
def reset_two_factor(user_id):
    """Remove the account's authenticator and recovery codes (a lost phone); its sessions end."""
    return _one_button_action(user_id, twofactor.reset, lambda user: f"Two-factor log-in is reset for {user.email}" + (
        "; they set it up again at their next log-in." if second_factor_required(user) else "."))


@bp.post("/users/<int:user_id>/role")
@role_required(Role.ADMIN)
def change_role(user_id):
    """Change the account's role (and agency)."""
    form = RoleForm()
    form.agency_id.choices = _agency_choices()
    user = _posted_for(user_id, form)
    agency = db.session.get(Agency, form.agency_id.data) if form.agency_id.data else None
    run_service(lambda: accounts.change_role(user, form.role.data, actor=current_user, now=utcnow(), agency=agency),
                refused=accounts.AccountError, success=f"{user.email} is now {Role(form.role.data).label.lower()}.")
    return _back_to(user)


@bp.get("/access-review")
@role_required(Role.ADMIN)
def access_review():
    """The annual access review (CJIS): every account with its role, agency, status, dates and last
    review; accounts not reviewed in the last 365 days are flagged."""
    now = utcnow()
    users = db.session.scalars(select(User).order_by(User.name, User.id)).all()
    due = {u.id for u in users if review_service.access_review_due(u, now)}
    only_due = request.args.get("due") == "1"
    shown = [u for u in users if u.id in due] if only_due else users
    return render_template("admin/access_review.html", users=shown, due=due, only_due=only_due, total=len(users),
                           now=now, form=AccessReviewForm(), days=review_service.ACCESS_REVIEW_DAYS,
                           self_review=accounts.is_only_active_admin(current_user))


@bp.post("/users/<int:user_id>/access-review")
@role_required(Role.ADMIN)
def review_access(user_id):
    """Record the review of one account: access still needed, or disable it."""
    user = load_or_404(User, user_id)
    form = posted_form(AccessReviewForm)
    run_service(lambda: review_service.review_access(user, form.decision.data, actor=current_user, now=utcnow(),
                                                     note=form.note.data),
                refused=accounts.AccountError,
                success=f"{user.email}: access confirmed." if form.decision.data == accounts.KEEP
                else f"{user.email} is disabled and logged out everywhere.")
    back = url_for("admin.access_review", due="1") if request.args.get("due") == "1" else url_for("admin.access_review")
    return redirect(f"{back}#user-{user.id}")


@bp.get("/audit")
@role_required(*AUDIT_READERS)
def audit():
    """The latest audit events and whether the chain verifies."""
    events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(200)).all()
    report = verify_chain() if request.args.get("verify") else None
    return render_template("admin/audit.html", events=events, report=report)
