"""`lms quickstart`: migrate, sync the bundled course, seed the demo, idempotently."""
import re

from sqlalchemy import func, select

from lms import create_app
from lms.audit import verify_chain
from lms.extensions import db
from lms.models import Agency, Cohort, Enrollment, Module, ModuleVersion, Track, User

from .conftest import login

COUNTED = (User, Agency, Cohort, Enrollment, Module, ModuleVersion, Track)


def counts():
    return {m.__name__: db.session.scalar(select(func.count()).select_from(m)) for m in COUNTED}


def test_quickstart_twice_creates_everything_once(tmp_path):
    app = create_app({"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'qs.db'}",
                      "INSTANCE_PATH": str(tmp_path),
                      "ARGON2_PARAMS": {"time_cost": 1, "memory_cost": 1024, "parallelism": 1}})
    runner = app.test_cli_runner()
    first = runner.invoke(args=["quickstart", "--no-serve"])
    assert first.exit_code == 0, first.output
    accounts = re.findall(r"^\s+(\w+)\s+(\S+@demo\.example)\s+(\S+)$", first.output, re.M)
    assert {role for role, _, _ in accounts} == {"trainee", "instructor", "coordinator", "staff", "admin"}
    with app.app_context():
        before = counts()
        assert before["Track"] == 4 and before["Cohort"] == 2 and before["Enrollment"] == 2
    second = runner.invoke(args=["quickstart", "--no-serve"])
    assert second.exit_code == 0, second.output
    assert "already exist" in second.output and "up to date" in second.output
    assert not re.search(r"@demo\.example\s+\S{20}$", second.output, re.M)  # no password printed again
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
    from lms import demo_program
    from lms.models import Certification, Nomination

    small = [dict(demo_program.AGENCIES[0], groups=[demo_program.Group("FDLE test class", "officer-basic", 2, True, 8)]),
             dict(demo_program.AGENCIES[2], groups=[demo_program.Group("L.A. test class", "custody-assistant", 1,
                                                                       False, 0)])]
    monkeypatch.setattr(demo_program, "AGENCIES", small)
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
    assert re.search(r"^\s+staff\s+staff@demo\.example\s+\S+$", first.output, re.M)  # the usual demo too
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
