"""``flask --app kokoma backup``, ``restore`` and ``privacy-report``."""
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
