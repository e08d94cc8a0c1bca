"""A real local SMTP server (aiosmtpd) the notification tests deliver to, and a queue they drive."""
import datetime
import email
import email.policy
import socket
from contextlib import contextmanager

import pytest
from aiosmtpd.controller import Controller

from lms import jobs
from tests.conftest import jobs_run_at_once

PUBLIC_URL = "https://lms.example.gov"


class Inbox:
    """What the SMTP server received: parsed messages, in order."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 OK"

    def to(self, address):
        return [m for m in self.messages if m["To"] == address]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp(app, monkeypatch):
    """A running SMTP server on a free port, and the app set to send to it (links under PUBLIC_URL)."""
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setitem(app.config, "SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "SMTP_PORT", port)
    monkeypatch.setitem(app.config, "PUBLIC_URL", PUBLIC_URL)
    try:
        yield inbox
    finally:
        controller.stop()


@contextmanager
def queued():
    """Jobs are queued instead of run at once, as in production (the app's storage: a SQLite file in the test
    instance folder); ``drain()`` runs them."""
    jobs.huey.immediate = False
    try:
        yield
    finally:
        jobs_run_at_once()


def drain() -> int:
    """Run every queued job, as a consumer's worker does; returns how many ran."""
    ran = 0
    while (task := jobs.huey.dequeue()) is not None:
        jobs.huey.execute(task)
        ran += 1
    return ran


def run_retries() -> int:
    """Run the retries scheduled for later (as the consumer's scheduler does once their time comes)."""
    later = datetime.datetime.now(datetime.UTC).replace(tzinfo=None) + datetime.timedelta(days=1)
    due = jobs.huey.read_schedule(later)
    for task in due:
        jobs.huey.execute(task, timestamp=later)
    return len(due)
