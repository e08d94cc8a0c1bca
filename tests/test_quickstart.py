"""`lms quickstart`: migrate, sync the bundled course, seed the demo, idempotently."""
import re

from sqlalchemy import func, select

from lms.app import create_app
from lms.audit import verify_chain
from lms.extensions import db
from lms.models import Agency, Cohort, Enrollment, Module, ModuleVersion, Mou, Track, User

from .browser.conftest import ACCOUNT_LINE
from .conftest import ClientAt, csrf_token, login

COUNTED = (User, Agency, Cohort, Enrollment, Module, ModuleVersion, Track, Mou)
ARGON2_FAST = {"time_cost": 1, "memory_cost": 1024, "parallelism": 1}


def counts():
    return {m.__name__: db.session.scalar(select(func.count()).select_from(m)) for m in COUNTED}


def test_quickstart_twice_creates_everything_once(tmp_path):
    app = create_app({"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'qs.db'}",
                      "INSTANCE_PATH": str(tmp_path),
                      "ARGON2_PARAMS": {"time_cost": 1, "memory_cost": 1024, "parallelism": 1}})
    runner = app.test_cli_runner()
    first = runner.invoke(args=["quickstart", "--no-serve"])
    assert first.exit_code == 0, first.output
    accounts = ACCOUNT_LINE.findall(first.output)
    assert "| Instructor, coordinator, staff and admin log in with a second factor" in first.output  # in the box
    assert {role for role, _, _ in accounts} == {"trainee", "instructor", "coordinator", "staff", "admin"}
    with app.app_context():
        before = counts()
        assert before["Track"] == 6 and before["Cohort"] == 4 and before["Enrollment"] == 4 and before["Mou"] == 3
        # The demo trainees study under the demo agency's agreement of their course's model, as nominated
        # officers do: the officer and custody cohorts under Jail Enforcement, the others under their own.
        models = {e.cohort.track.slug: e.mou.model for e in db.session.scalars(select(Enrollment))}
        assert models == {"officer-basic": "jail_enforcement", "custody-assistant": "jail_enforcement",
                          "task-force": "task_force", "warrant-service-officer": "warrant_service_officer"}
    second = runner.invoke(args=["quickstart", "--no-serve"])
    assert second.exit_code == 0, second.output
    assert "already exist" in second.output and "up to date" in second.output
    assert not ACCOUNT_LINE.findall(second.output)  # no password printed again
    with app.app_context():
        assert counts() == before
        assert verify_chain().ok
        db.session.remove()
        db.engine.dispose()
    # The printed password logs the demo trainee in, to a course with open weeks.
    client = app.test_client()
    trainee = next((email, pw) for role, email, pw in accounts if email == "trainee@demo.example")
    assert login(client, *trainee).status_code == 302
    page = client.get("/course").get_data(as_text=True)
    assert "week 2</strong> of 5" in page
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_quickstart_program_demo_runs_the_demo_load_service_once(tmp_path, monkeypatch):
    """`--program-demo` runs `load_fact_sheet` (the service behind `lms demo load`); a second run changes
    nothing. The fact sheet is cut down to a few officers here: the full load is tested in
    tests/agencies/test_demo_load.py."""
    from lms.demo import fact_sheet as demo_program
    from lms.models import Certification, Nomination

    monkeypatch.setattr(demo_program, "AGENCIES", [demo_program.AGENCIES[0], demo_program.AGENCIES[2]])
    monkeypatch.setattr(demo_program, "GROUPS", {
        "FL0379900": [demo_program.Group("FDLE test class", "officer-basic", 2, True, 8)],
        "CA0199900": [demo_program.Group("L.A. test class", "custody-assistant", 1, False, 0)]})
    calls = []
    real = demo_program.load_fact_sheet
    monkeypatch.setattr(demo_program, "load_fact_sheet", lambda **kw: calls.append(kw) or real(**kw))
    app = create_app({"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'qs.db'}",
                      "INSTANCE_PATH": str(tmp_path),
                      "ARGON2_PARAMS": {"time_cost": 1, "memory_cost": 1024, "parallelism": 1}})
    runner = app.test_cli_runner()
    first = runner.invoke(args=["quickstart", "--no-serve", "--program-demo"])
    assert first.exit_code == 0, first.output
    assert "FL0379900: 2 certified" in first.output and "CA0199900: 1 in training" in first.output
    assert "staff@demo.example" in _accounts(first.output)  # the usual demo too
    with app.app_context():
        before = counts() | {"Certification": db.session.scalar(select(func.count()).select_from(Certification)),
                             "Nomination": db.session.scalar(select(func.count()).select_from(Nomination))}
        assert before["Certification"] == 2 and before["Nomination"] == 3
        db.session.remove()
        db.engine.dispose()
    second = runner.invoke(args=["quickstart", "--no-serve", "--program-demo"])
    assert second.exit_code == 0, second.output
    assert "already loaded" in second.output and "certified" not in second.output
    assert len(calls) == 2
    with app.app_context():
        after = counts() | {"Certification": db.session.scalar(select(func.count()).select_from(Certification)),
                            "Nomination": db.session.scalar(select(func.count()).select_from(Nomination))}
        assert after == before
        assert verify_chain().ok
        db.session.remove()
        db.engine.dispose()
    plain = runner.invoke(args=["quickstart", "--no-serve"])
    assert plain.exit_code == 0 and "fact-sheet" not in plain.output and len(calls) == 2
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _quickstart_app(tmp_path, monkeypatch, **config):
    """A quickstart app of its own. Privileged demo accounts log in with the password alone here: these
    tests are about what each role can do and where links point (two factors are tested in their own)."""
    monkeypatch.delenv("LMS_PUBLIC_URL", raising=False)
    return create_app({"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'qs.db'}",
                       "INSTANCE_PATH": str(tmp_path), "ARGON2_PARAMS": ARGON2_FAST, "REQUIRE_2FA": False,
                       "JOBS_EMBEDDED": False, **config})  # no job threads in the test process


def _accounts(output: str) -> dict[str, str]:
    """e-mail -> password, read as the browser tests read them."""
    return {email: password for _, email, password in ACCOUNT_LINE.findall(output)}


def test_every_demo_role_can_do_its_main_job_at_once_the_coordinator_nominates(tmp_path, monkeypatch):
    """Defect: the demo coordinator met "No agreement in force" when nominating."""
    app = _quickstart_app(tmp_path, monkeypatch)
    result = app.test_cli_runner().invoke(args=["quickstart", "--no-serve"])
    assert result.exit_code == 0, result.output
    passwords = _accounts(result.output)
    coordinator = app.test_client()
    assert login(coordinator, "coordinator@demo.example", passwords["coordinator@demo.example"]).status_code == 302
    page = coordinator.get("/nominations/new").get_data(as_text=True)
    assert "No agreement in force" not in page
    mou_id = re.search(r'<option[^>]*value="(\d+)"', page.split('name="mou_id"')[1]).group(1)
    response = coordinator.post("/nominations/new", data={
        "csrf_token": csrf_token(coordinator, "/nominations/new"), "mou_id": mou_id, "track": "officer-basic",
        "name": "Nora Nominee", "email": "nora@demo.example", "background_check_on": "2026-01-05",
        "years_experience": "4", "citizenship_attested": "y", "commits_two_years": "y"})
    assert response.status_code == 302, response.get_data(as_text=True)
    staff = app.test_client()
    login(staff, "staff@demo.example", passwords["staff@demo.example"])
    assert "Nora Nominee" in staff.get("/nominations").get_data(as_text=True)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _served_on_5101(app, output_lines, monkeypatch):
    """Run quickstart --port 5101 --program-demo (a cut-down fact sheet) with the server replaced by a
    recorder that makes requests to the address it was asked to serve on."""
    from werkzeug import serving

    from lms.demo import fact_sheet as demo_program

    monkeypatch.setattr(demo_program, "AGENCIES", demo_program.AGENCIES[:1])
    monkeypatch.setattr(demo_program, "GROUPS", {"FL0379900": [demo_program.Group("FDLE test class", "officer-basic",
                                                                                   1, True, 8)]})
    served = {}

    def serve(host, port, wsgi_app, **kw):
        served.update(host=host, port=port, client=ClientAt(wsgi_app.test_client(), f"http://{host}:{port}"))

    monkeypatch.setattr(serving, "run_simple", serve)
    result = app.test_cli_runner().invoke(args=["quickstart", "--port", "5101", "--program-demo"])
    assert result.exit_code == 0, result.output
    output_lines.extend(result.output.splitlines())
    return served


def test_quickstart_on_another_port_links_to_that_port_and_prints_the_passwords_last(tmp_path, monkeypatch):
    """Defect: with --port 5101 every verification link (PDF, QR code, pass lists) pointed to port 5000; and the
    passwords were printed mid-way through the start-up output."""
    import io

    import pypdf

    from lms.models import Certification

    app = _quickstart_app(tmp_path, monkeypatch)
    lines = []
    served = _served_on_5101(app, lines, monkeypatch)
    assert served["port"] == 5101
    # The passwords come last, boxed, right before the address; the box says how to reset one.
    assert lines[-1] == "Serving the LMS at http://127.0.0.1:5101  (Ctrl+C to stop)"
    box_end = len(lines) - 2
    box_start = max(i for i, line in enumerate(lines[:box_end]) if line.startswith("+--"))
    box = lines[box_start:box_end + 1]
    assert box[-1].startswith("+--") and all(line.startswith("| ") and line.endswith(" |") for line in box[1:-1])
    assert len({len(line) for line in box}) == 1  # a closed box
    assert "FL0379900: 1 certified" in "\n".join(lines[:box_start])  # everything else came before
    text = "\n".join(box)
    assert "lms users reset-password EMAIL" in text and "Log in at http://127.0.0.1:5101" in text
    passwords = _accounts("\n".join(lines))
    assert set(passwords) == {f"{r}@demo.example" for r in ("trainee", "custody.trainee", "taskforce.trainee",
                                                            "wso.trainee", "instructor", "coordinator", "staff",
                                                            "admin")}
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{20}", p) for p in passwords.values())

    # Issued from the command line (no request): the signed record names the address being served.
    with app.app_context():
        certification = db.session.scalar(select(Certification))
        number, code = certification.number, certification.verification_code
        assert f'"verification_url":"http://127.0.0.1:5101/verify/{number}"' in certification.snapshot
    # Pages, pass lists and the PDF, as staff get them from the server.
    staff = served["client"]
    assert login(staff, "staff@demo.example", passwords["staff@demo.example"]).status_code == 302
    link = f"http://127.0.0.1:5101/verify/{code}"
    assert f'href="/verify/{code}"' in staff.get(f"/registry/{number}").get_data(as_text=True)
    assert link in staff.get("/passlist.csv").get_data(as_text=True)
    pdf = staff.get(f"/registry/{number}/certificate.pdf").data
    pdf_text = "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf)).pages).replace("\n", "")
    assert link in pdf_text and "http://127.0.0.1:5101/.well-known/lms-signing-keys.json" in pdf_text
    assert ":5000" not in pdf_text
    assert staff.get(f"/verify/{code}").status_code == 200

    # LMS_PUBLIC_URL wins over the served address; a PDF once rendered keeps its bytes.
    app.config["PUBLIC_URL"] = "https://lms.example.gov"
    assert "https://lms.example.gov/verify/" + code in staff.get("/passlist.csv").get_data(as_text=True)
    assert staff.get(f"/registry/{number}/certificate.pdf").data == pdf
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
