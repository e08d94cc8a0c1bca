"""lms worker, lms jobs run: the job queue's consumer with the periodic schedule, and one job run by hand."""
import logging

import click
from flask import current_app
from flask.cli import with_appcontext

from lms import jobs


@click.command("worker")
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 32), help="Worker threads.")
@with_appcontext
def worker(workers):
    """Run the background jobs (e-mail delivery) and the periodic schedule until stopped (Ctrl+C)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    consumer = jobs.consumer(current_app._get_current_object(), workers=workers)
    click.echo(f"Job queue: {jobs.huey.storage.__class__.__name__}; {workers} worker thread(s) and the scheduler.")
    consumer.run()


jobs_cli = click.Group("jobs", help="Background and periodic jobs.")


@jobs_cli.command("run")
@click.argument("name", type=click.Choice(sorted(jobs.PERIODIC)))
@with_appcontext
def jobs_run(name):
    """Run one periodic job now (the worker runs them on its schedule)."""
    count = jobs.run_periodic(name)
    click.echo(f"{name}: {count} {jobs.PERIODIC[name][1]}.")


@jobs_cli.command("drain")
@with_appcontext
def jobs_drain():
    """Run every job waiting in the queue now, then stop (without a worker running)."""
    count = jobs.drain(current_app._get_current_object())
    click.echo(f"{count} queued job(s) run.")
