"""lms banks: import questions from GIFT, Aiken or Moodle XML into a bank; export a bank to GIFT, Moodle XML
or an IMS QTI 2.1 package."""
from pathlib import Path

import click
from flask.cli import with_appcontext

from lms.cli.common import cli_actor, commit_or_exit, or_exit
from lms.clock import utcnow
from lms.content.interchange import Defaults, UnsafeXML, parse_file
from lms.content.interchange.common import DIFFICULTIES, EXPORT_FORMATS, FORMATS
from lms.content.interchange.service import (
    export_questions, import_questions, key_and_feedback, preview_import, problem_order,
)
from lms.vocabulary import plural

banks_cli = click.Group("banks", help="Question banks: import from and export to other systems' formats.")


def _preview(imported, plan) -> None:
    for parsed in imported.questions:
        q = parsed.data
        head = f"{parsed.where}: {q['id']} {q['type']}" + (f" \"{parsed.title}\"" if parsed.title else "")
        head += f" ({plan.get(q['id'], 'new')})" + (f" [category {parsed.category}]" if parsed.category else "")
        click.echo(head)
        click.echo(f"  stem: {_short(q['stem'])}")
        for line in key_and_feedback(q):
            click.echo(f"  {line}")
    for problem in sorted(imported.problems, key=problem_order):
        click.echo(str(problem), err=True)


def _short(text: str, width: int = 100) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


@banks_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(FORMATS), required=True, help="The file's format.")
@click.option("--bank", required=True, help="The bank the questions go into (its id).")
@click.option("--objective", required=True, help="The objective the questions are filed under (e.g. CR-2.1).")
@click.option("--difficulty", type=click.Choice(DIFFICULTIES), default="medium", show_default=True)
@click.option("--dry-run", is_flag=True, help="Show what would be imported and what cannot; change nothing.")
@click.option("--by", "by_email", help="The acting staff account (default: the operator's login).")
@with_appcontext
def banks_import(file, fmt, bank, objective, difficulty, dry_run, by_email):
    """Import the questions of FILE into a bank: first the preview (each question's type, key and feedback,
    and each problem at its line or element path), then, unless --dry-run, the import."""
    defaults = Defaults(objective=objective, difficulty=difficulty, source=f"Imported from {file.name}")
    try:
        imported = parse_file(file.read_bytes(), fmt, defaults)
    except UnsafeXML as refused:
        raise click.ClickException(f"{file.name} refused: {refused}") from None
    except UnicodeDecodeError:
        raise click.ClickException(f"{file.name} is not UTF-8 text.") from None
    plan = or_exit(lambda: preview_import(imported, bank=bank)) if imported.questions else {}
    _preview(imported, plan)
    errors = sum(1 for p in imported.problems if p.severity == "error")
    click.echo(f"{plural(len(imported.questions), 'question')} can be imported; "
               f"{plural(errors, 'part')} of the file cannot.")
    if dry_run:
        click.echo("Dry run: nothing imported.")
        return
    actor, label = cli_actor(by_email)
    report = commit_or_exit(lambda: import_questions(imported, bank=bank, file_name=file.name, fmt=fmt, actor=actor,
                                                     actor_label=label, now=utcnow()))
    click.echo(f"Imported into {bank}: {plural(len(report.created), 'new question')}, "
               f"{plural(len(report.updated), 'new version')}, {len(report.unchanged)} unchanged.")
    for slug, other in report.elsewhere:
        click.echo(f"{slug} is already in the bank {other}; left there.", err=True)


@banks_cli.command("export")
@click.argument("bank")
@click.option("--format", "fmt", type=click.Choice(EXPORT_FORMATS), required=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True, path_type=Path), required=True)
@click.option("--by", "by_email", help="The acting staff account (default: the operator's login).")
@with_appcontext
def banks_export(bank, fmt, output, by_email):
    """Write a bank's active questions to a file: GIFT, Moodle XML, or a QTI 2.1 content package (zip)."""
    actor, label = cli_actor(by_email)
    data, problems = commit_or_exit(lambda: export_questions(bank, fmt, actor=actor, actor_label=label,
                                                             now=utcnow()))
    output.write_bytes(data)
    for problem in problems:
        click.echo(problem, err=True)
    click.echo(f"Wrote {output} ({fmt}).")
