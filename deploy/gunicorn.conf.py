"""gunicorn's settings for the LMS in production: `gunicorn -c deploy/gunicorn.conf.py 'lms.app:create_app()'`.

One app instance (a gunicorn master and its workers) listens on 127.0.0.1 behind nginx (deploy/nginx.conf);
two or more instances, on other ports or machines, share PostgreSQL and (for the limits) Redis: README,
"Deployment". Each value says why; the measurements are in bench/README.md. The environment can override
the address and the worker count (LMS_BIND, WEB_CONCURRENCY) so that two instances share this one file.
"""
import gc
import multiprocessing
import os

# 127.0.0.1 only: nginx is the front (TLS, the client's backlog and keep-alive, slow clients); gunicorn is
# never reached from outside. A second instance on the same machine: LMS_BIND=127.0.0.1:8002.
bind = os.environ.get("LMS_BIND", "127.0.0.1:8001")

# Processes: 2 per core. The app is Python (one core per process at a time under the GIL) and a request
# spends part of its time waiting on the database, so a second process per core keeps each core busy while
# the other waits; each costs memory (~80 MB). Measured on 2 cores with the database on the same machine
# (bench/README.md, "Workers and threads"): 2 x 2, 2 x 4, 4 x 1 and 4 x 4 (workers x threads per instance,
# two instances) gave the same waves within the runs' spread, because there the cores, not the waiting,
# bound the waves. With the database on another machine the waiting grows, and so does what a second
# process per core gains. Compare others with `bench/exam_wave.py --workers N --threads M`.
workers = int(os.environ.get("WEB_CONCURRENCY") or 2 * multiprocessing.cpu_count())

# Threads in each process (gthread): while one request waits on PostgreSQL or on SQLite's write lock, another
# thread of the same process runs. 4 threads x 2 processes per core keeps the connection pool (SQLAlchemy's
# default, 5 + 10 overflow per process) above the threads, so no request waits for a connection. With the
# sync worker (1 request per process) a wave's requests queue behind the slowest ones (a grading submit).
worker_class = "gthread"
threads = 4

# Connections the kernel holds for gunicorn before it accepts them. nginx keeps a few idle keep-alive
# connections to each instance (deploy/nginx.conf, upstream keepalive) and opens more during a wave, so
# this only needs to hold nginx's burst; 2048 is gunicorn's default, raised to the kernel's usual
# net.core.somaxconn (4096, which caps it) for a client driven without nginx, as in the benchmark's
# direct runs (4,000 connections at once overflowed 2048 with connection resets: issue 15).
backlog = 4096

# A worker silent this long is killed and replaced. A start or a submit inside a 2,000-examinee wave
# waited up to ~26 s for the database on the shared 2-core machine; 60 s is twice that, so a slow but
# working request is never killed, and a stuck one is.
timeout = 60

# On a restart (SIGHUP, a deploy), requests in flight get this long to finish: a submit takes well under it.
graceful_timeout = 30

# How long an idle keep-alive connection from nginx stays open. Longer than nginx's upstream
# keepalive_timeout (20 s in deploy/nginx.conf), so nginx always closes first and never sends a request on
# a connection gunicorn is closing at that moment.
keepalive = 30

# The CPU priority of this instance's requests (nice: 0 normal, up to 19 lowest), from LMS_NICE. deploy/nginx.conf
# sends an examinee's open attempt to the exam lane's instances (LMS_NICE unset: 0) and everything else, the
# waves of log-ins and starts included, to the general lane's (LMS_NICE=10). On a busy machine the kernel then
# gives an exam-lane thread about ten times a general-lane one's share of a core (Linux's weights: 1024
# against 110), so a page or an autosave is not queued behind a wave of starts. Measured with the lanes and
# without in bench/README.md ("The lanes"). Set on the thread that serves the request (on Linux a thread's
# nice value is its own), as an absolute value, so it never adds up; the process's other threads keep theirs,
# above all the audit sealer (lms.audit), whose rounds every lane's writes wait for on SQLite: a sealer
# starved of CPU while it holds the write lock would hold up the exam lane too.
nice = int(os.environ.get("LMS_NICE") or 0)


def pre_request(worker, request):
    if nice:
        os.setpriority(os.PRIO_PROCESS, 0, nice)


def post_worker_init(worker):
    """Before the worker's first request: the audit sealer's thread, started now from the worker's own thread,
    keeps its priority (above); the templates are loaded (compiled once on the machine, lms.app), so that
    the first examinees a new worker serves in a wave do not wait for it; and what the worker has built so far
    (the app, its modules, templates and mappings: about 200,000 objects, which live as long as the worker) is
    frozen out of the cyclic garbage collector's passes (gc.freeze). Unfrozen, each full pass walked them all:
    0.2-0.7 s during which the worker's threads all wait, in half the workers of a short wave run (N = 300)
    (bench/README.md, "All of SQLite's targets in one run; the workers' own objects out of the collector's way")."""
    from lms.app import load_templates
    from lms.audit import sealer

    sealer(worker.wsgi).start()
    load_templates(worker.wsgi)
    gc.freeze()


# Each worker builds its own app (and its own database engine and pool): an engine's connections must not
# be shared across a fork.
preload_app = False

# The worker heartbeat goes to memory, not to a disk that may stall under load (which would get a worker
# killed for a silent timeout).
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None

# No control socket: nothing manages gunicorn at run time but signals from the service manager, and two
# instances on one machine would otherwise try to share the default socket path ($HOME/.gunicorn).
control_socket_disable = True

# X-Forwarded-* are trusted from nginx on this machine only (the app trusts one proxy: LMS_BEHIND_PROXY=1).
forwarded_allow_ips = "127.0.0.1"

# Errors to standard error (the service manager's journal); no access log here: nginx keeps it.
errorlog = "-"
loglevel = "info"
