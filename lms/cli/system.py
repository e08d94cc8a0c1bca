"""lms audit, lms backup, lms restore: the audit chain and the database backup."""
import sys
from pathlib import Path

import click
from flask.cli import with_appcontext

from lms import backup as backup_service
from lms.audit import seal_pending, verify_chain
from lms.cli.common import cli_actor, commit_or_exit
from lms.clock import utcnow

# -- audit -----------------------------------------------------------------

audit_cli = click.Group("audit", help="The audit log.")


@audit_cli.command("verify")
@with_appcontext
def audit_verify():
    """Check the audit log's hash chain from the first sealed event to the last; tell how many await sealing."""
    report = verify_chain()
    waiting = f" {report.unsealed} more await sealing (`lms audit seal`)." if report.unsealed else ""
    if report.ok:
        click.echo(f"OK: {report.events} events, chain unbroken.{waiting}")
    else:
        click.echo(f"BROKEN after {report.events} good events: {report.problem}{waiting}", err=True)
        sys.exit(1)


@audit_cli.command("seal")
@with_appcontext
def audit_seal():
    """Chain every committed event that awaits sealing (each app process's sealer does after the commits;
    run this from cron as a backstop for a process stopped between its commit and its seal)."""
    click.echo(f"Sealed {seal_pending()} events.")


# -- backup and restore ------------------------------------------------------


@click.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup(file):
    """Copy the whole database, online and consistent, to a new FILE (SQLite: the backup API;
    PostgreSQL: pg_dump's custom format, pg_dump on the PATH)."""
    written = commit_or_exit(lambda: backup_service.back_up(file, actor_label=cli_actor(None)[1], now=utcnow()),
                             backup_service.BackupError)
    click.echo(f"Backed up to {written.path} ({written.kind}, {written.size:,} bytes). It holds personal data "
               "and password hashes: keep it as securely as the database.")


@click.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def restore(file):
    """Restore a backup FILE into an EMPTY database (refuses one that holds any table), then check
    the restored audit chain."""
    restored, report = commit_or_exit(
        lambda: backup_service.restore(file, actor_label=cli_actor(None)[1], now=utcnow()), backup_service.BackupError)
    click.echo(f"Restored {restored.path} ({restored.kind}). Run `lms db upgrade` if the backup predates "
               "this version.")
    if report.ok:
        click.echo(f"Audit log: {report.events} events, chain unbroken.")
    else:
        click.echo(f"Audit log BROKEN after {report.events} good events: {report.problem}", err=True)
        sys.exit(1)


