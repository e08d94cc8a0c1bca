"""The autosave's short way in: an exam's most frequent request answered without Flask's per-request machinery.

An open exam page saves each answer as it changes (POST /exams/attempts/<id>/autosave): in an exam wave that is
most of the requests the servers answer. Flask spends more on each of them than the save itself: the request
context (binding the URL map, matching the route), the before- and after-request hooks, the response object
(bench/README.md, "The autosave's short way in", measured). This WSGI middleware answers an autosave itself
only when everything about it is ordinary, and hands every other request, and every autosave it does not answer,
to the app unchanged, where the view (lms.views.exams.autosave) answers it the usual way:

- a POST to the autosave's path, a JSON body of a known length within the app's limit;
- a signed session cookie (checked by the app's own session interface's serializer and keys, within the session's
  lifetime) whose claim names a user, a session still within its limits whose activity needs no new cookie
  (lms.session_rules: the cookie is rewritten by the app only);
- the form token of the session in its header, checked as Flask-WTF checks it (``_csrf_holds``), with its
  referrer rule over HTTPS;
- nothing refused in what it sends (lms.inputs.request_problem), a well-formed save (``autosave_fields``);
- the attempt's question saved by the view's own service (lms.exams.pages.save_answer), whose statement reads the
  session's user and admits it with the view's rule (lms.views.helpers.SessionCheck), on a Core connection of its
  own (no ORM session: nothing of it is needed), its statements sent by the driver (lms.exams.pages.
  save_answer_unlocked: a read without a lock, then the writes only if what was read is still so: on PostgreSQL
  one statement, committed by itself, one round trip instead of five once the process keeps the attempt's rows from
  an earlier save, two before; on SQLite one write transaction holding the lock for the writes alone), and an
  attempt changed in between is left to the app.

A cookie and a form token, once their signatures checked, are kept (``_Verified``): an examinee sends the same ones
with every save, and a signature's check gives the same answer for the same string every time; their ages are
checked again at each use.

So a refusal (no log-in, an ended session, a bad token, another user's attempt, a closed one, a bad answer) is
never answered here: what this path declines, the app answers with its own checks, messages and status codes.
"""
import hmac
import re
import time
from io import BytesIO

from flask import current_app, has_app_context
from flask_wtf.csrf import same_origin
from itsdangerous import BadData, URLSafeTimedSerializer
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import SecurityError
from werkzeug.wrappers import Request

from lms import inputs, session_rules
from lms.clock import utcnow
from lms.db_engine import has_driver_connection
from lms.exams import pages
from lms.extensions import db
from lms.models import Role
from lms.security import HTTPS_ONLY_HEADER, LOGGED_IN_HEADER, RESPONSE_HEADERS, SessionClaim
from lms.views.helpers import SessionCheck

PATH = re.compile(r"/exams/attempts/([1-9][0-9]{0,17})/autosave")
ROLES = (Role.TRAINEE,)
_MAX_BODY = 64 * 1024  # an autosave's body is a few hundred bytes; a larger one goes the usual way
_JSON_HEADERS = [("Content-Type", "application/json"), ("Vary", "Cookie"), *RESPONSE_HEADERS, LOGGED_IN_HEADER]


class _Declined(Exception):
    """No such question of this user's attempt: rolled back, for the app to answer (a 404)."""


def autosave_fields(payload) -> tuple[int, list[list[str]] | None, bool | None] | None:
    """The save an autosave's JSON body asks for: (position, fields as [name, value] pairs or None, flagged or None);
    None when it is malformed. The one rule, for both ways in."""
    if not isinstance(payload, dict) or not isinstance(payload.get("position"), int):
        return None
    fields, flagged = payload.get("fields"), payload.get("flagged")
    if fields is not None and not (isinstance(fields, list) and all(
            isinstance(f, list) and len(f) == 2 and all(isinstance(x, str) for x in f) for f in fields)):
        return None
    return payload["position"], fields, flagged if isinstance(flagged, bool) else None


def save(asked: tuple, *, attempt_id: int, user_id: int, now, admit, conn=None,
         unlocked_on=None) -> pages.Saved | None:
    """Save what an autosave asked for (``autosave_fields``) with the view's service, the session's user admitted by
    ``admit`` (lms.views.helpers.SessionCheck), on ``conn`` (by default the session's connection). Raises as
    lms.exams.pages.save_answer does. ``unlocked_on``: an engine on which to save with the rules checked against a
    read without a lock (pages.save_answer_unlocked, which also raises ChangedSinceRead)."""
    position, fields, flagged = asked
    form = MultiDict(fields) if fields is not None else None
    if unlocked_on is not None:
        return pages.save_answer_unlocked(attempt_id=attempt_id, user_id=user_id, position=position, form=form,
                                          flagged=flagged, now=now, admit=admit, engine=unlocked_on)
    return pages.save_answer(attempt_id=attempt_id, user_id=user_id, position=position, form=form, flagged=flagged,
                             now=now, admit=admit, conn=conn)


def saved_answer(saved: pages.Saved) -> dict:
    """What an autosave answers once saved (JSON): the question's state and the attempt's deadline."""
    return {"ok": True, "position": saved.position, "answered": saved.answered, "flagged": saved.flagged,
            "saved_at": saved.saved_at.isoformat(), "deadline": saved.deadline_at.isoformat()}


class AutosaveShortcut:
    """WSGI middleware around the app's own ``wsgi_app``: answers ordinary autosaves (the module's docstring)."""

    def __init__(self, app, wsgi_app):
        self.app = app
        self.wsgi_app = wsgi_app
        # Signed strings already verified under this app's keys: a signature's check gives the same answer for the
        # same string every time, and an examinee sends the same cookie and form token with every save (the cookie
        # changes when the app rewrites it, at least once a minute: lms.session_rules.mark_active). Ages are
        # checked again on every use.
        self._sessions = _Verified()  # Cookie header -> (its session cookie's data, when it was signed)
        self._tokens = _Verified()  # form token -> the session's raw token it signs
        self.wall_clock = time.time  # the clock signatures' ages are counted by (itsdangerous's; not the app's)

    def _session(self, request: Request) -> dict | None:
        """The session cookie's data, as the app's session interface reads it (Flask's SecureCookieSessionInterface:
        its serializer, its keys, the session's lifetime as the signature's maximum age); None without a cookie or
        with one that does not check."""
        interface, app = self.app.session_interface, self.app
        header = request.environ.get("HTTP_COOKIE")  # kept by the whole header: the same header, the same cookie
        if not header:
            return None
        max_age = int(app.permanent_session_lifetime.total_seconds())
        kept = self._sessions.get(header)
        if kept is None:
            value = request.cookies.get(interface.get_cookie_name(app))
            if not value:
                return None
            try:
                data, signed_at = interface.get_signing_serializer(app).loads(value, max_age=max_age,
                                                                              return_timestamp=True)
            except BadData:
                return None
            kept = self._sessions.keep(header, (data, int(signed_at.timestamp())))
        data, signed_at = kept
        age = int(self.wall_clock()) - signed_at  # as itsdangerous's TimestampSigner counts it
        return data if 0 <= age <= max_age else None

    def __call__(self, environ, start_response):
        match = PATH.fullmatch(environ.get("PATH_INFO", ""))
        if match is None or environ.get("REQUEST_METHOD") != "POST":
            return self.wsgi_app(environ, start_response)
        request = Request(environ, populate_request=False)
        length = request.content_length
        if length is None or length > min(_MAX_BODY, self.app.config["MAX_CONTENT_LENGTH"] or _MAX_BODY):
            return self.wsgi_app(environ, start_response)
        body = request.get_data(cache=True)
        # The app reads the body again, as it was sent.
        environ["wsgi.input"], environ["CONTENT_LENGTH"] = BytesIO(body), str(len(body))
        answer = self._answer(request, int(match.group(1)))
        if answer is None:
            return self.wsgi_app(environ, start_response)
        headers = [*_JSON_HEADERS, ("Content-Length", str(len(answer)))]
        if request.is_secure:
            headers.append(HTTPS_ONLY_HEADER)
        start_response("200 OK", headers)
        return [answer]

    def _answer(self, request: Request, attempt_id: int) -> bytes | None:
        """The body of the answer to an ordinary autosave, saved and committed; None for the app to answer."""
        app = self.app
        if not (app.config["WTF_CSRF_ENABLED"] and app.config["WTF_CSRF_CHECK_DEFAULT"]) or not request.is_json:
            return None
        data = self._session(request)
        claim = SessionClaim.parse(data.get("_user_id") if data is not None else None)
        if claim is None:
            return None
        context = None if has_app_context() and current_app._get_current_object() is app else app.app_context()
        if context is not None:
            context.push()
        try:
            return self._save(request, data, claim, attempt_id)
        finally:
            if context is not None:
                context.pop()

    def _save(self, request: Request, data, claim: SessionClaim, attempt_id: int) -> bytes | None:
        now = utcnow()
        if session_rules.ended_reason(now, data) or session_rules.activity_unrecorded(now, data):
            return None
        if not _csrf_holds(request, data, self.app.config, self.app.secret_key, self._tokens):
            return None
        if inputs.request_problem(request) is not None:
            return None
        asked = autosave_fields(request.get_json(silent=True))
        if asked is None:
            return None
        # No ORM session. On PostgreSQL and SQLite the save's rules checked against a read without a lock, then its
        # writes sent if the attempt is still as read (pages.save_answer_unlocked: an attempt changed since its read
        # is left to the app); with another driver a Core connection in a transaction, committed when the block
        # ends, rolled back when it raises.
        engine = db.engine
        admit = SessionCheck(claim, ROLES).admit
        try:
            if has_driver_connection(engine.dialect):
                saved = save(asked, attempt_id=attempt_id, user_id=claim.user_id, now=now, admit=admit,
                             unlocked_on=engine)
            else:
                with engine.begin() as conn:
                    saved = save(asked, attempt_id=attempt_id, user_id=claim.user_id, now=now, admit=admit, conn=conn)
            if saved is None:
                raise _Declined
        except Exception:  # noqa: BLE001  (whatever it is, the app answers it, with its own checks and logs)
            return None
        return (self.app.json.dumps(saved_answer(saved)) + "\n").encode()


class _Verified(dict):
    """Verified signed strings and what they hold, at most ``_KEPT`` (then forgotten all at once)."""

    def keep(self, signed: str, value):
        if len(self) >= _KEPT:
            self.clear()
        self[signed] = value
        return value


_KEPT = 4096


def _csrf_holds(request: Request, data, config, secret_key, verified: _Verified | None = None) -> bool:
    """True when the request carries the session's form token as Flask-WTF's CSRFProtect.protect requires (the token
    in one of its headers, signed with its key and salt, within its time limit, equal to the session's; over HTTPS a
    referrer of the same origin). ``verified`` keeps tokens already checked, when they have no time limit."""
    token = next((request.headers[name] for name in config["WTF_CSRF_HEADERS"] if request.headers.get(name)), None)
    field = config["WTF_CSRF_FIELD_NAME"]
    if not token or field not in data:
        return False
    time_limit = config["WTF_CSRF_TIME_LIMIT"]
    kept = verified is not None and time_limit is None
    raw = verified.get(token) if kept else None
    if raw is None:
        serializer = URLSafeTimedSerializer(config.get("WTF_CSRF_SECRET_KEY", secret_key), salt="wtf-csrf-token")
        try:
            raw = serializer.loads(token, max_age=time_limit)
        except BadData:
            return False
        if kept:
            verified.keep(token, raw)
    if not (isinstance(raw, str) and isinstance(data[field], str) and hmac.compare_digest(data[field], raw)):
        return False
    if request.is_secure and config["WTF_CSRF_SSL_STRICT"]:
        try:
            return bool(request.referrer) and same_origin(request.referrer, f"https://{request.host}/")
        except SecurityError:
            return False
    return True
