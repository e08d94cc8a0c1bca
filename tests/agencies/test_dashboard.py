"""The program dashboard's figures, checked against counts computed directly in the test."""
from datetime import date, timedelta

from sqlalchemy import func, select

from lms.agencies.agreements import attach_mou
from lms.certification import status as cert_status
from lms.clock import program_today
from lms.models import Certification, Enrollment, Nomination, Role, User
from lms.agencies.nominations import check_nominee, nominate
from lms.agencies.oversight import program_figures

from ..conftest import login


def test_figures_match_direct_counts_and_drill_down(kit, program, db, clock, client, factory):
    track = kit.track(validity_years=1)
    side = program("North County", tracks=[track.slug])
    other = program("South County", tracks=[track.slug])
    certs = [kit.certified(track, agency=side.agency, mou=side.mou) for _ in range(5)]
    kit.certified(track, agency=other.agency, mou=other.mou)
    cert_status.suspend(certs[0], reason="complaint", actor=None, now=clock())
    cert_status.revoke(certs[1], reason="misconduct", actor=None, now=clock())
    for _ in range(3):  # in training under the MOU
        attach_mou(kit.enrollment(track, agency=side.agency), side.mou, now=clock())
    for i in range(2):
        nominee, _ = check_nominee(mou=side.mou, name=f"Nominee {i}", email=f"n{i}@north.example",
                                   track_slug=track.slug, background_check_on=date(2025, 1, 1), years_experience=3,
                                   citizenship_attested=True, commits_two_years=True, today=date(2026, 3, 2))
        nominate(nominee, mou=side.mou, actor=side.coordinator, now=clock())
    db.session.commit()
    clock.advance(days=365 - 45)  # the one-year certifications now expire in 45 days
    today = program_today(clock())

    rows, total = program_figures(today=today)
    north = next(r for r in rows if r.agency.id == side.agency.id)
    direct = {
        "nominated": db.session.scalar(select(func.count()).select_from(Nomination).where(
            Nomination.agency_id == side.agency.id, Nomination.status == "pending")),
        "in_training": db.session.scalar(select(func.count()).select_from(Enrollment).join(User).where(
            User.agency_id == side.agency.id, Enrollment.status == "active")),
        "current": db.session.scalar(select(func.count()).select_from(Certification).where(
            Certification.agency_id == side.agency.id, Certification.status == "active",
            Certification.expires_on > today)),
        "suspended": db.session.scalar(select(func.count()).select_from(Certification).where(
            Certification.agency_id == side.agency.id, Certification.status == "suspended")),
        "revoked": db.session.scalar(select(func.count()).select_from(Certification).where(
            Certification.agency_id == side.agency.id, Certification.status == "revoked")),
    }
    expiring = lambda days: db.session.scalar(select(func.count()).select_from(Certification).where(  # noqa: E731
        Certification.agency_id == side.agency.id, Certification.status == "active",
        Certification.expires_on > today, Certification.expires_on <= today + timedelta(days=days)))
    assert direct == {"nominated": 2, "in_training": 3, "current": 3, "suspended": 1, "revoked": 1}
    figures = north.figures.as_dict()
    assert {k: figures[k] for k in direct} == direct
    assert (figures["expiring_30"], figures["expiring_60"], figures["expiring_90"]) == (
        expiring(30), expiring(60), expiring(90)) == (0, 3, 3)
    assert figures["share_current"] == round(100 * 3 / 5, 1)
    mou, mou_figures = north.mous[0]
    assert mou.id == side.mou.id and mou_figures.as_dict() == figures
    assert total.count("current") == 4

    login(client, factory.user(Role.STAFF).email)
    page = client.get("/program").get_data(as_text=True)
    assert "<svg" in page and 'role="img"' in page and "North County" in page and "South County" in page
    people = client.get(f"/program/people?group=suspended&agency_id={side.agency.id}").get_data(as_text=True)
    assert certs[0].number in people and certs[1].number not in people
    people = client.get(f"/program/people?group=in_training&mou_id={side.mou.id}").get_data(as_text=True)
    assert people.count('<th scope="row"') == 3

    coordinator = factory.user(Role.COORDINATOR, agency=other.agency)
    from ..conftest import PASSWORD  # noqa: F401

    other_client = client.application.test_client()
    login(other_client, coordinator.email)
    page = other_client.get("/program").get_data(as_text=True)
    assert "South County" in page and "North County" not in page
