"""lms content: validate and load the bundled or a given content folder."""
import sys
from dataclasses import replace
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from lms.cli.common import content_root
from lms.clock import program_today, utcnow
from lms.content import check_content, sync_content
from lms.content.check import ContentInvalid
from lms.content.export import export_content
from lms.content.sync_state import BROWSER, FILES, SyncConflict
from lms.content.quality import RULES, quality_warnings
from lms.content.search import reindex_all
from lms.extensions import db
from lms.vocabulary import plural

# -- content ---------------------------------------------------------------

content_cli = click.Group("content", help="Validate and load curriculum/ and question_banks/.")


@content_cli.command("check")
@click.option("--root", type=click.Path(exists=True, file_okay=False),
              help="Content folder (default: the bundled one).")
@click.option("--strict", is_flag=True, help="Exit non-zero on warnings too, not only on errors.")
@with_appcontext
def content_check(root, strict):
    """Validate every content file without touching the database; then warn about item quality and currency."""
    catalog, errors = check_content(content_root(root))
    for error in errors:
        click.echo(str(error), err=True)
    if errors:
        click.echo(f"{plural(len(errors), 'error')}.", err=True)
        sys.exit(1)
    rules = replace(RULES, review_max_days=current_app.config["CONTENT_REVIEW_DAYS"])
    warnings = quality_warnings(catalog, today=program_today(utcnow()), rules=rules)
    for warning in warnings:
        click.echo(str(warning), err=True)
    click.echo(f"OK: {len(catalog.modules)} modules, {len(catalog.tracks)} tracks, {len(catalog.banks)} banks "
               f"({sum(len(b.questions) for b in catalog.banks.values())} questions), {len(catalog.exams)} exams, "
               f"{len(catalog.exercises)} practical exercises"
               + (f"; {plural(len(warnings), 'warning')}." if warnings else ", no warnings."))
    if warnings and strict:
        sys.exit(1)


@content_cli.command("sync")
@click.option("--root", type=click.Path(exists=True, file_okay=False),
              help="Content folder (default: the bundled one).")
@click.option("--keep", type=click.Choice([FILES, BROWSER]),
              help="Settle items changed both in the files and in the browser: keep this side.")
@click.option("--item", "items", multiple=True, metavar="ID",
              help="With --keep: only this item (an id, or kind:id); repeat for more. Default: every conflict.")
@with_appcontext
def content_sync(root, keep, items):
    """Load the content into the database (idempotent; all or nothing)."""
    if items and not keep:
        raise click.UsageError("--item needs --keep files or --keep browser.")
    try:
        report = sync_bundled_content(root, keep=keep, only=set(items) or None)
    except ContentInvalid as invalid:
        for error in invalid.errors:
            click.echo(str(error), err=True)
        click.echo(f"Nothing changed: {plural(len(invalid.errors), 'error')}.", err=True)
        sys.exit(1)
    except SyncConflict as conflict:
        for item in conflict.conflicts:
            click.echo(str(item), err=True)
        click.echo(f"Nothing changed: {plural(len(conflict.conflicts), 'item')} changed both in the files and in "
                   "the browser since the last sync. Keep one side with --keep files or --keep browser "
                   "(for some items only: --item ID), or run lms content export to write the browser's "
                   "versions to the files first.", err=True)
        sys.exit(1)
    if not report.changed:
        click.echo("Content is up to date; nothing changed.")
    for line in report.lines():
        click.echo(line)


@content_cli.command("export")
@click.option("--root", type=click.Path(file_okay=False), help="Content folder (default: the bundled one).")
@click.option("--prune", is_flag=True, help="Remove content files the database does not hold.")
@with_appcontext
def content_export(root, prune):
    """Write the database's published content to curriculum/ and question_banks/ (a sync of it changes nothing)."""
    target = Path(content_root(root))
    report = export_content(target, actor=None, now=utcnow(), prune=prune)
    db.session.commit()
    for rel in report.written:
        click.echo(f"wrote {rel}")
    for rel in report.stale:
        click.echo(f"{'removed' if prune else 'not in the database (use --prune to remove)'}: {rel}",
                   err=not prune)
    for slug in report.empty:
        click.echo(f"not written: bank {slug} has no question yet (a bank file needs at least one)", err=True)
    click.echo(f"{plural(len(report.written), 'file')} written to {target}.")


def sync_bundled_content(root=None, keep=None, only=None):
    try:
        report = sync_content(content_root(root), now=utcnow(), keep=keep, only=only)
    except Exception:
        db.session.rollback()
        raise
    db.session.commit()
    return report




@content_cli.command("reindex")
@with_appcontext
def content_reindex():
    """Rebuild the course's search index from the current module versions (it follows every publish by itself)."""
    count = reindex_all()
    db.session.commit()
    click.echo(f"Search index rebuilt: {plural(count, 'module')}.")
