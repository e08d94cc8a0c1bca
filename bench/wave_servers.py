"""The servers bench/exam_wave.py drives, started and stopped on the loopback: the production command
(gunicorn -c deploy/gunicorn.conf.py) as separate instances, nginx from deploy/nginx.conf in front; and the
machine's description for the report."""
import os
import platform
import re
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


# -- the servers ------------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(port: int, process: subprocess.Popen, what: str, log: Path) -> None:
    """Until ``/healthz`` answers on ``port`` (bounded: 60 s)."""
    for _ in range(600):
        if process.poll() is not None:
            raise SystemExit(f"{what} exited: see {log}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:  # refused while it starts (urllib's URLError and HTTPError are OSErrors)
            pass
        time.sleep(0.1)
    raise SystemExit(f"{what} did not answer within 60 s: see {log}")


def start_instance(port: int, env: dict, folder: Path) -> subprocess.Popen:
    """One app instance: the production command, deploy/gunicorn.conf.py, on 127.0.0.1:``port``."""
    log = folder / f"gunicorn-{port}.log"
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "deploy" / "gunicorn.conf.py"), "lms.app:create_app()"],
        cwd=ROOT, env={**env, "LMS_BIND": f"127.0.0.1:{port}"}, stdout=log.open("ab"), stderr=subprocess.STDOUT,
        start_new_session=True)
    wait_for(port, process, f"gunicorn on {port}", log)
    return process


def bench_nginx_config(text: str, *, listen: int, upstreams: dict[str, list[int]], folder: Path) -> str:
    """deploy/nginx.conf as the benchmark runs it: plain HTTP on 127.0.0.1:``listen`` (no TLS: no certificate
    here), each upstream's instances' ports (``upstreams``: by upstream name), its files in ``folder``, the
    static files from this checkout, the access log in the bench's own format (each request's step and nginx's
    time for it: front_latencies); every other line as deployed."""
    replacements = [
        (r"^user www-data;$", "user root;"),
        (r"^pid .*;$", f"pid {folder}/nginx.pid;"),
        (r"^error_log .*;$", f"error_log {folder}/nginx-error.log warn;"),
        # The log says how long the front took over each request ($request_time: from its first byte read to its
        # last byte sent) and for which of the driver's steps (its X-Bench-Step header): front_latencies reads it.
        (r"^(\s*)access_log .*;$", rf"\1log_format bench_timing '$http_x_bench_step\\t$status\\t$request_time';\n"
                                    rf"\1access_log {folder}/{FRONT_LOG} bench_timing buffer=64k flush=5s;"),
        (r"^    server \{\n        listen 80;\n[\s\S]*?\n    \}\n", ""),
        (r"listen 443 ssl http2 backlog=(\d+);", rf"listen 127.0.0.1:{listen} backlog=\1;"),
        (r"^\s*ssl_\w+ .*;\n", ""),
        (r"^(\s*)alias /srv/lms/static/", rf"\1alias {ROOT / 'static'}/"),
    ]
    for pattern, replacement in replacements:
        text, count = re.subn(pattern, replacement, text, flags=re.MULTILINE)
        if not count:
            raise SystemExit(f"deploy/nginx.conf changed: {pattern!r} not found; update bench_nginx_config")
    named = set(re.findall(r"^    upstream (\w+) \{$", text, flags=re.MULTILINE))
    if named != set(upstreams):
        raise SystemExit(f"deploy/nginx.conf's upstreams are {sorted(named)}, not {sorted(upstreams)}")
    for name, ports in upstreams.items():
        block = re.search(rf"^    upstream {name} \{{\n[\s\S]*?^    \}}\n", text, flags=re.MULTILINE)
        servers = re.findall(r"^        server 127\.0\.0\.1:\d+;\n", block.group(0), flags=re.MULTILINE)
        if not servers:
            raise SystemExit(f"deploy/nginx.conf changed: no server lines in upstream {name}")
        replaced = block.group(0).replace("".join(servers), "".join(f"        server 127.0.0.1:{p};\n" for p in ports))
        text = text[:block.start()] + replaced + text[block.end():]
    return text


FRONT_LOG = "nginx-access.log"


def front_latencies(log: Path) -> dict[str, dict]:
    """Per step of the driver (its X-Bench-Step header), the latencies nginx measured (``$request_time``, ms:
    p50, p95, p99, max), read from the bench's access log once nginx has stopped (and flushed it). The driver's
    own figures include the time its event loop took to read each answer, and the driver shares the machine's
    cores with the servers it measures; the front's do not, and are what a deployment's monitoring shows."""
    times: dict[str, list[float]] = {}
    if log.exists():
        for line in log.read_text().splitlines():
            step, _status, seconds = line.split("\t")
            if step != "-":
                times.setdefault(step, []).append(float(seconds))
    return {step: {"requests": len(values), **latencies(values)} for step, values in times.items()}


def latencies(seconds: list[float]) -> dict[str, float]:
    """The p50, p95, p99 and max of ``seconds``, in ms (a rank's nearest value, no interpolation)."""
    ranked = sorted(seconds)

    def rank(q):
        return 1000 * ranked[min(len(ranked) - 1, round(q / 100 * (len(ranked) - 1)))]

    return {"p50_ms": round(1000 * statistics.median(ranked), 1), "p95_ms": round(rank(95), 1),
            "p99_ms": round(rank(99), 1), "max_ms": round(1000 * ranked[-1], 1)}


def start_nginx(upstreams: dict[str, list[int]], folder: Path) -> tuple[subprocess.Popen, int]:
    port = free_port()
    conf = folder / "nginx.conf"
    conf.write_text(bench_nginx_config((ROOT / "deploy" / "nginx.conf").read_text(), listen=port,
                                       upstreams=upstreams, folder=folder))
    log = folder / "nginx-error.log"
    process = subprocess.Popen(["nginx", "-c", str(conf), "-p", str(folder), "-g", "daemon off;"],
                               stdout=log.open("ab"), stderr=subprocess.STDOUT, start_new_session=True)
    wait_for(port, process, "nginx", log)
    return process, port


def stop(processes) -> None:
    """Stop the servers this run started (each by its own process group), waiting for each."""
    for process in processes:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def redis_url() -> str | None:
    """Redis on 127.0.0.1:6379 when it answers (the shared limits store), else None."""
    try:
        import redis

        client = redis.Redis(host="127.0.0.1", port=6379, socket_timeout=1)
        client.ping()
        client.close()
        return "redis://127.0.0.1:6379/0"
    except Exception:  # noqa: BLE001 - no Redis: the limits stay in the database
        return None


# -- the machine ------------------------------------------------------------------------------------------------


def machine() -> dict:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    memory = next((line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines()
                   if line.startswith("MemTotal")), "0")
    versions = {}
    for name, command in (("nginx", ["nginx", "-v"]), ("postgresql", ["psql", "--version"])):
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=10, check=False)
            versions[name] = (done.stdout or done.stderr).strip()
        except OSError:
            versions[name] = "absent"
    import gunicorn

    busy = subprocess.run(["ps", "-eo", "pcpu=,comm=", "--sort=-pcpu"], capture_output=True, text=True,
                          check=False).stdout.splitlines()[:8]
    versions["busiest processes at start (% CPU, command)"] = "; ".join(" ".join(line.split()) for line in busy)
    return {"cpus": os.cpu_count(), "cpu": cpu, "memory GiB": round(int(memory) / 2**20, 1),
            "system": f"{platform.system()} {platform.release()}", "python": platform.python_version(),
            "gunicorn": gunicorn.__version__, **versions, "load average at start": os.getloadavg()}


class CpuMeter:
    """The CPU time spent so far, in seconds: each process of the app (the gunicorn instances' process groups), of
    nginx (its group) and of the database (the machine's ``postgres`` processes: none on SQLite, whose work is the
    app's), by its part (``PROCESSES``); the client (this process); and the whole machine (busy and all, from
    /proc/stat, every core). Read at the start and the end of a phase, ``spent`` says where its CPU went, each
    process by its own difference, so that one which ends within the phase takes away none of the others'."""

    PROCESSES = "processes"  # {pid: (part, seconds)} of the app's, nginx's and the database's processes

    def __init__(self, app_groups: list[int], nginx_group: int | None):
        self.app_groups, self.nginx_group = set(app_groups), nginx_group
        self.tick = os.sysconf("SC_CLK_TCK")

    def __call__(self) -> dict:
        processes = {}
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                head, rest = stat.read_text().rsplit(")", 1)
            except OSError:  # gone meanwhile
                continue
            fields = rest.split()
            group, ticks = int(fields[2]), int(fields[11]) + int(fields[12])
            if group in self.app_groups:
                part = "app"
            elif group == self.nginx_group:
                part = "nginx"
            elif head.split("(", 1)[1].startswith("postgres"):
                part = "database"
            else:
                continue
            processes[int(head.split(" ", 1)[0])] = (part, ticks / self.tick)
        times = os.times()
        cpu = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        return {"client": times.user + times.system,
                "machine busy": (sum(cpu) - cpu[3] - cpu[4]) / self.tick,  # all but idle and I/O wait
                "machine": sum(cpu) / self.tick, self.PROCESSES: processes}


def spent(before: dict, after: dict) -> dict[str, float]:
    """The CPU seconds spent by each part between two readings of a CpuMeter. A part's processes count each its own
    difference: one that started meanwhile counts from nothing, one that ended meanwhile is left out (its time at
    the end is not known), where a difference of the sums would take its whole past time off the others'."""
    out = {part: after[part] - before[part] for part in ("client", "machine busy", "machine")}
    out.update(app=0.0, nginx=0.0, database=0.0)
    earlier = before[CpuMeter.PROCESSES]
    for pid, (part, seconds) in after[CpuMeter.PROCESSES].items():
        was_part, was = earlier.get(pid, (part, 0.0))
        out[part] += seconds - was if was_part == part and was <= seconds else seconds  # (a pid used again)
    return out


def cpu_per_request(before: dict, after: dict, requests: int) -> dict:
    """Milliseconds of CPU per request of a phase, by part, and the share of the machine it kept busy."""
    used = spent(before, after)
    row = {f"{part} ms": round(1000 * used[part] / max(requests, 1), 2)
           for part in ("app", "database", "nginx", "client", "machine busy")}
    row["other ms"] = round(row["machine busy ms"]
                            - sum(row[f"{p} ms"] for p in ("app", "database", "nginx", "client")), 2)
    row["machine busy %"] = round(100 * used["machine busy"] / used["machine"]) if used["machine"] else None
    return row
