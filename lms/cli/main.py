"""Entry point of the `lms` console script."""

from flask.cli import FlaskGroup

from lms.app import create_app


def main():
    """Entry point of the `lms` console script."""
    FlaskGroup(create_app=create_app, help="The 287(g) training LMS.")(prog_name="lms")
