"""Where public links point: the site's address and a certification's verification link.

The address is ``LMS_PUBLIC_URL`` when it is set (production must set it: a request's Host header is
the client's to choose, and a link frozen into a certificate must not be). Otherwise it is the address
the app is actually served on: the current request's own (lms.origin) (behind a proxy with ``LMS_BEHIND_PROXY``,
the forwarded host), or, outside a request (the CLI), ``LOCAL_URL``, which ``lms quickstart`` sets to
the host and port it serves on.

The public verification link carries the certification's unguessable code, never its number:
numbers are sequential, so links made of them could be walked to list every certified officer.
"""
import secrets

from flask import current_app

from lms import origin

DEFAULT_LOCAL_URL = "http://127.0.0.1:5000"
KEYS_PATH = "/.well-known/lms-signing-keys.json"


def public_base_url() -> str:
    """The site's address without a trailing slash, e.g. https://lms.example.gov."""
    configured = current_app.config.get("PUBLIC_URL")
    if configured:
        return configured.rstrip("/")
    if origin.current().site_url:  # the address this request was made on (set by the web layer)
        return origin.current().site_url.rstrip("/")
    return (current_app.config.get("LOCAL_URL") or DEFAULT_LOCAL_URL).rstrip("/")


def local_url(host: str, port: int) -> str:
    """The address of a server listening on ``host``:``port``, as a browser on this machine opens it."""
    if host in ("", "0.0.0.0", "::"):  # nosec B104: reads a listening address, binds nothing
        host = "127.0.0.1"
    elif ":" in host:
        host = f"[{host}]"  # an IPv6 address
    return f"http://{host}:{port}"


def new_verification_code() -> str:
    """A fresh verification code: 128 random bits, URL-safe (22 characters)."""
    return secrets.token_urlsafe(16)


def verification_prefix() -> str:
    """A verification link without the code (for lists: the address is read once)."""
    return f"{public_base_url()}/verify/"


def verification_link(code: str) -> str:
    """The public page of a certification, by its code (what the QR code and the pass lists hold)."""
    return verification_prefix() + code


def number_lookup_url(number: str) -> str:
    """The public look-up of a certificate number (it asks for the holder's last name)."""
    return f"{public_base_url()}/verify/{number}"


def signing_keys_url() -> str:
    """Where the public signing keys are published."""
    return public_base_url() + KEYS_PATH
