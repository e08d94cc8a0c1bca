"""Backups of the whole database, taken online, and their restoration into an empty database.

SQLite: the sqlite3 online backup API copies a consistent snapshot page by page while the application
keeps running (writers are not blocked for the copy's duration). PostgreSQL: pg_dump's custom format,
also a consistent snapshot of a running database, restored with pg_restore in one transaction. The
password is handed to the PostgreSQL tools in their environment, never on their command line (where
any user of the machine could read it in the process list).
"""
import os
import shutil
import sqlite3
import subprocess  # nosec B404: runs pg_dump/pg_restore only, by absolute path, without a shell
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import inspect
from sqlalchemy.engine import Engine

from lms.audit import ChainReport, record_event, verify_chain
from lms.extensions import db

class BackupError(Exception):
    """A backup or restore that cannot be done; the message says why and what to do."""


@dataclass(frozen=True)
class BackupFile:
    """What was written or read: the file, its kind and its size."""

    path: Path
    kind: str  # "sqlite" | "pg_dump"
    size: int


def back_up(destination: Path, *, actor_label: str, now) -> BackupFile:
    """Copy the application's database to a new file and record that in the audit log (caller commits)."""
    written = backup_database(db.engine, destination)
    record_event("database.backup", actor_label=actor_label, now=now, outcome="success",
                 details={"file": written.path.name, "kind": written.kind, "bytes": written.size})
    return written


def restore(source: Path, *, actor_label: str, now) -> tuple[BackupFile, ChainReport]:
    """Restore a backup into the application's empty database, check the restored audit chain, and
    record the restore as the chain's next event (caller commits)."""
    db.session.remove()
    restored = restore_database(db.engine, source)
    report = verify_chain()
    record_event("database.restore", actor_label=actor_label, now=now,
                 outcome="success" if report.ok else "failure",
                 details={"file": restored.path.name, "kind": restored.kind, "events": report.events,
                          "chain": "unbroken" if report.ok else report.problem})
    return restored, report


def backup_database(engine: Engine, destination: Path) -> BackupFile:
    """Write a consistent copy of the live database to ``destination`` (a new file, mode 0600)."""
    destination = Path(destination)
    method = _method_for(engine)
    if destination.exists():
        raise BackupError(f"{destination} already exists: choose a new file name.")
    method.backup(engine, destination)
    return BackupFile(destination, method.kind, destination.stat().st_size)


def restore_database(engine: Engine, source: Path) -> BackupFile:
    """Restore a file written by backup_database into the (empty) database ``engine`` points to."""
    source = Path(source)
    if not source.is_file():
        raise BackupError(f"{source} is not a file.")
    method, kind = _method_for(engine), _kind_of(source)
    if kind != method.kind:
        raise BackupError(f"{source} is {'a ' + kind + ' backup' if kind else 'not a backup'}; "
                          f"this database ({engine.dialect.name}) restores only a {method.kind} backup.")
    tables = inspect(engine).get_table_names()
    engine.dispose()  # no pooled connection of ours holds the target open
    if tables:
        raise BackupError(f"The database is not empty ({len(tables)} tables, e.g. {sorted(tables)[0]}): "
                          "restore only into a new, empty database, never over data.")
    method.restore(engine, source)
    engine.dispose()
    return BackupFile(source, kind, source.stat().st_size)


def _method_for(engine: Engine) -> "Method":
    method = METHODS.get(engine.dialect.name)
    if method is None:
        raise BackupError(f"No backup method for {engine.dialect.name}.")
    return method


def _kind_of(path: Path) -> str | None:
    """The kind of backup a file is, from its first bytes (None: not a backup)."""
    with path.open("rb") as fh:
        head = fh.read(16)
    return next((m.kind for m in METHODS.values() if head.startswith(m.magic)), None)


def _private_file(path: Path) -> None:
    """Create ``path`` empty and readable by its owner only: a backup holds personal data and hashes."""
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


# -- SQLite --------------------------------------------------------------------------------------------


def _sqlite_backup(engine: Engine, destination: Path) -> None:
    _private_file(destination)
    raw = engine.raw_connection()
    try:
        target = sqlite3.connect(destination)
        try:
            raw.driver_connection.backup(target)
            # One self-contained file: the copy inherits WAL mode from the live database otherwise.
            target.execute("PRAGMA journal_mode=DELETE")
        finally:
            target.close()
    except Exception:
        destination.unlink(missing_ok=True)
        raise
    finally:
        raw.close()
    _check_sqlite_file(destination)


def _check_sqlite_file(path: Path) -> None:
    """Refuse a file that is not a sound SQLite database of this application."""
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        result = connection.execute("PRAGMA integrity_check").fetchone()[0]
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    except sqlite3.DatabaseError as error:
        raise BackupError(f"{path} is not a readable SQLite database: {error}") from error
    finally:
        connection.close()
    if result != "ok":
        raise BackupError(f"{path} fails SQLite's integrity check: {result}")
    if not {"audit_event", "audit_head"} <= tables:
        raise BackupError(f"{path} is not a database of this application.")


def _sqlite_restore(engine: Engine, source: Path) -> None:
    _check_sqlite_file(source)
    target_path = engine.url.database
    if not target_path or target_path == ":memory:":
        raise BackupError("Restore needs a SQLite database file (LMS_DATABASE_URL).")
    backup = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        target = sqlite3.connect(target_path)
        try:
            backup.backup(target)
            target.execute("PRAGMA journal_mode=WAL")  # as the application runs it
        finally:
            target.close()
    finally:
        backup.close()


# -- PostgreSQL ----------------------------------------------------------------------------------------


def _pg_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"{name} is not on the PATH: install the PostgreSQL client of the server's major "
                          "version (Debian: postgresql-client-15).")
    return path


def _pg_connection(engine: Engine) -> tuple[str, dict]:
    """The libpq URL without its password, and an environment that carries the password."""
    url = engine.url
    env = dict(os.environ)
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)
    return url.set(drivername="postgresql", password=None).render_as_string(hide_password=False), env


def _run(command: list[str], env: dict) -> None:
    result = subprocess.run(  # nosec B603: a PostgreSQL tool by absolute path, an argument list, no shell
        command, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} failed (exit status {result.returncode}):\n"
                          f"{result.stderr.strip()}")


def _pg_dump(engine: Engine, destination: Path) -> None:
    dbname, env = _pg_connection(engine)
    pg_dump = _pg_tool("pg_dump")
    _private_file(destination)
    try:
        _run([pg_dump, "--format=custom", f"--file={destination}", f"--dbname={dbname}"], env)
    except Exception:
        destination.unlink(missing_ok=True)
        raise


def _pg_restore(engine: Engine, source: Path) -> None:
    dbname, env = _pg_connection(engine)
    # One transaction: a failed restore leaves the database empty, not half-filled. Ownership and grants
    # are those of the restoring role (the dump keeps them, for a manual pg_restore that wants them).
    _run([_pg_tool("pg_restore"), "--single-transaction", "--exit-on-error", "--no-owner", "--no-acl",
          f"--dbname={dbname}", str(source)], env)


# -- one method per database -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Method:
    """How one kind of database is backed up and restored, and how its backup files begin."""

    kind: str
    magic: bytes
    backup: Callable[[Engine, Path], None]
    restore: Callable[[Engine, Path], None]


METHODS = {
    "sqlite": Method("sqlite", b"SQLite format 3\x00", _sqlite_backup, _sqlite_restore),
    "postgresql": Method("pg_dump", b"PGDMP", _pg_dump, _pg_restore),  # pg_dump's custom format
}
