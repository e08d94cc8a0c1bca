"""lms users: create, disable, enable, unlock, reset and list accounts."""

import click
from cryptography.fernet import InvalidToken
from flask.cli import with_appcontext
from sqlalchemy import select

from lms.accounts import access_review, login, twofactor
from lms.accounts import users as accounts
from lms.cli.common import agency_or_exit, commit_or_exit, user_or_exit
from lms.clock import utcnow
from lms.extensions import db
from lms.models import Role, User
from lms.vocabulary import plural

# -- users -----------------------------------------------------------------

users_cli = click.Group("users", help="Manage accounts.")


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
    password = password or accounts.generate_password(email=email, name=name)
    commit_or_exit(lambda: accounts.create_user(email=email, name=name, role=role, password=password,
                                                agency=agency_or_exit(ori), now=utcnow(), must_change_password=True))
    click.echo(f"Created {role} {accounts.normalize_email(email)}." +
               (f" Temporary password: {password}" if generated else ""))


def _account_command(name: str, help_text: str, change, done: str, *options) -> click.Command:
    """A command that applies one service call to the account named by its e-mail and says what it did.
    ``options`` are click options passed on to ``change``, which may return a sentence to add."""
    def command(email, **values):
        user = user_or_exit(email)
        said = commit_or_exit(lambda: change(user, now=utcnow(), **values))
        click.echo(f"{done} {user.email}." + (said or ""))

    for option in options:
        command = option(command)
    return users_cli.command(name, help=help_text)(click.argument("email")(with_appcontext(command)))


def _reset_password(user: User, *, now, password: str | None) -> str:
    """Set a temporary password, generated when none is given; the sentence that prints a generated one."""
    temporary = password or accounts.generate_password(email=user.email, name=user.name)
    accounts.reset_password(user, temporary, now=now)
    return "" if password else f" Temporary password: {temporary}"


users_disable = _account_command("disable", "Disable an account and end its sessions.", accounts.disable_user,
                                 "Disabled", click.option("--reason", default=""))
users_enable = _account_command("enable", "Re-enable a disabled account.", accounts.enable_user, "Enabled")
users_unlock = _account_command("unlock", "Lift a lockout after failed log-ins.", login.unlock_user, "Unlocked")
users_reset_2fa = _account_command(
    "reset-2fa", "Remove the account's authenticator and recovery codes (a lost phone); it enrols again at next "
    "log-in.", twofactor.reset, "Two-factor log-in reset for")
users_reset_password = _account_command(
    "reset-password", "Set a temporary password; the user must change it at next log-in.", _reset_password,
    "Password reset for",
    click.option("--password", help="Temporary password; generated and printed when omitted."))


@users_cli.command("reencrypt-2fa")
@with_appcontext
def users_reencrypt_2fa():
    """Re-encrypt every TOTP secret with the current LMS_SECRET_KEY (after a key rotation; see README)."""
    try:
        count = twofactor.reencrypt_secrets()
    except InvalidToken:
        raise click.ClickException("A secret cannot be decrypted with LMS_SECRET_KEY or LMS_PREVIOUS_SECRET_KEYS; "
                                   "nothing changed.") from None
    db.session.commit()
    click.echo(f"{plural(count, 'two-factor secret')} re-encrypted with the current key.")


@users_cli.command("disable-inactive")
@with_appcontext
def users_disable_inactive():
    """Disable accounts with no log-in for LMS_INACTIVE_DAYS days (CJIS: 90)."""
    disabled = access_review.disable_inactive_users(now=utcnow())
    db.session.commit()
    for user in disabled:
        click.echo(f"Disabled {user.email} "
                   f"(last log-in: {user.last_login_at.isoformat() if user.last_login_at else 'never'})")
    click.echo(f"{plural(len(disabled), 'inactive account')} disabled.")


@users_cli.command("list")
@with_appcontext
def users_list():
    """List accounts: e-mail, role, agency, status, last log-in, last access review (and "review-due")."""
    now = utcnow()
    for user in db.session.scalars(select(User).order_by(User.email)):
        click.echo("\t".join([user.email, user.role, user.agency.ori if user.agency else "-", user.status(now),
                              user.last_login_at.isoformat() if user.last_login_at else "never",
                              user.access_reviewed_at.date().isoformat() if user.access_reviewed_at else "never",
                              "review-due" if access_review.access_review_due(user, now) else "-"]))


