"""The `lms` command group. Every command calls a service; none re-implements one."""
import functools
import sys
from dataclasses import replace
from datetime import date
from pathlib import Path

import click
from cryptography.fernet import InvalidToken
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext
from sqlalchemy import select

from . import accounts, backup as backup_service, cohorts as cohort_service, create_app, inputs, twofactor
from .vocabulary import certification_status, plural
from .audit import ensure_head, verify_chain
from .certification.links import local_url
from .clock import utcnow
from .content import check_content, sync_content
from .content.check import ContentInvalid
from .content.quality import RULES, quality_warnings
from .extensions import db
from .learning import program_today
from .models import Agency, Cohort, Role, Track, User


def _content_root(root):
    return root or current_app.config["CONTENT_ROOT"]


def register_cli(app) -> None:
    """Attach the command groups to the app's CLI."""
    for group in (content_cli, users_cli, audit_cli, cohorts_cli, exams_cli, certs_cli, passlist_cli, mou_cli,
                  demo_cli):
        app.cli.add_command(group)
    app.cli.add_command(quickstart)
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


# -- content ---------------------------------------------------------------

content_cli = click.Group("content", help="Validate and load curriculum/ and question_banks/.")


@content_cli.command("check")
@click.option("--root", type=click.Path(exists=True, file_okay=False), help="Content folder (default: the bundled one).")
@click.option("--strict", is_flag=True, help="Exit non-zero on warnings too, not only on errors.")
@with_appcontext
def content_check(root, strict):
    """Validate every content file without touching the database; then warn about item quality and currency."""
    catalog, errors = check_content(_content_root(root))
    for error in errors:
        click.echo(str(error), err=True)
    if errors:
        click.echo(f"{plural(len(errors), 'error')}.", err=True)
        sys.exit(1)
    rules = replace(RULES, review_max_days=current_app.config["CONTENT_REVIEW_DAYS"])
    warnings = quality_warnings(catalog, today=program_today(utcnow()), rules=rules)
    for warning in warnings:
        click.echo(str(warning), err=True)
    click.echo(f"OK: {len(catalog.modules)} modules, {len(catalog.tracks)} tracks, {len(catalog.banks)} banks "
               f"({sum(len(b.questions) for b in catalog.banks.values())} questions), {len(catalog.exams)} exams"
               + (f"; {plural(len(warnings), 'warning')}." if warnings else ", no warnings."))
    if warnings and strict:
        sys.exit(1)


@content_cli.command("sync")
@click.option("--root", type=click.Path(exists=True, file_okay=False), help="Content folder (default: the bundled one).")
@with_appcontext
def content_sync(root):
    """Load the content into the database (idempotent; all or nothing)."""
    try:
        report = _sync(root)
    except ContentInvalid as invalid:
        for error in invalid.errors:
            click.echo(str(error), err=True)
        click.echo(f"Nothing changed: {plural(len(invalid.errors), 'error')}.", err=True)
        sys.exit(1)
    if not report.changed:
        click.echo("Content is up to date; nothing changed.")
    for line in report.lines():
        click.echo(line)


def _sync(root=None):
    try:
        report = sync_content(_content_root(root), now=utcnow())
    except Exception:
        db.session.rollback()
        raise
    db.session.commit()
    return report


# -- users -----------------------------------------------------------------

users_cli = click.Group("users", help="Manage accounts.")


def _user_or_exit(email) -> User:
    user = db.session.scalar(select(User).where(User.email == accounts.normalize_email(email)))
    if user is None:
        raise click.ClickException(f"No account for {email}.")
    return user


def _agency_or_exit(ori) -> Agency | None:
    if not ori:
        return None
    agency = db.session.scalar(select(Agency).where(Agency.ori == ori.strip().upper()))
    if agency is None:
        raise click.ClickException(f"No agency with ORI {ori}.")
    return agency


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
    password = password or accounts.generate_password()
    try:
        accounts.create_user(email=email, name=name, role=role, password=password, agency=_agency_or_exit(ori),
                             now=utcnow(), must_change_password=True)
    except accounts.AccountError as error:
        raise click.ClickException(str(error)) from None
    db.session.commit()
    click.echo(f"Created {role} {accounts.normalize_email(email)}." +
               (f" Temporary password: {password}" if generated else ""))


@users_cli.command("disable")
@click.argument("email")
@click.option("--reason", default="")
@with_appcontext
def users_disable(email, reason):
    """Disable an account and end its sessions."""
    user = _user_or_exit(email)
    try:
        accounts.disable_user(user, now=utcnow(), reason=reason)
    except accounts.AccountError as error:
        raise click.ClickException(str(error)) from None
    db.session.commit()
    click.echo(f"Disabled {user.email}.")


@users_cli.command("enable")
@click.argument("email")
@with_appcontext
def users_enable(email):
    """Re-enable a disabled account."""
    user = _user_or_exit(email)
    accounts.enable_user(user, now=utcnow())
    db.session.commit()
    click.echo(f"Enabled {user.email}.")


@users_cli.command("unlock")
@click.argument("email")
@with_appcontext
def users_unlock(email):
    """Lift a lockout after failed log-ins."""
    user = _user_or_exit(email)
    accounts.unlock_user(user, now=utcnow())
    db.session.commit()
    click.echo(f"Unlocked {user.email}.")


@users_cli.command("reset-password")
@click.argument("email")
@click.option("--password", help="Temporary password; generated and printed when omitted.")
@with_appcontext
def users_reset_password(email, password):
    """Set a temporary password; the user must change it at next log-in."""
    user = _user_or_exit(email)
    generated = password is None
    password = password or accounts.generate_password()
    try:
        accounts.reset_password(user, password, now=utcnow())
    except accounts.AccountError as error:
        raise click.ClickException(str(error)) from None
    db.session.commit()
    click.echo(f"Password reset for {user.email}." + (f" Temporary password: {password}" if generated else ""))


@users_cli.command("reset-2fa")
@click.argument("email")
@with_appcontext
def users_reset_2fa(email):
    """Remove the account's authenticator and recovery codes (a lost phone); it enrols again at next log-in."""
    user = _user_or_exit(email)
    twofactor.reset(user, now=utcnow())
    db.session.commit()
    click.echo(f"Two-factor log-in reset for {user.email}.")


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
    disabled = accounts.disable_inactive_users(now=utcnow())
    db.session.commit()
    for user in disabled:
        click.echo(f"Disabled {user.email} (last log-in: {user.last_login_at.isoformat() if user.last_login_at else 'never'})")
    click.echo(f"{plural(len(disabled), 'inactive account')} disabled.")


@users_cli.command("list")
@with_appcontext
def users_list():
    """List accounts: e-mail, role, agency, status, last log-in, last access review (and "review-due")."""
    now = utcnow()
    for user in db.session.scalars(select(User).order_by(User.email)):
        status = "disabled" if user.disabled_at else "locked" if user.is_locked(now) else "active"
        click.echo("\t".join([user.email, user.role, user.agency.ori if user.agency else "-", status,
                              user.last_login_at.isoformat() if user.last_login_at else "never",
                              user.access_reviewed_at.date().isoformat() if user.access_reviewed_at else "never",
                              "review-due" if accounts.access_review_due(user, now) else "-"]))


# -- audit -----------------------------------------------------------------

audit_cli = click.Group("audit", help="The audit log.")


@audit_cli.command("verify")
@with_appcontext
def audit_verify():
    """Check the audit log's hash chain from the first event to the last."""
    report = verify_chain()
    if report.ok:
        click.echo(f"OK: {report.events} events, chain unbroken.")
    else:
        click.echo(f"BROKEN after {report.events} good events: {report.problem}", err=True)
        sys.exit(1)


# -- backup and restore ------------------------------------------------------


@click.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup(file):
    """Copy the whole database, online and consistent, to a new FILE (SQLite: the backup API;
    PostgreSQL: pg_dump's custom format, pg_dump on the PATH)."""
    try:
        written = backup_service.back_up(file, actor_label=_cli_actor(None)[1], now=utcnow())
    except backup_service.BackupError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from error
    db.session.commit()
    click.echo(f"Backed up to {written.path} ({written.kind}, {written.size:,} bytes). It holds personal data "
               "and password hashes: keep it as securely as the database.")


@click.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def restore(file):
    """Restore a backup FILE into an EMPTY database (refuses one that holds any table), then check
    the restored audit chain."""
    try:
        restored, report = backup_service.restore(file, actor_label=_cli_actor(None)[1], now=utcnow())
    except backup_service.BackupError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from error
    db.session.commit()
    click.echo(f"Restored {restored.path} ({restored.kind}). Run `lms db upgrade` if the backup predates "
               "this version.")
    if report.ok:
        click.echo(f"Audit log: {report.events} events, chain unbroken.")
    else:
        click.echo(f"Audit log BROKEN after {report.events} good events: {report.problem}", err=True)
        sys.exit(1)


# -- cohorts ---------------------------------------------------------------

cohorts_cli = click.Group("cohorts", help="Agencies, cohorts and enrollments.")


@cohorts_cli.command("create-agency")
@click.option("--name", required=True)
@click.option("--state", required=True)
@click.option("--ori", required=True)
@click.option("--kind")
@with_appcontext
def cohorts_create_agency(name, state, ori, kind):
    """Register an agency."""
    try:
        agency = cohort_service.create_agency(name=name, state=state, ori=ori, kind=kind, now=utcnow())
    except cohort_service.CohortError as error:
        raise click.ClickException(str(error)) from None
    db.session.commit()
    click.echo(f"Created agency {agency.ori} {agency.name}.")


@cohorts_cli.command("create")
@click.option("--name", required=True)
@click.option("--track", "track_slug", required=True)
@click.option("--start", "start_date", required=True, help="Start date, YYYY-MM-DD.")
@click.option("--agency", "oris", multiple=True, help="ORI of an agency in the cohort (repeatable).")
@click.option("--instructor", "instructor_emails", multiple=True, help="Instructor e-mail (repeatable).")
@with_appcontext
def cohorts_create(name, track_slug, start_date, oris, instructor_emails):
    """Start a cohort of a track."""
    track = db.session.scalar(select(Track).where(Track.slug == track_slug, Track.retired_at.is_(None)))
    if track is None:
        raise click.ClickException(f"No active track {track_slug}.")
    try:
        cohort = cohort_service.create_cohort(
            name=name, track=track, start_date=date.fromisoformat(start_date),
            agencies=[_agency_or_exit(o) for o in oris],
            instructors=[_user_or_exit(e) for e in instructor_emails], now=utcnow(),
        )
    except (cohort_service.CohortError, ValueError) as error:
        raise click.ClickException(str(error)) from None
    db.session.commit()
    click.echo(f"Created cohort {cohort.id} {cohort.name}.")


@cohorts_cli.command("enroll")
@click.argument("cohort_name")
@click.argument("emails", nargs=-1, required=True)
@with_appcontext
def cohorts_enroll(cohort_name, emails):
    """Enroll trainees in a cohort."""
    cohort = db.session.scalar(select(Cohort).where(Cohort.name == cohort_name))
    if cohort is None:
        raise click.ClickException(f"No cohort {cohort_name!r}.")
    try:
        for email in emails:
            cohort_service.enroll(_user_or_exit(email), cohort, now=utcnow())
    except cohort_service.CohortError as error:
        raise click.ClickException(str(error)) from None
    db.session.commit()
    click.echo(f"Enrolled {plural(len(emails), 'trainee')} in {cohort.name}.")


# -- exams -----------------------------------------------------------------

exams_cli = click.Group("exams", help="Exam attempts.")


@exams_cli.command("close-expired")
@click.option("--batch", default=200, show_default=True, help="Attempts finished per transaction.")
@with_appcontext
def exams_close_expired(batch):
    """Finish every open attempt whose deadline and grace have passed, at its deadline, and grade it."""
    from .exams.attempts import close_expired_attempts

    total = 0
    while True:  # bounded: each round finishes attempts, so the overdue set only shrinks
        done = close_expired_attempts(now=utcnow(), limit=batch)
        db.session.commit()
        total += done
        if done < batch:
            break
    click.echo(f"Finished {plural(total, 'expired attempt')}.")


# -- certification -----------------------------------------------------------

certs_cli = click.Group("certs", help="Certification records, signing keys and verification.")


def _cli_actor(email):
    """(actor, label): the user named by --by, else the operator's login as "cli:<login>"."""
    if email:
        return _user_or_exit(email), None
    import getpass

    try:
        login = getpass.getuser()
    except (KeyError, OSError):
        login = "unknown"
    return None, f"cli:{login}"


def _certification_or_exit(number):
    from .certification.verify import find_certification

    certification = find_certification(number)
    if certification is None:
        raise click.ClickException(f"No certification {number}.")
    return certification


@certs_cli.command("keygen")
@with_appcontext
def certs_keygen():
    """Create the Ed25519 signing key (in LMS_SIGNING_KEY_PATH or the instance folder)."""
    from .certification.signing import SigningKeyError, generate_key, key_path

    try:
        key = generate_key(now=utcnow(), actor_label=_cli_actor(None)[1])
    except SigningKeyError as error:
        raise click.ClickException(str(error)) from None
    db.session.commit()
    click.echo(f"Created signing key {key.key_id} at {key_path()} (private: keep it out of backups you share).")


@certs_cli.command("rotate-key")
@with_appcontext
def certs_rotate_key():
    """Replace the signing key; the old public key stays published and keeps verifying what it signed."""
    from .certification.signing import SigningKeyError, rotate_key

    try:
        old, new = rotate_key(now=utcnow(), actor_label=_cli_actor(None)[1])
    except SigningKeyError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from None
    db.session.commit()
    click.echo(f"Rotated: new key {new.key_id} signs from now on; {old.key_id} is retired and still published.")


@certs_cli.command("keys")
@with_appcontext
def certs_keys():
    """List the published public keys."""
    from .certification.signing import published_keys

    for key in published_keys()["keys"]:
        click.echo("\t".join([key["kid"], key["x"], key["created_at"], key["retired_at"] or "current"]))


def _status_command(action):
    @click.argument("number")
    @click.option("--reason", required=True, help="Why; kept in the status history and the audit log.")
    @click.option("--by", "by_email", help="E-mail of the staff member acting (default: the operator's login).")
    @with_appcontext
    def command(number, reason, by_email):
        from .certification.status import TransitionRefused, change_status

        certification = _certification_or_exit(number)
        actor, label = _cli_actor(by_email)
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
    from .certification.verify import lookup

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
    from .certification.status import expire_due

    count = expire_due(now=utcnow(), actor_label=_cli_actor(None)[1])
    db.session.commit()
    click.echo(f"Marked {plural(count, 'certification')} expired.")


@certs_cli.command("due")
@click.option("--days", default=90, show_default=True, type=click.IntRange(1, 730))
@click.option("--agency", "ori", help="Only this agency (ORI).")
@with_appcontext
def certs_due(days, ori):
    """List active certifications expiring within DAYS days with no refresher yet."""
    from .certification.status import due_for_refresher

    agency = _agency_or_exit(ori)
    rows = due_for_refresher(today=program_today(utcnow()), days=days, agency_id=agency.id if agency else None)
    for row in rows:
        c = row.certification
        click.echo("\t".join([c.expires_on.isoformat(), str(row.days_left), c.number, c.holder_name, c.agency_ori]))
    click.echo(f"{len(rows)} due within {days} days.", err=True)


# -- pass lists --------------------------------------------------------------

passlist_cli = click.Group("passlist", help="Pass lists of certified officers.")


@passlist_cli.command("export")
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx", "json"]), required=True)
@click.option("--agency", "ori", help="Agency ORI.")
@click.option("--cohort", "cohort_name", help="Cohort name.")
@click.option("--track", "track_slug", help="Track id (slug).")
@click.option("--status", type=click.Choice(["valid", "active", "suspended", "revoked", "expired"]),
              help="valid (the code in JSON: active), suspended, revoked or expired.")
@click.option("--issued-from", type=click.DateTime(["%Y-%m-%d"]), help="Issued on or after (YYYY-MM-DD).")
@click.option("--issued-to", type=click.DateTime(["%Y-%m-%d"]), help="Issued on or before (YYYY-MM-DD).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), required=True, help="File to write.")
@click.option("--by", "by_email", help="E-mail of the person exporting (default: the operator's login).")
@with_appcontext
def passlist_export(fmt, ori, cohort_name, track_slug, status, issued_from, issued_to, output, by_email):
    """Write a pass list (streamed; audited with its filters and row count)."""
    from .exports import PassListFilters, export_chunks

    agency = _agency_or_exit(ori)
    cohort = track = None
    if cohort_name:
        cohort = db.session.scalar(select(Cohort).where(Cohort.name == cohort_name))
        if cohort is None:
            raise click.ClickException(f"No cohort {cohort_name!r}.")
    if track_slug:
        track = db.session.scalar(select(Track).where(Track.slug == track_slug))
        if track is None:
            raise click.ClickException(f"No track {track_slug}.")
    filters = PassListFilters(agency_id=agency.id if agency else None, cohort_id=cohort.id if cohort else None,
                              track_id=track.id if track else None, status="active" if status == "valid" else status,
                              issued_from=issued_from.date() if issued_from else None,
                              issued_to=issued_to.date() if issued_to else None)
    actor, label = _cli_actor(by_email)
    now = utcnow()
    size = 0
    with open(output, "wb") as fh:
        for chunk in export_chunks(filters, fmt, today=program_today(now), now=now, actor=actor, actor_label=label,
                                   via="cli"):
            fh.write(chunk)
            size += len(chunk)
    click.echo(f"Wrote {output} ({size} bytes).")


# -- agreements (MOUs) -------------------------------------------------------

mou_cli = click.Group("mou", help="Agencies' agreements (MOUs) with ICE.")


@mou_cli.command("create")
@click.option("--agency", "ori", required=True, help="The agency's ORI.")
@click.option("--model", type=click.Choice(["jail_enforcement", "task_force", "warrant_service_officer"]), required=True)
@click.option("--signed", "signed_on", type=click.DateTime(["%Y-%m-%d"]), required=True)
@click.option("--effective", "effective_on", type=click.DateTime(["%Y-%m-%d"]), required=True)
@click.option("--ends", "ends_on", type=click.DateTime(["%Y-%m-%d"]))
@click.option("--function", "functions", multiple=True, required=True, help="An authorized function (repeatable).")
@click.option("--officer-cap", type=int)
@with_appcontext
def mou_create(ori, model, signed_on, effective_on, ends_on, functions, officer_cap):
    """Record an agency's agreement and the functions it authorizes."""
    from .agreements import AgreementError, create_mou

    try:
        mou = create_mou(agency=_agency_or_exit(ori), model=model, signed_on=signed_on.date(),
                         effective_on=effective_on.date(), ends_on=ends_on.date() if ends_on else None,
                         authorized_functions=list(functions), officer_cap=officer_cap, now=utcnow())
    except AgreementError as error:
        raise click.ClickException(str(error)) from None
    db.session.commit()
    click.echo(f"Created MOU {mou.id} for {ori.upper()}.")


@mou_cli.command("attach")
@click.argument("mou_id", type=int)
@click.option("--cohort", "cohort_name", required=True)
@click.argument("emails", nargs=-1, required=True)
@with_appcontext
def mou_attach(mou_id, cohort_name, emails):
    """Nominate trainees' enrollments in a cohort under an agreement."""
    from .agreements import AgreementError, attach_mou
    from .models import Enrollment, Mou

    mou = db.session.get(Mou, mou_id)
    cohort = db.session.scalar(select(Cohort).where(Cohort.name == cohort_name))
    if mou is None or cohort is None:
        raise click.ClickException("No such MOU or cohort.")
    try:
        for email in emails:
            user = _user_or_exit(email)
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
    from .agreements import AgreementError, terminate_mou
    from .models import Mou

    mou = db.session.get(Mou, mou_id)
    if mou is None:
        raise click.ClickException(f"No MOU {mou_id}.")
    actor, label = _cli_actor(by_email)
    try:
        changed = terminate_mou(mou, action=action, reason=reason, actor=actor, actor_label=label, now=utcnow())
    except AgreementError as error:
        raise click.ClickException(str(error)) from None
    db.session.commit()
    click.echo(f"MOU {mou.id} terminated; {plural(len(changed), 'certification')} {'suspended' if action == 'suspend' else 'revoked'}.")


# -- demo data ---------------------------------------------------------------

demo_cli = click.Group("demo", help="Demonstration data.")


@demo_cli.command("load")
@click.option("--as-of", "as_of", type=click.DateTime(["%Y-%m-%d"]), help="The simulation's last day (default: today).")
@click.option("--seed", default=2005, show_default=True, type=int, help="Seed of the simulated trainees.")
@with_appcontext
def demo_load(as_of, seed):
    """Load the 2005 fact-sheet program (FDLE, Alabama, L.A. County), simulated through the real exam engine."""

    _sync()
    _load_program_demo(as_of.date() if as_of else program_today(utcnow()), seed, already="fail")


def _load_program_demo(as_of, seed, *, already: str) -> None:
    """Run the fact-sheet demo (`load_fact_sheet`) and print its figures. When it is already loaded:
    ``already="fail"`` exits with an error, ``already="skip"`` says so (quickstart's second run)."""
    from .demo_program import DemoAlreadyLoaded, load_fact_sheet

    try:
        report = load_fact_sheet(as_of=as_of, seed=seed)
    except DemoAlreadyLoaded as error:
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
    from flask_migrate import upgrade

    from .demo import seed_demo

    # Links made outside a request (certificates issued here by --program-demo) point to where this
    # server will answer, unless LMS_PUBLIC_URL says otherwise; requests use their own address.
    current_app.config["LOCAL_URL"] = local_url(host, port)
    upgrade(directory=current_app.extensions["migrate"].directory)
    ensure_head()
    db.session.commit()
    from .certification.signing import ensure_signing_key

    click.echo(f"Certificate signing key: {ensure_signing_key(now=utcnow()).key_id}")
    db.session.commit()
    report = _sync()
    click.echo("Course content: " + ("loaded " + ", ".join(report.lines()[:3]) + ("..." if len(report.lines()) > 3 else "")
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


def main():
    """Entry point of the `lms` console script."""
    FlaskGroup(create_app=create_app, help="The 287(g) training LMS.")(prog_name="lms")
