"""The site header's navigation: which menus and links a user sees, and which one is current.

Staff areas are grouped into menus (the U.S. Web Design System's primary navigation with dropdowns). A
link is shown only to the users its route admits: visibility is read from the route's own
``role_required``, so who may go where is written once, on the route.
"""
from dataclasses import dataclass

from flask import current_app, request, url_for

# The site map: (menu label, or None for links that stand alone in the bar; ((endpoint, link label), ...)).
SITE_MAP = (
    (None, (("course.my_course", "My course"), ("certificates.my_certificates", "My certificates"),
            ("search.search", "Search"))),
    ("Program", (("program.dashboard", "Program dashboard"), ("agencies.agency_list", "Agencies and agreements"),
                 ("nominations.nomination_list", "Nominations"))),
    ("Certification", (("registry.registry", "Registry"), ("registry.due", "Due for refresher"),
                       ("registry.passlist", "Pass list"), ("registry.review_queue", "Under review"))),
    ("Training", (("cohorts.cohort_list", "Cohorts"), ("results.index", "Results"),
                  ("challenges.queue", "Challenges"))),
    ("Authoring", (("studio.index", "Studio"), ("studio_questions.bank_list", "Question banks"),
                   ("studio_questions.exam_list", "Exams"), ("standard_setting.index", "Standard setting"))),
    ("Administration", (("admin.users", "Accounts"), ("admin.access_review", "Access review"),
                        ("admin.audit", "Audit log"), ("notifications.outbox", "E-mail outbox"))),
)


@dataclass(frozen=True)
class NavLink:
    """One destination; ``current`` marks the area the page belongs to, ``page`` the page itself."""

    label: str
    href: str
    current: bool = False
    page: bool = False


@dataclass(frozen=True)
class NavMenu:
    """A dropdown of links under one label."""

    label: str
    links: tuple[NavLink, ...]

    @property
    def current(self) -> bool:
        return any(link.current for link in self.links)


def may_visit(user, endpoint: str) -> bool:
    """True when ``user`` passes the route's role check (routes without one admit any logged-in user)."""
    roles = getattr(current_app.view_functions[endpoint], "allowed_roles", None)
    return roles is None or user.has_role(*roles)


_KEPT = 64  # (roles times mount points: a bound whatever mount point a request claims)


def _visible_site_map(user) -> tuple:
    """The site map's sections as ``user`` may visit them, each link with its address: (label, ((href, link
    label), ...)), empty ones left out. Visibility depends on the role alone (may_visit reads the routes' role
    checks, fixed once the app is built) and an address on the app's mount point alone (url_for of an endpoint
    without arguments), so each role's at each mount point is worked out once per app, not on every page (22
    checks, about 60 µs, and a url_for per link); at most ``_KEPT`` of them are kept."""
    kept = current_app.extensions.setdefault("lms.site_hrefs", {})
    key = (user.role, request.script_root)
    sections = kept.get(key)
    if sections is None:
        visible = ((label, tuple((url_for(endpoint), text) for endpoint, text in links if may_visit(user, endpoint)))
                   for label, links in SITE_MAP)
        sections = tuple((label, links) for label, links in visible if links)
        if len(kept) < _KEPT:
            kept[key] = sections
    return sections


def _current_href(hrefs: list[str], path: str) -> str | None:
    """The link whose area holds ``path``: the longest href that is the path or a prefix of it."""
    matches = [h for h in hrefs if path == h or path.startswith(h + "/") or path.startswith(h + ".")]
    return max(matches, key=len, default=None)


def navigation_for(user, path: str) -> list:
    """The header's items for ``user`` on the page at ``path``: NavLinks and NavMenus, in site-map order.

    A menu left with one link shows that link alone; a user with a single menu sees its links directly.
    """
    sections = _visible_site_map(user)
    current = _current_href([href for _, links in sections for href, _ in links], path)

    def link(href, text):
        return NavLink(text, href, current=href == current, page=href == path)

    menus = [s for s in sections if s[0] is not None]
    items = []
    for label, links in sections:
        if label is None or len(links) == 1 or len(menus) == 1:
            items += [link(href, text) for href, text in links]
        else:
            items.append(NavMenu(label, tuple(link(href, text) for href, text in links)))
    return items
