"""Attachments encrypted at rest with Fernet (``cryptography``: AES-128-CBC and HMAC-SHA256, so a
changed file is refused, not served). A file on disk is one Fernet token; an upload is at most
``ATTACHMENT_MAX_BYTES`` (10 MB), which a token holds in memory comfortably.

The keys live outside the database: ``ATTACHMENT_KEYS`` (configuration or the environment
variable ``KOKOMA_ATTACHMENT_KEYS``, comma-separated) or else the file ``attachment_keys`` in the
instance folder, one key a line, made when the first file is encrypted. The first key encrypts,
every key decrypts (``MultiFernet``), which is what lets :func:`rotate` go file by file and be
run again after an interruption. The keys are read at each use, so a rotation run by the command
reaches every running process at once.

Files from before the encryption (anything that is not a Fernet token: the accepted types are
sniffed, and none starts like a token) are encrypted at the start of the app and after a restore
(:func:`encrypt_plain_files`).
"""
import fcntl
import logging
import os
import tempfile
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import Flask, current_app
from flask_babel import lazy_gettext as _l

from .errors import ServiceError

log = logging.getLogger(__name__)
KEY_FILE = "attachment_keys"
# In the attachments folder once no file from before the encryption is left: later starts need
# not look at every file again (uploads are always encrypted; a restore looks itself).
ALL_ENCRYPTED = ".all-encrypted"
TOKEN_START = b"gAAAAA"  # how every Fernet token begins (version byte 0x80, base64)


class KeyProblem(ServiceError):
    """The attachments' key is missing or does not open a file; ``detail`` tells the operator."""

    message = _l("This attachment cannot be opened: the key it is encrypted with is not available on the "
                 "server. Please tell your administrator.")

    def __init__(self, detail: str):
        super().__init__(detail)
        self.detail = detail


def _app(app: Flask | None) -> Flask:
    return app if app is not None else current_app


def attachments_folder(app: Flask | None = None) -> Path:
    return Path(_app(app).config["ATTACHMENTS_PATH"])


def key_file(app: Flask | None = None) -> Path:
    return Path(_app(app).instance_path) / KEY_FILE


def configured_keys(app: Flask | None = None) -> list[bytes] | None:
    """The keys of ``ATTACHMENT_KEYS`` (a list, or a comma-separated text), None if it is not set."""
    value = _app(app).config.get("ATTACHMENT_KEYS")
    if not value:
        return None
    parts = value.split(",") if isinstance(value, str) else list(value)
    return [part.strip().encode() if isinstance(part, str) else part for part in parts if part and part.strip()]


def keys(app: Flask | None = None) -> list[bytes]:
    """The keys, the encrypting one first; empty when there are none yet."""
    configured = configured_keys(app)
    if configured is not None:
        return configured
    try:
        text = key_file(app).read_text()
    except FileNotFoundError:
        return []
    return [line.strip().encode() for line in text.splitlines() if line.strip() and not line.startswith("#")]


def write_key_file(app: Flask, new_keys: list[bytes]) -> None:
    """Replace the key file in one step (a reader sees the old or the new file), owner-readable only."""
    path = key_file(app)
    text = "".join(key.decode() + "\n" for key in new_keys)
    _replace(path, text.encode(), mode=0o600)


def _multi(found: list[bytes]) -> MultiFernet:
    try:
        return MultiFernet([Fernet(key) for key in found])
    except ValueError as exc:  # not a Fernet key (32 bytes, url-safe base64)
        raise KeyProblem(f"an attachment key is malformed ({exc}); see docs/deployment.md") from exc


def cipher(app: Flask | None = None) -> MultiFernet:
    """What decrypts (every key) and encrypts (the first)."""
    found = keys(app)
    if not found:
        raise KeyProblem(f"no attachment key: neither ATTACHMENT_KEYS nor {key_file(app)}; restore the key "
                         "from its backup (docs/deployment.md)")
    return _multi(found)


def encrypting_cipher(app: Flask | None = None) -> MultiFernet:
    """:func:`cipher`, with the key file made first when this instance has no key and no
    encrypted file yet (a new instance). Never when encrypted files exist: their key was lost."""
    app = _app(app)
    if not keys(app) and configured_keys(app) is None:
        if any(is_encrypted(path) for path in stored_files(app)):
            raise KeyProblem(f"{key_file(app)} is missing but encrypted attachments exist; restore the key file "
                             "from its backup instead of making a new one")
        try:
            create_key_file(app)
        except FileExistsError:
            pass  # another worker made it a moment ago: its key is the one
    return cipher(app)


def create_key_file(app: Flask) -> Path:
    """A new key file; refused (FileExistsError) if one exists (rotate instead). Written whole
    before it appears under its name, so that no other worker reads it half written."""
    path = key_file(app)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, draft = tempfile.mkstemp(dir=path.parent, prefix=".attachment_keys-")  # mode 0600
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(Fernet.generate_key().decode() + "\n")
        os.link(draft, path)  # fails where the file exists, as O_EXCL would
    finally:
        os.unlink(draft)
    log.info("attachment key made in %s; back it up apart from the backups", path)
    return path


def encrypt(data: bytes, app: Flask | None = None) -> bytes:
    return encrypting_cipher(app).encrypt(data)


def decrypt(token: bytes, app: Flask | None = None) -> bytes:
    try:
        return cipher(app).decrypt(token)
    except InvalidToken as exc:
        raise KeyProblem("an attachment does not open with any configured key (a wrong key, or a changed "
                         "file); see docs/deployment.md") from exc


def read(path: Path, app: Flask | None = None) -> bytes:
    """The file's content, decrypted (a file from before the encryption as it is)."""
    data = path.read_bytes()
    return decrypt(data, app) if data.startswith(TOKEN_START) else data


def is_encrypted(path: Path) -> bool:
    try:
        with open(path, "rb") as handle:
            return handle.read(len(TOKEN_START)) == TOKEN_START
    except FileNotFoundError:
        return False


def stored_files(app: Flask | None = None) -> list[Path]:
    folder = attachments_folder(app)
    if not folder.is_dir():
        return []
    return sorted(path for path in folder.rglob("*") if path.is_file() and not path.name.startswith("."))


def _replace(path: Path, data: bytes, mode: int = 0o600) -> None:
    """Write ``data`` to ``path`` through a file beside it and a rename: never half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".part-")
    try:
        os.chmod(temporary, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


@dataclass
class Pass:
    """What one pass over the files did."""

    encrypted: int = 0  # plain files from before the encryption
    reencrypted: int = 0  # files of an older key
    current: int = 0  # already with the first key
    unreadable: list[Path] = field(default_factory=list)


def encrypt_plain_files(app: Flask | None = None, *, again: bool = False) -> int:
    """Encrypt the files from before the encryption; returns how many. Safe to run from several
    processes at once (each file is replaced in one rename, an encrypted one is left alone).
    Skipped where a pass found none left before, unless ``again``."""
    app = _app(app)
    marker = attachments_folder(app) / ALL_ENCRYPTED
    if marker.exists() and not again:
        return 0
    plain = [path for path in stored_files(app) if not is_encrypted(path)]
    fernet = encrypting_cipher(app) if plain else None
    done = 0
    for path in plain:
        try:
            data = path.read_bytes()
        except FileNotFoundError:  # removed meanwhile
            continue
        if not data.startswith(TOKEN_START):
            _replace(path, fernet.encrypt(data))
            done += 1
    if marker.parent.is_dir():
        marker.touch()
    return done


def reencrypt_all(app: Flask, progress: Callable[[Path], None] = lambda _path: None) -> Pass:
    """Bring every file to the first key: plain files encrypted, files of another key decrypted
    and encrypted anew, files of the first key left as they are. Files written while it runs
    are looked at again until none is new, so an upload during a rotation is not left behind."""
    fernet = encrypting_cipher(app)
    primary = Fernet(keys(app)[0])
    result = Pass()
    seen: dict[Path, float] = {}
    while True:
        started = time.time()
        todo = [path for path in stored_files(app) if path not in seen or _mtime(path) >= seen[path]]
        if not todo:
            return result
        for path in todo:
            seen[path] = started
            try:
                data = path.read_bytes()
            except FileNotFoundError:
                continue
            if not data.startswith(TOKEN_START):
                _replace(path, fernet.encrypt(data))
                result.encrypted += 1
            elif _opens_with(primary, data):
                result.current += 1
            else:
                try:
                    _replace(path, fernet.rotate(data))
                except InvalidToken:
                    if path not in result.unreadable:
                        result.unreadable.append(path)
                    continue
                result.reencrypted += 1
            seen[path] = max(started, _mtime(path)) + 1e-6
            progress(path)


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except FileNotFoundError:
        return 0.0


def _opens_with(fernet: Fernet, token: bytes) -> bool:
    try:
        fernet.decrypt(token)
    except InvalidToken:
        return False
    return True


@dataclass
class Rotation:
    """What :func:`rotate` did; ``finished`` when only the new key is left."""

    result: Pass
    new_key: bool
    finished: bool
    configured: bool


def rotate(app: Flask, progress: Callable[[Path], None] = lambda _path: None) -> Rotation:
    """A new key for every file. With the key file: a new key goes first (the old ones stay after
    it), every file is encrypted anew, then the old keys are dropped. Interrupted, the file keeps
    both; run again, it finishes with the same new key. With ``ATTACHMENT_KEYS``: the operator put
    the new key first; every file is brought to it, and the operator removes the old ones."""
    configured = configured_keys(app)
    if configured is not None:
        if len(configured) < 2:
            raise KeyProblem("the keys come from ATTACHMENT_KEYS: put a new key first (generate-key --print makes "
                             "one), keep the old one after it, then run rotate-key again")
        result = reencrypt_all(app, progress)
        return Rotation(result, new_key=False, finished=not result.unreadable, configured=True)
    with _rotating(app):  # one rotation at a time: two would each write a new key
        if not keys(app):
            encrypting_cipher(app)  # a new instance gets its first key (or: the key was lost, refused)
        current = keys(app)
        new_key = len(current) == 1
        if new_key:
            write_key_file(app, [Fernet.generate_key(), *current])
        result = reencrypt_all(app, progress)
        if not result.unreadable:
            every_key = cipher(app)
            write_key_file(app, keys(app)[:1])
            _bring_late_files(app, every_key, result, progress)
    return Rotation(result, new_key=new_key, finished=not result.unreadable, configured=False)


@contextmanager
def _rotating(app: Flask):
    lock = key_file(app).with_name(".attachment_keys.lock")
    lock.parent.mkdir(parents=True, exist_ok=True)
    with open(lock, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _bring_late_files(app: Flask, every_key: MultiFernet, result: "Pass", progress) -> None:
    """An upload that read the keys just before the old ones were dropped may write its file a
    moment later: after a grace period, such files are brought to the new key with the old keys
    still in memory."""
    time.sleep(app.config["ATTACHMENT_ROTATION_GRACE_SECONDS"])
    primary = Fernet(keys(app)[0])
    for path in stored_files(app):
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            continue
        if data.startswith(TOKEN_START) and not _opens_with(primary, data):
            try:
                _replace(path, every_key.rotate(data))
            except InvalidToken:
                continue  # another key's file, found by the next rotation's pass
            result.reencrypted += 1
            progress(path)
