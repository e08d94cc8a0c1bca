"""The `lms` command groups, one module per domain. Every command calls a service; none re-implements one."""
import functools

import click

from lms import inputs
from lms.cli.banks import banks_cli
from lms.cli.certs import certs_cli
from lms.cli.cohorts import cohorts_cli
from lms.cli.content import content_cli
from lms.cli.demo import demo_cli, quickstart
from lms.cli.exams import exams_cli
from lms.cli.jobs import jobs_cli, worker
from lms.cli.mou import mou_cli
from lms.cli.passlist import passlist_cli
from lms.cli.system import audit_cli, backup, restore
from lms.cli.users import users_cli


def register_cli(app) -> None:
    """Attach the command groups to the app's CLI."""
    for group in (content_cli, users_cli, audit_cli, cohorts_cli, exams_cli, certs_cli, passlist_cli, mou_cli,
                  demo_cli, banks_cli, jobs_cli):
        app.cli.add_command(group)
    app.cli.add_command(quickstart)
    app.cli.add_command(worker)
    app.cli.add_command(backup)
    app.cli.add_command(restore)
    for command in _commands(app.cli):
        _refuse_control_characters(command)


def _commands(group: click.Group):
    for command in group.commands.values():
        yield command
        if isinstance(command, click.Group):
            yield from _commands(command)


def _refuse_control_characters(command: click.Command) -> None:
    """Make the command refuse a control character in any text argument or option (lms.inputs), as the
    site does; once per command, however many apps are created."""
    callback = command.callback
    if callback is None or getattr(callback, "refuses_control_characters", False):
        return

    @functools.wraps(callback)
    def checked(*args, **kwargs):
        for value in kwargs.values():
            for text in value if isinstance(value, (list, tuple)) else (value,):
                if isinstance(text, str) and inputs.text_problem(text, multiline=False):
                    raise click.UsageError(inputs.CONTROL_MESSAGE)
        return callback(*args, **kwargs)

    checked.refuses_control_characters = True
    command.callback = checked


