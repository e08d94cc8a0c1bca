"""Exam engine benchmark: gunicorn + SQLite or PostgreSQL, driven over HTTP on the loopback.

Many simulated trainees log in, start the same exam at once, open pages and autosave answers, and
submit at once. It reports requests per second and p50/p95/p99 latency per step, the same server's
/healthz figure measured in the same run (as a ratio), how long it took for everyone to be started
and to be graded, and whether any acknowledged answer was lost. Every loop is bounded. See README.md.
"""
import argparse
import http.client
import json
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode

from wave_servers import latencies  # the sibling module (this folder is on the path: the script's own, or set)

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "correct horse battery staple 42"
EXAM = "agreement-exam"
TRACK = "officer-basic"
CSRF = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"|name="csrf-token" content="([^"]+)"')
QUESTION = re.compile(r'data-position="(\d+)" data-qtype="(\w+)"')
NAV = re.compile(r'data-nav="(\d+)"')


# -- set-up ----------------------------------------------------------------------------------------


def prepare_database(url: str, instance: Path, trainees: int, exam: str = EXAM) -> None:
    """A fresh database: migrations, the bundled course, one cohort of the officers' track in the week of ``exam``
    (week 2 for the default), N trainees."""
    if url.startswith("postgresql"):
        import psycopg

        base, name = url.rsplit("/", 1)
        with psycopg.connect(base.replace("+psycopg", "") + "/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
    os.environ.update(LMS_DATABASE_URL=url, LMS_INSTANCE_PATH=str(instance), LMS_SECRET_KEY="bench-secret-key")
    from flask_migrate import upgrade

    from lms.app import create_app
    from lms.accounts.users import create_user
    from lms.audit import ensure_head
    from lms.clock import system_now
    from lms.cohorts.roster import create_cohort, enroll
    from lms.agencies.agencies import create_agency
    from lms.content import sync_content
    from lms.extensions import db
    from lms.clock import program_today
    from lms.models import Role, Track, TrackItem, User

    app = create_app()  # the production password hash: a log-in verifies it at full cost, and rehashes nothing
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        ensure_head()
        now = system_now()
        sync_content(ROOT, now=now)
        agency = create_agency(name="Bench County Sheriff", state="VA", ori="VA0000001", now=now)
        track = db.session.scalar(db.select(Track).where(Track.slug == TRACK))
        week = db.session.scalar(db.select(TrackItem.week).where(TrackItem.track_id == track.id,
                                                                 TrackItem.kind == "exam", TrackItem.ref == exam))
        if week is None:
            raise SystemExit(f"{exam}: not an exam of the {TRACK} track")
        cohort = create_cohort(name="Bench cohort", track=track,  # in the second day of the exam's week
                               start_date=program_today(now) - timedelta(days=7 * (week - 1) + 1),
                               agencies=[agency], now=now)
        template = create_user(email="bench0@example.test", name="Bench Trainee 0", role=Role.TRAINEE,
                               password=PASSWORD, agency=agency, now=now)
        enroll(template, cohort, now=now)
        for i in range(1, trainees):
            # One hash for all: the server verifies what it is given; the benchmark is not about argon2.
            user = User(email=f"bench{i}@example.test", name=f"Bench Trainee {i}", role="trainee",
                        agency=agency, password_hash=template.password_hash, session_token=f"{i:032x}",
                        created_at=now)
            db.session.add(user)
            db.session.flush()
            enroll(user, cohort, now=now)
        db.session.commit()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(url: str, instance: Path, workers: int, threads: int,
                 synchronous: str | None = None) -> tuple[subprocess.Popen, int]:
    """gunicorn on a free port, answering /healthz (``synchronous``: LMS_SQLITE_SYNCHRONOUS, else the default)."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("LMS_")}
    env.update(LMS_DATABASE_URL=url, LMS_INSTANCE_PATH=str(instance), LMS_SECRET_KEY="bench-secret-key")
    if synchronous:
        env["LMS_SQLITE_SYNCHRONOUS"] = synchronous
    log = open(instance / f"gunicorn{'-' + synchronous if synchronous else ''}.log", "ab")
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
         "--worker-class", "gthread", "--threads", str(threads), "--keep-alive", "30", "--backlog", "4096",
         "lms.app:create_app()"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    for _ in range(300):  # bounded: 30 s
        if process.poll() is not None:
            raise SystemExit(f"gunicorn exited: see {instance / 'gunicorn.log'}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return process, port
        except OSError:
            pass
        time.sleep(0.1)
    process.terminate()
    raise SystemExit("gunicorn did not answer within 30 s")


# -- the simulated trainee ---------------------------------------------------------------------------


class Stats:
    """Latencies per step, thread-safe."""

    def __init__(self):
        self.lock = threading.Lock()
        self.times = defaultdict(list)
        self.errors = defaultdict(int)
        self.spans = {}

    def add(self, step: str, seconds: float, ok: bool) -> None:
        with self.lock:
            self.times[step].append(seconds)
            if not ok:
                self.errors[step] += 1
            first, last = self.spans.get(step, (time.perf_counter() - seconds, 0))
            self.spans[step] = (min(first, time.perf_counter() - seconds), time.perf_counter())


def answer_fields(kind: str, position: int, flip: int) -> list[list[str]]:
    """An autosave's form fields for the question at ``position``: each ``flip`` a different answer (a change)."""
    name = f"a{position}"
    if kind == "matching":
        return [[f"{name}.1", str(1 + flip % 2)]]
    value = {"single": str(1 + flip % 2), "multiple": str(1 + flip % 2), "true_false": ("true", "false")[flip % 2],
             "short": f"answer {flip}", "numeric": str(flip)}.get(kind)
    return [[name, value]]


class Trainee:
    """One keep-alive connection and a cookie jar, as a browser tab."""

    def __init__(self, port: int, number: int, stats: Stats):
        self.number, self.stats = number, stats
        self.connect(port)
        self.cookie = ""
        self.token = ""
        self.attempt_url = ""
        self.questions: dict[int, str] = {}
        self.total = 0
        self.acknowledged = 0  # autosaves that changed an answer and were acknowledged
        self.flip = defaultdict(int)

    def connect(self, port: int) -> None:
        """Talk to the server on ``port`` (the cookie and the attempt stay: servers share the database)."""
        if getattr(self, "conn", None) is not None:
            self.conn.close()
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def request(self, step: str | None, method: str, path: str, body=None, headers=None, cookie=True):
        headers = dict(headers or {})
        if self.cookie and cookie:
            headers["Cookie"] = self.cookie
        begin = time.perf_counter()
        for tries in range(2):  # one reconnect if the server closed an idle keep-alive connection
            try:
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                data = response.read()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
                if tries:
                    raise
        cookie = response.getheader("Set-Cookie")
        if cookie:
            self.cookie = cookie.split(";", 1)[0]
        if step:
            self.stats.add(step, time.perf_counter() - begin, response.status < 400)
        return response.status, response.getheader("Location"), data.decode()

    def form(self, step, path, fields):
        fields = dict(fields, csrf_token=self.token)
        return self.request(step, "POST", path, urlencode(fields),
                            {"Content-Type": "application/x-www-form-urlencoded"})

    def read_token(self, html: str) -> None:
        match = CSRF.search(html)
        if match:
            self.token = match.group(1) or match.group(2)

    def log_in(self) -> None:
        self.read_token(self.request(None, "GET", "/notice")[2])
        self.form(None, "/notice", {"acknowledge": "y"})
        self.read_token(self.request(None, "GET", "/login")[2])
        status, _, _ = self.form("login", "/login", {"email": f"bench{self.number}@example.test",
                                                      "password": PASSWORD})
        assert status == 302, f"log-in failed for trainee {self.number}: {status}"
        self.read_token(self.request(None, "GET", f"/exams/{EXAM}")[2])

    def start(self) -> None:
        status, location, _ = self.form("start", f"/exams/{EXAM}/start", {})
        assert status == 302 and "/attempts/" in location, (status, location)
        self.attempt_url = location.split("?")[0]

    def open_page(self, page: int) -> None:
        status, _, html = self.request("page", "GET", f"{self.attempt_url}?page={page}")
        self.read_token(html)
        self.questions.update({int(p): kind for p, kind in QUESTION.findall(html)})
        self.total = max(self.total, len(NAV.findall(html)))

    def autosave(self, position: int, step: str = "autosave") -> None:
        fields = answer_fields(self.questions[position], position, self.flip[position])
        self.flip[position] += 1
        status, _, body = self.request(step, "POST", f"{self.attempt_url}/autosave",
                                       json.dumps({"position": position, "fields": fields}),
                                       {"Content-Type": "application/json", "X-CSRFToken": self.token})
        if status == 200 and json.loads(body).get("ok"):
            self.acknowledged += 1

    def submit(self) -> None:
        status, location, _ = self.form("submit", f"{self.attempt_url}/submit", {})
        assert status == 302 and location.endswith("/result"), (status, location)

    def result(self) -> None:
        self.request("result", "GET", f"{self.attempt_url}/result")


def run_all(items, work, concurrency: int) -> float:
    """Run work(item) over items with ``concurrency`` threads; returns the wall time."""
    items = list(items)
    lock = threading.Lock()
    errors = []

    def runner():
        while True:
            with lock:
                if not items:
                    return
                item = items.pop()
            try:
                work(item)
            except Exception as error:  # noqa: BLE001 - counted and reported
                errors.append(repr(error))

    begin = time.perf_counter()
    threads = [threading.Thread(target=runner) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        print(f"  {len(errors)} error(s), first: {errors[0]}", file=sys.stderr)
    return time.perf_counter() - begin


def closed_loop(step: str, stats: Stats, clients, requests_each: int, call) -> float:
    """Each client sends ``requests_each`` requests back to back; returns requests per second."""
    begin = time.perf_counter()
    threads = [threading.Thread(target=lambda c=c: [call(c) for _ in range(requests_each)]) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return len(clients) * requests_each / (time.perf_counter() - begin)


def report(stats: Stats, url: str, extra: dict) -> str:
    lines = [f"database: {url.split('://')[0]}", "",
             "| step | requests | errors | req/s | p50 ms | p95 ms | p99 ms |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    fixed = ["login", "start", "page", "autosave", "submit", "result", "healthz (closed loop)",
             "healthz with a session (closed loop)", "autosave (closed loop)"]
    for step in fixed + sorted(set(stats.times) - set(fixed)):
        times = stats.times.get(step)
        if not times:
            continue
        first, last = stats.spans[step]
        rps, ms = len(times) / max(last - first, 1e-9), latencies(times)
        lines.append(f"| {step} | {len(times)} | {stats.errors[step]} | {rps:.0f} | "
                     f"{ms['p50_ms']:.1f} | {ms['p95_ms']:.1f} | {ms['p99_ms']:.1f} |")
    lines.append("")
    lines += [f"- {k}: {v}" for k, v in extra.items()]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database", default="sqlite",
                        help="sqlite, or a postgresql:// URL (its database is recreated)")
    parser.add_argument("--trainees", type=int, default=200)
    parser.add_argument("--autosaves", type=int, default=10, help="autosaves per trainee in the exam phase")
    parser.add_argument("--concurrency", type=int, default=50, help="client threads")
    parser.add_argument("--workers", type=int, default=(os.cpu_count() or 2) * 2)
    parser.add_argument("--threads", type=int, default=4, help="gunicorn threads per worker")
    parser.add_argument("--loop-requests", type=int, default=100, help="requests per client in the closed loops")
    parser.add_argument("--sqlite-synchronous", default="",
                        help="SQLite only: comma-separated LMS_SQLITE_SYNCHRONOUS levels "
                             "(e.g. NORMAL,FULL,NORMAL,FULL); "
                             "the autosave closed loop is run again against a fresh server for each, in this order")
    args = parser.parse_args()
    levels = [level.strip().upper() for level in args.sqlite_synchronous.split(",") if level.strip()]
    if levels and args.database != "sqlite":
        parser.error("--sqlite-synchronous needs --database sqlite")

    instance = Path(tempfile.mkdtemp(prefix="lms-bench-"))
    url = f"sqlite:///{instance / 'bench.db'}" if args.database == "sqlite" else args.database
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    print(f"preparing {args.trainees} trainees in {instance} ...", file=sys.stderr)
    prepare_database(url, instance, args.trainees)
    server, port = start_server(url, instance, args.workers, args.threads)
    stats = Stats()
    try:
        trainees = [Trainee(port, i, stats) for i in range(args.trainees)]
        run_all(trainees, Trainee.log_in, args.concurrency)
        started_in = run_all(trainees, Trainee.start, args.concurrency)
        run_all(trainees, lambda t: t.open_page(1), args.concurrency)

        def exam_phase(t):
            pages = (t.total + 4) // 5  # the bundled exams show 5 questions a page
            for page in range(2, pages + 1):
                t.open_page(page)
            rng = random.Random(t.number)
            positions = sorted(t.questions)
            for _ in range(args.autosaves):
                t.autosave(rng.choice(positions))

        run_all(trainees, exam_phase, args.concurrency)

        # Throughput of the bare endpoint (no session, as a load balancer asks it) and of autosave (session,
        # log-in, CSRF, ownership, deadline, write): same server, same client, same concurrency.
        loop_clients = trainees[: args.concurrency]
        healthz_rps = closed_loop("healthz", stats, loop_clients, args.loop_requests,
                                  lambda t: t.request("healthz (closed loop)", "GET", "/healthz", cookie=False))
        session_rps = closed_loop("healthz-session", stats, loop_clients, args.loop_requests,
                                  lambda t: t.request("healthz with a session (closed loop)", "GET", "/healthz"))
        rng = random.Random(7)
        autosave_rps = closed_loop("autosave", stats, loop_clients, args.loop_requests,
                                   lambda t: t.autosave(rng.choice(sorted(t.questions)), "autosave (closed loop)"))
        by_level = defaultdict(list)
        for level in levels:  # the same attempts and clients, one fresh server per level
            other, other_port = start_server(url, instance, args.workers, args.threads, synchronous=level)
            try:
                for t in loop_clients:
                    t.connect(other_port)
                step = f"autosave, synchronous={level}, run {len(by_level[level]) + 1} (closed loop)"
                by_level[level].append(closed_loop(step, stats, loop_clients, args.loop_requests,
                                                   lambda t, s=step: t.autosave(rng.choice(sorted(t.questions)), s)))
            finally:
                other.terminate()
                other.wait(timeout=30)
        for t in loop_clients:
            t.connect(port)
        submitted_in = run_all(trainees, Trainee.submit, args.concurrency)
        run_all(trainees, Trainee.result, args.concurrency)
        lost = count_lost(url, instance, trainees)
        extra = {
            "trainees": args.trainees,
            "gunicorn": f"{args.workers} workers x {args.threads} threads (gthread)",
            "client threads": args.concurrency,
            f"all {args.trainees} started in": f"{started_in:.2f} s",
            f"all {args.trainees} submitted and graded in": f"{submitted_in:.2f} s",
            "healthz closed loop": f"{healthz_rps:.0f} req/s",
            "autosave closed loop": f"{autosave_rps:.0f} req/s",
            "healthz with a session closed loop": f"{session_rps:.0f} req/s",
            "autosave / healthz": f"{100 * autosave_rps / healthz_rps:.0f} %",
            "autosave / healthz with a session": f"{100 * autosave_rps / session_rps:.0f} %",
            "acknowledged answers lost": lost,
        }
        for level, runs in by_level.items():
            extra[f"autosave closed loop, synchronous={level}"] = ", ".join(f"{r:.0f}" for r in runs) + " req/s"
        print(report(stats, url, extra))
    finally:
        server.terminate()
        server.wait(timeout=30)
        if url.startswith("sqlite"):
            shutil.rmtree(instance, ignore_errors=True)


def count_lost(url: str, instance: Path, trainees) -> int:
    """Acknowledged answer changes that are not in the answer log (should be 0)."""
    from sqlalchemy import func, select

    from lms.app import create_app
    from lms.extensions import db
    from lms.models import AnswerLog, Attempt, User

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "INSTANCE_PATH": str(instance)})
    with app.app_context():
        logged = dict(db.session.execute(
            select(User.email, func.count(AnswerLog.id)).join(Attempt, Attempt.user_id == User.id)
            .join(AnswerLog, AnswerLog.attempt_id == Attempt.id).group_by(User.email)).all())
        db.session.remove()
        db.engine.dispose()
    return sum(max(0, t.acknowledged - logged.get(f"bench{t.number}@example.test", 0)) for t in trainees)


def audit_state(url: str, instance: Path) -> str:
    """The audit chain once the servers have stopped: every event the run appended sealed, the chain whole."""
    from lms.app import create_app
    from lms.audit import verify_chain
    from lms.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "INSTANCE_PATH": str(instance),
                      "AUDIT_SEALING": "inline"})
    with app.app_context():
        report = verify_chain()
        db.session.remove()
        db.engine.dispose()
    state = "unbroken" if report.ok else f"BROKEN at seq {report.seq}: {report.problem}"
    return f"{report.events} sealed, {report.unsealed} awaiting sealing, chain {state}"


if __name__ == "__main__":
    main()
