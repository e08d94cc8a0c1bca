"""What the command groups share: finding a user, an agency or the acting operator, or exiting with a message."""

import click
from flask import current_app
from sqlalchemy import select

from lms.accounts import users as accounts
from lms.extensions import db
from lms.models import Agency, User


def content_root(root):
    return root or current_app.config["CONTENT_ROOT"]


def user_or_exit(email) -> User:
    user = db.session.scalar(select(User).where(User.email == accounts.normalize_email(email)))
    if user is None:
        raise click.ClickException(f"No account for {email}.")
    return user


def agency_or_exit(ori) -> Agency | None:
    if not ori:
        return None
    agency = db.session.scalar(select(Agency).where(Agency.ori == ori.strip().upper()))
    if agency is None:
        raise click.ClickException(f"No agency with ORI {ori}.")
    return agency


def cli_actor(email):
    """(actor, label): the user named by --by, else the operator's login as "cli:<login>"."""
    if email:
        return user_or_exit(email), None
    import getpass

    try:
        login = getpass.getuser()
    except (KeyError, OSError):
        login = "unknown"
    return None, f"cli:{login}"


def or_exit(change, refusals=ValueError):
    """Run a service call; a refusal (``refusals``) rolls back and exits with its message."""
    try:
        return change()
    except refusals as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from None


def commit_or_exit(change, refusals=ValueError):
    """Run a service call and commit; a refusal rolls back and exits with its message, nothing saved."""
    result = or_exit(change, refusals)
    db.session.commit()
    return result
