"""The 287(g) training LMS: create_app() builds a configured Flask application."""
from datetime import timedelta
from pathlib import Path

from flask import Flask, flash, g, has_request_context, jsonify, redirect, render_template, request, session, url_for
from flask.cli import FlaskGroup
from flask.sessions import SecureCookieSessionInterface
from flask_login import current_user, logout_user
from flask_wtf.csrf import CSRFError
from jinja2 import FileSystemBytecodeCache
from markupsafe import Markup
from sqlalchemy import bindparam, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm.util import identity_key
from werkzeug.middleware.proxy_fix import ProxyFix

from lms import (
    audit,
    db_engine,  # also registers the SQLite pragmas and how its transactions begin
    inputs,
    jobs,
    origin,
    session_rules,
    vocabulary,
)
from lms.certification import (
    issue,  # noqa: F401  (subscribes certification to learning and exam progress)
    review,  # noqa: F401  (puts certifications up for review after classroom setbacks)
)
from lms.cli import register_cli
from lms.clock import format_date, format_time, format_utc, utcnow
from lms.config import PROJECT_ROOT, check_production, from_environment
from lms.content import search as content_search  # noqa: F401  (the search index follows every publish)
from lms.extensions import csrf, db, login_manager, migrate
from lms.models import Role, User
from lms.notifications import subscribers  # noqa: F401  (subscribes notifications to the domains' signals)
from lms.notifications.service import unread_count
from lms.security import (
    HTTPS_ONLY_HEADER,
    LOGGED_IN_HEADER,
    RESPONSE_HEADERS,
    ROLE_GROUPS,
    SessionClaim,
    session_claim,
    session_holds,
)
from lms.views import (
    admin,
    agencies,
    auth,
    certificates,
    challenges,
    classroom,
    cohorts,
    course,
    exams,
    exports,
    interchange,
    main,
    nominations,
    notifications,
    program,
    registry,
    results,
    search,
    standard_setting,
    studio,
    studio_questions,
    verify,
)
from lms.views.autosave_path import AutosaveShortcut
from lms.views.helpers import admitted_user, view_reads_session_user
from lms.views.navigation import navigation_for


class _SessionInterface(SecureCookieSessionInterface):
    """Mark the session cookie Secure whenever the request came over HTTPS."""

    def get_cookie_secure(self, app):
        return bool(app.config["SESSION_COOKIE_SECURE"] or request.is_secure)


_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _sqlite_begin_mode() -> str:
    """How a SQLite transaction begins (lms.db_engine): in a request, DEFERRED (reading holds no lock) until
    the view of a request that writes runs; outside a request (commands), IMMEDIATE."""
    if not has_request_context() or g.get("sqlite_writes"):
        return db_engine.IMMEDIATE
    return db_engine.DEFERRED


db_engine.set_begin_policy(_sqlite_begin_mode)


def _sqlite_write_phase() -> bool:
    """db_engine.begin_writes in a request: a SQLite request that has read first ends its read transaction
    and writes in the next (IMMEDIATE, by the policy above)."""
    if not has_request_context() or g.get("sqlite_writes") or db.engine.dialect.name != "sqlite":
        return False
    _end_read_transaction()
    g.sqlite_writes = True
    return True


db_engine.set_write_phase(_sqlite_write_phase)


class _App(Flask):
    """Flask, with SQLite's transactions chosen per request (lms.db_engine's docstring).

    A request that may write (POST and the other unsafe methods): the log-in check before the view reads in
    a deferred transaction, which ends before the view runs; the view's transaction then begins IMMEDIATE
    at its first statement, so the write lock is held from there to the commit only, and a password is
    hashed before that (log-in, password change). A view marked ``reads_first`` (lms.views.helpers: the
    exam's start) keeps reading without the lock until its service calls db_engine.begin_writes(). A GET
    reads in a deferred transaction that holds no lock; a GET (or a reads-first view) that writes before
    saying so and is refused the lock (a writer committed since it began reading) is rolled back and run
    again, IMMEDIATE.
    """

    def dispatch_request(self):
        if db.engine.dialect.name != "sqlite":
            return super().dispatch_request()
        if request.method not in _SAFE_METHODS and not getattr(self.view_functions.get(request.endpoint),
                                                                  "reads_first", False):
            _end_read_transaction()
            g.sqlite_writes = True
            return super().dispatch_request()
        before = dict(session)
        try:
            return super().dispatch_request()
        except OperationalError as error:
            if g.get("sqlite_writes") or not db_engine.is_refused_upgrade(error):
                raise
        db.session.rollback()
        session.clear()  # what the first run put in the session (a flashed message) goes with its writes
        session.update(before)
        g.sqlite_writes = True
        return super().dispatch_request()


def _end_read_transaction() -> None:
    """End the session's (read-only) transaction, keeping what it loaded (the logged-in user)."""
    current = db.session()
    if not current.in_transaction():
        return
    keep, current.expire_on_commit = current.expire_on_commit, False
    try:
        current.commit()
    finally:
        current.expire_on_commit = keep


def create_app(config: dict | None = None) -> Flask:
    """Build the app: settings from the environment, then ``config`` overrides (tests)."""
    config = dict(config or {})
    settings = from_environment(load_secret="SECRET_KEY" not in config)
    settings.update(config)
    check_production(settings)
    app = _App(
        __name__,
        instance_path=settings["INSTANCE_PATH"],
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    app.config.update(settings)
    _cache_compiled_templates(app)
    app.session_interface = _SessionInterface()
    app.permanent_session_lifetime = timedelta(minutes=app.config["IDLE_TIMEOUT_MINUTES"])
    # Ordinary autosaves are answered before Flask's machinery, everything else by the app (inside the proxy's fix).
    app.wsgi_app = AutosaveShortcut(app, app.wsgi_app)
    if app.config["BEHIND_PROXY"]:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)

    if app.config.get("REPLICA_DATABASE_URL"):
        binds = app.config["SQLALCHEMY_BINDS"] = dict(app.config.get("SQLALCHEMY_BINDS") or {})
        binds["replica"] = db_engine.replica_bind(app.config["REPLICA_DATABASE_URL"])
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = db_engine.sqlite_engine_options(
        app.config["SQLALCHEMY_DATABASE_URI"], app.config.get("SQLALCHEMY_ENGINE_OPTIONS"))
    db.init_app(app)
    with app.app_context():
        db_engine.configure_sqlite_synchronous(db.engine, app.config["SQLITE_SYNCHRONOUS"])
        for engine in db.engines.values():
            db_engine.keep_prepared_statements(engine)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    _init_login(app)
    _register_blueprints(app)
    _register_hooks(app)
    _register_errors(app)
    _register_template_helpers(app)
    _register_vocabulary(app)

    audit.configure(app)
    jobs.configure(app)
    register_cli(app)
    return app


def _cache_compiled_templates(app: Flask) -> None:
    """Each template is compiled once on the machine, not once in every process: Jinja's bytecode cache, in the
    instance folder (the app's own, like its keys), keyed by each template's source checksum, so an edited
    template is compiled again. A new gunicorn worker's first pages then cost milliseconds, not the 0.7 s of
    compiling every template it shows (bench/README.md), which a wave of examinees would otherwise wait for."""
    folder = Path(app.instance_path) / "compiled-templates"
    folder.mkdir(parents=True, exist_ok=True)
    app.jinja_env.bytecode_cache = FileSystemBytecodeCache(str(folder))


def load_templates(app: Flask) -> int:
    """Load every template now (compiled, or read from the bytecode cache above), before the first request
    needs one: a server's worker does it at start (deploy/gunicorn.conf.py). The number loaded."""
    names = [name for name in app.jinja_env.list_templates() if name.endswith((".html", ".txt"))]
    for name in names:
        app.jinja_env.get_template(name)
    return len(names)


def _init_login(app: Flask) -> None:
    # Templates get current_user as the lazy proxy: Flask-Login's own context processor loads the user for every
    # page rendered, even one whose view checked the user in its own statement (lms.views.helpers.reads_session_user).
    login_manager.init_app(app, add_context_processor=False)
    app.context_processor(lambda: {"current_user": current_user})
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please log in to see this page."
    login_manager.login_message_category = "info"
    # "strong" would log trainees out mid-exam when a mobile network changes their address.
    login_manager.session_protection = "basic"

    @login_manager.unauthorized_handler
    def unauthorized():
        # A page's background request gets JSON it can act on, not the log-in page's HTML.
        if session_rules.wants_json():
            return session_rules.ended_json("You are not logged in: your session has ended.")
        flash(login_manager.login_message, login_manager.login_message_category)
        return redirect(url_for(login_manager.login_view, next=session_rules.return_path()))

    @login_manager.user_loader
    def load_user(session_id: str):
        claim = SessionClaim.parse(session_id)
        if claim is None:
            return None
        # A view may have read the user with its own statement already: as the columns a session's check needs
        # (admitted_user: the result page), or loaded with its attempt (the submit).
        user = (admitted_user(claim.user_id) or db.session.identity_map.get(identity_key(User, claim.user_id))
                or db.session.execute(_SESSION_USER, {"user_id": claim.user_id}).scalar_one_or_none())
        return user if session_holds(user, claim.token) else None


# The session's user, read on every logged-in request: one statement built once, whose cache key SQLAlchemy
# memoizes (Session.get builds and keys a new one each time: a quarter of the load's Python calls, measured with
# bench/request_cpu.py --calls).
_SESSION_USER = select(User).where(User.id == bindparam("user_id"))


def _register_blueprints(app: Flask) -> None:
    for module in (main, auth, course, cohorts, admin, exams, results, certificates, registry, verify, agencies,
                   nominations, notifications, program, challenges, standard_setting, studio_questions, interchange,
                   search, studio, classroom, exports):
        app.register_blueprint(module.bp)


def _register_hooks(app: Flask) -> None:
    exempt_endpoints = {"static", "auth.login", "auth.notice", "auth.logout", "main.healthz"}
    # Background polls from an open page are not user activity: they must not keep an idle session alive
    # (the exam's status check counts only while its attempt is open: the view decides).
    passive_endpoints = {"exams.status", "exports.status"}

    @app.before_request
    def note_origin():
        # Services read where an action comes from here (lms.origin), never from the request.
        origin.set_origin(origin.Origin(client_ip=request.remote_addr, site_url=request.host_url))

    @app.teardown_request
    def forget_origin(_error=None):
        origin.clear_origin()

    @app.before_request
    def refuse_control_characters():
        # Before any view: PostgreSQL cannot store NUL, and no field accepts a control character.
        problem = inputs.request_problem(request)
        if problem is None:
            return None
        if request.is_json:
            return jsonify(error="invalid", message=problem), 400
        return render_template("errors/error.html", code=400, title="Request refused", message=problem), 400

    @app.before_request
    def enforce_session_rules():
        if request.endpoint in ("static", "main.healthz"):
            return None
        # A view that reads the session's user with its own statement is not made to load it here: the session's
        # limits need only the session, and the view checks the user (lms.views.helpers.reads_session_user).
        user_read_by_view = view_reads_session_user()
        if not (session_claim() is not None if user_read_by_view else current_user.is_authenticated):
            return None
        now = utcnow()
        if reason := session_rules.ended_reason(now):
            back = session_rules.return_path()
            logout_user()
            session.clear()
            flash(session_rules.ended_message(reason), "info")
            if session_rules.wants_json():  # a page's background request: the page tells the person itself
                return session_rules.ended_json(session_rules.ended_message(reason))
            return redirect(url_for("auth.login", next=back))
        if request.endpoint not in passive_endpoints:
            session_rules.mark_active(now)
        if user_read_by_view:
            return None
        if current_user.must_change_password and request.endpoint not in exempt_endpoints | {"auth.change_password"}:
            flash("You must choose a new password before continuing.", "warning")
            return redirect(url_for("auth.change_password"))
        return None

    @app.after_request
    def security_headers(response):
        for name, value in RESPONSE_HEADERS:
            response.headers.setdefault(name, value)
        if request.is_secure:
            response.headers.setdefault(*HTTPS_ONLY_HEADER)
        # Any response to a session that claims a log-in (checked or not: no database read here).
        if request.endpoint != "static" and session_claim() is not None:
            response.headers.setdefault(*LOGGED_IN_HEADER)
        return response


def _register_errors(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return render_template("errors/error.html", code=400, title="Form expired",
                               message="The form was missing its security token or it had expired. "
                                       "Go back, reload the page and try again."), 400

    for code, title, message in (
        (400, "Request refused", "Some of what was sent is not valid (too long, or not one of the choices). "
                                 "Nothing was saved; go back, correct it and try again."),
        (403, "Not allowed", "Your account does not have access to this page."),
        (404, "Page not found", "There is no page at this address, or you do not have access to it."),
        (405, "Method not allowed", "This page cannot be used that way."),
        (413, "Too large", "The request was too large (files are limited to 10 MB). Nothing was saved; "
                           "go back and choose a smaller file."),
    ):
        def handler(error, code=code, title=title, message=message):
            description = getattr(error, "description", None)
            text = description if description and code == 403 and not description.startswith("You don't") else message
            return render_template("errors/error.html", code=code, title=title, message=text), code

        app.register_error_handler(code, handler)

    @app.errorhandler(500)
    def server_error(error):
        db.session.rollback()
        return render_template("errors/error.html", code=500, title="Something went wrong",
                               message="The server could not complete the request. Nothing was saved."), 500


def _register_template_helpers(app: Flask) -> None:
    @app.context_processor
    def inject():
        return {"Role": Role, **ROLE_GROUPS, "app_name": "287(g) Training", "site_navigation": _site_navigation,
                "unread_notifications": _unread_notifications}

    def _unread_notifications():
        """The header's count of the logged-in user's unread notifications."""
        return unread_count(current_user) if current_user.is_authenticated else 0

    def _site_navigation():
        """The header's menus for the logged-in user on this page (base.html calls it once)."""
        return navigation_for(current_user, request.path) if current_user.is_authenticated else []

    @app.template_filter("nowrap")
    def nowrap(value):
        """Numbers, codes and dates are read as one token: they never break across lines."""
        return Markup('<span class="nowrap">%s</span>') % value if value not in (None, "") else ""

    # Times people read are in the program's time zone with its abbreviation; records say UTC.
    app.add_template_filter(format_date, "date")
    app.add_template_filter(format_time, "datetime")
    app.add_template_filter(format_utc, "utc")

    @app.template_filter("hours")
    def format_hours(value):
        """4 -> "4 hours", 1 -> "1 hour", 2.5 -> "2.5 hours"."""
        text = f"{value:g}"
        return f"{text} hour{'' if text == '1' else 's'}"


def _register_vocabulary(app: Flask) -> None:
    """The one vocabulary (lms.vocabulary) as template filters: ``n|plural('trainee')``, ``code|event``..."""
    filters = {"plural": vocabulary.plural, "noun": vocabulary.noun, "event": vocabulary.event,
               "account_status": vocabulary.account_status, "certification_status": vocabulary.certification_status,
               "outcome": vocabulary.attempt_outcome, "note_kind": vocabulary.note_kind}
    app.jinja_env.filters.update(filters)
    app.jinja_env.globals.update({name: getattr(vocabulary, name) for name in (
        "ACCOUNT_STATUS", "EXAM_STATE", "FINISH_REASON", "MODULE_STATE", "ATTENDANCE_STATUS")})


def run_cli():
    """Entry point of the `lms` console script: the command groups of lms.cli on an app built by create_app."""
    FlaskGroup(create_app=create_app, help="The 287(g) training LMS.")(prog_name="lms")
