"""The exam wave benchmark's driver (bench/exam_wave.py) at tiny N against a live server, so the harness
cannot rot: 5 examinees log in, start in a wave, autosave and turn pages in the steady phase, and submit in a
wave, over real HTTP, with no error and no acknowledged answer lost. Nothing here is timed; the phases are
kept to about a second of real time (the driver paces its requests by the wall clock)."""
import asyncio
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlalchemy import func, select
from werkzeug.serving import make_server

from lms.models import AnswerLog, Attempt, Role

from .conftest import PASSWORD, bench_script
from .factories import EXAM_ROOT

pytestmark = pytest.mark.committed  # the server's threads use connections of their own

BENCH = Path(__file__).resolve().parent.parent / "bench"


def _driver():
    return bench_script("exam_wave")


@pytest.fixture
def live_server(app, db):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


def test_the_driver_runs_every_phase_against_a_live_server(live_server, factory, db):
    factory.synced_content(EXAM_ROOT)
    agency = factory.agency(name="Wave County Sheriff")
    cohort = factory.cohort("exam-track", agencies=[agency])
    emails = [f"wave{n}@example.test" for n in range(5)]
    for email in emails:
        factory.enroll(factory.user(Role.TRAINEE, email=email, agency=agency), cohort)
    db.session.commit()
    db.session.rollback()  # the server's requests need SQLite's writer lock

    driver = _driver()
    scenario = driver.run_scenario(
        live_server, emails, password=PASSWORD, exam="mixed-exam", wave_seconds=0.2, login_seconds=0.2,
        steady_seconds=1.0, compression=60, loop_clients=2, loop_seconds=0.3,
        meter=driver.CpuMeter([os.getpgrp()], None))  # the live server runs in this process (its group)
    # On a thread of its own: a browser test in this process leaves Playwright's event loop on the main one.
    with ThreadPoolExecutor(max_workers=1) as pool:
        results, examinees = pool.submit(asyncio.run, scenario).result()

    assert results["started"] == 5 and results["graded"] == 5, results
    assert results["first errors"] == {}
    steps = {row["step"]: row for row in results["steps"]}
    for step in ("log-in", "start", "attempt page (start wave)", "autosave", "bare /healthz (closed loop)",
                 "autosave (closed loop)", "submit", "result page"):
        assert steps[step]["requests"] > 0 and steps[step]["errors"] == 0, step
    assert steps["start"]["requests"] == 5 and steps["submit"]["requests"] == 5
    for wave in ("start wave", "submit wave"):  # the driver's own delay probed throughout each wave
        assert steps[f"the driver's own delay ({wave})"]["requests"] > 0, wave
    assert results["autosave / bare /healthz %"] > 0
    # Where each wave's and loop's CPU went, per request: here the app and the client share one process.
    cpu = results["CPU per request"]
    assert set(cpu) == {"start wave (start + attempt page)", "closed loop: bare /healthz", "closed loop: autosave",
                        "submit wave (submit + result page)"}
    unmeasured = {phase: row for phase, row in cpu.items() if not (row["app ms"] > 0 and row["machine busy ms"] > 0)}
    assert not unmeasured, unmeasured
    # Each examinee kept a session cookie of its own (its own jar, which keeps cookies from a bare IP address).
    cookies = [[c.value for c in e.session.cookie_jar if c.key == "lms_session"] for e in examinees]
    assert all(len(values) == 1 for values in cookies) and len({values[0] for values in cookies}) == 5
    # Every acknowledged autosave is in the answer log (what the benchmark reports as lost answers).
    logged = dict(db.session.execute(select(Attempt.user_id, func.count(AnswerLog.id))
                                     .join(AnswerLog, AnswerLog.attempt_id == Attempt.id)
                                     .group_by(Attempt.user_id)).all())
    assert sum(e.acknowledged for e in examinees) > 0
    assert sum(logged.values()) >= sum(e.acknowledged for e in examinees)


def test_the_bench_nginx_config_is_deploy_nginx_conf_with_ports_and_paths_only(tmp_path):
    driver = _driver()
    deployed = (BENCH.parent / "deploy" / "nginx.conf").read_text()
    text = driver.bench_nginx_config(deployed, listen=18080, upstreams={"lms": [18001, 18002], "lms_exam": [18011]},
                                     folder=tmp_path)
    assert "listen 127.0.0.1:18080 backlog=8192;" in text and "ssl" not in text
    assert "upstream lms {" in text and "server 127.0.0.1:18001;\n        server 127.0.0.1:18002;" in text
    exam_lane = text[text.index("upstream lms_exam {"):]
    assert exam_lane[:exam_lane.index("}")].count("server ") == 1 and "server 127.0.0.1:18011;" in exam_lane
    # The lanes: an open attempt's requests go to the exam lane, the rest to the general lane.
    assert "location /exams/attempts/ {\n            proxy_pass http://lms_exam;" in text
    assert "location / {\n            proxy_pass http://lms;" in text
    for kept in ("least_conn;", "keepalive 64;", "worker_connections 8192;", "proxy_http_version 1.1;",
                 "keepalive_timeout 75s;"):
        assert kept in text


def test_an_examinee_turned_away_at_log_in_comes_back_when_told_and_it_is_not_counted_as_an_error():
    """The front's answer to too many log-ins at once (HTTP 503 with Retry-After: deploy/nginx.conf): the
    driver's examinee waits as told and logs in again, as a person would."""
    driver, turned_away = _driver(), []

    class Front(BaseHTTPRequestHandler):
        def do_GET(self):
            self._send(200, b'<input name="csrf_token" type="hidden" value="t0k3n">')

        def do_POST(self):
            self.rfile.read(int(self.headers["Content-Length"]))
            if self.path == "/login" and len(turned_away) < 2:
                turned_away.append(self.path)
                return self._send(503, b"busy", {"Retry-After": "0"})
            self._send(302, b"", {"Location": "/"})

        def _send(self, status, body, headers=()):
            self.send_response(status)
            for name, value in dict(headers).items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Front)
    threading.Thread(target=server.serve_forever, daemon=True).start()

    async def log_in():
        stats = driver.Stats()
        async with driver.open_session(f"http://127.0.0.1:{server.server_port}") as session:
            examinee = driver.Examinee(0, "someone@example.test", session, stats)
            return await examinee.log_in("a password", "final-exam"), stats

    try:  # in a thread of its own, as the test above: a browser test may have left this thread an event loop
        with ThreadPoolExecutor(1) as pool:
            logged_in, stats = pool.submit(asyncio.run, log_in()).result()
    finally:
        server.shutdown()
    assert logged_in and len(turned_away) == 2
    steps = {row["step"]: row for row in stats.rows()}
    assert steps["log-in turned away (503), came back later"]["requests"] == 2
    assert steps["log-in"]["requests"] == 1 and not any(stats.errors.values())


def test_a_process_that_ends_within_a_phase_takes_none_of_the_others_cpu_time():
    """The meter counts each process's own difference (bench/wave_servers.py, ``spent``): one that ended within
    the phase is left out, not subtracted whole from the sum (which made the app's CPU of a phase negative when
    another process of its group ended: seen in CI, where the tests' own subprocesses share the group), and one
    that started meanwhile counts from nothing."""
    servers = bench_script("wave_servers")
    processes = servers.CpuMeter.PROCESSES

    def reading(machine, **pids):
        return {"client": 1.0, "machine busy": machine, "machine": 2 * machine,
                processes: {int(pid[1:]): value for pid, value in pids.items()}}

    before = reading(10.0, p10=("app", 5.0), p11=("app", 30.0), p12=("database", 2.0))
    after = reading(11.0, p10=("app", 5.5), p13=("app", 0.25), p12=("database", 2.5))  # p11 ended, p13 began
    used = servers.spent(before, after)
    assert used["app"] == 0.75 and used["database"] == 0.5 and used["nginx"] == 0.0
    assert used["machine busy"] == 1.0 and used["client"] == 0.0
    row = servers.cpu_per_request(before, after, requests=10)
    assert row["app ms"] == 75.0 and row["database ms"] == 50.0 and row["machine busy %"] == 50


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a priority back takes root (CAP_SYS_NICE)")
@pytest.mark.parametrize("nice", [-5, 3])
def test_the_driver_runs_at_the_priority_asked_for_while_it_drives_and_gives_it_back(nice):
    driver_priority = _driver().driver_priority

    def drive():  # on a thread of its own: on Linux a thread's nice value is its own, so the suite's keeps its
        before = os.getpriority(os.PRIO_PROCESS, 0)
        with driver_priority(nice):
            during = os.getpriority(os.PRIO_PROCESS, 0)
        return before, during, os.getpriority(os.PRIO_PROCESS, 0)

    with ThreadPoolExecutor(1) as pool:
        before, during, after = pool.submit(drive).result()
    assert (during, after) == (nice, before)


class _Clock:
    """Seconds that pass only when slept."""

    def __init__(self):
        self.now, self.slept = 0.0, []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_the_run_waits_for_the_pace_asked_for_and_measures_it_at_its_interval():
    wave, clock, said = _driver(), _Clock(), []
    paces = iter([1.3, 0.9, 0.45, 0.3])
    came, seen = wave.wait_for_pace(lambda: next(paces), 0.5, every=300, patience=7200, sleep=clock.sleep,
                                    clock=clock, say=said.append)
    assert came and seen == [(0, 1.3), (300, 0.9), (600, 0.45)]  # the first at or under 0.5 ms ends the wait
    assert clock.slept == [300, 300] and "running" in said[-1]


def test_the_run_gives_up_when_the_pace_does_not_come_within_its_patience():
    wave, clock, said = _driver(), _Clock(), []
    came, seen = wave.wait_for_pace(lambda: 1.2, 0.5, every=300, patience=1000, sleep=clock.sleep, clock=clock,
                                    say=said.append)
    assert not came and [seconds for seconds, _ in seen] == [0, 300, 600, 900]  # a fifth would come after 1,000 s
    assert "not running" in said[-1]


def test_the_pace_is_read_from_the_apps_cpu_over_a_closed_loop_of_bare_requests(live_server):
    """Over real HTTP, against a server in this process (its process group stands for the app's): the CPU the loop's
    bare requests cost, per request (what is measured is not judged here: nothing is timed)."""
    wave, requests = _driver(), []
    meter = wave.CpuMeter([os.getpgrp()], None)
    closed_loop = wave.closed_loop

    async def counted(clients, seconds, call):
        done, took = await closed_loop(clients, seconds, call)
        requests.append(done)
        return done, took

    wave.closed_loop = counted  # (a module of its own: bench_script loads it again for each test)
    with ThreadPoolExecutor(1) as pool:  # (a thread of its own: the browser tests' event loop may run in this one)
        ms = pool.submit(asyncio.run, wave.bare_pace(live_server, meter, seconds=0.3, clients=2)).result()
    assert requests[0] > 0 and isinstance(ms, float) and ms > 0
