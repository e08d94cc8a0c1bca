"""The exam wave at scale (issue 15): many simulated examinees against the production command, asyncio + aiohttp.

Each examinee is a browser tab: its own keep-alive connection (from its own loopback address) and cookie jar,
the real log-in, start, attempt page, autosave, submit and result. The client is aiohttp, whose HTTP parser is
in C: it shares the servers' cores, and costs about a sixth of httpx's CPU per request (client_cost.py).
The run, for each database in turn (with ``--wait-for-pace MS``, once its servers are up, only when a bare /healthz
costs the app MS ms at most: ``wait_for_pace``):

1. log-in: every examinee acknowledges the notice and logs in, the log-ins spread over ``--login-seconds``;
2. start wave: N starts spread evenly over ``--wave-seconds`` (2 s), each followed at once by its attempt
   page: "all N started in" (from the first request to the last answer) and the pages' p95 during the wave;
3. steady phase: every examinee autosaves every 30 s and turns a page every 60 s, in simulated time
   compressed ``--compression`` times (so every 30/c and 60/c real seconds), for ``--steady-seconds`` real
   seconds, each examinee's first save at a random moment of its period; a prober asks the bare /healthz of
   the same front 10 times a second throughout;
4. closed loops (same front, same clients): the bare /healthz, then autosave, each for ``--loop-seconds``,
   ``--loop-clients`` clients sending back to back: "autosave / bare /healthz" is their throughput ratio;
5. submit wave: N submits spread over ``--wave-seconds``, each followed by its result page: "all N graded in";
6. lost answers: acknowledged autosaves missing from the answer log (must be 0).

Servers: the production command (gunicorn -c deploy/gunicorn.conf.py 'lms.app:create_app()'), ``--instances``
masters on their own ports in each of deploy/nginx.conf's two lanes (the exam lane for open attempts, the
general lane, at a lower CPU priority, for the rest; ``--no-lanes``: one set of instances serves both), behind
nginx (deploy/nginx.conf with its ports and paths replaced; ``--front direct`` talks to one instance) sharing
the database and, when Redis answers on 127.0.0.1:6379, the limits.
Everything stays on 127.0.0.1, every loop is bounded, and every server started is stopped at the end.

    .venv/bin/python bench/exam_wave.py --examinees 200      # SQLite, then PostgreSQL; JSON + Markdown
See README.md in this folder for the options, the method and the figures.
"""
import argparse
import asyncio
import json
import os
import random
import shutil
import sys
import tempfile
import time
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent))
from exam_bench import CSRF, EXAM, NAV, QUESTION, answer_fields, count_lost  # the sibling benchmark
from wave_servers import (  # noqa: F401 (bench_nginx_config: the tests reach it here)
    FRONT_LOG,
    CpuMeter,
    bench_nginx_config,
    cpu_per_request,
    free_port,
    front_latencies,
    latencies,
    machine,
    redis_url,
    start_instance,
    start_nginx,
    stop,
)

ROOT = Path(__file__).resolve().parent.parent
SIMULATED_SAVE, SIMULATED_PAGE = 30.0, 60.0  # seconds between an examinee's saves and page turns (simulated)
TIMEOUT = aiohttp.ClientTimeout(total=120)  # every request is bounded
REQUEST_ERRORS = (aiohttp.ClientError, TimeoutError)  # what counts as a failed request besides a status >= 400
# Each request names its step in this header, which the app ignores and the bench's nginx logs with its own
# time for the request (wave_servers.front_latencies): the same steps measured at the front.
STEP = "X-Bench-Step"
PROBE, BARE = "bare /healthz during the steady phase", "bare /healthz (closed loop)"
PACE = "bare /healthz (the host's pace, before the run)"


# -- the measurements -------------------------------------------------------------------------------------------


class Stats:
    """Latencies and errors per step (one event loop: no locks needed)."""

    def __init__(self):
        self.times = defaultdict(list)
        self.errors = defaultdict(int)
        self.first_error = {}

    def add(self, step: str, seconds: float, ok: bool, detail: str = "") -> None:
        self.times[step].append(seconds)
        if not ok:
            self.errors[step] += 1
            self.first_error.setdefault(step, detail)

    def rows(self) -> list[dict]:
        return [{"step": step, "requests": len(times), "errors": self.errors[step], **latencies(times)}
                for step, times in self.times.items() if times]


# -- the client -------------------------------------------------------------------------------------------------


def address(number: int) -> str:
    """Examinee ``number``'s own source address in the loopback range (127.1.0.1 on): each comes from its own
    address, as people at their own computers do, so the per-address log-in limit sees one person each."""
    return f"127.1.{number // 250}.{number % 250 + 1}"


def open_session(base_url: str, number: int | None = None) -> aiohttp.ClientSession:
    """A browser tab: one keep-alive connection, from examinee ``number``'s own address when given (else
    127.0.0.1), and its own cookie jar (``unsafe``: aiohttp's jar keeps no cookie from a bare IP address
    otherwise). Opened inside the running event loop; the caller closes it."""
    local = {"local_addr": (address(number), 0)} if number is not None else {}
    return aiohttp.ClientSession(base_url, connector=aiohttp.TCPConnector(limit=1, **local),
                                 cookie_jar=aiohttp.CookieJar(unsafe=True), timeout=TIMEOUT)


@dataclass(frozen=True)
class Reply:
    """A response read whole, as a browser reads it; aiohttp's own is released once its body is read."""
    status_code: int
    headers: object  # case-insensitive (aiohttp's CIMultiDictProxy)
    text: str

    def json(self):
        return json.loads(self.text)


async def fetch(session: aiohttp.ClientSession, method: str, path: str, **kw) -> Reply:
    """One request and its whole body. Redirects are not followed (a browser would, but the driver reads the
    ``Location`` of the log-in, the start and the submit itself, and asks for the next page as its own step)."""
    async with session.request(method, path, allow_redirects=False, **kw) as response:
        return Reply(response.status, response.headers, await response.text())


# -- one examinee -----------------------------------------------------------------------------------------------


# How often an examinee turned away at log-in (HTTP 503) tries again, as told (Retry-After: 60 s), before giving up:
# 20 minutes, longer than the slowest hour's 2,000 log-ins took (411 s: 59 examinees gave up after 5 turns, and the
# wave started without them). A wave is measured with all N.
LOG_IN_TURNS = 20


@dataclass
class Examinee:
    number: int
    email: str
    session: aiohttp.ClientSession
    stats: Stats
    token: str = ""
    attempt_url: str = ""
    questions: dict = field(default_factory=dict)
    pages: int = 1
    page: int = 1
    acknowledged: int = 0  # autosaves that changed an answer and were acknowledged (count_lost reads it)
    flips: dict = field(default_factory=lambda: defaultdict(int))

    async def call(self, step, method, path, busy_step: str = "", **kw) -> Reply | None:
        """One request, timed under ``step``; an HTTP 503 goes under ``busy_step`` instead, when given, and is not
        an error there (the front turned the request away, as designed, and the examinee comes back)."""
        begin = time.perf_counter()
        try:
            response = await fetch(self.session, method, path, headers={**kw.pop("headers", {}), STEP: step}, **kw)
        except REQUEST_ERRORS as error:
            self.stats.add(step, time.perf_counter() - begin, False, f"{type(error).__name__}: {error}")
            return None
        if busy_step and response.status_code == 503:
            self.stats.add(busy_step, time.perf_counter() - begin, True)
            return response
        ok = response.status_code < 400
        self.stats.add(step, time.perf_counter() - begin, ok, "" if ok else f"HTTP {response.status_code}")
        return response

    def read_token(self, html: str) -> None:
        match = CSRF.search(html)
        if match:
            self.token = match.group(1) or match.group(2)

    async def form(self, step, path, fields, busy_step: str = "") -> Reply | None:
        return await self.call(step, "POST", path, busy_step, data=dict(fields, csrf_token=self.token))

    async def log_in(self, password: str, exam: str) -> bool:
        for path in ("/notice", None, "/login"):
            if path is None:
                await self.form("notice", "/notice", {"acknowledge": "y"})
                continue
            page = await self.call("log-in form", "GET", path)
            if page is None:
                return False
            self.read_token(page.text)
        for _ in range(LOG_IN_TURNS):  # turned away (too many log-ins at once: deploy/nginx.conf), it comes back
            response = await self.form("log-in", "/login", {"email": self.email, "password": password},
                                       busy_step="log-in turned away (503), came back later")
            if response is None or response.status_code != 503:
                break
            await asyncio.sleep(float(response.headers.get("retry-after", 60)))
        if response is None or response.status_code != 302:
            return False
        page = await self.call("exam page", "GET", f"/exams/{exam}")
        if page is not None:
            self.read_token(page.text)
        return page is not None

    async def start(self, exam: str) -> bool:
        response = await self.form("start", f"/exams/{exam}/start", {})
        location = response.headers.get("location", "") if response is not None else ""
        if response is None or response.status_code != 302 or "/attempts/" not in location:
            if response is not None and response.status_code < 400:
                self.stats.add("start", 0.0, False, f"HTTP {response.status_code} to {location!r}")
            return False
        self.attempt_url = location.split("?")[0]
        return await self.open_page(1, "attempt page (start wave)")

    async def open_page(self, page: int, step: str = "attempt page") -> bool:
        response = await self.call(step, "GET", self.attempt_url, params={"page": page})
        if response is None or response.status_code != 200:
            return False
        self.read_token(response.text)
        self.questions.update({int(p): kind for p, kind in QUESTION.findall(response.text)})
        per_page = max(1, len(QUESTION.findall(response.text)))
        self.pages = max(self.pages, -(-len(NAV.findall(response.text)) // per_page))
        self.page = page
        return True

    async def turn_page(self) -> None:
        await self.open_page(self.page % self.pages + 1)

    async def autosave(self, rng: random.Random, step: str = "autosave") -> None:
        if not self.questions:
            return
        position = rng.choice(sorted(self.questions))
        fields = answer_fields(self.questions[position], position, self.flips[position])
        self.flips[position] += 1
        response = await self.call(step, "POST", f"{self.attempt_url}/autosave",
                                   json={"position": position, "fields": fields}, headers={"X-CSRFToken": self.token})
        if response is not None and response.status_code == 200 and response.json().get("ok"):
            self.acknowledged += 1

    async def submit(self) -> bool:
        response = await self.form("submit", f"{self.attempt_url}/submit", {})
        if response is None or response.status_code != 302:
            return False
        return (await self.call("result page", "GET", f"{self.attempt_url}/result")) is not None


# -- the scenario -----------------------------------------------------------------------------------------------


async def spread(examinees, seconds: float, work) -> tuple[float, int]:
    """Run ``work(e)`` for every examinee, their starts spread evenly over ``seconds``; returns the time from
    the first start to the last answer, and how many succeeded (``work`` returned True)."""
    begin = time.perf_counter()
    step = seconds / max(1, len(examinees))

    async def one(i, examinee):
        await asyncio.sleep(i * step)
        return await work(examinee)

    outcomes = await asyncio.gather(*(one(i, e) for i, e in enumerate(examinees)))
    return time.perf_counter() - begin, sum(1 for ok in outcomes if ok)


LAG_PROBE_SECONDS = 0.01


async def with_lag_probe(stats: Stats, step: str, wave):
    """``wave``'s result, awaited while a probe sleeps 10 ms at a time and records under ``step`` how much later than
    asked the driver's event loop woke it: the driver's own delay (its one thread serving every simulated browser,
    on the cores it shares with the servers), counted in every latency it reads meanwhile; the front's column is
    nginx's time without it."""
    done = asyncio.Event()

    async def probe():
        while not done.is_set():
            begin = time.perf_counter()
            await asyncio.sleep(LAG_PROBE_SECONDS)
            stats.add(step, max(0.0, time.perf_counter() - begin - LAG_PROBE_SECONDS), True)

    prober = asyncio.create_task(probe())
    try:
        return await wave
    finally:
        done.set()
        await prober


async def closed_loop(clients, seconds: float, call) -> tuple[int, float]:
    """Each client sends requests back to back for ``seconds`` (the one in flight at the end finishes);
    returns the requests completed and the seconds taken. A fixed duration, not a fixed count: with a count, the
    measure ends with the slowest client, and a loop of a few hundred requests is mostly its ramp and tail."""
    begin = time.perf_counter()
    deadline, done = begin + seconds, [0]

    async def loop(client):
        while time.perf_counter() < deadline:
            await call(client)
            done[0] += 1

    await asyncio.gather(*(loop(c) for c in clients))
    return done[0], time.perf_counter() - begin


async def run_scenario(base_url: str, emails: list[str], *, password: str, exam: str, wave_seconds: float = 2.0,
                       login_seconds: float = 2.0, steady_seconds: float = 30.0, compression: float = 10.0,
                       loop_clients: int = 20, loop_seconds: float = 10.0, seed: int = 1,
                       meter=None) -> tuple[dict, list]:
    """Drive one server (its front at ``base_url``) through the whole scenario; returns (results, examinees).
    Bounded: every phase has a fixed number of requests or a fixed duration, and every request 120 s.
    ``meter`` (wave_servers.CpuMeter), when given, reads the CPU spent around the waves and the closed loops:
    results["CPU per request"] says where each phase's went."""
    stats, rng = Stats(), random.Random(seed)
    cpu, marks = {}, {}

    def mark(phase: str, requests: int | None = None) -> None:  # at a phase's start (no count), then its end
        if meter is None:
            return
        if requests is None:
            marks[phase] = meter()
        else:
            cpu[phase] = cpu_per_request(marks.pop(phase), meter(), requests)

    sessions = [open_session(base_url, i) for i in range(len(emails))]
    examinees = [Examinee(i, email, session, stats) for i, (email, session) in enumerate(zip(emails, sessions))]
    results = {"examinees": len(emails), "wave_seconds": wave_seconds}
    try:
        logged_in = await spread(examinees, login_seconds, lambda e: e.log_in(password, exam))
        results["logged in"] = f"{logged_in[1]} of {len(emails)} in {logged_in[0]:.2f} s"
        mark("start wave (start + attempt page)")
        started = await with_lag_probe(stats, "the driver's own delay (start wave)",
                                       spread(examinees, wave_seconds, lambda e: e.start(exam)))
        mark("start wave (start + attempt page)", 2 * len(examinees))
        results["all started in s"] = round(started[0], 2)
        results["started"] = started[1]
        ready = [e for e in examinees if e.questions]

        save_every, page_every = SIMULATED_SAVE / compression, SIMULATED_PAGE / compression
        results["steady phase"] = (f"{steady_seconds:.0f} s real = {steady_seconds * compression / 60:.1f} min "
                                   f"simulated (compression x{compression:g}): each examinee saves every "
                                   f"{save_every:.1f} s and turns a page every {page_every:.1f} s")
        deadline = time.perf_counter() + steady_seconds

        async def steady(e: Examinee):
            local = random.Random(seed * 100_003 + e.number)
            next_save = time.perf_counter() + local.uniform(0, save_every)
            next_page = time.perf_counter() + local.uniform(0, page_every)
            while True:
                moment = min(next_save, next_page)
                if moment >= deadline:
                    return
                await asyncio.sleep(max(0.0, moment - time.perf_counter()))
                if next_save <= next_page:
                    await e.autosave(local)
                    next_save += save_every
                else:
                    await e.turn_page()
                    next_page += page_every

        async def prober():
            async with open_session(base_url) as probe:
                while time.perf_counter() < deadline:
                    begin = time.perf_counter()
                    try:
                        ok = (await fetch(probe, "GET", "/healthz", headers={STEP: PROBE})).status_code == 200
                    except REQUEST_ERRORS:
                        ok = False
                    stats.add(PROBE, time.perf_counter() - begin, ok)
                    await asyncio.sleep(0.1)

        await asyncio.gather(prober(), *(steady(e) for e in ready))

        loopers = ready[:loop_clients]
        health = [open_session(base_url) for _ in loopers]
        try:
            async def bare(session):
                begin = time.perf_counter()
                try:
                    ok = (await fetch(session, "GET", "/healthz", headers={STEP: BARE})).status_code == 200
                except REQUEST_ERRORS:
                    ok = False
                stats.add(BARE, time.perf_counter() - begin, ok)

            mark("closed loop: bare /healthz")
            done, seconds = await closed_loop(health, loop_seconds, bare)
            mark("closed loop: bare /healthz", done)
            healthz_rps = done / seconds
        finally:
            await asyncio.gather(*(s.close() for s in health))
        mark("closed loop: autosave")
        done, seconds = await closed_loop(loopers, loop_seconds, lambda e: e.autosave(rng, "autosave (closed loop)"))
        mark("closed loop: autosave", done)
        autosave_rps = done / seconds
        results.update({"closed-loop clients": len(loopers), "bare /healthz req/s": round(healthz_rps),
                        "autosave req/s": round(autosave_rps),
                        "autosave / bare /healthz %": round(100 * autosave_rps / healthz_rps) if healthz_rps else None})

        mark("submit wave (submit + result page)")
        submitted = await with_lag_probe(stats, "the driver's own delay (submit wave)",
                                         spread(ready, wave_seconds, Examinee.submit))
        mark("submit wave (submit + result page)", 2 * len(ready))
        results["all graded in s"] = round(submitted[0], 2)
        results["graded"] = submitted[1]
    finally:
        await asyncio.gather(*(s.close() for s in sessions))
    results["steps"] = stats.rows()
    results["first errors"] = dict(stats.first_error)
    if cpu:
        results["CPU per request"] = cpu
    return results, examinees


async def bare_pace(base_url: str, meter, *, seconds: float = 5.0, clients: int = 20) -> float:
    """The app's CPU per bare ``/healthz``, in milliseconds, over a closed loop of ``seconds`` with ``clients``: the
    host's pace of the moment, as the closed loops of a run read it (0.38-0.43 ms in this machine's fast hours,
    over 1 ms in its slowest: bench/README.md)."""
    sessions = [open_session(base_url) for _ in range(clients)]
    try:
        before = meter()
        done, _ = await closed_loop(sessions, seconds, lambda s: fetch(s, "GET", "/healthz", headers={STEP: PACE}))
        return cpu_per_request(before, meter(), done)["app ms"]
    finally:
        await asyncio.gather(*(s.close() for s in sessions))


def wait_for_pace(measure, limit_ms: float, *, every: float, patience: float, sleep=time.sleep,
                  clock=time.monotonic, say=print) -> tuple[bool, list[tuple[int, float]]]:
    """Measure the host's pace (``measure()``: milliseconds of the app per bare request) until it is at most
    ``limit_ms``, once every ``every`` seconds for at most ``patience`` seconds: (whether it came, each measure as
    (the seconds from the first's start to its own, milliseconds)). The waves are bound by the CPU, and the host's
    pace moves by a factor of three within a day: a run meant to judge the waves' targets waits for a pace that can
    meet them instead of taking whatever hour it is started in."""
    begin, seen = clock(), []
    while True:
        at = round(clock() - begin)
        ms = measure()
        seen.append((at, ms))
        if ms <= limit_ms:
            say(f"the host's pace: a bare /healthz costs the app {ms} ms (at most {limit_ms} asked): running")
            return True, seen
        if clock() - begin + every > patience:
            say(f"the host's pace: {ms} ms, still over {limit_ms} after {round(clock() - begin)} s: not running")
            return False, seen
        say(f"the host's pace: {ms} ms (at most {limit_ms} asked): measuring again in {every:g} s")
        sleep(every)


class PaceNotReached(Exception):
    """The host never came to the pace asked for (``--wait-for-pace``) within its patience."""


# -- one set: each database, each with its servers --------------------------------------------------------------


def run_database(database: str, args, folder: Path) -> dict:
    """Prepare ``database``, start its servers, drive the scenario, stop them; the results."""
    from exam_bench import PASSWORD, audit_state, prepare_database

    instance = folder / database
    instance.mkdir()
    url = f"sqlite:///{instance / 'bench.db'}" if database == "sqlite" else args.postgres
    url = url.replace("postgresql://", "postgresql+psycopg://", 1)
    print(f"[{database}] preparing {args.examinees} examinees ...", file=sys.stderr)
    prepare_database(url, instance, args.examinees, args.exam)
    store = redis_url()
    prefix = f"lms-bench-{os.getpid()}-{database}:"
    env = {k: v for k, v in os.environ.items() if not k.startswith("LMS_")}
    env.update(LMS_ENV="production", LMS_SECRET_KEY="bench-secret-key", LMS_DATABASE_URL=url,
               LMS_INSTANCE_PATH=str(instance), LMS_PUBLIC_URL="http://127.0.0.1", LMS_COOKIE_SECURE="0",
               LMS_LIMITS_STORE=store or "database", LMS_LIMITS_PREFIX=prefix,
               LMS_BEHIND_PROXY="1" if args.front == "nginx" else "0")
    env.update(args.server_env)
    lanes = args.lanes and args.front == "nginx"
    # Two lanes on one machine run twice the instances: each takes a process per core (README, "Deployment"),
    # so the machine runs two per core in all, as one lane's instances would with the config's default.
    workers = args.workers or (os.cpu_count() if lanes else 0)
    if workers:
        env["WEB_CONCURRENCY"] = str(workers)
    if args.threads:  # gunicorn reads GUNICORN_CMD_ARGS after its config file
        env["GUNICORN_CMD_ARGS"] = f"--threads {args.threads}"
    instances = args.instances if args.front == "nginx" else 1
    processes = []
    try:
        # With the lanes (deploy/nginx.conf), each lane has its own instances and the general lane's run at
        # the lower CPU priority; without, both upstreams name the same instances, all at the same priority.
        ports = {"lms": [free_port() for _ in range(instances)]}
        ports["lms_exam"] = [free_port() for _ in range(instances)] if lanes else ports["lms"]
        general = {**env, "LMS_NICE": "10"} if lanes else env
        if lanes and args.general_threads:  # gunicorn reads GUNICORN_CMD_ARGS after its config file
            general["GUNICORN_CMD_ARGS"] = f"--threads {args.general_threads}"
        for port in ports["lms"]:
            processes.append(start_instance(port, general, instance))
        for port in ports["lms_exam"] if lanes else ():
            processes.append(start_instance(port, env, instance))
        nginx = None
        if args.front == "nginx":
            nginx, port = start_nginx(ports, instance)
            processes.append(nginx)
        else:
            port = ports["lms"][0]
        meter = CpuMeter([p.pid for p in processes if p is not nginx], nginx.pid if nginx else None)
        paces = None
        if args.wait_for_pace:
            came, paces = wait_for_pace(lambda: asyncio.run(bare_pace(f"http://127.0.0.1:{port}", meter)),
                                        args.wait_for_pace, every=args.pace_every, patience=args.pace_patience,
                                        say=lambda message: print(f"[{database}] {message}", file=sys.stderr))
            if not came:
                raise PaceNotReached(f"{database}: the host's pace stayed over {args.wait_for_pace} ms: {paces}")
        print(f"[{database}] driving {args.examinees} examinees through 127.0.0.1:{port} ...", file=sys.stderr)
        load_before = os.getloadavg()
        with driver_priority(args.client_nice):
            results, examinees = asyncio.run(run_scenario(
                f"http://127.0.0.1:{port}", [f"bench{i}@example.test" for i in range(args.examinees)],
                password=PASSWORD, exam=args.exam, wave_seconds=args.wave_seconds, login_seconds=args.login_seconds,
                steady_seconds=args.steady_seconds, compression=args.compression, loop_clients=args.loop_clients,
                loop_seconds=args.loop_seconds, meter=meter))
        if paces is not None:
            results["the host's pace before the run: a bare /healthz, ms of the app (s from the first)"] = ", ".join(
                f"{ms} ({seconds})" for seconds, ms in paces)
        results["load average before, after"] = [load_before, os.getloadavg()]
    finally:
        stop(processes)
    if args.front == "nginx":
        results["front latencies"] = front_latencies(instance / FRONT_LOG)  # nginx has stopped: its log is whole
    results["acknowledged answers lost"] = count_lost(url, instance, examinees)
    results["audit log after the run"] = audit_state(url, instance)
    results["layout"] = (((f"nginx in front of two lanes of {instances} gunicorn instance(s) each (the general "
                           "lane's at nice 10)" if lanes else f"nginx in front of {instances} gunicorn instance(s)")
                          if args.front == "nginx" else "one gunicorn instance, no front")
                         + f", limits in {'Redis' if store else 'the database'}")
    results["layout"] += "".join(f"; {name}={value}" for name, value in args.server_env)
    results["layout"] += f"; the driver at nice {args.client_nice}" if args.client_nice else ""
    results["layout"] += (f"; workers x threads per instance: {workers or 'config'} x {args.threads or 'config'}"
                          + (f" (the general lane's: {args.general_threads})"
                             if lanes and args.general_threads else ""))
    if store:
        import redis

        client = redis.Redis.from_url(store)
        for key in client.scan_iter(f"{prefix}*"):
            client.delete(key)
        client.close()
    return results


@contextmanager
def driver_priority(nice: int):
    """The driver's thread (its event loop: every simulated browser) at CPU priority ``nice`` for the block, then back
    (0: as the servers, unchanged). The driver stands for browsers on machines of their own; sharing the servers'
    cores at their priority, its own wait for the CPU is counted in every latency it reads. A negative value needs
    root (CAP_SYS_NICE). The servers were started before: they keep their own."""
    before = os.getpriority(os.PRIO_PROCESS, 0)
    if nice:
        os.setpriority(os.PRIO_PROCESS, 0, nice)  # (Linux: this thread's alone)
    try:
        yield
    finally:
        if nice:
            os.setpriority(os.PRIO_PROCESS, 0, before)


TARGETS = [("all started in s", "≤ 10 s at N = 2,000"), ("all graded in s", "≤ 10 s at N = 2,000"),
           ("autosave / bare /healthz %", "≥ 50 %"), ("acknowledged answers lost", "0")]


def markdown(report: dict) -> str:
    lines = [f"# Exam wave benchmark, {report['when']}", "", "Machine: " + ", ".join(
        f"{k} {v}" for k, v in report["machine"].items()), "", f"Command: `{report['command']}`", ""]
    for database, results in report["databases"].items():
        front = results.get("front latencies", {})
        lines += [f"## {database}: {results['layout']}", "",
                  "| step | requests | errors | p50 ms | p95 ms | p99 ms | max ms | at the front: p50 / p95 / max ms |",
                  "|---|---:|---:|---:|---:|---:|---:|---:|"]
        lines += [f"| {r['step']} | {r['requests']} | {r['errors']} | {r['p50_ms']} | {r['p95_ms']} | {r['p99_ms']} | "
                  f"{r['max_ms']} | " + (" / ".join(str(front[r['step']][k]) for k in ("p50_ms", "p95_ms", "max_ms"))
                                         if r["step"] in front else "–") + " |" for r in results["steps"]]
        lines += [""] + [f"- {k}: {v}" for k, v in results.items()
                         if k not in ("steps", "layout", "CPU per request", "front latencies")]
        if results.get("CPU per request"):
            columns = list(next(iter(results["CPU per request"].values())))
            lines += ["", "| CPU per request, by process | " + " | ".join(columns) + " |",
                      "|---|" + "---:|" * len(columns)]
            lines += [f"| {phase} | " + " | ".join(str(row[c]) for c in columns) + " |"
                      for phase, row in results["CPU per request"].items()]
        lines += ["", "| measure | this run | target |", "|---|---:|---:|"]
        lines += [f"| {key} | {results.get(key)} | {target} |" for key, target in TARGETS]
        lines.append("")
    return "\n".join(lines)


def server_setting(pair: str) -> tuple[str, str]:
    """``--server-env NAME=VALUE`` as (name, value)."""
    if "=" not in pair:
        raise argparse.ArgumentTypeError(f"{pair!r} is not NAME=VALUE")
    name, value = pair.split("=", 1)
    return name, value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--examinees", type=int, default=200)
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--exam", default=EXAM, help="the officers' track's exam they take (default: a weekly exam of "
                        "15 questions; officer-final-exam: the final of 75, with a review of the wrong answers)")
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/lms_bench",
                        help="the PostgreSQL database to use: dropped and created again")
    parser.add_argument("--front", choices=("nginx", "direct"), default="nginx" if shutil.which("nginx") else "direct")
    parser.add_argument("--instances", type=int, default=2, help="gunicorn masters behind nginx (per lane)")
    parser.add_argument("--no-lanes", dest="lanes", action="store_false",
                        help="one set of instances for all requests (deploy/nginx.conf's two upstreams on the same)")
    parser.add_argument("--workers", type=int, default=0, help="per instance (default: deploy/gunicorn.conf.py's)")
    parser.add_argument("--threads", type=int, default=0, help="per worker (default: deploy/gunicorn.conf.py's)")
    parser.add_argument("--general-threads", type=int, default=0, help="per worker of the general lane only")
    parser.add_argument("--client-nice", type=int, default=0,
                        help="the driver's CPU priority while it drives (default 0: the servers'; -5 needs root)")
    parser.add_argument("--wave-seconds", type=float, default=2.0)
    parser.add_argument("--login-seconds", type=float, default=2.0)
    parser.add_argument("--steady-seconds", type=float, default=30.0)
    parser.add_argument("--compression", type=float, default=10.0, help="simulated seconds per real second")
    parser.add_argument("--loop-clients", type=int, default=20)
    parser.add_argument("--loop-seconds", type=float, default=10.0, help="each closed loop's duration")
    parser.add_argument("--server-env", metavar="LMS_NAME=VALUE", action="append", default=[],
                        type=server_setting,
                        help="a setting for every server instance (repeatable), e.g. LMS_AUDIT_SEAL_LINGER_MS=0")
    parser.add_argument("--wait-for-pace", type=float, default=0.0, metavar="MS",
                        help="before the log-ins, wait until a bare /healthz costs the app at most MS ms (a 5 s "
                        "closed loop, measured every --pace-every s): the waves' targets need a fast hour (0.5)")
    parser.add_argument("--pace-every", type=float, default=300.0, help="seconds between two measures of the pace")
    parser.add_argument("--pace-patience", type=float, default=7200.0,
                        help="seconds to wait for the pace before giving up (exit status 3)")
    parser.add_argument("--out", default=str(ROOT / "bench" / "results"), help="folder for the JSON and Markdown")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="lms-wave-"))
    when = datetime.now(UTC).strftime("%Y-%m-%dT%H%MZ")
    report = {"when": when, "command": " ".join(["bench/exam_wave.py", *sys.argv[1:]]), "machine": machine(),
              "databases": {}}
    try:
        for database in [d.strip() for d in args.databases.split(",") if d.strip()]:
            report["databases"][database] = run_database(database, args, folder)
    except PaceNotReached as error:
        print(f"not run: {error}", file=sys.stderr)
        sys.exit(3)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    report["machine"]["load average at end"] = os.getloadavg()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / f"exam_wave-{when}.json").write_text(json.dumps(report, indent=2, default=str))
    (out / f"exam_wave-{when}.md").write_text(markdown(report))
    print(markdown(report))
    print(f"written: {out / f'exam_wave-{when}.json'} and .md", file=sys.stderr)


if __name__ == "__main__":
    main()
