"""deploy/gunicorn.conf.py's CPU priority for a lane (LMS_NICE; deploy/nginx.conf's lanes, README "Deployment"):
a general-lane request runs at the lower priority on its own thread, and the audit sealer's thread keeps the
worker's. On Linux a thread's nice value is its own; each check runs on a thread of its own, so the test
process keeps its priority."""
import os
import runpy
import threading
from pathlib import Path
from types import SimpleNamespace

import pytest

from lms.audit import sealer as audit_sealer

CONFIG = Path(__file__).resolve().parent.parent / "deploy" / "gunicorn.conf.py"


def _config(monkeypatch, nice: str | None) -> dict:
    if nice is None:
        monkeypatch.delenv("LMS_NICE", raising=False)
    else:
        monkeypatch.setenv("LMS_NICE", nice)
    return runpy.run_path(str(CONFIG))


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
    config["post_worker_init"](SimpleNamespace(wsgi=app))  # the worker's thread, before its first request
    sealer_thread = background_sealing._thread
    assert sealer_thread is not None and sealer_thread.is_alive()

    def serve_a_request():
        config["pre_request"](None, None)
        background_sealing.wake()  # a request's commit wakes the sealer: it does not start another thread
        return _priority(), background_sealing._thread

    assert _on_a_thread(serve_a_request) == (10, sealer_thread)
    assert _priority(sealer_thread.native_id) == before
