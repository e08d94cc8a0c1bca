"""Where the current action comes from: the client's address and the site address it was asked on.

Services never read the request. The web layer sets the origin at the start of each request and
clears it at the end (lms.app); the CLI leaves it empty. The services that need it read it here: the
audit log records the client's address, and links use the site's address when no public URL is
configured (lms.certification.links).
"""
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class Origin:
    """The client's address (None outside a request) and the site's address as it was asked for."""

    client_ip: str | None = None
    site_url: str | None = None


NOWHERE = Origin()
_current: ContextVar[Origin] = ContextVar("origin", default=NOWHERE)


def current() -> Origin:
    """The origin of what is being done now (empty outside a request)."""
    return _current.get()


def set_origin(origin: Origin) -> None:
    """Set the origin for the rest of this request (the web layer, before any view)."""
    _current.set(origin)


def clear_origin() -> None:
    """Forget the origin once the request is over."""
    _current.set(NOWHERE)


def carried(chunks):
    """A streamed response's chunks, produced with the origin of the request that asked for them (the
    request's own teardown has cleared it by the time a server sends them)."""
    kept = current()

    def produce():
        set_origin(kept)
        try:
            yield from chunks
        finally:
            clear_origin()

    return produce()
