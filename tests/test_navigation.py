"""The header: menus per role, links only where the route admits the user, the current area, the plain
links without scripts; and dates and numbers that never break across lines."""
import re
from datetime import date

import pytest
from flask import render_template_string, url_for

from lms.models import Role
from lms.views.navigation import SITE_MAP, NavMenu

from .conftest import login


def header_items(html: str) -> list[str]:
    """The primary navigation's top-level labels, in order (menus and plain links alike)."""
    nav = html.split('aria-label="Primary navigation"', 1)[1].split("</nav>", 1)[0]
    tops = re.findall(r'<li class="usa-nav__primary-item[^"]*">\s*<(?:a|button)[^>]*>\s*<span[^>]*>([^<]+)</span>', nav)
    return [t.strip() for t in tops]


@pytest.mark.parametrize("role, expected", [
    (Role.TRAINEE, ["My course", "My certificates", "Search"]),
    (Role.INSTRUCTOR, ["Search", "Training", "Authoring"]),  # two menus, not seven links in a row
    (Role.COORDINATOR, ["Program", "Certification", "Training"]),
    (Role.STAFF, ["Search", "Program", "Certification", "Training", "Authoring", "Audit log"]),
    (Role.ADMIN, ["Search", "Program", "Certification", "Training", "Authoring", "Administration"]),
])
def test_each_role_sees_its_menus_then_its_own_user_menu(client, factory, role, expected):
    user = factory.user(role, name="Maximiliana Featherstonehaugh-Oyelaran")
    login(client, user.email)
    html = client.get("/account/password").get_data(as_text=True)
    assert header_items(html) == expected + ["Notifications", "Maximiliana Featherstonehaugh-Oyelaran"]
    assert "Change password" in html and 'class="usa-button usa-button--unstyled nav-logout__button"' in html


@pytest.mark.parametrize("role", list(Role))
def test_the_header_links_exactly_the_pages_the_user_may_open(app, client, factory, role):
    """Each site-map link is shown to a role if and only if its page answers that role (not 403)."""
    with app.test_request_context():
        hrefs = {label: url_for(endpoint) for _, links in SITE_MAP for endpoint, label in links}
    login(client, factory.user(role).email)
    html = client.get("/account/password").get_data(as_text=True)
    plain = html.split('aria-label="Site pages"', 1)[1].split("</nav>", 1)[0]
    shown = set(re.findall(r'href="([^"]+)"', plain))
    for label, href in hrefs.items():
        status = client.get(href).status_code
        assert (href in shown) == (status != 403), f"{role.value}: {label} ({href}) answers {status}"


def test_the_header_links_follow_the_apps_mount_point(client, factory):
    """The links' addresses are kept per role and mount point (lms.views.navigation._visible_site_map): the same app
    reached under a prefix (SCRIPT_NAME, as behind a proxy) links under it, and without it again as before."""
    login(client, factory.user(Role.STAFF).email)

    def links(mount="") -> set[str]:
        html = client.get("/account/password", base_url=f"http://localhost{mount}").get_data(as_text=True)
        plain = html.split('aria-label="Site pages"', 1)[1].split("</nav>", 1)[0]
        return set(re.findall(r'href="([^"]+)"', plain))

    at_root = links()
    mounted = links("/training")
    assert len(at_root) > 5 and all(href.startswith("/training/") for href in mounted)
    assert {href.removeprefix("/training") for href in mounted} == at_root
    assert links() == at_root


def test_the_kept_link_addresses_are_bounded_whatever_mount_points_requests_claim(app, client, factory):
    login(client, factory.user(Role.TRAINEE).email)
    for n in range(70):
        html = client.get("/account/password", base_url=f"http://localhost/m{n}").get_data(as_text=True)
        assert f'href="/m{n}/account/password"' in html  # right beyond the bound too, only not kept
    assert len(app.extensions["lms.site_hrefs"]) == 64


def test_the_current_area_is_the_longest_matching_link(client, factory):
    login(client, factory.user(Role.STAFF).email)
    html = client.get("/registry/due").get_data(as_text=True)
    nav = html.split('aria-label="Primary navigation"', 1)[1].split("</nav>", 1)[0]
    assert re.search(r'class="usa-current" aria-current="page"><span>Due for refresher<', nav)
    assert not re.search(r'class="usa-current"[^>]*><span>Registry<', nav)
    assert re.search(r'usa-nav__link usa-current"[^>]*aria-controls="nav-menu-\d+"><span>Certification<', nav)


def test_without_scripts_the_plain_links_and_log_out_are_in_the_page(client, factory):
    login(client, factory.user(Role.ADMIN).email)
    html = client.get("/admin/users").get_data(as_text=True)
    noscript = html.split('<nav aria-label="Site pages"', 1)[1].split("</noscript>", 1)[0]
    for label in ("Program dashboard", "Registry", "Pass list", "Cohorts", "Accounts", "Access review", "Audit log",
                  "Change password", "Two-factor log-in"):
        assert f">{label}</a>" in noscript
    assert 'action="/logout"' in noscript and 'name="csrf_token"' in noscript
    assert 'href="/static/css/noscript.css"' in html


def test_menus_group_more_than_one_link(app, factory, db):
    from lms.views.navigation import navigation_for

    with app.test_request_context("/program"):
        items = navigation_for(factory.user(Role.STAFF), "/program")
    menus = [i for i in items if isinstance(i, NavMenu)]
    assert all(len(m.links) > 1 for m in menus)
    assert [m.label for m in menus if m.current] == ["Program"]


def test_the_nowrap_filter_keeps_a_token_on_one_line_and_escapes_it(app):
    with app.test_request_context():
        html = render_template_string("{{ d|date|nowrap }}|{{ n|nowrap }}|{{ none|nowrap or 'Never' }}|"
                                      "{{ '<b>'|nowrap }}", d=date(2026, 3, 2), n="287G-2026-000001", none=None)
    assert html == ('<span class="nowrap">March 2, 2026</span>|<span class="nowrap">287G-2026-000001</span>|Never|'
                    '<span class="nowrap">&lt;b&gt;</span>')
