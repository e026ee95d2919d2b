"""Backups that restore: `flask --app kokoma backup` writes one archive (database, attachments,
manifest); `restore` puts it into an empty instance, where every case, event and file is found
again (on the database the tests run on: SQLite, or PostgreSQL through pg_dump/pg_restore)."""
import io
import json
import tarfile

import pytest
from flask_migrate import upgrade
from sqlalchemy import create_engine, select, text

from kokoma.database import db
from kokoma.models import AnalysisActor, Attachment, Case, CaseEvent, User
from kokoma.services import attachment_crypto, attachments, cases

from .conftest import PASSWORD, World

INVITATION = b"%PDF-1.4 Einladung zum runden Tisch"


@pytest.fixture
def empty_database(database_url, tmp_path):
    """The URL of a second, empty database of the same kind as the tests' one (ask for it
    before make_app: the apps empty their tables before the database is dropped)."""
    if database_url.startswith("sqlite"):
        (tmp_path / "restored").mkdir()
        yield "sqlite:///" + str(tmp_path / "restored" / "kokoma.sqlite")
        return
    base, name = database_url.rsplit("/", 1)
    restored = f"{name}_restore"
    admin = create_engine(database_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{restored}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{restored}"'))
    yield f"{base}/{restored}"
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{restored}" WITH (FORCE)'))
    admin.dispose()


def facts():
    """What must come back: every case and event, by their content."""
    return (
        db.session.execute(select(Case.reference, Case.title, Case.state, Case.version)
                           .order_by(Case.id)).all(),
        db.session.execute(select(AnalysisActor.case_id, AnalysisActor.name).order_by(AnalysisActor.id)).all(),
        db.session.execute(select(CaseEvent.id, CaseEvent.case_id, CaseEvent.kind, CaseEvent.comment,
                                  CaseEvent.payload).order_by(CaseEvent.id)).all(),
        db.session.scalars(select(User.email).order_by(User.id)).all(),
    )


def test_a_backup_restores_into_an_empty_instance_with_every_case_event_and_file(empty_database, make_app, tmp_path):
    source = make_app(ATTACHMENTS_PATH=str(tmp_path / "files-source"))
    files = {"1/protokoll.pdf": b"%PDF-1.4 Gespraechsprotokoll", "2/foto ä.jpg": bytes(range(256)) * 40}
    for name, content in files.items():
        path = tmp_path / "files-source" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    archive = tmp_path / "backups" / "kokoma.tar.gz"
    with source.test_request_context():
        world = World()
        case = world.analysed_case(title="Streit um den Jugendtreff", parties="Jugendliche, Anwohnende")
        cases.add_comment(world.facilitator, case.id, "Gespräch mit dem Ortsbeirat")
        cases.fire_trigger(world.facilitator, case.id, "start_processing", "", None)
        world.case(user=world.outsider, title="Plakate am Rathaus")
        attachments.add_attachment(world.facilitator, case.id, "Einladung.pdf", io.BytesIO(INVITATION))
        uploaded = db.session.scalars(select(Attachment)).one()
        stored = attachments.path_of(uploaded)
        before = facts()
    assert INVITATION not in stored.read_bytes()  # encrypted on disk, and so in the archive
    result = source.test_cli_runner().invoke(args=["backup", str(archive)])
    assert result.exit_code == 0, result.output
    assert archive.stat().st_mode & 0o077 == 0  # readable by its owner only
    with tarfile.open(archive) as tar:
        names = set(tar.getnames())
        manifest = json.load(tar.extractfile("manifest.json"))
    assert {"manifest.json", "attachments/1/protokoll.pdf", "attachments/2/foto ä.jpg"} <= names
    assert manifest["database"]["rows"]["cases"] == 2
    assert manifest["database"]["dialect"] == ("sqlite" if empty_database.startswith("sqlite") else "postgresql")

    target = make_app(SQLALCHEMY_DATABASE_URI=empty_database, ATTACHMENTS_PATH=str(tmp_path / "files-target"))
    result = target.test_cli_runner().invoke(args=["restore", str(archive)])
    assert result.exit_code == 0, result.output
    with target.app_context():
        assert facts() == before
        assert db.session.scalar(text("SELECT version_num FROM alembic_version")) == manifest["database"]["revision"]
    for name, content in files.items():  # files from before the encryption: encrypted by the restore
        restored = tmp_path / "files-target" / name
        assert content not in restored.read_bytes()
        with target.app_context():
            assert attachment_crypto.read(restored) == content
    # The same key (the instance folder is the same here): the upload downloads as it was.
    client = target.test_client()
    client.post("/login", data={"email": world.facilitator.email, "password": PASSWORD})
    assert client.get(f"/cases/{case.id}/attachments/{uploaded.id}").get_data() == INVITATION
    # A second restore into what is no longer empty is refused, and changes nothing.
    again = target.test_cli_runner().invoke(args=["restore", str(archive)])
    assert again.exit_code != 0 and "empty" in again.output


def test_a_damaged_or_foreign_archive_is_refused(empty_database, make_app, tmp_path):
    source = make_app(ATTACHMENTS_PATH=str(tmp_path / "src"))
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.txt").write_bytes(b"original")
    with source.test_request_context():
        World()
    good = tmp_path / "good.tar.gz"
    assert source.test_cli_runner().invoke(args=["backup", str(good)]).exit_code == 0
    # the same archive with one file changed: its checksum no longer matches
    damaged = tmp_path / "damaged.tar.gz"
    with tarfile.open(good) as tar, tarfile.open(damaged, "w:gz") as out:
        for member in tar.getmembers():
            data = tar.extractfile(member).read()
            if member.name == "attachments/a.txt":
                data = b"changed!"
            member.size = len(data)
            out.addfile(member, io.BytesIO(data))
    not_ours = tmp_path / "other.tar.gz"
    with tarfile.open(not_ours, "w:gz") as out:
        out.add(__file__, arcname="manifest.json")
    target = make_app(SQLALCHEMY_DATABASE_URI=empty_database, ATTACHMENTS_PATH=str(tmp_path / "dst"))
    with target.app_context():
        upgrade()  # an empty instance, migrated
    runner = target.test_cli_runner()
    damaged_result = runner.invoke(args=["restore", str(damaged)])
    assert damaged_result.exit_code != 0 and "damaged" in damaged_result.output
    foreign_result = runner.invoke(args=["restore", str(not_ours)])
    assert foreign_result.exit_code != 0 and "not a KoKoMa backup" in foreign_result.output
    assert not (tmp_path / "dst" / "a.txt").exists()
    # an existing file is never overwritten by a backup
    assert source.test_cli_runner().invoke(args=["backup", str(good)]).exit_code != 0


def test_the_key_is_not_in_the_backup_and_a_restore_says_when_it_is_missing(empty_database, make_app, tmp_path):
    source = make_app(ATTACHMENTS_PATH=str(tmp_path / "files-source"))
    with source.test_request_context():
        world = World()
        case = world.analysed_case()
        attachments.add_attachment(world.facilitator, case.id, "Einladung.pdf", io.BytesIO(INVITATION))
        uploaded = db.session.scalars(select(Attachment)).one()
        key = attachment_crypto.key_file().read_bytes()
    archive = tmp_path / "kokoma.tar.gz"
    assert source.test_cli_runner().invoke(args=["backup", str(archive)]).exit_code == 0
    with tarfile.open(archive) as tar:
        assert not any(key.strip() in tar.extractfile(m).read() for m in tar.getmembers() if m.isfile())
    # Another instance folder, so another key: the restore works and warns; the file opens with the key copied.
    target = make_app(SQLALCHEMY_DATABASE_URI=empty_database, ATTACHMENTS_PATH=str(tmp_path / "files-target"),
                      INSTANCE_PATH=str(tmp_path / "other-instance"))
    result = target.test_cli_runner().invoke(args=["restore", str(archive)])
    assert result.exit_code == 0, result.output
    assert "Warning: the restored attachments do not open here" in result.output
    client = target.test_client()
    client.post("/login", data={"email": world.facilitator.email, "password": PASSWORD})
    missing = client.get(f"/cases/{case.id}/attachments/{uploaded.id}", follow_redirects=True)
    assert missing.status_code == 200 and "kann nicht geöffnet werden" in missing.get_data(as_text=True)
    (tmp_path / "other-instance" / attachment_crypto.KEY_FILE).write_bytes(key)
    assert client.get(f"/cases/{case.id}/attachments/{uploaded.id}").get_data() == INVITATION
