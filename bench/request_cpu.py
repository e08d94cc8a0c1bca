"""The CPU one exam request costs in the app itself: no network, no server, no client.

The exam wave (exam_wave.py) is CPU-bound on a small machine, so its figures follow from what each request
costs the app process. This drives the real endpoints through Flask's test client, in one process, with
the production settings, and reports the CPU time (``time.process_time``) per start, page, autosave,
submit and result, and per bare ``/healthz`` for scale. Each step's time runs until the process's audit
sealer (a background thread, lms.audit) has sealed the step's events: here it seals one request's events
per round; in a wave one round serves many requests. ``--profile STEP`` (once or more) writes a pyinstrument
profile of that step, of the request alone (``pip install pyinstrument``: not a dependency), next to the figures.
``--calls`` counts instead the Python function calls each request makes in its own thread (cProfile): a measure of
the work that the load of a shared machine does not blur, for comparing two versions of the code when CPU times are
too noisy to.

    .venv/bin/python bench/request_cpu.py --examinees 40
    .venv/bin/python bench/request_cpu.py --database postgresql://postgres@127.0.0.1:5432/lms_cpu --profile start
"""
import argparse
import cProfile
import json
import os
import pstats
import statistics
import sys
import tempfile
import time
from pathlib import Path

# This checkout's lms, not the installed one (the venv's editable install may be another checkout's: two versions
# of the code are compared by running each checkout's own script), and the sibling benchmarks.
sys.path[:0] = [str(Path(__file__).resolve().parent.parent), str(Path(__file__).resolve().parent)]
from exam_bench import CSRF, EXAM, NAV, PASSWORD, QUESTION, answer_fields, prepare_database
from wave_servers import CpuMeter, spent

STEPS = ("healthz", "start", "page", "autosave", "submit", "result")


POSTGRES = CpuMeter(app_groups=[], nginx_group=None)  # read around a step: spent(before, after)["database"] is the
# CPU this machine's PostgreSQL server processes used meanwhile (the database's share)


def cpu_per_call(call, calls: int, *, warm_up: int = 0) -> tuple[float, float]:
    """Run ``call(n)`` for n in range(warm_up), unmeasured, then for n in range(calls): this process's CPU and
    PostgreSQL's (its server processes, POSTGRES), in microseconds per call."""
    for n in range(warm_up):
        call(n)
    before, begin = POSTGRES(), time.process_time()
    for n in range(calls):
        call(n)
    return (time.process_time() - begin) / calls * 1e6, spent(before, POSTGRES())["database"] / calls * 1e6


def prepared_app(database: str, examinees: int, exam: str = EXAM, **environment):
    """A fresh database (``sqlite``, or a PostgreSQL URL, dropped and created) with ``examinees`` trainees in the
    week of ``exam`` (exam_bench.prepare_database), and the app on it with the production settings; (app, database
    URL)."""
    folder = Path(tempfile.mkdtemp(prefix="lms-cpu-"))
    url = f"sqlite:///{folder / 'bench.db'}" if database == "sqlite" else database
    url = url.replace("postgresql://", "postgresql+psycopg://", 1)
    prepare_database(url, folder, examinees, exam)
    os.environ.update(LMS_ENV="production", LMS_PUBLIC_URL="http://127.0.0.1", LMS_COOKIE_SECURE="0",
                      LMS_LIMITS_STORE="database", **environment)
    from lms.app import create_app

    return create_app(), url


def log_in(app, number: int, exam: str = EXAM):
    """Examinee ``number`` logged in through the notice and the log-in form, on ``exam``'s page: (test client, CSRF
    token)."""
    client = app.test_client()
    client.post("/notice", data={"acknowledge": "y", "csrf_token": token(client.get("/notice").text)})
    response = client.post("/login", data={"email": f"bench{number}@example.test", "password": PASSWORD,
                                           "csrf_token": token(client.get("/login").text)})
    assert response.status_code == 302, response.status_code
    return client, token(client.get(f"/exams/{exam}").text)


def token(html: str) -> str:
    match = CSRF.search(html)
    return match.group(1) or match.group(2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--examinees", type=int, default=40)
    parser.add_argument("--database", default="sqlite", help="sqlite, or a PostgreSQL URL (dropped and created)")
    parser.add_argument("--exam", default=EXAM, help="the officers' track's exam (officer-final-exam: the final)")
    parser.add_argument("--autosaves", type=int, default=10, help="per examinee")
    parser.add_argument("--warm-up", type=int, default=5, help="examinees first, not measured (caches fill)")
    parser.add_argument("--profile", choices=STEPS, action="append", default=[],
                        help="write a pyinstrument profile of this step (may be given more than once)")
    parser.add_argument("--calls", action="store_true",
                        help="count each request's Python function calls (cProfile) instead of timing it")
    parser.add_argument("--out", default=str(Path(__file__).resolve().parent / "results"))
    args = parser.parse_args()

    app, url = prepared_app(args.database, args.examinees, args.exam)
    from lms.audit import sealer as audit_sealer

    sealer = audit_sealer(app)
    clients = [[*log_in(app, number, args.exam), None, {}] for number in range(args.examinees)]

    cpu = {step: [] for step in STEPS}
    database_cpu = {step: 0.0 for step in STEPS}
    profilers = {}
    if args.profile:
        from pyinstrument import Profiler

        profilers = {step: Profiler(interval=0.0002) for step in args.profile}

    pg = url.startswith("postgresql")
    measured = set(range(args.warm_up, args.examinees))
    current = [0]  # the examinee whose request runs

    def timed(step, call):
        profiler = profilers.get(step) if current[0] in measured else None
        if profiler:
            profiler.start()
        begin_db = POSTGRES() if pg else None  # (read outside the process's own measured time)
        counter = cProfile.Profile() if args.calls else None
        begin = time.process_time()
        if counter:
            counter.enable()
        response = call()
        if counter:
            counter.disable()
        if profiler:
            profiler.stop()  # (the sealer's thread is not profiled: only its wait would show)
        assert sealer.wait_idle(timeout=60)  # (returns at once when nothing was appended)
        used = pstats.Stats(counter).total_calls / 1000 if counter else time.process_time() - begin
        if current[0] in measured:
            cpu[step].append(used)
            database_cpu[step] += spent(begin_db, POSTGRES())["database"] if pg else 0
        assert response.status_code < 400, (step, response.status_code)
        return response

    for number, entry in enumerate(clients):
        current[0] = number
        client, csrf = entry[0], entry[1]
        timed("healthz", lambda: client.get("/healthz"))
        response = timed("start", lambda: client.post(f"/exams/{args.exam}/start", data={"csrf_token": csrf}))
        entry[2] = response.headers["Location"].split("?")[0]
        html = timed("page", lambda: client.get(f"{entry[2]}?page=1")).text
        entry[1] = token(html)
        entry[3] = {int(p): kind for p, kind in QUESTION.findall(html)}
        for page in range(2, max(2, len(NAV.findall(html))) // 5 + 1):
            entry[3].update({int(p): kind for p, kind in QUESTION.findall(client.get(f"{entry[2]}?page={page}").text)})
    for flip in range(args.autosaves):
        for number, (client, csrf, attempt, questions) in enumerate(clients):
            current[0] = number
            position = sorted(questions)[flip % len(questions)]
            body = {"position": position, "fields": answer_fields(questions[position], position, flip)}
            timed("autosave", lambda: client.post(f"{attempt}/autosave", json=body, headers={"X-CSRFToken": csrf}))
    for number, (client, csrf, attempt, _) in enumerate(clients):
        current[0] = number
        assert timed("submit", lambda: client.post(f"{attempt}/submit", data={"csrf_token": csrf})).status_code == 302
        timed("result", lambda: client.get(f"{attempt}/result"))

    engine = "sqlite" if url.startswith("sqlite") else "postgresql"
    figures = {step: {"requests": len(values), "mean ms": round(1000 * statistics.mean(values), 2),
                      "median ms": round(1000 * statistics.median(values), 2),
                      "database mean ms": round(1000 * database_cpu[step] / len(values), 2)}
               for step, values in cpu.items()}
    what, unit = ("Python calls", "calls") if args.calls else ("CPU", "ms")
    print(f"{what} per request in the app process ({engine}, {args.examinees} examinees, "
          f"the first {args.warm_up} not measured, LMS_ENV=production):")
    print(f"| request | requests | app mean {unit} | app median {unit} | x /healthz | PostgreSQL mean ms |")
    print("|---|---:|---:|---:|---:|---:|")
    base = figures["healthz"]["median ms"]
    for step, row in figures.items():
        print(f"| {step} | {row['requests']} | {row['mean ms']} | {row['median ms']} | {row['median ms'] / base:.1f} "
              f"| {row['database mean ms'] if pg else '-'} |")
    out = Path(args.out)
    out.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    (out / f"request_cpu-{engine}-{unit}-{stamp}.json").write_text(json.dumps(figures, indent=2))
    for step, profiler in profilers.items():
        path = out / f"request_cpu-{engine}-{step}-{stamp}.txt"
        path.write_text(profiler.output_text(unicode=False, color=False, show_all=bool(os.environ.get("PROFILE_ALL"))))
        profiler.last_session.save(path.with_suffix(".pyisession"))  # (pyinstrument --load ... renders it again)
        print(f"profile of {step}: {path}")


if __name__ == "__main__":
    main()
