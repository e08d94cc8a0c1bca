"""lms mou: agencies' agreements with ICE."""

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from lms.agencies.agreements import AgreementError, attach_mou, create_mou, mou_models, terminate_mou
from lms.cli.common import agency_or_exit, cli_actor, commit_or_exit, user_or_exit
from lms.clock import utcnow
from lms.extensions import db
from lms.models import Cohort, Enrollment, Mou
from lms.vocabulary import plural

# -- agreements (MOUs) -------------------------------------------------------

mou_cli = click.Group("mou", help="Agencies' agreements (MOUs) with ICE.")


@mou_cli.command("create")
@click.option("--agency", "ori", required=True, help="The agency's ORI.")
@click.option("--model", required=True, help="The 287(g) model's key (`lms mou models` lists them).")
@click.option("--signed", "signed_on", type=click.DateTime(["%Y-%m-%d"]), required=True)
@click.option("--effective", "effective_on", type=click.DateTime(["%Y-%m-%d"]), required=True)
@click.option("--ends", "ends_on", type=click.DateTime(["%Y-%m-%d"]))
@click.option("--function", "functions", multiple=True, required=True, help="An authorized function (repeatable).")
@click.option("--officer-cap", type=int)
@with_appcontext
def mou_create(ori, model, signed_on, effective_on, ends_on, functions, officer_cap):
    """Record an agency's agreement and the functions it authorizes."""

    mou = commit_or_exit(lambda: create_mou(agency=agency_or_exit(ori), model=model, signed_on=signed_on.date(),
                     effective_on=effective_on.date(), ends_on=ends_on.date() if ends_on else None,
                     authorized_functions=list(functions), officer_cap=officer_cap, now=utcnow()))
    click.echo(f"Created MOU {mou.id} for {ori.upper()}.")


@mou_cli.command("models")
@with_appcontext
def mou_models_list():
    """List the 287(g) models an agreement may name: the built-in ones and those staff added."""
    for key, label in mou_models().items():
        click.echo(f"{key:<28} {label}")


@mou_cli.command("attach")
@click.argument("mou_id", type=int)
@click.option("--cohort", "cohort_name", required=True)
@click.argument("emails", nargs=-1, required=True)
@with_appcontext
def mou_attach(mou_id, cohort_name, emails):
    """Nominate trainees' enrollments in a cohort under an agreement."""

    mou = db.session.get(Mou, mou_id)
    cohort = db.session.scalar(select(Cohort).where(Cohort.name == cohort_name))
    if mou is None or cohort is None:
        raise click.ClickException("No such MOU or cohort.")
    try:
        for email in emails:
            user = user_or_exit(email)
            enrollment = db.session.scalar(select(Enrollment).where(Enrollment.user_id == user.id,
                                                                    Enrollment.cohort_id == cohort.id))
            if enrollment is None:
                raise click.ClickException(f"{email} is not enrolled in {cohort_name}.")
            attach_mou(enrollment, mou, now=utcnow())
    except AgreementError as error:
        raise click.ClickException(str(error)) from None
    db.session.commit()
    click.echo(f"{plural(len(emails), 'enrollment')} under MOU {mou.id}.")


@mou_cli.command("terminate")
@click.argument("mou_id", type=int)
@click.option("--action", type=click.Choice(["suspend", "revoke"]), required=True,
              help="What happens to the certifications earned under it.")
@click.option("--reason", required=True)
@click.option("--by", "by_email", help="E-mail of the staff member acting (default: the operator's login).")
@with_appcontext
def mou_terminate(mou_id, action, reason, by_email):
    """End an agreement: suspend or revoke every certification in force under it, in one audited action."""

    mou = db.session.get(Mou, mou_id)
    if mou is None:
        raise click.ClickException(f"No MOU {mou_id}.")
    actor, label = cli_actor(by_email)
    changed = commit_or_exit(
        lambda: terminate_mou(mou, action=action, reason=reason, actor=actor, actor_label=label, now=utcnow()))
    click.echo(f"MOU {mou.id} terminated; {plural(len(changed), 'certification')} "
               f"{'suspended' if action == 'suspend' else 'revoked'}.")


