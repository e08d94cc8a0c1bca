"""Benchmark: stream a 100,000-row pass list as CSV, XLSX and JSON; time and memory growth.

    .venv/bin/python bench/passlist_export.py                      # SQLite in a temporary folder
    .venv/bin/python bench/passlist_export.py --postgres postgresql://postgres@127.0.0.1:5432/postgres

With --postgres, a throwaway database (lms_bench_<random>) is created on that server and dropped at
the end. The seeding (users, enrollments, certifications, written with bulk inserts) runs in this
process; each measurement runs in a fresh child process, so its memory figures are its own:

- seconds: wall time to produce the whole file through lms.certification.passlist.export_chunks (the same generator
  the download view streams and `lms passlist export` writes), bytes counted and discarded;
- rss_growth_mb: the child's peak resident set (ru_maxrss) minus its resident set just before;
- py_peak_mb: tracemalloc's peak of Python allocations during the export (a second, slower run).

Results are printed and written to bench/results/passlist_export.json (git-ignored).
The design target (docs: DESIGN.md) is 100,000 rows in <= 3 s with <= 100 MB of memory growth.
"""
import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

NOW = datetime(2026, 6, 1, 14, 0, tzinfo=timezone.utc)
FIRST_NAMES = ["Dana", "José", "Zoë", "Łukasz", "Mary-Ann", "Terry", "Olive", "Sam", "Nora", "Sid"]
LAST_NAMES = ["Álvarez", "O'Brien", "Smith", "Nguyen", "Johnson", "=Formula", "Müller", "García", "Lee", "Brown"]


def _app(url, instance):
    from lms.app import create_app

    return create_app({"SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": str(instance),
                       "PUBLIC_URL": "https://lms.example.gov"})


def seed(url, instance, rows):
    """Create the schema and ``rows`` certifications (with their users and enrollments) in bulk."""
    from lms.audit import ensure_head
    from lms.extensions import db
    from lms.models import Agency, Certification, Cohort, Enrollment, SigningKey, Track, User

    app = _app(url, instance)
    with app.app_context():
        db.drop_all(bind_key=None)  # the primary database only (an app of the same process may have had a replica)
        db.create_all(bind_key=None)
        ensure_head()
        agencies = [{"id": i, "name": f"County {i} Sheriff's Office", "state": "VA", "ori": f"VA{i:07d}",
                     "created_at": NOW} for i in range(1, 51)]
        db.session.execute(Agency.__table__.insert(), agencies)
        db.session.execute(Track.__table__.insert(), [{
            "id": 1, "slug": "officer-basic", "title": "287(g) Basic Course for Law Enforcement Officers",
            "audience": "Officers", "weeks": 5, "description": "", "is_sample": False,
            "certification_title": "Basic", "validity_years": 2, "refresher_of": None, "content_hash": "0" * 64,
            "created_at": NOW, "updated_at": NOW}])
        db.session.execute(Cohort.__table__.insert(), [
            {"id": i, "name": f"Cohort {i}", "track_id": 1, "start_date": date(2026, 1, 5), "created_at": NOW}
            for i in range(1, 101)])
        db.session.execute(SigningKey.__table__.insert(), [{"key_id": "benchkey00000000", "algorithm": "Ed25519",
                                                             "public_key": "A" * 43, "created_at": NOW}])
        batch = 5000
        statuses = ["active"] * 17 + ["suspended", "revoked", "expired"]
        for start in range(0, rows, batch):
            ids = range(start + 1, min(start + batch, rows) + 1)
            users, enrollments, certifications = [], [], []
            for i in ids:
                agency = agencies[i % 50]
                name = f"{FIRST_NAMES[i % 10]} {LAST_NAMES[(i // 10) % 10]} {i}"
                issued = date(2024, 1, 1) + timedelta(days=i % 800)
                users.append({"id": i, "email": f"officer{i}@example.test", "name": name, "role": "trainee",
                              "agency_id": agency["id"], "password_hash": "x", "must_change_password": False,
                              "session_token": "x", "created_at": NOW})
                enrollments.append({"id": i, "user_id": i, "cohort_id": 1 + i % 100, "status": "completed",
                                    "enrolled_at": NOW})
                certifications.append({
                    "id": i, "number": f"287G-{issued.year}-{i:06d}", "enrollment_id": i, "user_id": i,
                    "agency_id": agency["id"], "cohort_id": 1 + i % 100, "track_id": 1, "status": statuses[i % 20],
                    "status_changed_at": NOW, "holder_name": name, "agency_name": agency["name"],
                    "agency_ori": agency["ori"], "track_slug": "officer-basic",
                    "track_title": "287(g) Basic Course for Law Enforcement Officers",
                    "cohort_name": f"Cohort {1 + i % 100}", "issued_at": NOW, "issued_on": issued,
                    "expires_on": issued.replace(year=issued.year + 2) if not (issued.month == 2 and issued.day == 29)
                    else date(issued.year + 2, 2, 28),
                    "snapshot": "{}", "key_id": "benchkey00000000", "signature": "x" * 86,
                    "verification_code": f"{i:032x}"})
            db.session.execute(User.__table__.insert(), users)
            db.session.execute(Enrollment.__table__.insert(), enrollments)
            db.session.execute(Certification.__table__.insert(), certifications)
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("ANALYZE")
        db.engine.dispose()


def _rss_kb() -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def measure(url, instance, fmt, traced):
    """In a fresh process: export once, report seconds, bytes, rows, memory."""
    import tracemalloc

    from lms.certification.passlist import PassListFilters, export_chunks
    from lms.extensions import db

    app = _app(url, instance)
    with app.app_context():
        db.session.execute(db.text("SELECT 1"))  # connect before the baseline
        db.session.rollback()
        rss_before = _rss_kb()
        if traced:
            tracemalloc.start()
        started = time.perf_counter()
        size = chunks = 0
        for chunk in export_chunks(PassListFilters(), fmt, today=NOW.date(), now=NOW, actor_label="bench"):
            size += len(chunk)
            chunks += 1
        seconds = time.perf_counter() - started
        result = {"format": fmt, "seconds": round(seconds, 3), "bytes": size, "chunks": chunks,
                  "rss_growth_mb": round((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before) / 1024, 1)}
        if traced:
            result["py_peak_mb"] = round(tracemalloc.get_traced_memory()[1] / 2**20, 1)
            tracemalloc.stop()
        db.session.remove()
        db.engine.dispose()
    print(json.dumps(result))


def _child(url, instance, fmt, traced):
    out = subprocess.run([sys.executable, __file__, "--measure", fmt, "--database-url", url, "--instance",
                          str(instance)] + (["--traced"] if traced else []),
                         capture_output=True, text=True, check=True, cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])


def run(engine_name, url, instance, rows, formats):
    started = time.perf_counter()
    seed(url, instance, rows)
    print(f"[{engine_name}] seeded {rows} certifications in {time.perf_counter() - started:.1f} s", flush=True)
    results = []
    for fmt in formats:
        timed = _child(url, instance, fmt, traced=False)
        traced = _child(url, instance, fmt, traced=True)
        timed["py_peak_mb"] = traced["py_peak_mb"]
        timed.update(engine=engine_name, rows=rows)
        results.append(timed)
        print(f"[{engine_name}] {fmt:>4}: {timed['seconds']:6.2f} s, {timed['bytes'] / 2**20:6.1f} MiB written, "
              f"RSS growth {timed['rss_growth_mb']:6.1f} MB, Python peak {timed['py_peak_mb']:5.1f} MB", flush=True)
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--formats", default="csv,xlsx,json")
    parser.add_argument("--postgres", help="An admin URL of a PostgreSQL server: a throwaway database is used.")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    parser.add_argument("--database-url", help=argparse.SUPPRESS)
    parser.add_argument("--instance", help=argparse.SUPPRESS)
    parser.add_argument("--traced", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        measure(args.database_url, args.instance, args.measure, args.traced)
        return
    from lms.config import normalize_database_url

    formats = args.formats.split(",")
    results = []
    with tempfile.TemporaryDirectory(prefix="lms-bench-") as tmp:
        instance = Path(tmp)
        if not args.no_sqlite:
            results += run("sqlite", f"sqlite:///{instance / 'bench.db'}", instance, args.rows, formats)
        if args.postgres:
            from sqlalchemy import create_engine, text
            from sqlalchemy.engine import make_url

            admin_url = make_url(normalize_database_url(args.postgres))
            name = f"lms_bench_{uuid.uuid4().hex[:8]}"
            admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
            try:
                url = admin_url.set(database=name).render_as_string(hide_password=False)
                results += run("postgresql", url, instance, args.rows, formats)
            finally:
                with admin.connect() as conn:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                admin.dispose()
    out = ROOT / "bench" / "results" / "passlist_export.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"machine": os.uname().nodename, "cpus": os.cpu_count(), "results": results}, indent=2))
    print(f"Wrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
