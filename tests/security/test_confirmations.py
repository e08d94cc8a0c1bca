"""Permanent or disruptive actions ask first: the action's URL answers GET with a page that says what will
happen (who, how many, whether it can be undone) and a POST form with the CSRF token and an explicit
``confirm`` field; a POST without ``confirm`` changes nothing. No JavaScript is involved."""
import re

import pytest
from sqlalchemy import select

from lms.certification import status as cert_status
from lms.models import Certification, Mou, Nomination, User, WeekOpening

from ..factories import CertKit
from .conftest import changed_tables, snapshot


def _form(page: str) -> str:
    """The confirmation form of a page (the one posting with ``confirm``)."""
    forms = [f for f in re.findall(r'<form class="usa-form usa-form--large margin-top-3" method="post".*?</form>',
                                   page, re.S)
             if 'name="confirm" value="yes"' in f]
    assert len(forms) == 1, "the page has no confirmation form"
    return forms[0]


def _ask(client, url: str) -> tuple[str, str]:
    """GET the confirmation page: its text and a CSRF token from its form."""
    response = client.get(url)
    assert response.status_code == 200, url
    page = response.get_data(as_text=True)
    form = _form(page)
    assert f'action="{url.split("?")[0]}"' in form
    assert "What will happen" in page and "Cancel and go back" in page
    # The token may carry the form's prefix (suspend-csrf_token); the app reads either name.
    token = re.search(r'name="[\w-]*csrf_token" type="hidden" value="([^"]+)"', form)
    assert token, "no CSRF token in the confirmation form"
    return page, token.group(1)


def _refused_without_confirm(client, db, url: str, data: dict) -> None:
    """A POST with a valid token and every field, but no ``confirm``, changes nothing and asks again."""
    before = snapshot(db)
    response = client.post(url, data=data)
    body = response.get_data(as_text=True)
    assert response.status_code == 400 and "Nothing was changed: confirm on this page to go ahead." in body
    assert 'name="confirm" value="yes"' in body
    assert changed_tables(before, snapshot(db)) == []


def test_suspend_says_it_can_be_undone_and_waits_for_confirmation(world, as_user, db):
    client, number = as_user(world.staff), world.a.certification.number
    detail = client.get(f"/registry/{number}").get_data(as_text=True)
    assert f'href="/registry/{number}/suspend">Suspend…</a>' in detail and "<textarea" not in detail
    page, token = _ask(client, f"/registry/{number}/suspend")
    assert f"Certification {number} of Carl Ashfordberg" in page and "becomes suspended" in page
    assert "It can be undone: staff can reinstate it later" in page
    _refused_without_confirm(client, db, f"/registry/{number}/suspend",
                             {"csrf_token": token, "suspend-reason": "Complaint received"})
    response = client.post(f"/registry/{number}/suspend",
                           data={"csrf_token": token, "suspend-reason": "Complaint received", "confirm": "yes"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Certification, world.a.certification.id).status == "suspended"


def test_revoke_says_it_is_permanent(world, as_user, db):
    client, number = as_user(world.staff), world.a.certification.number
    page, token = _ask(client, f"/registry/{number}/revoke")
    assert "This is permanent: a revoked certification can never be reinstated" in page
    assert "usa-button--secondary" in _form(page)
    _refused_without_confirm(client, db, f"/registry/{number}/revoke", {"csrf_token": token, "revoke-reason": "x"})
    client.post(f"/registry/{number}/revoke",
                data={"csrf_token": token, "revoke-reason": "Misconduct", "confirm": "yes"})
    db.session.expire_all()
    assert db.session.get(Certification, world.a.certification.id).status == "revoked"
    # Nothing left to confirm: the page sends the user back instead of offering a refused action.
    assert client.get(f"/registry/{number}/revoke").status_code == 302


def test_terminating_an_agreement_counts_what_each_choice_changes(world, as_user, db, factory, clock):
    kit = CertKit(db, factory, clock)
    mou = world.a.mou
    track = kit.track("mou-track")
    valid = kit.certified(track, agency=world.a.agency, mou=mou, name="Vera Valid")
    suspended = kit.certified(track, agency=world.a.agency, mou=mou, name="Sam Suspended")
    cert_status.suspend(suspended, reason="complaint", now=clock())
    db.session.commit()
    client = as_user(world.staff)
    page, token = _ask(client, f"/mous/{mou.id}/terminate")
    assert f"MOU {mou.id} of Ashford County Sheriff ends now" in page
    assert "“Suspend them”: 1 valid certification under it is suspended" in page
    assert "“Revoke them”: 2 certifications under it (valid or suspended) are revoked, permanently." in page
    assert "This cannot be undone" in page and 'type="radio"' in _form(page)
    data = {"csrf_token": token, "action": "revoke", "reason": "Agency withdrew"}
    _refused_without_confirm(client, db, f"/mous/{mou.id}/terminate", data)
    assert client.post(f"/mous/{mou.id}/terminate", data=data | {"confirm": "yes"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Mou, mou.id).terminated_at is not None
    assert {db.session.get(Certification, c.id).status for c in (valid, suspended)} == {"revoked"}
    assert "2 certifications revoked" in client.get(f"/mous/{mou.id}").get_data(as_text=True)


def test_opening_a_week_early_says_for_whom_and_that_it_stays_open(world, as_user, db):
    client, cohort = as_user(world.a.instructor), world.a.cohort
    roster = client.get(f"/cohorts/{cohort.id}").get_data(as_text=True)
    assert f'<form class="usa-form" method="get" action="/cohorts/{cohort.id}/weeks/open">' in roster
    page, token = _ask(client, f"/cohorts/{cohort.id}/weeks/open?week=2")
    # The cohort has two trainees (Tina and the peer); week 2 holds one exam and no module.
    assert "Week 2: Second week opens now for the 2 trainees of Cohort Ashford, instead of on March 9, 2026." in page
    assert "Its 0 modules and 1 exam become available" in page
    assert "This cannot be undone: an opened week cannot be closed again." in page
    assert 'name="week" type="hidden" value="2"' in _form(page)
    _refused_without_confirm(client, db, f"/cohorts/{cohort.id}/weeks/open", {"csrf_token": token, "week": "2"})
    response = client.post(f"/cohorts/{cohort.id}/weeks/open",
                           data={"csrf_token": token, "week": "2", "confirm": "yes"})
    assert response.status_code == 302
    assert db.session.scalar(select(WeekOpening.week).where(WeekOpening.cohort_id == cohort.id)) == 2
    # A week already open (or not in the track) has nothing to confirm.
    assert client.get(f"/cohorts/{cohort.id}/weeks/open?week=2").status_code == 302
    assert client.get(f"/cohorts/{cohort.id}/weeks/open?week=9").status_code == 302


def test_disabling_an_account_says_it_can_be_enabled_again(world, as_user, db):
    client, user = as_user(world.admin), world.a.trainee
    page, token = _ask(client, f"/admin/users/{user.id}/disable")
    assert f"Tina Ashfordquist ({user.email}, trainee, Ashford County Sheriff) can no longer log in." in page
    assert "Their sessions end at once" in page and "can enable the account again" in page
    _refused_without_confirm(client, db, f"/admin/users/{user.id}/disable", {"csrf_token": token, "reason": "left"})
    client.post(f"/admin/users/{user.id}/disable", data={"csrf_token": token, "reason": "left", "confirm": "yes"})
    db.session.expire_all()
    assert db.session.get(User, user.id).disabled_at is not None
    # Nobody is asked to confirm disabling their own account: it is refused outright.
    assert client.get(f"/admin/users/{world.admin.id}/disable").status_code == 302


def test_declining_a_nomination_says_it_is_final(world, as_user, db):
    client, nomination = as_user(world.staff), world.a.nomination
    page, token = _ask(client, f"/nominations/{nomination.id}/decline")
    assert "Nora Ashfordvik (nominee-a@example.test) is not enrolled" in page
    assert "The coordinators of Ashford County Sheriff see the nomination as declined, with your reason." in page
    assert "This cannot be undone" in page
    _refused_without_confirm(client, db, f"/nominations/{nomination.id}/decline", {"csrf_token": token, "reason": "x"})
    client.post(f"/nominations/{nomination.id}/decline", data={"csrf_token": token, "reason": "x", "confirm": "yes"})
    db.session.expire_all()
    assert db.session.get(Nomination, nomination.id).status == "declined"


@pytest.mark.parametrize("url", [
    lambda w: f"/registry/{w.a.certification.number}/suspend",
    lambda w: f"/mous/{w.a.mou.id}/terminate",
    lambda w: f"/admin/users/{w.a.trainee.id}/disable",
    lambda w: f"/nominations/{w.a.nomination.id}/decline",
])
def test_a_confirmation_with_a_missing_field_shows_the_page_again(world, as_user, db, url):
    client = as_user(world.admin)
    url = url(world)
    _, token = _ask(client, url)
    before = snapshot(db)
    response = client.post(url, data={"csrf_token": token, "confirm": "yes", "suspend-reason": "",
                                      "reason": "x" * 3000})
    assert (response.status_code == 400
            and "Nothing was changed: correct the form below." in response.get_data(as_text=True))
    assert changed_tables(before, snapshot(db)) == []
