"""Backups that restore: one archive file (tar, gzip) with the database, the attachments folder
and a manifest (what is inside, checksums, rows per table).

- SQLite is copied through its online backup API (``sqlite3.Connection.backup``): a consistent
  copy while the app keeps serving.
- PostgreSQL is dumped with ``pg_dump --format=custom`` and restored with ``pg_restore``
  (PostgreSQL's client tools, at least the server's version; docs/deployment.md).
- The attachments folder (``ATTACHMENTS_PATH``) goes in as it is, file by file: encrypted, so
  the key (``instance/attachment_keys`` or ``ATTACHMENT_KEYS``) is not in the archive and must be
  backed up on its own; a restore says when the restored files do not open with this instance's key.

A restore goes into an empty instance only (no municipality, user or case yet), unless forced;
it checks every checksum and, afterwards, the rows of every table against the manifest.
"""
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath

from flask import Flask
from sqlalchemy import func, inspect, select, text
from sqlalchemy.engine import URL

from ..database import db
from ..services import attachment_crypto

FORMAT, VERSION = "kokoma-backup", 1
MANIFEST = "manifest.json"
DATABASE_MEMBER = {"sqlite": "database.sqlite", "postgresql": "database.dump"}
ATTACHMENTS_MEMBER = "attachments"
# Tables whose rows make an instance not empty.
CONTENT_TABLES = ("municipalities", "users", "cases")


class BackupError(RuntimeError):
    """A backup or restore cannot go on; the message says why and what to do."""


def attachments_path(app: Flask) -> Path:
    return Path(app.config.get("ATTACHMENTS_PATH") or Path(app.instance_path) / "attachments")


def default_archive_name(now: datetime | None = None) -> str:
    return (now or datetime.now(timezone.utc)).strftime("kokoma-backup-%Y%m%d-%H%M%S.tar.gz")


@dataclass
class Summary:
    archive: Path
    dialect: str
    rows: dict[str, int]
    files: int
    key_problem: str | None = None  # after a restore: the files do not open with this instance's key


def backup(app: Flask, archive: Path) -> Summary:
    """Write the instance's database and attachments into ``archive`` (made readable by its
    owner only: it holds everything the cases hold)."""
    archive = Path(archive)
    if archive.exists():
        raise BackupError(f"{archive} exists already; name a new file")
    url = db.engine.url
    dialect = url.get_backend_name()
    if dialect not in DATABASE_MEMBER:
        raise BackupError(f"backups of {dialect} databases are not supported (SQLite and PostgreSQL are)")
    with tempfile.TemporaryDirectory(prefix="kokoma-backup-") as work:
        dump = Path(work) / DATABASE_MEMBER[dialect]
        if dialect == "sqlite":
            _sqlite_copy(_sqlite_file(url), dump)
        else:
            _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges", "--file", str(dump)], url)
        files = _attachment_files(attachments_path(app))
        manifest = {
            "format": FORMAT,
            "version": VERSION,
            "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "database": {"dialect": dialect, "member": dump.name, "sha256": _sha256(dump),
                         "revision": _revision(), "rows": _row_counts()},
            "attachments": [{"path": rel, "size": path.stat().st_size, "sha256": _sha256(path)} for rel, path in files],
        }
        archive.parent.mkdir(parents=True, exist_ok=True)
        partial = archive.with_name(archive.name + ".part")
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as tar:
            _add_bytes(tar, MANIFEST, json.dumps(manifest, indent=2).encode())
            tar.add(dump, arcname=dump.name, recursive=False)
            for rel, path in files:
                tar.add(path, arcname=f"{ATTACHMENTS_MEMBER}/{rel}", recursive=False)
        partial.rename(archive)
    return Summary(archive, dialect, manifest["database"]["rows"], len(files))


def restore(app: Flask, archive: Path, *, force: bool = False) -> Summary:
    """Put the database and attachments of ``archive`` into this instance. Refused when the
    instance holds data already (``force`` replaces it) or the archive does not check out."""
    archive = Path(archive)
    if not archive.is_file():
        raise BackupError(f"{archive}: no such file")
    url = db.engine.url
    dialect = url.get_backend_name()
    folder = attachments_path(app)
    with tarfile.open(archive, mode="r:gz") as tar, tempfile.TemporaryDirectory(prefix="kokoma-restore-") as work:
        manifest = _read_manifest(tar)
        saved = manifest["database"]
        if saved["dialect"] != dialect:
            raise BackupError(f"the backup holds a {saved['dialect']} database, this instance uses {dialect}")
        if not force:
            _refuse_unless_empty(folder)
        dump = _extract(tar, saved["member"], Path(work) / saved["member"], saved["sha256"])
        staged = Path(work) / ATTACHMENTS_MEMBER
        for entry in manifest["attachments"]:
            _extract(tar, f"{ATTACHMENTS_MEMBER}/{entry['path']}", staged / _safe_relative(entry["path"]), entry["sha256"])
        db.session.remove()
        db.engine.dispose()  # no connection of this process holds the old database open
        if dialect == "sqlite":
            _sqlite_copy(dump, _sqlite_file(url))
        else:
            _run(["pg_restore", "--clean", "--if-exists", "--no-owner", "--no-privileges", "--single-transaction",
                  "--exit-on-error", "--dbname", _libpq_env(url)["PGDATABASE"], str(dump)], url)
        if force and folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True, exist_ok=True)
        for entry in manifest["attachments"]:
            target = folder / _safe_relative(entry["path"])
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(staged / _safe_relative(entry["path"]), target)
    rows = _row_counts()
    if rows != saved["rows"]:
        raise BackupError(f"the restored database differs from the backup's manifest: {rows} != {saved['rows']}")
    return Summary(archive, dialect, rows, len(manifest["attachments"]), _check_key(app))


def _check_key(app: Flask) -> str | None:
    """Try this instance's key on a file the backup holds encrypted (before encrypting what a backup
    from before the encryption holds: a file just encrypted here would open with any key)."""
    try:
        encrypted = next((path for path in attachment_crypto.stored_files(app) if attachment_crypto.is_encrypted(path)),
                         None)
        if encrypted is not None:
            attachment_crypto.read(encrypted, app)
        attachment_crypto.encrypt_plain_files(app, again=True)
    except attachment_crypto.KeyProblem as exc:
        return (f"the restored attachments do not open here ({exc.detail}); copy the key of the instance the "
                f"backup was made on to {attachment_crypto.key_file(app)} (or ATTACHMENT_KEYS)")
    return None


def _sqlite_file(url: URL) -> Path:
    if url.database in (None, "", ":memory:"):
        raise BackupError("an in-memory SQLite database cannot be backed up or restored")
    return Path(url.database)


def _sqlite_copy(source: Path, target: Path) -> None:
    """Copy one SQLite database onto another through the online backup API (pages copied under
    SQLite's locks, so the source may be in use), then check the copy."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
        if dst.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            raise BackupError(f"the copy of the database in {target} fails SQLite's integrity check")
    src.close()
    dst.close()


def _libpq_env(url: URL) -> dict[str, str]:
    """The connection as libpq's environment variables: no password on a command line."""
    env = {"PGHOST": url.host or "", "PGPORT": str(url.port or ""), "PGUSER": url.username or "",
           "PGPASSWORD": url.password or "", "PGDATABASE": url.database or ""}
    if "sslmode" in url.query:
        env["PGSSLMODE"] = str(url.query["sslmode"])
    return {key: value for key, value in env.items() if value}


def _run(command: list[str], url: URL) -> None:
    if shutil.which(command[0]) is None:
        raise BackupError(f"{command[0]} is not installed: install PostgreSQL's client tools "
                          "(Debian: apt-get install postgresql-client), at least the server's version")
    done = subprocess.run(command, env={**os.environ, **_libpq_env(url)}, capture_output=True, text=True)
    if done.returncode != 0:
        raise BackupError(f"{command[0]} failed: {done.stderr.strip()}")


def _attachment_files(folder: Path) -> list[tuple[str, Path]]:
    if not folder.is_dir():
        return []
    return sorted((path.relative_to(folder).as_posix(), path) for path in folder.rglob("*")
                  if path.is_file() and not path.name.startswith("."))  # not the marker nor a half-written file


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = 0o600
    info.mtime = int(datetime.now(timezone.utc).timestamp())
    tar.addfile(info, io.BytesIO(data))


def _read_manifest(tar: tarfile.TarFile) -> dict:
    try:
        member = tar.extractfile(MANIFEST)
        manifest = json.load(member)
    except (KeyError, AttributeError, ValueError) as exc:
        raise BackupError(f"not a KoKoMa backup (no readable {MANIFEST})") from exc
    if manifest.get("format") != FORMAT or manifest.get("version") != VERSION:
        raise BackupError(f"not a KoKoMa backup of format version {VERSION}")
    return manifest


def _safe_relative(name: str) -> Path:
    """A path inside the attachments folder, as the manifest names it: nothing absolute, no ``..``."""
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or not path.parts:
        raise BackupError(f"the backup names a file outside the attachments folder: {name!r}")
    return Path(*path.parts)


def _extract(tar: tarfile.TarFile, name: str, target: Path, sha256: str) -> Path:
    """One regular file of the archive to ``target`` (never where the archive's own path would
    point), checked against its checksum."""
    try:
        member = tar.getmember(name)
    except KeyError as exc:
        raise BackupError(f"the backup lacks {name}") from exc
    if not member.isfile():
        raise BackupError(f"{name} in the backup is not a regular file")
    target.parent.mkdir(parents=True, exist_ok=True)
    with tar.extractfile(member) as source, open(target, "wb") as out:
        shutil.copyfileobj(source, out)
    if _sha256(target) != sha256:
        raise BackupError(f"{name} in the backup is damaged (its checksum differs)")
    return target


def _refuse_unless_empty(folder: Path) -> None:
    present = set(inspect(db.engine).get_table_names())
    for table in CONTENT_TABLES:
        if table in present and db.session.scalar(text(f"SELECT count(*) FROM {table}")):
            raise BackupError("this instance holds data already; restore into an empty one (or --force to replace it)")
    if _attachment_files(folder):
        raise BackupError(f"the attachments folder {folder} is not empty; restore into an empty one (or --force)")
    db.session.rollback()


def _revision() -> str | None:
    if "alembic_version" not in inspect(db.engine).get_table_names():
        return None
    return db.session.scalar(text("SELECT version_num FROM alembic_version"))


def _row_counts() -> dict[str, int]:
    """Rows per table of the models (what a restore must bring back)."""
    present = set(inspect(db.engine).get_table_names())
    counts = {table.name: db.session.scalar(select(func.count()).select_from(table))
              for table in db.metadata.sorted_tables if table.name in present}
    db.session.rollback()
    return counts
