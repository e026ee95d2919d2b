"""Attachments encrypted at rest: no plaintext on disk, the key outside the database (instance
folder or ATTACHMENT_KEYS), a rotation that re-encrypts every file and survives an interruption,
files from before the encryption encrypted at the start, and a clear message without the key."""
import io

import pytest
from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import select

from kokoma.database import db
from kokoma.models import Attachment
from kokoma.services import attachment_crypto, attachments


PROTOCOL = b"%PDF-1.4\n% Gespraechsprotokoll mit Familie Oezdemir, Hausnummer 17\n%%EOF\n"
PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000") + b"Anwohnerfoto" * 8


def upload(client, case, content, name):
    return client.post(f"/cases/{case.id}/attachments", data={"file": (io.BytesIO(content), name)},
                       content_type="multipart/form-data")


def uploaded(client, case, *contents) -> list[Attachment]:
    for number, content in enumerate(contents):
        assert upload(client, case, content, f"datei-{number}").status_code == 302
    return db.session.scalars(select(Attachment).order_by(Attachment.id)).all()


def download(client, case, attachment):
    return client.get(f"/cases/{case.id}/attachments/{attachment.id}")


def test_the_file_on_disk_holds_no_plaintext_and_the_download_equals_the_upload(app, client, auth, world):
    case = world.analysed_case()
    auth.login()
    (attachment,) = uploaded(client, case, PROTOCOL)
    on_disk = attachments.path_of(attachment).read_bytes()
    assert b"Oezdemir" not in on_disk and b"%PDF" not in on_disk and on_disk.startswith(attachment_crypto.TOKEN_START)
    key_file = attachment_crypto.key_file()
    assert key_file.parent == type(key_file)(app.instance_path)  # in the instance folder, not the database
    assert key_file.stat().st_mode & 0o077 == 0
    assert Fernet(key_file.read_text().strip()).decrypt(on_disk) == PROTOCOL
    response = download(client, case, attachment)
    assert response.status_code == 200 and response.get_data() == PROTOCOL
    assert response.mimetype == "application/pdf" and response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.headers["Cache-Control"] == "no-store" and response.content_length == len(PROTOCOL)
    assert response.last_modified == attachment.created_at.replace(microsecond=0)  # as when served from the file


def test_rotation_encrypts_every_file_with_a_new_key_and_drops_the_old(app, client, auth, world, runner):
    case = world.analysed_case()
    auth.login()
    first, second = uploaded(client, case, PROTOCOL, PNG)
    old_key = attachment_crypto.keys()[0]
    result = runner.invoke(args=["attachments", "rotate-key"])
    assert result.exit_code == 0, result.output
    assert "New key made in" in result.output
    assert "Encrypted anew: 2; already with the new key: 0; encrypted for the first time: 0." in result.output
    assert "The old key is removed" in result.output
    (new_key,) = attachment_crypto.keys()
    assert new_key != old_key
    for attachment, content in ((first, PROTOCOL), (second, PNG)):
        token = attachments.path_of(attachment).read_bytes()
        with pytest.raises(InvalidToken):
            Fernet(old_key).decrypt(token)
        assert Fernet(new_key).decrypt(token) == content
        assert download(client, case, attachment).get_data() == content


def test_an_interrupted_rotation_is_finished_by_running_it_again(app, client, auth, world, runner):
    case = world.analysed_case()
    auth.login()
    files = uploaded(client, case, PROTOCOL, PNG, PROTOCOL + b"%3")
    old_key = attachment_crypto.keys()[0]
    done = []

    def stop_after_one(path):
        done.append(path)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        attachment_crypto.rotate(app, progress=stop_after_one)
    new_key, kept = attachment_crypto.keys()
    assert kept == old_key and len(done) == 1
    # Meanwhile every file still downloads (old and new key both open), and an upload takes the new key.
    assert [download(client, case, a).get_data() for a in files] == [PROTOCOL, PNG, PROTOCOL + b"%3"]
    (*_, late) = uploaded(client, case, PNG + b"spaet")
    assert Fernet(new_key).decrypt(attachments.path_of(late).read_bytes()) == PNG + b"spaet"
    result = runner.invoke(args=["attachments", "rotate-key"])
    assert result.exit_code == 0, result.output
    assert "Finishing the rotation begun earlier" in result.output
    assert "Encrypted anew: 2; already with the new key: 2" in result.output
    assert attachment_crypto.keys() == [new_key]
    for attachment in [*files, late]:
        assert Fernet(new_key).decrypt(attachments.path_of(attachment).read_bytes())
    assert download(client, case, files[1]).get_data() == PNG


def test_a_wrong_or_missing_key_gives_a_clear_message_not_an_error_page(app, client, auth, world):
    case = world.analysed_case()
    auth.login()
    (attachment,) = uploaded(client, case, PROTOCOL)
    key_file = attachment_crypto.key_file()
    key_file.write_text(Fernet.generate_key().decode() + "\n")  # a wrong key
    response = download(client, case, attachment)
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/cases/{case.id}#attachments")
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "kann nicht geöffnet werden" in page and "Administration" in page
    key_file.unlink()  # no key at all: nothing opens, and no new key is made over the old files
    response = client.get(f"/cases/{case.id}/attachments/{attachment.id}", follow_redirects=True)
    assert response.status_code == 200 and "kann nicht geöffnet werden" in response.get_data(as_text=True)
    refused = upload(client, case, PNG, "bild.png")
    assert refused.status_code == 422 and "Schlüssel" in refused.get_data(as_text=True)
    assert not key_file.exists() and len(db.session.scalars(select(Attachment)).all()) == 1


def test_files_from_before_the_encryption_are_encrypted_at_the_next_start(make_app, app, client, auth, world):
    case = world.analysed_case()
    auth.login()
    (attachment,) = uploaded(client, case, PROTOCOL)
    path = attachments.path_of(attachment)
    path.write_bytes(PROTOCOL)  # as an instance from before the encryption stored it
    assert download(client, case, attachment).get_data() == PROTOCOL  # read as it is until then
    make_app()  # the next start
    assert PROTOCOL not in path.read_bytes() and attachment_crypto.is_encrypted(path)
    assert download(client, case, attachment).get_data() == PROTOCOL
    # None is left: later starts no longer look at every file (a restore does, itself).
    assert (attachments.folder() / attachment_crypto.ALL_ENCRYPTED).exists()
    path.write_bytes(PNG)
    make_app()
    assert path.read_bytes() == PNG


def test_keys_from_the_configuration_are_rotated_by_putting_the_new_one_first(make_app, tmp_path):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    folder = tmp_path / "files"
    (folder / "1").mkdir(parents=True)
    (folder / "1" / "a").write_bytes(Fernet(old).encrypt(PROTOCOL))
    (folder / "1" / "b").write_bytes(PNG)  # from before the encryption, encrypted at the start
    only_old = make_app(ATTACHMENT_KEYS=old, ATTACHMENTS_PATH=str(folder))
    refused = only_old.test_cli_runner().invoke(args=["attachments", "rotate-key"])
    assert refused.exit_code != 0 and "put a new key first" in refused.output
    app = make_app(ATTACHMENT_KEYS=f"{new}, {old}", ATTACHMENTS_PATH=str(folder))
    result = app.test_cli_runner().invoke(args=["attachments", "rotate-key"])
    assert result.exit_code == 0, result.output
    assert "Encrypted anew: 2; already with the new key: 0" in result.output
    assert "remove the old keys from ATTACHMENT_KEYS" in result.output
    assert Fernet(new).decrypt((folder / "1" / "a").read_bytes()) == PROTOCOL
    assert Fernet(new).decrypt((folder / "1" / "b").read_bytes()) == PNG
    with app.app_context():
        assert not attachment_crypto.key_file().exists()  # no key file beside configured keys


def test_generate_key_makes_the_key_file_once(make_app, tmp_path):
    app = make_app(INSTANCE_PATH=str(tmp_path / "fresh"))
    runner = app.test_cli_runner()
    made = runner.invoke(args=["attachments", "generate-key"])
    assert made.exit_code == 0 and "Back it up" in made.output
    with app.app_context():
        (key,) = attachment_crypto.keys()
    again = runner.invoke(args=["attachments", "generate-key"])
    assert again.exit_code != 0 and "rotate-key" in again.output
    with app.app_context():
        assert attachment_crypto.keys() == [key]
    printed = runner.invoke(args=["attachments", "generate-key", "--print"])
    assert printed.exit_code == 0 and Fernet(printed.output.strip().encode())


def test_retention_and_a_persons_request_still_handle_encrypted_attachments(ctx, world):
    from datetime import timedelta

    from sqlalchemy import func

    from kokoma.models import CaseEvent
    from kokoma.services import cases, person_requests, retention

    kept_case = world.analysed_case()
    attachments.add_attachment(world.facilitator, kept_case.id, "Brief von Herrn Brandtner.pdf",
                                      io.BytesIO(PROTOCOL))
    person_requests.carry_out(world.coordinator, "Brandtner", "erase", "Antrag vom 1.12.2026")
    (renamed,) = db.session.scalars(select(Attachment).where(Attachment.case_id == kept_case.id)).all()
    assert renamed.filename == "Brief von Herrn […].pdf"
    assert attachments.open_attachment(world.facilitator, kept_case.id, renamed.id)[1] == PROTOCOL

    closed = world.analysed_case()
    attachments.add_attachment(world.facilitator, closed.id, "Foto.png", io.BytesIO(PNG))
    path = attachments.path_of(db.session.scalars(select(Attachment).where(Attachment.case_id == closed.id)).one())
    cases.fire_trigger(world.facilitator, closed.id, "start_processing", "", None)
    cases.fire_trigger(world.facilitator, closed.id, "close", "Einigung", None)
    retention.save_settings(world.coordinator, 30, 365)
    closed_at = db.session.scalar(select(func.max(CaseEvent.created_at)).where(CaseEvent.case_id == closed.id))
    assert path.exists()
    assert retention.apply(world.musterstadt.id, closed_at + timedelta(days=31)).anonymised_cases == 1
    assert not path.exists() and attachments.path_of(renamed).exists()


def test_two_workers_making_the_first_key_at_once_share_one(make_app, tmp_path):
    """The second finds the first's key file (whole, never half written) and uses it."""
    app = make_app(INSTANCE_PATH=str(tmp_path / "fresh"))
    with app.app_context():
        first = attachment_crypto.create_key_file(app)
        with pytest.raises(FileExistsError):
            attachment_crypto.create_key_file(app)
        token = attachment_crypto.encrypt(b"Protokoll")  # finds the key there, makes none
        assert attachment_crypto.keys() == [first.read_text().strip().encode()]
        assert attachment_crypto.decrypt(token) == b"Protokoll"
        assert [p.name for p in first.parent.iterdir() if p.name.startswith(".attachment_keys")] == []


def test_a_file_written_with_the_old_key_just_after_the_rotation_is_brought_to_the_new_key(app, client, auth, world):
    """An upload that read the keys before the old one was dropped writes its file a moment later:
    the rotation's grace pass re-encrypts it, so the file still opens with the only key left."""
    import threading
    import time

    app.config["ATTACHMENT_ROTATION_GRACE_SECONDS"] = 1
    case = world.analysed_case()
    auth.login()
    (first,) = uploaded(client, case, PROTOCOL)
    old_key = attachment_crypto.keys()[0]
    late = attachments.path_of(first).with_name("late-upload")

    def upload_late():
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            current = attachment_crypto.keys(app)
            if len(current) == 1 and current[0] != old_key:  # the old key was just dropped
                late.write_bytes(Fernet(old_key).encrypt(b"spaetes Protokoll"))
                return
            time.sleep(0.01)

    writer = threading.Thread(target=upload_late)
    writer.start()
    attachment_crypto.rotate(app)
    writer.join()
    (new_key,) = attachment_crypto.keys()
    assert Fernet(new_key).decrypt(late.read_bytes()) == b"spaetes Protokoll"
