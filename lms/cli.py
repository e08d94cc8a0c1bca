"""The `lms` command group. Every command calls a service; none re-implements one."""
import sys
from datetime import date

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext
from sqlalchemy import select

from . import accounts, cohorts as cohort_service, create_app
from .audit import ensure_head, verify_chain
from .clock import utcnow
from .content import check_content, sync_content
from .content.check import ContentInvalid
from .extensions import db
from .models import Agency, Cohort, Role, Track, User


def _content_root(root):
    return root or current_app.config["CONTENT_ROOT"]


def register_cli(app) -> None:
    """Attach the command groups to the app's CLI."""
    for group in (content_cli, users_cli, audit_cli, cohorts_cli):
        app.cli.add_command(group)
    app.cli.add_command(quickstart)


# -- content ---------------------------------------------------------------

content_cli = click.Group("content", help="Validate and load curriculum/ and question_banks/.")


@content_cli.command("check")
@click.option("--root", type=click.Path(exists=True, file_okay=False), help="Content folder (default: the bundled one).")
def content_check(root):
    """Validate every content file without touching the database."""
    catalog, errors = check_content(_content_root(root))
    for error in errors:
        click.echo(str(error), err=True)
    if errors:
        click.echo(f"{len(errors)} error(s).", err=True)
        sys.exit(1)
    click.echo(f"OK: {len(catalog.modules)} modules, {len(catalog.tracks)} tracks, {len(catalog.banks)} banks "
               f"({sum(len(b.questions) for b in catalog.banks.values())} questions), {len(catalog.exams)} exams.")


@content_cli.command("sync")
@click.option("--root", type=click.Path(exists=True, file_okay=False), help="Content folder (default: the bundled one).")
@with_appcontext
def content_sync(root):
    """Load the content into the database (idempotent; all or nothing)."""
    try:
        report = _sync(root)
    except ContentInvalid as invalid:
        for error in invalid.errors:
            click.echo(str(error), err=True)
        click.echo(f"Nothing changed: {len(invalid.errors)} error(s).", err=True)
        sys.exit(1)
    if not report.changed:
        click.echo("Content is up to date; nothing changed.")
    for line in report.lines():
        click.echo(line)


def _sync(root=None):
    try:
        report = sync_content(_content_root(root), now=utcnow())
    except Exception:
        db.session.rollback()
        raise
    db.session.commit()
    return report


# -- users -----------------------------------------------------------------

users_cli = click.Group("users", help="Manage accounts.")


def _user_or_exit(email) -> User:
    user = db.session.scalar(select(User).where(User.email == accounts.normalize_email(email)))
    if user is None:
        raise click.ClickException(f"No account for {email}.")
    return user


def _agency_or_exit(ori) -> Agency | None:
    if not ori:
        return None
    agency = db.session.scalar(select(Agency).where(Agency.ori == ori.strip().upper()))
    if agency is None:
        raise click.ClickException(f"No agency with ORI {ori}.")
    return agency


@users_cli.command("create")
@click.argument("email")
@click.option("--name", required=True)
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--agency", "ori", help="The agency's ORI (trainees and coordinators).")
@click.option("--password", help="Initial password; generated and printed when omitted.")
@with_appcontext
def users_create(email, name, role, ori, password):
    """Create an account; the user must change the password at first log-in."""
    generated = password is None
    password = password or accounts.generate_password()
    try:
        accounts.create_user(email=email, name=name, role=role, password=password, agency=_agency_or_exit(ori),
                             now=utcnow(), must_change_password=True)
    except accounts.AccountError as error:
        raise click.ClickException(str(error)) from None
    db.session.commit()
    click.echo(f"Created {role} {accounts.normalize_email(email)}." +
               (f" Temporary password: {password}" if generated else ""))


@users_cli.command("disable")
@click.argument("email")
@click.option("--reason", default="")
@with_appcontext
def users_disable(email, reason):
    """Disable an account and end its sessions."""
    user = _user_or_exit(email)
    accounts.disable_user(user, now=utcnow(), reason=reason)
    db.session.commit()
    click.echo(f"Disabled {user.email}.")


@users_cli.command("enable")
@click.argument("email")
@with_appcontext
def users_enable(email):
    """Re-enable a disabled account."""
    user = _user_or_exit(email)
    accounts.enable_user(user, now=utcnow())
    db.session.commit()
    click.echo(f"Enabled {user.email}.")


@users_cli.command("unlock")
@click.argument("email")
@with_appcontext
def users_unlock(email):
    """Lift a lockout after failed log-ins."""
    user = _user_or_exit(email)
    accounts.unlock_user(user, now=utcnow())
    db.session.commit()
    click.echo(f"Unlocked {user.email}.")


@users_cli.command("reset-password")
@click.argument("email")
@click.option("--password", help="Temporary password; generated and printed when omitted.")
@with_appcontext
def users_reset_password(email, password):
    """Set a temporary password; the user must change it at next log-in."""
    user = _user_or_exit(email)
    generated = password is None
    password = password or accounts.generate_password()
    try:
        accounts.reset_password(user, password, now=utcnow())
    except accounts.AccountError as error:
        raise click.ClickException(str(error)) from None
    db.session.commit()
    click.echo(f"Password reset for {user.email}." + (f" Temporary password: {password}" if generated else ""))


@users_cli.command("disable-inactive")
@with_appcontext
def users_disable_inactive():
    """Disable accounts with no log-in for LMS_INACTIVE_DAYS days (CJIS: 90)."""
    disabled = accounts.disable_inactive_users(now=utcnow())
    db.session.commit()
    for user in disabled:
        click.echo(f"Disabled {user.email} (last log-in: {user.last_login_at.isoformat() if user.last_login_at else 'never'})")
    click.echo(f"{len(disabled)} inactive account(s) disabled.")


@users_cli.command("list")
@with_appcontext
def users_list():
    """List accounts: e-mail, role, agency, status, last log-in (for the access review)."""
    now = utcnow()
    for user in db.session.scalars(select(User).order_by(User.email)):
        status = "disabled" if user.disabled_at else "locked" if user.is_locked(now) else "active"
        click.echo("\t".join([user.email, user.role, user.agency.ori if user.agency else "-", status,
                              user.last_login_at.isoformat() if user.last_login_at else "never"]))


# -- audit -----------------------------------------------------------------

audit_cli = click.Group("audit", help="The audit log.")


@audit_cli.command("verify")
@with_appcontext
def audit_verify():
    """Check the audit log's hash chain from the first event to the last."""
    report = verify_chain()
    if report.ok:
        click.echo(f"OK: {report.events} events, chain unbroken.")
    else:
        click.echo(f"BROKEN after {report.events} good events: {report.problem}", err=True)
        sys.exit(1)


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
    try:
        agency = cohort_service.create_agency(name=name, state=state, ori=ori, kind=kind, now=utcnow())
    except cohort_service.CohortError as error:
        raise click.ClickException(str(error)) from None
    db.session.commit()
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
    try:
        cohort = cohort_service.create_cohort(
            name=name, track=track, start_date=date.fromisoformat(start_date),
            agencies=[_agency_or_exit(o) for o in oris],
            instructors=[_user_or_exit(e) for e in instructor_emails], now=utcnow(),
        )
    except (cohort_service.CohortError, ValueError) as error:
        raise click.ClickException(str(error)) from None
    db.session.commit()
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
            cohort_service.enroll(_user_or_exit(email), cohort, now=utcnow())
    except cohort_service.CohortError as error:
        raise click.ClickException(str(error)) from None
    db.session.commit()
    click.echo(f"Enrolled {len(emails)} trainee(s) in {cohort.name}.")


# -- quickstart ------------------------------------------------------------


@click.command("quickstart")
@click.option("--serve/--no-serve", default=True, help="Start the development server afterwards.")
@click.option("--host", default="127.0.0.1")
@click.option("--port", default=5000, type=int)
@with_appcontext
def quickstart(serve, host, port):
    """Migrate the database, sync the bundled course, create the demo set-up, and serve it."""
    from flask_migrate import upgrade

    from .demo import seed_demo

    upgrade(directory=current_app.extensions["migrate"].directory)
    ensure_head()
    db.session.commit()
    report = _sync()
    click.echo("Course content: " + ("loaded " + ", ".join(report.lines()[:3]) + ("..." if len(report.lines()) > 3 else "")
                                     if report.changed else "up to date."))
    setup = seed_demo(now=utcnow())
    db.session.commit()
    if setup.new_accounts:
        click.echo("\nDemo accounts (passwords are shown this once; reset with `lms users reset-password EMAIL`):")
        for role, email, password in setup.new_accounts:
            click.echo(f"  {role:<12} {email:<28} {password}")
    if setup.existing_accounts:
        click.echo("\nDemo accounts already exist (their passwords were printed on the first start): "
                   + ", ".join(email for _, email in setup.existing_accounts))
    if serve:
        click.echo(f"\nServing the LMS at http://{host}:{port}  (Ctrl+C to stop)")
        current_app.run(host=host, port=port, debug=False, use_reloader=False)


def main():
    """Entry point of the `lms` console script."""
    FlaskGroup(create_app=create_app, help="The 287(g) training LMS.")(prog_name="lms")
