"""lms passlist: export the pass list."""

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from lms.certification.passlist import PassListFilters, export_chunks
from lms.cli.common import agency_or_exit, cli_actor
from lms.clock import program_today, utcnow
from lms.extensions import db
from lms.models import Cohort, Track

# -- pass lists --------------------------------------------------------------

passlist_cli = click.Group("passlist", help="Pass lists of certified officers.")


@passlist_cli.command("export")
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx", "json"]), required=True)
@click.option("--agency", "ori", help="Agency ORI.")
@click.option("--cohort", "cohort_name", help="Cohort name.")
@click.option("--track", "track_slug", help="Track id (slug).")
@click.option("--status", type=click.Choice(["valid", "active", "suspended", "revoked", "expired"]),
              help="valid (the code in JSON: active), suspended, revoked or expired.")
@click.option("--issued-from", type=click.DateTime(["%Y-%m-%d"]), help="Issued on or after (YYYY-MM-DD).")
@click.option("--issued-to", type=click.DateTime(["%Y-%m-%d"]), help="Issued on or before (YYYY-MM-DD).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), required=True, help="File to write.")
@click.option("--by", "by_email", help="E-mail of the person exporting (default: the operator's login).")
@with_appcontext
def passlist_export(fmt, ori, cohort_name, track_slug, status, issued_from, issued_to, output, by_email):
    """Write a pass list (streamed; audited with its filters and row count)."""

    agency = agency_or_exit(ori)
    cohort = track = None
    if cohort_name:
        cohort = db.session.scalar(select(Cohort).where(Cohort.name == cohort_name))
        if cohort is None:
            raise click.ClickException(f"No cohort {cohort_name!r}.")
    if track_slug:
        track = db.session.scalar(select(Track).where(Track.slug == track_slug))
        if track is None:
            raise click.ClickException(f"No track {track_slug}.")
    filters = PassListFilters(agency_id=agency.id if agency else None, cohort_id=cohort.id if cohort else None,
                              track_id=track.id if track else None, status="active" if status == "valid" else status,
                              issued_from=issued_from.date() if issued_from else None,
                              issued_to=issued_to.date() if issued_to else None)
    actor, label = cli_actor(by_email)
    now = utcnow()
    size = 0
    with open(output, "wb") as fh:
        for chunk in export_chunks(filters, fmt, today=program_today(now), now=now, actor=actor, actor_label=label,
                                   via="cli"):
            fh.write(chunk)
            size += len(chunk)
    click.echo(f"Wrote {output} ({size} bytes).")


