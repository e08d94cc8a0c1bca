"""Limits under concurrency: the account lockout, the per-address log-in limit and the public
verification limits count every attempt exactly, even when the attempts arrive at the same moment.

The parallel tests send real requests from many threads at once (each with its own client, session and
database connection); they run on SQLite (where writers take turns) and on PostgreSQL (where they race).
"""
import re
import threading
import traceback
from datetime import timedelta

import pytest
from sqlalchemy import event, select

from lms import limits
from lms.models import AuditEvent

from .conftest import PASSWORD, csrf_token

WRONG = "wrong password but long enough"

pytestmark = pytest.mark.committed  # threads on connections of their own must see the data


def _ready_to_log_in(app, address):
    """A client that has acknowledged the notice and holds the log-in form's CSRF token."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    client.post("/notice", data={"acknowledge": "y", "csrf_token": csrf_token(client)})
    return client, csrf_token(client, "/login")


def _all_at_once(calls):
    """Run every call in its own thread, released together; returns their results in order."""
    barrier = threading.Barrier(len(calls))
    results, errors = [None] * len(calls), []

    def run(i, call):
        try:
            barrier.wait()
            results[i] = call()
        except Exception:  # surfaced below, in the test's own thread, with where it was raised
            errors.append(traceback.format_exc())

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, f"{len(errors)} of {len(calls)} calls raised; the first:\n{errors[0]}"
    return results


def _parallel_log_ins(app, attempts):
    """Post (address, e-mail, password) log-ins all at once; returns the responses' status codes and texts."""
    prepared = [(_ready_to_log_in(app, address), email, password) for address, email, password in attempts]

    def call(client, token, email, password):
        return lambda: client.post("/login", data={"email": email, "password": password, "csrf_token": token})

    responses = _all_at_once([call(client, token, email, password)
                              for (client, token), email, password in prepared])
    return [(r.status_code, r.get_data(as_text=True)) for r in responses]


def _without_tokens(html):
    """A page without its CSRF token (each session has its own), to compare answers."""
    return re.sub(r'name="csrf_token"[^>]*>', "", html)


def _login_reasons(db):
    db.session.expire_all()
    return [e.details.get("reason") for e in db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "auth.login").order_by(AuditEvent.seq))]


def test_parallel_wrong_passwords_lock_the_account_after_exactly_the_threshold(app, factory, db):
    user = factory.user(email="t@example.test")
    threshold = app.config["LOCKOUT_THRESHOLD"]
    results = _parallel_log_ins(app, [(f"10.0.1.{n}", "t@example.test", WRONG) for n in range(40)])
    assert [code for code, _ in results] == [401] * 40
    reasons = _login_reasons(db)
    # Exactly `threshold` passwords were checked; every other attempt was refused as locked, unchecked.
    assert reasons.count("bad_password") == threshold and len(reasons) == 40
    assert set(reasons) == {"bad_password", "locked"}
    checked = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "auth.login")).all()
    assert sorted(e.details["consecutive"] for e in checked if e.details["reason"] == "bad_password") == \
        list(range(1, threshold + 1))
    assert len(db.session.scalars(select(AuditEvent).where(AuditEvent.action == "account.lock")).all()) == 1
    db.session.refresh(user)
    assert user.is_locked(factory.clock())
    # The right password is refused too, with the very same answer.
    [(code, text)] = _parallel_log_ins(app, [("10.0.2.1", "t@example.test", PASSWORD)])
    assert code == 401 and _without_tokens(text) == _without_tokens(results[0][1])


def test_failures_from_one_address_that_arrive_together_all_count_and_then_close_it(app, factory, db):
    """The address limit counts failures once they are known: a burst of guesses is counted whole (each
    also counts toward its own account's exact lockout), and the next attempt is refused unchecked."""
    limit = app.config["IP_FAILURE_LIMIT"]
    results = _parallel_log_ins(app, [("192.0.2.7", f"guess{n}@example.test", WRONG) for n in range(limit + 10)])
    assert [code for code, _ in results] == [401] * (limit + 10)
    checked = _login_reasons(db).count("unknown_account")
    # Every checked guess counts (at least the limit's worth were checked: none was refused early); the
    # ones that arrived after the count reached the limit were refused unchecked.
    assert checked >= limit and limits.current("login-address:192.0.2.7", now=factory.clock()) == checked
    assert _login_reasons(db).count("rate_limited") == limit + 10 - checked
    factory.user(email="real@example.test")
    [(code, text)] = _parallel_log_ins(app, [("192.0.2.7", "real@example.test", PASSWORD)])
    assert code == 401 and "Too many failed log-ins from your address" in text
    assert _login_reasons(db).count("rate_limited") == limit + 11 - checked  # refused before its password


def test_many_people_logging_in_at_once_through_one_address_are_all_let_in(app, factory, db):
    """An academy's network: more people than the address's failure limit log in at the same moment."""
    count = app.config["IP_FAILURE_LIMIT"] * 2 + 5
    for n in range(count):
        factory.user(email=f"nat{n}@example.test")
    results = _parallel_log_ins(app, [("192.0.2.9", f"nat{n}@example.test", PASSWORD) for n in range(count)])
    assert [code for code, _ in results] == [302] * count
    assert limits.current("login-address:192.0.2.9", now=factory.clock()) == 0


def test_parallel_misses_on_the_public_verification_page_stop_exactly_at_the_limit(app, db):
    limit = app.config["VERIFY_MISS_LIMIT"]
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = "198.51.100.3"
    codes = _all_at_once([lambda n=n: client.get(f"/verify/unknown-code-{n:06d}").status_code
                          for n in range(limit + 25)])
    assert codes.count(404) == limit and codes.count(429) == 25


def test_a_counter_counts_within_its_window_and_restarts_after_it(app, db, clock):
    window = timedelta(minutes=10)
    assert [limits.hit("k", window=window, now=clock()) for _ in range(3)] == [1, 2, 3]
    clock.advance(minutes=9)
    assert limits.hit("k", window=window, now=clock()) == 4  # the window runs from the first hit
    limits.give_back("k", now=clock())
    assert limits.current("k", now=clock()) == 3
    clock.advance(minutes=2)
    assert limits.current("k", now=clock()) == 0
    assert limits.hit("k", window=window, now=clock()) == 1
    limits.clear("k")
    assert limits.current("k", now=clock()) == 0
    assert limits.hit("other", window=window, now=clock()) == 1


def test_a_count_in_a_request_that_only_reads_takes_its_turn_among_the_writers(app, db, clock, sqlite_only):
    """A GET's transactions begin DEFERRED on SQLite (reading holds no lock), but a count's own transaction
    writes: it begins IMMEDIATE and so waits in the writers' queue. A deferred one would poll for the lock,
    and in a burst of queued writers could be kept waiting past the busy timeout ("database is locked").
    A count read takes no lock, even where transactions begin IMMEDIATE (outside a request: commands)."""
    began = []

    def seen(conn, cursor, statement, *args):
        if statement.startswith("BEGIN"):
            began.append(statement)

    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        with app.test_request_context("/verify/unknown-code", method="GET"):
            assert limits.hit("k", window=timedelta(minutes=10), now=clock()) == 1
            limits.give_back("k", now=clock())
            with db.engine.connect() as conn:  # what the request's own reads begin with, for contrast
                conn.execute(select(1))
        assert limits.current("k", now=clock()) == 0
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)
    assert began == ["BEGIN IMMEDIATE", "BEGIN IMMEDIATE", "BEGIN", "BEGIN"]


def test_a_counter_is_kept_when_the_request_that_made_it_fails(app, db, clock):
    """A count is committed at once: a request that fails after counting cannot take its count back."""
    window = timedelta(minutes=10)
    limits.hit("k", window=window, now=clock())
    db.session.rollback()
    assert limits.current("k", now=clock()) == 1


def test_no_password_is_hashed_while_the_log_in_holds_a_transaction(app, factory, db, monkeypatch):
    """Hashing takes tens of milliseconds: a write lock held meanwhile (SQLite's BEGIN IMMEDIATE) would
    make concurrent log-ins queue, and time out as "database is locked"."""
    from lms.accounts import login
    from lms.extensions import db as extension
    from lms.security import _hasher

    user = factory.user(email="t@example.test")
    legacy = "the \ufb01rst passphrase of the day"  # "ﬁ": NFKC makes it "fi"
    user.password_hash = _hasher()[0].hash(legacy)  # made before normalisation: rehashed at log-in
    db.session.commit()
    seen = []

    def watched(function):
        def run(*args, **kwargs):
            seen.append((function.__name__, extension.session().in_transaction()))
            return function(*args, **kwargs)
        return run

    monkeypatch.setattr(login, "verify_password", watched(login.verify_password))
    monkeypatch.setattr(login, "hash_password", watched(login.hash_password))
    results = _parallel_log_ins(app, [("10.0.3.1", "t@example.test", legacy), ("10.0.3.2", "t@example.test", WRONG),
                                      ("10.0.3.3", "nobody@example.test", WRONG)])
    assert sorted(code for code, _ in results) == [302, 401, 401]
    assert sorted(seen) == [("hash_password", False)] + [("verify_password", False)] * 3
