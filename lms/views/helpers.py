"""What the views share: loading an object or answering 404 within the user's scope, running a service
call (commit, or roll back and say why), and file downloads. Not a blueprint: every view module may import
it, and no view module imports another.
"""
import functools
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Response, abort, current_app, flash, g, request
from flask_login import current_user
from sqlalchemy import select

from lms.agencies import agreements
from lms.certification.pdf import certificate_pdf, pdf_filename
from lms.clock import utcnow
from lms.cohorts import roster
from lms.extensions import db
from lms.models import Agency, Certification, Cohort, Role, SessionUser
from lms.security import SessionClaim, Verdict, admits_at_once, may_see_agency, role_required, session_claim

# -- loading within the user's scope ----------------------------------------------------------------
# A scope answers whether the current user may see a loaded object; what they may not see is a 404, the
# same answer as for an object that does not exist (no hint that it does).


def in_own_agency(obj) -> bool:
    """Agency-owned records (and agencies): staff see all, a coordinator their own agency's only."""
    return may_see_agency(current_user, obj.id if isinstance(obj, Agency) else obj.agency_id)


def own_record(obj) -> bool:
    """Records of one person (attempts, certifications): that person's only."""
    return obj.user_id == current_user.id


def viewable_cohort(cohort: Cohort) -> bool:
    """A cohort the user teaches, coordinates trainees in, or oversees."""
    return roster.can_view_cohort(current_user, cohort)


def managed_cohort(cohort: Cohort) -> bool:
    """A cohort the user may change (grants, opening weeks)."""
    return roster.can_view_cohort(current_user, cohort) and roster.can_manage_cohort(current_user, cohort)


def load_or_404(model, key, *, by=None, within: Callable[[Any], bool] | None = None, options=()):
    """The ``model`` row whose primary key (or column ``by``) is ``key``, if ``within`` admits it for the
    current user (None: whoever the route's role check admits); 404 otherwise. ``options``: loader options
    (what to load with it)."""
    if by is None:
        obj = db.session.get(model, key, options=list(options) or None)
    else:
        obj = db.session.scalar(select(model).where(by == key).options(*options))
    if obj is None or (within is not None and not within(obj)):
        abort(404)
    return obj


def found_or_404(obj):
    """``obj`` as a service found it (within the user's scope); 404 when it found none."""
    if obj is None:
        abort(404)
    return obj


def load_cohort(cohort_id: int, *, manage: bool = False) -> Cohort:
    """The cohort, if the user may see it (and manage it, when asked); 404 otherwise."""
    return load_or_404(Cohort, cohort_id, within=managed_cohort if manage else viewable_cohort)


# -- running a service ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome(Verdict):
    """What a service call came to: true when it went ahead (``value`` is what it returned)."""

    value: Any = None


def posted_form(form_class):
    """The posted form, checked (CSRF included): a request that fails the check is a 400 (the page offers no
    way to send it, so no message)."""
    form = form_class()
    if not form.validate_on_submit():
        abort(400)
    return form


def flash_form_errors(form) -> None:
    """Say what is wrong with a posted form: each of its fields' errors, in one message."""
    flash("; ".join(e for errors in form.errors.values() for e in errors), "error")


def valid_form(form_class, *, error: str | None = None):
    """The posted form when it passes its checks (CSRF included); else None, with its errors flashed (or
    ``error`` instead)."""
    form = form_class()
    if form.validate_on_submit():
        return form
    if error is None:
        flash_form_errors(form)
    else:
        flash(error, "error")
    return None


def reads_first(view):
    """Mark a view that changes data but reads first: on SQLite its transaction begins deferred (no write
    lock) until its service calls db_engine.begin_writes() (lms.exams.attempts.start_attempt), so a wave of
    such requests holds the single write lock for their writes alone (lms/app.py)."""
    view.reads_first = True
    return view


# -- the session's user read by the view's own statement ----------------------------------------------------


class NotAdmitted(Exception):
    """A view marked reads_session_user found nothing for the session's user, read a user who does not pass the
    session's checks, or has an ``answer`` to give that its statement did not admit (a malformed request, or a
    function that answers the rest of the way with the user loaded): given only once the usual checks pass
    (reads_session_user; without one, a 404)."""

    def __init__(self, answer=None):
        super().__init__()
        self.answer = answer


@dataclass
class SessionCheck:
    """What a view marked reads_session_user is called with: the session's claim (who it says it is), and ``admit``,
    which the view's service calls with the user its own statement read (a SessionUser) before it writes or shows
    anything; ``user`` is that user once admitted (its name for the page's header)."""

    claim: SessionClaim
    roles: tuple[Role, ...]
    user: SessionUser | None = None

    @property
    def user_id(self) -> int:
        return self.claim.user_id

    def admit(self, user: SessionUser) -> None:
        """Go on only with a user who passes the session's checks (security.admits_at_once): NotAdmitted otherwise.
        Once admitted, the user is the request's (admitted_user): a page's header does not read it again."""
        if not admits_at_once(user, self.claim, self.roles):
            raise NotAdmitted
        self.user = g.admitted_user = user


def reads_session_user(*roles: Role):
    """role_required(*roles) for the exam's hottest requests without a statement of its own: the view is called with a
    SessionCheck, its service reads the user in its own statement and admits it (the checks that loading the user,
    role_required and the before-request detours make: security.admits_at_once), and the before-request hooks do not
    load the user (view_reads_session_user). One statement and the user's load fewer on every autosave.

    Without a claim, or when the view raises NotAdmitted (nothing found, a user who does not pass, or an answer the
    view gives before its statement), what the view did is rolled back and the request is checked again the usual
    way, with the user loaded: what those checks refuse is answered as on every other view (the log-in, a detour, a
    403), and what passes them gets the view's early answer, else a 404 (the row is not this user's: no hint that
    it exists)."""
    def decorator(view):
        # The usual way: role_required's own check (a log-in, then the role), after the hooks with the user loaded.
        role_check = role_required(*roles)(lambda: None)

        @functools.wraps(view)
        def wrapped(**kwargs):
            claim, answer = session_claim(), None
            if claim is not None:
                try:
                    return view(SessionCheck(claim, roles), **kwargs)
                except NotAdmitted as refused:
                    db.session.rollback()
                    g.pop("admitted_user", None)  # checked again below, the user loaded the usual way
                    answer = refused.answer
            refused_now = _checked_the_usual_way(role_check)
            if refused_now is not None:
                return refused_now
            if answer is None:
                abort(404)
            return answer() if callable(answer) else answer

        wrapped.allowed_roles = frozenset(roles)  # read by the navigation, as role_required's
        wrapped.reads_session_user = True
        return wrapped

    return decorator


def _checked_the_usual_way(role_check: Callable[[], Any]):
    """What the before-request hooks and ``role_check`` (role_required's) answer this request with the user loaded;
    None when they let it through."""
    g.session_user_loaded = True  # the hooks now check the user as for any view (view_reads_session_user)
    answer = current_app.preprocess_request()
    return answer if answer is not None else role_check()


def admitted_user(user_id: int) -> SessionUser | None:
    """The user whom this request's view read with its own statement and admitted (SessionCheck.admit), when it is
    ``user_id``: Flask-Login's user for the rest of the request (lms/app.py, load_user), so that the result page's
    header (its name, role, menus and unread count) does not read the user again."""
    user = g.get("admitted_user")
    return user if user is not None and user.id == user_id else None


def view_reads_session_user() -> bool:
    """True while the request's view checks the session's user itself (reads_session_user): the before-request hooks
    then leave the user unloaded."""
    view = current_app.view_functions.get(request.endpoint)
    return getattr(view, "reads_session_user", False) and not g.get("session_user_loaded")


def run_service(call: Callable[[], Any], *, refused: type[Exception] | tuple[type[Exception], ...] = (),
                success: str | Callable[[Any], str] | None = None) -> Outcome:
    """Run ``call`` (a service call): when it raises ``refused``, roll back and flash its message as an
    error; otherwise commit and flash ``success`` (a message, or a function of what the call returned)."""
    try:
        value = call()
    except refused as error:
        db.session.rollback()
        flash(str(error), "error")
        return Outcome(False)
    db.session.commit()
    if success is not None:
        flash(success(value) if callable(success) else success, "success")
    return Outcome(True, value)


# -- files -----------------------------------------------------------------------------------------------


def attachment(body, filename: str, mimetype: str, headers: dict | None = None) -> Response:
    """A download: ``body`` (bytes, text or an iterator of chunks) saved as ``filename``."""
    return Response(body, mimetype=mimetype,
                    headers={"Content-Disposition": f'attachment; filename="{filename}"', **(headers or {})})


def pdf_response(certification: Certification) -> Response:
    """The stored certificate PDF as a download (rendered and stored on the first request)."""
    pdf = certificate_pdf(certification, now=utcnow())
    db.session.commit()
    return attachment(pdf, pdf_filename(certification), "application/pdf")


def snapshot_of(certification: Certification) -> dict:
    """A certification's signed snapshot as its detail pages show it (the agreement's model by name)."""
    snapshot = json.loads(certification.snapshot)
    if snapshot.get("mou"):
        snapshot["mou"]["model_label"] = agreements.model_label(snapshot["mou"]["model"])
    return snapshot


def record_response(certification: Certification) -> Response:
    """The signed record, to check offline against the published keys."""
    body = json.dumps({"number": certification.number, "algorithm": "Ed25519", "key_id": certification.key_id,
                       "signature": certification.signature, "snapshot": certification.snapshot},
                      ensure_ascii=False, indent=2)
    return attachment(body, f"certificate-{certification.number}.json", "application/json")
