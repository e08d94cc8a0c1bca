"""`lms demo load` on an empty database gives the fact sheet's figures on the dashboard and the pass list,
produced through the exam engine (attempts, grades, certifications issued by the engine's hook)."""
import json
from datetime import date

from sqlalchemy import func, select

from lms.certification.passlist import PassListFilters, count_rows
from lms.models import Agency, Attempt, AuditEvent, Certification, Enrollment, Notification, Role
from lms.agencies.oversight import program_figures

from ..conftest import login

AS_OF = date(2026, 3, 2)


def test_demo_load_reproduces_the_fact_sheet(factory, db, app, client):
    factory.synced_content()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["demo", "load", "--as-of", AS_OF.isoformat()])
    assert result.exit_code == 0, result.output
    assert "FL0379900: 62 certified" in result.output
    rows, _ = program_figures(today=AS_OF)
    figures = {r.agency.ori: r.figures.as_dict() for r in rows}
    assert (figures["FL0379900"]["current"], figures["FL0379900"]["in_training"]) == (62, 0)
    assert (figures["AL0019900"]["current"], figures["AL0019900"]["in_training"]) == (21, 25)
    assert (figures["CA0199900"]["current"], figures["CA0199900"]["in_training"]) == (0, 6)
    la = db.session.scalar(select(Agency).where(Agency.ori == "CA0199900"))
    tracks = {e.cohort.track.slug: e.cohort.track.weeks for e in db.session.scalars(select(Enrollment))
              if e.user.agency_id == la.id}
    assert tracks == {"custody-assistant": 4}
    for ori, count in (("FL0379900", 62), ("AL0019900", 21), ("CA0199900", 0)):
        agency = db.session.scalar(select(Agency).where(Agency.ori == ori))
        assert count_rows(PassListFilters(agency_id=agency.id), today=AS_OF) == count
    # Produced by the engine: graded attempts, some failed and retaken, certifications issued by the hook.
    attempts = db.session.scalar(select(func.count()).select_from(Attempt).where(Attempt.status == "finished"))
    failed = db.session.scalar(select(func.count()).select_from(Attempt).where(Attempt.passed.is_(False)))
    assert attempts > 83 * 8 and failed > 0  # eight exams in officer-basic, some retaken
    issued = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "certification.issue")).all()
    assert len(issued) == 83
    # A past simulated: nobody is notified of it, and no e-mail waits to go to its invented addresses.
    assert db.session.scalar(select(func.count()).select_from(Notification)) == 0
    certification = db.session.scalar(select(Certification).limit(1))
    assert json.loads(certification.snapshot)["mou"]["authorized_functions"]
    # The classroom side: attendance taken, practicals graded, the hours on the certificate.
    training = json.loads(certification.snapshot)["training"]
    assert training["classroom_hours_attended"] >= training["classroom_hours_required"] == 162
    assert len(training["practicals"]) == 4 and all(p["passed"] for p in training["practicals"])
    assert training["online_hours"] > 10
    assert runner.invoke(args=["demo", "load", "--as-of", AS_OF.isoformat()]).exit_code != 0

    login(client, factory.user(Role.STAFF).email)
    page = client.get("/program").get_data(as_text=True)
    assert "Florida Department of Law Enforcement" in page and ">62<" in page and ">25<" in page
