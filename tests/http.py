"""Talking to the app as a browser does: CSRF tokens read from its pages, the log-in with the notice and
the second factor, posts from another address."""
import re

import pyotp
from sqlalchemy import select

from flask import current_app

from lms.accounts.twofactor import decrypt_secret
from lms.extensions import db as _db
from lms.models import User

from .factories import PASSWORD


CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')


def csrf_from(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1) or match.group(2)


def csrf_token(client, url="/notice") -> str:
    """A CSRF token for the client's session, read from a page's form, as a browser would."""
    response = client.get(url)
    return csrf_from(response.get_data(as_text=True))


def login(client, email, password=PASSWORD, *, ack=True):
    """Acknowledge the notice and log in, with a code from the user's authenticator when the account has a
    second factor; returns the last response (a redirect when the log-in succeeded)."""
    if ack:
        client.post("/notice", data={"acknowledge": "y", "csrf_token": csrf_token(client, "/notice")})
    token = csrf_token(client, "/login")
    response = client.post("/login", data={"email": email, "password": password, "csrf_token": token})
    return second_step(client, email, response)


SECRET_RE = re.compile(r'class="totp-secret">([A-Z2-7 ]+)<')


def second_step(client, email, response):
    """After a right password: send the code the account's authenticator shows now (read from its stored
    secret), or, for an account without one, enrol as a person would (the secret read from the page).
    Any other response is returned as it is."""
    location = response.headers.get("Location", "") if response.status_code == 302 else ""
    if location.startswith("/login/code"):
        code = totp_code(_db.session.scalar(select(User).where(User.email == email.strip().lower())))
        return client.post("/login/code", data={"code": code, "csrf_token": csrf_token(client, "/login/code")})
    if location.startswith("/account/two-factor/enrol"):
        page = client.get("/account/two-factor/enrol").get_data(as_text=True)
        secret = SECRET_RE.search(page).group(1).replace(" ", "")
        code = pyotp.TOTP(secret).at(current_app.config["CLOCK"]())
        return client.post("/account/two-factor/enrol", data={"code": code, "csrf_token": csrf_from(page)})
    return response


def totp_code(user) -> str:
    """The code the user's authenticator shows at the frozen clock: the earliest time step of the accepted
    window (now ± 1) not used yet, as the server refuses a step used before. When a test has used all three,
    the clock moves on 30 seconds, as it would between log-ins."""
    _db.session.refresh(user)
    totp = pyotp.TOTP(decrypt_secret(user.totp_secret))
    clock = current_app.config["CLOCK"]
    if user.totp_last_step is not None and user.totp_last_step >= totp.timecode(clock()) + 1:
        clock.advance(seconds=30)
    step = max(totp.timecode(clock()) - 1, (user.totp_last_step or 0) + 1)
    return totp.generate_otp(step)


class ClientAt:
    """A test client whose every request goes to another address (host and port) than localhost."""

    def __init__(self, client, base_url):
        self.client, self.base_url = client, base_url

    def get(self, path, **kw):
        return self.client.get(path, base_url=self.base_url, **kw)

    def post(self, path, **kw):
        return self.client.post(path, base_url=self.base_url, **kw)


def post(client, url, data=None, *, page="/"):
    """POST a form with the CSRF token a page of the site gave this client."""
    data = dict(data or {})
    data["csrf_token"] = csrf_token(client, page)
    return client.post(url, data=data)
