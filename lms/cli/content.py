"""lms content: validate and load the bundled or a given content folder."""
import sys
from dataclasses import replace

import click
from flask import current_app
from flask.cli import with_appcontext

from lms.cli.common import content_root
from lms.clock import program_today, utcnow
from lms.content import check_content, sync_content
from lms.content.check import ContentInvalid
from lms.content.quality import RULES, quality_warnings
from lms.extensions import db
from lms.vocabulary import plural

# -- content ---------------------------------------------------------------

content_cli = click.Group("content", help="Validate and load curriculum/ and question_banks/.")


@content_cli.command("check")
@click.option("--root", type=click.Path(exists=True, file_okay=False), help="Content folder (default: the bundled one).")
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
               f"({sum(len(b.questions) for b in catalog.banks.values())} questions), {len(catalog.exams)} exams"
               + (f"; {plural(len(warnings), 'warning')}." if warnings else ", no warnings."))
    if warnings and strict:
        sys.exit(1)


@content_cli.command("sync")
@click.option("--root", type=click.Path(exists=True, file_okay=False), help="Content folder (default: the bundled one).")
@with_appcontext
def content_sync(root):
    """Load the content into the database (idempotent; all or nothing)."""
    try:
        report = sync_bundled_content(root)
    except ContentInvalid as invalid:
        for error in invalid.errors:
            click.echo(str(error), err=True)
        click.echo(f"Nothing changed: {plural(len(invalid.errors), 'error')}.", err=True)
        sys.exit(1)
    if not report.changed:
        click.echo("Content is up to date; nothing changed.")
    for line in report.lines():
        click.echo(line)


def sync_bundled_content(root=None):
    try:
        report = sync_content(content_root(root), now=utcnow())
    except Exception:
        db.session.rollback()
        raise
    db.session.commit()
    return report


