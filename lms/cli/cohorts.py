"""lms cohorts: agencies, cohorts and enrollments."""
from datetime import date

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from lms.agencies.agencies import create_agency
from lms.cli.common import agency_or_exit, commit_or_exit, user_or_exit
from lms.clock import utcnow
from lms.cohorts import roster as cohort_service
from lms.extensions import db
from lms.models import Cohort, Track
from lms.vocabulary import plural

# -- cohorts ---------------------------------------------------------------

cohorts_cli = click.Group("cohorts", help="Agencies, cohorts and enrollments.")


@cohorts_cli.command("create-agency")
@click.option("--name", required=True)
@click.option("--state", required=True)
@click.option("--ori", required=True)
@click.option("--kind")
@with_appcontext
def cohorts_create_agency(name, state, ori, kind):
    """Register an agency."""
    agency = commit_or_exit(lambda: create_agency(name=name, state=state, ori=ori, kind=kind, now=utcnow()))
    click.echo(f"Created agency {agency.ori} {agency.name}.")


@cohorts_cli.command("create")
@click.option("--name", required=True)
@click.option("--track", "track_slug", required=True)
@click.option("--start", "start_date", required=True, help="Start date, YYYY-MM-DD.")
@click.option("--agency", "oris", multiple=True, help="ORI of an agency in the cohort (repeatable).")
@click.option("--instructor", "instructor_emails", multiple=True, help="Instructor e-mail (repeatable).")
@with_appcontext
def cohorts_create(name, track_slug, start_date, oris, instructor_emails):
    """Start a cohort of a track."""
    track = db.session.scalar(select(Track).where(Track.slug == track_slug, Track.retired_at.is_(None)))
    if track is None:
        raise click.ClickException(f"No active track {track_slug}.")
    cohort = commit_or_exit(lambda: cohort_service.create_cohort(
        name=name, track=track, start_date=date.fromisoformat(start_date),
        agencies=[agency_or_exit(o) for o in oris],
        instructors=[user_or_exit(e) for e in instructor_emails], now=utcnow(),
    ))
    click.echo(f"Created cohort {cohort.id} {cohort.name}.")


@cohorts_cli.command("enroll")
@click.argument("cohort_name")
@click.argument("emails", nargs=-1, required=True)
@with_appcontext
def cohorts_enroll(cohort_name, emails):
    """Enroll trainees in a cohort."""
    cohort = db.session.scalar(select(Cohort).where(Cohort.name == cohort_name))
    if cohort is None:
        raise click.ClickException(f"No cohort {cohort_name!r}.")
    try:
        for email in emails:
            cohort_service.enroll(user_or_exit(email), cohort, now=utcnow())
    except cohort_service.CohortError as error:
        raise click.ClickException(str(error)) from None
    db.session.commit()
    click.echo(f"Enrolled {plural(len(emails), 'trainee')} in {cohort.name}.")


