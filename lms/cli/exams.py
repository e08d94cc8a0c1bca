"""lms exams: closing expired attempts."""

import click
from flask.cli import with_appcontext

from lms.clock import utcnow
from lms.exams.attempts import close_expired_attempts
from lms.extensions import db
from lms.vocabulary import plural

# -- exams -----------------------------------------------------------------

exams_cli = click.Group("exams", help="Exam attempts.")


@exams_cli.command("close-expired")
@click.option("--batch", default=200, show_default=True, help="Attempts finished per transaction.")
@with_appcontext
def exams_close_expired(batch):
    """Finish every open attempt whose deadline and grace have passed, at its deadline, and grade it."""

    total = 0
    while True:  # bounded: each round finishes attempts, so the overdue set only shrinks
        done = close_expired_attempts(now=utcnow(), limit=batch)
        db.session.commit()
        total += done
        if done < batch:
            break
    click.echo(f"Finished {plural(total, 'expired attempt')}.")


