"""`lms certs ...`, `lms passlist export` and `lms mou ...` call the same services as the pages."""
import csv
import io
import json
from datetime import datetime, timezone

import openpyxl
from sqlalchemy import select

from lms.agencies.agreements import add_mou_model
from lms.models import AuditEvent, Certification, Mou, Role


def _run(app, *args):
    result = app.test_cli_runner().invoke(args=list(args))
    return result


def test_keygen_and_rotate_key(app, db, tmp_path, monkeypatch):
    path = tmp_path / "secrets" / "signing_key.pem"
    monkeypatch.setitem(app.config, "SIGNING_KEY_PATH", str(path))
    result = _run(app, "certs", "keygen")
    assert result.exit_code == 0, result.output
    assert "Created signing key" in result.output and "PRIVATE" not in result.output
    assert _run(app, "certs", "keygen").exit_code == 1  # refuses to overwrite
    pem = path.read_bytes()
    result = _run(app, "certs", "rotate-key")
    assert result.exit_code == 0 and "retired and still published" in result.output
    assert path.read_bytes() != pem
    listing = _run(app, "certs", "keys").output.splitlines()
    assert len(listing) == 2 and listing[1].endswith("current")
    assert db.session.scalar(select(AuditEvent)
                             .where(AuditEvent.action == "signing_key.rotate")).actor.startswith("cli:")


def test_suspend_reinstate_revoke_expire_from_the_command_line(app, kit, db, factory, clock):
    staff = factory.user(Role.STAFF, email="sam@ice.example")
    certification = kit.certified()
    number = certification.number
    result = _run(app, "certs", "suspend", number, "--reason", "Complaint", "--by", staff.email)
    assert result.exit_code == 0 and "is now suspended" in result.output
    result = _run(app, "certs", "reinstate", number, "--reason", "Closed")
    assert result.exit_code == 0 and "is now valid" in result.output
    assert _run(app, "certs", "suspend", number).exit_code == 2  # --reason is required
    result = _run(app, "certs", "revoke", number, "--reason", "Misconduct")
    assert result.exit_code == 0
    result = _run(app, "certs", "reinstate", number, "--reason", "Try")
    assert result.exit_code == 1 and "revocation is permanent" in result.output
    assert _run(app, "certs", "suspend", "287G-2026-000404", "--reason", "x").exit_code == 1
    db.session.expire_all()
    history = db.session.scalar(select(Certification).where(Certification.number == number)).history
    assert [h.actor for h in history][1] == "sam@ice.example" and history[2].actor.startswith("cli:")

    other = kit.certified()
    clock.when = datetime(2028, 3, 3, 15, 0, tzinfo=timezone.utc)
    result = _run(app, "certs", "expire")
    assert result.exit_code == 0 and "Marked 1 certification expired" in result.output
    db.session.expire_all()
    assert db.session.get(Certification, other.id).status == "expired"


def test_due_lists_who_expires_soon(app, kit, db, clock):
    certification = kit.certified(kit.track(validity_years=1))
    result = _run(app, "certs", "due", "--days", "400", "--agency", certification.agency_ori)
    assert result.exit_code == 0 and certification.number in result.output
    assert certification.number not in _run(app, "certs", "due", "--days", "30").output


def test_passlist_export_writes_each_format_with_filters(app, kit, db, factory, tmp_path):
    north, south = factory.agency(name="North", ori="VA1000001"), factory.agency(name="South", ori="VA1000002")
    track = kit.track("basic")
    kit.certified(track, agency=north, name="Nora North")
    kit.certified(track, agency=south, name="Sid South")
    out = tmp_path / "south.csv"
    result = _run(app, "passlist", "export", "--format", "csv", "--agency", "VA1000002", "--track", "basic",
                  "--status", "active", "--issued-from", "2026-01-01", "-o", str(out))
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(out.read_bytes().decode("utf-8-sig"), newline="")))
    assert [r[1] for r in rows[1:]] == ["Sid South"]
    out = tmp_path / "all.xlsx"
    assert _run(app, "passlist", "export", "--format", "xlsx", "-o", str(out)).exit_code == 0
    sheet = openpyxl.load_workbook(out).active
    assert sorted(r[1] for r in sheet.iter_rows(min_row=2, values_only=True)) == ["Nora North", "Sid South"]
    out = tmp_path / "all.json"
    assert _run(app, "passlist", "export", "--format", "json", "-o", str(out)).exit_code == 0
    assert json.loads(out.read_text())["count"] == 2
    assert _run(app, "passlist", "export", "--format", "csv", "--cohort", "nope", "-o", str(out)).exit_code == 1
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "passlist.export")).all()
    assert [e.details["via"] for e in events] == ["cli"] * 3 and events[0].details["rows"] == 1


def test_mou_create_attach_and_terminate(app, kit, db, factory):
    agency = factory.agency(name="North", ori="VA1000001")
    track = kit.track()
    trainee = kit.trainee(agency=agency)
    enrollment = kit.enrollment(track, trainee=trainee)
    result = _run(app, "mou", "create", "--agency", "va1000001", "--model", "warrant_service_officer",
                  "--signed", "2025-05-01", "--effective", "2025-05-01", "--function", "Serve administrative warrants",
                  "--function", "Execute warrants in the agency's jail")
    assert result.exit_code == 0, result.output
    mou = db.session.scalar(select(Mou))
    assert mou.authorized_functions == ["Serve administrative warrants", "Execute warrants in the agency's jail"]
    result = _run(app, "mou", "attach", str(mou.id), "--cohort", enrollment.cohort.name, trainee.email)
    assert result.exit_code == 0, result.output
    kit.complete_modules(enrollment, issue=False)
    kit.pass_exam(enrollment, "exam-a")
    certification = kit.pass_exam(enrollment, "exam-b")
    assert json.loads(certification.snapshot)["mou"]["model"] == "warrant_service_officer"
    result = _run(app, "mou", "terminate", str(mou.id), "--action", "suspend", "--reason", "Agreement ended")
    assert result.exit_code == 0 and "1 certification suspended" in result.output
    db.session.expire_all()
    assert db.session.get(Certification, certification.id).status == "suspended"
    assert _run(app, "mou", "terminate", str(mou.id), "--action", "revoke", "--reason", "x").exit_code == 1


def test_mou_models_come_from_the_database_and_a_staff_added_model_can_be_used(app, kit, db, factory):

    factory.agency(name="South", ori="VA1000002")
    add_mou_model(key="state_pilot", label="State pilot program", now=factory.clock())
    db.session.commit()
    listed = _run(app, "mou", "models")
    assert listed.exit_code == 0 and "jail_enforcement" in listed.output and "State pilot program" in listed.output
    created = _run(app, "mou", "create", "--agency", "VA1000002", "--model", "state_pilot", "--signed", "2026-01-05",
                   "--effective", "2026-01-05", "--function", "Serve administrative warrants")
    assert created.exit_code == 0, created.output
    assert db.session.scalar(select(Mou)).model == "state_pilot"
    unknown = _run(app, "mou", "create", "--agency", "VA1000002", "--model", "no_such_model", "--signed", "2026-01-05",
                   "--effective", "2026-01-05", "--function", "x")
    assert unknown.exit_code == 1 and "Unknown 287(g) model" in unknown.output
