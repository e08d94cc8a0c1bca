"""lms certs: signing keys, status changes, verification, expiry and refresher reminders."""
import sys

import click
from flask.cli import with_appcontext

from lms.certification.signing import SigningKeyError, generate_key, key_path, published_keys, rotate_key
from lms.certification.status import TransitionRefused, change_status, due_for_refresher, expire_due
from lms.certification.verify import find_certification, lookup
from lms.cli.common import agency_or_exit, cli_actor, commit_or_exit
from lms.clock import program_today, utcnow
from lms.extensions import db
from lms.vocabulary import certification_status, plural

# -- certification -----------------------------------------------------------

certs_cli = click.Group("certs", help="Certification records, signing keys and verification.")


def _certification_or_exit(number):

    certification = find_certification(number)
    if certification is None:
        raise click.ClickException(f"No certification {number}.")
    return certification


@certs_cli.command("keygen")
@with_appcontext
def certs_keygen():
    """Create the Ed25519 signing key (in LMS_SIGNING_KEY_PATH or the instance folder)."""

    key = commit_or_exit(lambda: generate_key(now=utcnow(), actor_label=cli_actor(None)[1]), SigningKeyError)
    click.echo(f"Created signing key {key.key_id} at {key_path()} (private: keep it out of backups you share).")


@certs_cli.command("rotate-key")
@with_appcontext
def certs_rotate_key():
    """Replace the signing key; the old public key stays published and keeps verifying what it signed."""

    try:
        old, new = rotate_key(now=utcnow(), actor_label=cli_actor(None)[1])
    except SigningKeyError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from None
    db.session.commit()
    click.echo(f"Rotated: new key {new.key_id} signs from now on; {old.key_id} is retired and still published.")


@certs_cli.command("keys")
@with_appcontext
def certs_keys():
    """List the published public keys."""

    for key in published_keys()["keys"]:
        click.echo("\t".join([key["kid"], key["x"], key["created_at"], key["retired_at"] or "current"]))


def _status_command(action):
    @click.argument("number")
    @click.option("--reason", required=True, help="Why; kept in the status history and the audit log.")
    @click.option("--by", "by_email", help="E-mail of the staff member acting (default: the operator's login).")
    @with_appcontext
    def command(number, reason, by_email):

        certification = _certification_or_exit(number)
        actor, label = cli_actor(by_email)
        try:
            change_status(certification, action, reason=reason, actor=actor, actor_label=label, now=utcnow())
        except TransitionRefused as refused:
            db.session.rollback()
            raise click.ClickException(str(refused)) from None
        db.session.commit()
        click.echo(f"{certification.number} is now {certification_status(certification.status).lower()}.")

    command.__doc__ = {"suspend": "Suspend an active certification.",
                       "reinstate": "Reinstate a suspended certification.",
                       "revoke": "Revoke a certification (permanent)."}[action]
    return certs_cli.command(action)(command)


for _action in ("suspend", "reinstate", "revoke"):
    _status_command(_action)


@certs_cli.command("verify")
@click.argument("number")
@with_appcontext
def certs_verify(number):
    """Show what the public verification page shows, with the signature check; exit 1 unless it checks."""

    record = lookup(number, now=utcnow())
    if record is None:
        click.echo(f"No certification {number}.", err=True)
        sys.exit(1)
    for label, value in (("Number", record.number), ("Status", record.status_label), ("Name", record.name),
                         ("Agency", record.agency), ("Track", record.track), ("Issued", record.issued_on.isoformat()),
                         ("Expires", record.expires_on.isoformat()),
                         ("Signature", "OK" if record.signature_ok else "DOES NOT CHECK")):
        click.echo(f"{label + ':':<11}{value}")
    if not record.signature_ok:
        sys.exit(1)


@certs_cli.command("expire")
@with_appcontext
def certs_expire():
    """Mark every active certification past its expiry date as expired (run daily)."""

    count = expire_due(now=utcnow(), actor_label=cli_actor(None)[1])
    db.session.commit()
    click.echo(f"Marked {plural(count, 'certification')} expired.")


@certs_cli.command("due")
@click.option("--days", default=90, show_default=True, type=click.IntRange(1, 730))
@click.option("--agency", "ori", help="Only this agency (ORI).")
@with_appcontext
def certs_due(days, ori):
    """List active certifications expiring within DAYS days with no refresher yet."""

    agency = agency_or_exit(ori)
    rows = due_for_refresher(today=program_today(utcnow()), days=days, agency_id=agency.id if agency else None)
    for row in rows:
        c = row.certification
        click.echo("\t".join([c.expires_on.isoformat(), str(row.days_left), c.number, c.holder_name, c.agency_ori]))
    click.echo(f"{len(rows)} due within {days} days.", err=True)


