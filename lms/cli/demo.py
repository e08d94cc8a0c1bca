"""lms demo and lms quickstart: demonstration data and the one-command start."""

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_migrate import upgrade

from lms import jobs
from lms.audit import ensure_head
from lms.certification.links import local_url
from lms.certification.signing import ensure_signing_key
from lms.cli.content import sync_bundled_content
from lms.clock import program_today, utcnow
from lms.demo import fact_sheet
from lms.demo.setup import seed_demo
from lms.extensions import db

# -- demo data ---------------------------------------------------------------

demo_cli = click.Group("demo", help="Demonstration data.")


@demo_cli.command("load")
@click.option("--as-of", "as_of", type=click.DateTime(["%Y-%m-%d"]), help="The simulation's last day (default: today).")
@click.option("--seed", default=2005, show_default=True, type=int, help="Seed of the simulated trainees.")
@with_appcontext
def demo_load(as_of, seed):
    """Load the 2005 fact-sheet program (FDLE, Alabama, L.A. County), simulated through the real exam engine."""

    sync_bundled_content()
    _load_program_demo(as_of.date() if as_of else program_today(utcnow()), seed, already="fail")


def _load_program_demo(as_of, seed, *, already: str) -> None:
    """Run the fact-sheet demo (`load_fact_sheet`) and print its figures. When it is already loaded:
    ``already="fail"`` exits with an error, ``already="skip"`` says so (quickstart's second run)."""

    try:
        report = fact_sheet.load_fact_sheet(as_of=as_of, seed=seed)
    except fact_sheet.DemoAlreadyLoaded as error:
        db.session.rollback()
        if already == "skip":
            click.echo(f"\n{error} Nothing changed.")
            return
        raise click.ClickException(str(error)) from None
    except Exception:
        db.session.rollback()
        raise
    db.session.commit()
    for ori, count in report.certified.items():
        click.echo(f"{ori}: {count} certified")
    for ori, count in report.in_training.items():
        click.echo(f"{ori}: {count} in training")
    click.echo(f"{report.attempts} exam attempts graded; {report.extra_attempts_granted} extra attempts granted.")


# -- quickstart ------------------------------------------------------------


@click.command("quickstart")
@click.option("--serve/--no-serve", default=True, help="Start the development server afterwards.")
@click.option("--host", default="127.0.0.1")
@click.option("--port", default=5000, type=int)
@click.option("--program-demo", is_flag=True,
              help="Also load the 2005 fact-sheet program, as `lms demo load` does (once; about 30 s).")
@with_appcontext
def quickstart(serve, host, port, program_demo):
    """Migrate the database, sync the bundled course, create the demo set-up, and serve it."""


    # Links made outside a request (certificates issued here by --program-demo) point to where this
    # server will answer, unless LMS_PUBLIC_URL says otherwise; requests use their own address.
    current_app.config["LOCAL_URL"] = local_url(host, port)
    upgrade(directory=current_app.extensions["migrate"].directory)
    ensure_head()
    db.session.commit()

    click.echo(f"Certificate signing key: {ensure_signing_key(now=utcnow()).key_id}")
    db.session.commit()
    report = sync_bundled_content()
    click.echo("Course content: " + ("loaded " + ", ".join(report.lines()[:3])
                                     + ("..." if len(report.lines()) > 3 else "")
                                     if report.changed else "up to date."))
    setup = seed_demo(now=utcnow())
    db.session.commit()
    if program_demo:

        click.echo("\nThe 2005 fact-sheet program (FDLE, Alabama State Police, L.A. County), simulated through the "
                   "exam engine:")
        _load_program_demo(program_today(utcnow()), 2005, already="skip")
    # The passwords last, boxed, right before the address, where they are not missed.
    click.echo("\n" + "\n".join(demo_accounts_box(setup, site=current_app.config.get("PUBLIC_URL")
                                                       or local_url(host, port),
                                                  two_factor=current_app.config["REQUIRE_2FA"])))
    if serve:
        # The embedded job queue (a SQLite file) needs no second command: its consumer runs in threads here.
        # With LMS_JOBS_URL (Redis), or LMS_JOBS_EMBEDDED=off, `lms worker` runs them.
        if current_app.config["JOBS_EMBEDDED"] and not current_app.config.get("JOBS_URL"):
            jobs.consumer(current_app._get_current_object(), workers=1, embedded=True).start()
        click.echo(f"Serving the LMS at {local_url(host, port)}  (Ctrl+C to stop)")
        # Flask ignores app.run() inside its own CLI, so serve with Werkzeug directly.
        from werkzeug.serving import run_simple

        run_simple(host, port, current_app._get_current_object(), threaded=True)


def demo_accounts_box(setup, *, site: str, two_factor: bool = False) -> list[str]:
    """The demo accounts in a box: each new account's password (shown this once), how privileged
    accounts log in when two factors are required, and how to reset a password."""
    texts = []
    if setup.new_accounts:
        texts += ["Demo accounts. The passwords are shown only this once: note them now.", ""]
        texts += [f"  {role:<12} {email:<30} {password}" for role, email, password in setup.new_accounts]
    if setup.existing_accounts:
        texts += ["Demo accounts already exist (their passwords were shown on the first start):"]
        texts += [f"  {email}" for _, email in setup.existing_accounts]
    if two_factor:
        texts += ["", "Instructor, coordinator, staff and admin log in with a second factor: at the first",
                  "log-in, set up an authenticator app (TOTP) from the QR code shown. See README, Demo accounts."]
    texts += ["", f"Log in at {site}",
              "Lost a password? `lms users reset-password EMAIL` prints a temporary one,",
              "to be changed at the next log-in; an administrator can also reset it."]
    width = max(len(text) for text in texts)
    rule = "+" + "-" * (width + 2) + "+"
    return [rule, *(f"| {text:<{width}} |" for text in texts), rule]


