"""deploy/gunicorn.conf.py's hooks. The CPU priority of a lane (LMS_NICE; deploy/nginx.conf's lanes, README
"Deployment"): a general-lane request runs at the lower priority on its own thread, and the audit sealer's
thread keeps the worker's (on Linux a thread's nice value is its own; each check runs on a thread of its own,
so the test process keeps its priority). A worker's start: the templates are loaded before its first request,
compiled once on the machine (lms.app's bytecode cache), and what the worker has built frozen out of the
garbage collector's passes (each test that starts a worker gives the suite's objects back to the collector)."""
import gc
import os
import runpy
import sys
import threading
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace

import pytest
from flask import render_template

from lms.app import create_app, load_templates

from .conftest import require_commands

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "deploy" / "gunicorn.conf.py"


def _config(monkeypatch, nice: str | None) -> dict:
    if nice is None:
        monkeypatch.delenv("LMS_NICE", raising=False)
    else:
        monkeypatch.setenv("LMS_NICE", nice)
    return runpy.run_path(str(CONFIG))


@pytest.fixture
def worker_start(monkeypatch):
    """deploy/gunicorn.conf.py's post_worker_init (no nice value), called as gunicorn calls it; what it froze is
    unfrozen after the test."""
    config = _config(monkeypatch, None)
    yield lambda app: config["post_worker_init"](SimpleNamespace(wsgi=app))
    gc.unfreeze()


def _on_a_thread(call):
    """``call()``'s result, called on a new thread (whose priority may change)."""
    result = []
    thread = threading.Thread(target=lambda: result.append(call()))
    thread.start()
    thread.join()
    return result[0]


def _priority(thread_id: int = 0) -> int:
    return os.getpriority(os.PRIO_PROCESS, thread_id)


def test_a_general_lane_request_runs_at_the_nice_value_given_however_many_requests_the_thread_serves(monkeypatch):
    config = _config(monkeypatch, "10")

    def serve_two_requests():
        config["pre_request"](None, None)
        first = _priority()
        config["pre_request"](None, None)  # the value is set, not added to
        return first, _priority()

    before = _priority()
    assert _on_a_thread(serve_two_requests) == (10, 10)
    assert _priority() == before  # the thread's own: the process's other threads keep theirs


def test_an_exam_lane_request_keeps_the_normal_priority(monkeypatch):
    config = _config(monkeypatch, None)

    def serve_a_request():
        config["pre_request"](None, None)
        return _priority()

    assert _on_a_thread(serve_a_request) == _priority()


@pytest.mark.committed
def test_the_sealer_started_with_the_worker_keeps_its_priority_while_general_lane_requests_run_lower(
        app, background_sealing, monkeypatch):
    config, before = _config(monkeypatch, "10"), _priority()
    try:
        config["post_worker_init"](SimpleNamespace(wsgi=app))  # the worker's thread, before its first request
    finally:
        gc.unfreeze()
    sealer_thread = background_sealing._thread
    assert sealer_thread is not None and sealer_thread.is_alive()

    def serve_a_request():
        config["pre_request"](None, None)
        background_sealing.wake()  # a request's commit wakes the sealer: it does not start another thread
        return _priority(), background_sealing._thread

    assert _on_a_thread(serve_a_request) == (10, sealer_thread)
    assert _priority(sealer_thread.native_id) == before


def test_a_worker_freezes_what_it_built_before_its_first_request_out_of_the_collectors_passes(
        worker_start, tmp_path):
    app = _fresh_app(tmp_path)
    gc.collect()
    assert gc.get_freeze_count() == 0
    worker_start(app)
    frozen = gc.get_freeze_count()
    assert frozen > 1_000
    # The app, its loaded templates and its URL map are among what a full pass no longer walks, and what the
    # worker builds after it (its requests' objects) is collected as before.
    tracked = {id(o) for o in gc.get_objects()}
    assert {id(app), id(app.jinja_env.get_template("exams/attempt.html")), id(app.url_map)}.isdisjoint(tracked)
    later = [[]]
    later[0].append(later)
    assert id(later) in {id(o) for o in gc.get_objects()}
    assert gc.get_freeze_count() == frozen


def _fresh_app(instance: Path):
    """A new app (as in a new worker) whose instance folder is ``instance``: no template loaded yet."""
    return create_app({"TESTING": True, "SECRET_KEY": "test-secret-key-not-for-production",
                       "INSTANCE_PATH": str(instance), "SQLALCHEMY_DATABASE_URI": "sqlite://",
                       "AUDIT_SEALING": "inline"})


def test_a_worker_loads_every_template_before_its_first_request(worker_start, tmp_path):
    app = _fresh_app(tmp_path)
    assert not app.jinja_env.cache
    worker_start(app)
    names = [n for n in app.jinja_env.list_templates() if n.endswith((".html", ".txt"))]
    assert len(names) > 100 and len(app.jinja_env.cache) == len(names)  # the exam's pages among them
    assert app.jinja_env.get_template("exams/attempt.html") is app.jinja_env.get_template("exams/attempt.html")


def test_templates_are_compiled_once_per_machine_and_later_workers_read_the_compiled_code(tmp_path):
    first = _fresh_app(tmp_path)
    loaded = load_templates(first)
    assert len(list((tmp_path / "compiled-templates").iterdir())) == loaded

    second = _fresh_app(tmp_path)  # another worker on the same machine

    def compile_refused(*args, **kwargs):
        raise AssertionError("compiled again")

    second.jinja_env.compile = compile_refused
    assert load_templates(second) == loaded
    with second.test_request_context("/"):  # and the code read back renders
        html = render_template("errors/error.html", code=404, title="Page not found", message="Gone.")
    assert "Page not found" in html and "Gone." in html


def _lane_server(name: str, hold_log_ins: threading.Event | None = None):
    """A stand-in for a lane's instances: answers every request with its lane's name (and counts them); with
    ``hold_log_ins``, a log-in (POST /login) is answered only once that is set."""
    class Handler(BaseHTTPRequestHandler):
        def _answer(self):
            self.server.paths.append(self.path)
            if hold_log_ins is not None and self.command == "POST" and self.path == "/login":
                hold_log_ins.wait(30)
            body = name.encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = _answer

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.paths = []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@contextmanager
def _nginx(tmp_path, general, exam):
    """deploy/nginx.conf itself (as the benchmark runs it: bench/wave_servers.py) in front of two stand-ins: a
    function that fetches a path through it, (status, headers, body)."""
    require_commands({"nginx": "nginx"})
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        from wave_servers import start_nginx, stop
    finally:
        sys.path.remove(str(ROOT / "bench"))
    nginx, port = start_nginx({"lms": [general.server_port], "lms_exam": [exam.server_port]}, tmp_path)

    def fetch(path, data=None, headers=None):
        request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, headers=headers or {})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, response.headers, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.headers, error.read()

    try:
        yield fetch
    finally:
        stop([nginx])
        general.shutdown()
        exam.shutdown()


def test_nginx_sends_open_attempts_to_the_exam_lane_the_rest_to_the_general_lane_and_static_files_itself(tmp_path):
    general, exam = _lane_server("general"), _lane_server("exam")
    with _nginx(tmp_path, general, exam) as fetch:
        for path, data in (("/exams/attempts/7?page=2", None), ("/exams/attempts/7/autosave", b"{}"),
                           ("/exams/attempts/7/submit", b"x"), ("/exams/attempts/7/result", None)):
            assert fetch(path, data)[2] == b"exam", path
        for path, data in (("/login", b"x"), ("/exams/final-exam/start", b"x"), ("/exams/final-exam", None),
                           ("/", None)):
            assert fetch(path, data)[2] == b"general", path

        seen = len(general.paths) + len(exam.paths)
        status, headers, body = fetch("/static/css/app.css")
        assert status == 200 and body == (ROOT / "static" / "css" / "app.css").read_bytes()
        assert headers["X-Content-Type-Options"] == "nosniff" and headers["Cache-Control"] == "no-cache"
        assert len(general.paths) + len(exam.paths) == seen  # it did not reach an instance
        for outside in ("/static/../pyproject.toml", "/static/css/../../pyproject.toml", "/static//../pyproject.toml",
                        "/static/%2e%2e/pyproject.toml"):  # nothing outside static/ is sent as a file
            assert fetch(outside)[2] != (ROOT / "pyproject.toml").read_bytes(), outside


def test_the_bench_front_logs_its_own_time_for_each_step_the_driver_names(tmp_path):
    """The benchmark's nginx logs, per request, the step named by the driver's X-Bench-Step header and nginx's
    own time for it; front_latencies reads the log once nginx has stopped (bench/exam_wave.py's front column)."""
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        from wave_servers import FRONT_LOG, front_latencies
    finally:
        sys.path.remove(str(ROOT / "bench"))
    general, exam = _lane_server("general"), _lane_server("exam")
    with _nginx(tmp_path, general, exam) as fetch:
        for _ in range(3):
            assert fetch("/exams/attempts/7?page=1", headers={"X-Bench-Step": "attempt page (start wave)"})[0] == 200
        assert fetch("/exams/final-exam/start", b"x", headers={"X-Bench-Step": "start"})[0] == 200
        assert fetch("/healthz")[0] == 200  # no step named: not counted
    front = front_latencies(tmp_path / FRONT_LOG)
    assert set(front) == {"attempt page (start wave)", "start"}
    assert front["attempt page (start wave)"]["requests"] == 3 and front["start"]["requests"] == 1
    page = front["attempt page (start wave)"]
    assert 0 <= page["p50_ms"] <= page["p95_ms"] <= page["max_ms"] < 30_000


def test_nginx_admits_64_log_ins_at_once_and_tells_the_next_to_come_back_in_a_minute(tmp_path):
    release = threading.Event()
    general, exam = _lane_server("general", hold_log_ins=release), _lane_server("exam")
    with _nginx(tmp_path, general, exam) as fetch, ThreadPoolExecutor(64) as pool:
        try:
            held = [pool.submit(fetch, "/login", b"email=x") for _ in range(64)]
            for _ in range(300):  # until all 64 are in the stand-in (bounded: 30 s)
                if general.paths.count("/login") == 64:
                    break
                release.wait(0.1)
            assert general.paths.count("/login") == 64
            status, headers, body = fetch("/login", b"email=x")
            assert status == 503 and headers["Retry-After"] == "60" and b"logging in right now" in body
            assert general.paths.count("/login") == 64  # refused before it reached an instance
            assert fetch("/login")[:3:2] == (200, b"general")  # the form itself is never refused
            assert fetch("/exams/attempts/7/autosave", b"{}")[2] == b"exam"
        finally:
            release.set()
        assert [future.result()[0] for future in held] == [200] * 64
        assert fetch("/login", b"email=x")[:3:2] == (200, b"general")  # once they are answered, the next is let in
