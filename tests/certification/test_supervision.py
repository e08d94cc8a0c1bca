"""Supervision notes: staff record them; the agency's coordinator sees the shared ones; never public."""
from datetime import date

from sqlalchemy import select

from lms.models import AuditEvent, Role, SupervisionNote

from ..conftest import login, post
from ..factories import agency_with_mou


def _record(client, number, data):
    page = f"/registry/{number}/notes/new"
    return post(client, page, {f"note-{k}": v for k, v in data.items()}, page=page)


def test_staff_record_notes_the_coordinator_sees_shared_ones_and_the_public_none(kit, db, factory, client, clock,
                                                                                 make_client):
    side = agency_with_mou(db, factory, clock)
    certification = kit.certified(agency=side.agency, name="Pat Officer")
    number = certification.number
    staff = factory.user(Role.STAFF, name="Sam Staff")
    login(client, staff.email)
    _record(client, number, {"kind": "commendation", "noted_on": "2026-03-02", "text": "Calm <b>interview</b> work.",
                             "shared_with_agency": "y"})
    _record(client, number, {"kind": "corrective_training", "noted_on": "2026-03-02",
                             "text": "Detainer timing retrained."})
    staff_page = client.get(f"/registry/{number}").get_data(as_text=True)
    assert "Calm &lt;b&gt;interview&lt;/b&gt; work." in staff_page and "Detainer timing retrained." in staff_page
    assert "staff only" in staff_page and "by Sam Staff" in staff_page
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "supervision_note.create")).all()
    assert [e.details["kind"] for e in events] == ["commendation", "corrective_training"]

    coordinator = make_client()
    login(coordinator, side.coordinator.email)
    page = coordinator.get(f"/registry/{number}").get_data(as_text=True)
    assert "Calm &lt;b&gt;interview&lt;/b&gt; work." in page and "Detainer timing retrained." not in page
    assert coordinator.get(f"/registry/{number}/notes/new").status_code == 403

    public = make_client()
    for url in (f"/verify/{certification.verification_code}",):
        text = public.get(url).get_data(as_text=True)
        assert "Pat Officer" in text or "Officer" in text
        assert "interview" not in text and "retrained" not in text and "Supervision" not in text


def test_a_note_is_refused_without_text_or_dated_in_the_future(kit, db, factory, client):
    certification = kit.certified()
    login(client, factory.user(Role.STAFF).email)
    for data in ({"kind": "observation", "noted_on": "2026-03-02", "text": "  "},
                 {"kind": "observation", "noted_on": "2027-01-01", "text": "Later"},
                 {"kind": "gossip", "noted_on": "2026-03-02", "text": "x"}):
        _record(client, certification.number, data)
    assert db.session.scalars(select(SupervisionNote)).all() == []
    _record(client, certification.number, {"kind": "observation", "noted_on": "2026-03-02", "text": "Seen at work"})
    [note] = db.session.scalars(select(SupervisionNote)).all()
    assert (note.kind, note.noted_on, note.shared_with_agency) == ("observation", date(2026, 3, 2), False)
