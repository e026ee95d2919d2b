"""``flask --app kokoma backup``, ``restore``, ``privacy-report``, ``retention`` and
``attachments generate-key`` / ``rotate-key``."""
from pathlib import Path

import click
from sqlalchemy import select
from flask import current_app
from flask.cli import with_appcontext

from . import backup as backups
from . import daily, report


def init_app(app) -> None:
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
    app.cli.add_command(privacy_report_command)
    app.cli.add_command(retention_command)
    app.cli.add_command(attachments_cli)


@click.command("backup")
@click.argument("archive", required=False, type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup_command(archive):
    """Write the database and the attachments into one archive (ARCHIVE, by default
    instance/backups/kokoma-backup-<UTC time>.tar.gz), readable by its owner only."""
    archive = archive or Path(current_app.instance_path) / "backups" / backups.default_archive_name()
    try:
        summary = backups.backup(current_app, archive)
    except backups.BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Backup written to {summary.archive}: {summary.dialect} database, "
               f"{sum(summary.rows.values())} rows in {len(summary.rows)} tables, {summary.files} attachment file(s).")


@click.command("restore")
@click.argument("archive", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace the data this instance holds (else only an empty one is restored into).")
@with_appcontext
def restore_command(archive, force):
    """Restore a backup made by `backup` into this instance (an empty one unless --force)."""
    if force:
        click.confirm("This replaces every case, account and file of this instance. Go on?", abort=True)
    try:
        summary = backups.restore(current_app, archive, force=force)
    except backups.BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Restored {summary.archive}: {sum(summary.rows.values())} rows in {len(summary.rows)} tables, "
               f"{summary.files} attachment file(s); every checksum and row count matches the backup.")
    if summary.key_problem:
        click.echo(f"Warning: {summary.key_problem}", err=True)


@click.command("privacy-report")
@click.option("--output", type=click.Path(file_okay=False, path_type=Path),
              help="Folder for the documents [default: instance/privacy-report].")
@click.option("--municipality", "municipality_code", help="Only this municipality (its code), e.g. for its officer.")
@with_appcontext
def privacy_report_command(output, municipality_code):
    """Fill the record of processing activities (Art. 30 GDPR) and the technical and organisational
    measures (Art. 32) from this instance's settings (templates: docs/privacy/)."""
    from ..services import accounts

    if municipality_code and accounts.municipality_by_code(municipality_code) is None:
        raise click.UsageError(f"no municipality with the code {municipality_code}")
    folder = output or Path(current_app.instance_path) / "privacy-report"
    for path in report.write(current_app, folder, municipality_code):
        click.echo(f"{report.DOCUMENTS[path.name]}: {path}")


@click.command("retention")
@click.option("--dry-run", is_flag=True, help="Only list what each municipality's periods would remove today.")
@with_appcontext
def retention_command(dry_run):
    """Apply every municipality's retention now (as the daily job does, recorded the same way),
    or with --dry-run list what it would anonymise and delete."""
    from ..database import db
    from ..models import Municipality
    from ..services import retention

    if not dry_run:
        daily.run_jobs()
    for municipality in db.session.scalars(select(Municipality).order_by(Municipality.code)):
        if dry_run:
            plan = retention.plan_for(municipality.id)
            click.echo(f"{municipality.code}: would anonymise {len(plan.anonymise)}, delete {len(plan.delete)}")
            for verb, rows in (("anonymise", plan.anonymise), ("delete", plan.delete)):
                for due in rows:
                    click.echo(f"    {verb} {due.reference} (closed {due.closed_at:%Y-%m-%d})")
        else:
            run = retention.latest_run_of(municipality.id)
            click.echo(f"{municipality.code}: anonymised {run.anonymised_cases}, deleted {run.deleted_cases}, "
                       f"trail entries removed {run.trail_entries_removed}")


@click.group("attachments", help="The key the attachments are encrypted with.")
def attachments_cli():
    pass


@attachments_cli.command("generate-key")
@click.option("--print", "print_only", is_flag=True, help="Only print a new key (for ATTACHMENT_KEYS), store nothing.")
@with_appcontext
def generate_key_command(print_only):
    """Make the key file instance/attachment_keys (a new instance makes it by itself at its first
    upload); with --print, print a new key for ATTACHMENT_KEYS instead."""
    from cryptography.fernet import Fernet

    from ..services import attachment_crypto as crypto

    if print_only:
        click.echo(Fernet.generate_key().decode())
        return
    if crypto.configured_keys(current_app) is not None:
        raise click.ClickException("the keys come from ATTACHMENT_KEYS; use --print to make one for it")
    if crypto.keys(current_app):
        raise click.ClickException(f"{crypto.key_file(current_app)} holds a key already; "
                                   "`flask --app kokoma attachments rotate-key` replaces it")
    try:
        crypto.encrypting_cipher(current_app)
    except crypto.KeyProblem as exc:
        raise click.ClickException(exc.detail) from exc
    click.echo(f"Key written to {crypto.key_file(current_app)} (readable by its owner only). "
               "Back it up apart from the backups: without it no attachment can be read.")


@attachments_cli.command("rotate-key")
@with_appcontext
def rotate_key_command():
    """Encrypt every attachment with a new key, then drop the old one. Safe to interrupt: run it
    again and it finishes the same rotation."""
    from ..services import attachment_crypto as crypto

    try:
        rotation = crypto.rotate(current_app)
    except crypto.KeyProblem as exc:
        raise click.ClickException(exc.detail) from exc
    result = rotation.result
    if rotation.configured:
        click.echo("Every file is brought to the first key of ATTACHMENT_KEYS.")
    elif rotation.new_key:
        click.echo(f"New key made in {crypto.key_file(current_app)}.")
    else:
        click.echo("Finishing the rotation begun earlier, with its new key.")
    click.echo(f"Encrypted anew: {result.reencrypted}; already with the new key: {result.current}; "
               f"encrypted for the first time: {result.encrypted}.")
    if not rotation.finished:
        for path in result.unreadable:
            click.echo(f"    opens with no key: {path}")
        raise click.ClickException(f"{len(result.unreadable)} file(s) open with no key, so the old key is kept; "
                                   "restore them or their key, then run rotate-key again")
    if rotation.configured:
        click.echo("Now remove the old keys from ATTACHMENT_KEYS, and back up the new one.")
    else:
        click.echo("The old key is removed. Back up the key file now, apart from the backups.")
