"""Attachments of cases: taken with a size and a type limit (the type sniffed from the content),
stored encrypted (:mod:`.attachment_crypto`) outside the web root under ``ATTACHMENTS_PATH``,
served only through the case's scope and access trail, removed with the case
(:func:`remove_case_attachments`)."""
import os
import re
import secrets
from pathlib import Path

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from ..database import db, write_transaction
from ..models import Attachment, Case, CaseAccess
from . import attachment_crypto, file_types, permissions, pseudonyms
from .changes import CaseChange, changing_case
from .errors import NotFound, ValidationError
from .submissions import Once

# What a file name may not hold: path separators, characters Windows refuses, control characters.
UNSAFE_IN_NAMES = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]')
FILES_TO_REMOVE = "kokoma_attachment_files_to_remove"  # in Session.info until the commit


def folder() -> Path:
    return attachment_crypto.attachments_folder()


def path_of(attachment: Attachment) -> Path:
    return folder() / str(attachment.municipality_id) / attachment.stored_name


def clean_filename(name: str) -> str:
    """The name as typed, without any folder and without characters a file system refuses."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = UNSAFE_IN_NAMES.sub("", base).strip(" .")
    return base[:200] or "attachment"


def add_attachment(user, case_id: int, filename: str, stream, once: Once | None = None) -> CaseChange:
    """Attach the file read from ``stream`` to the case, in one transaction with its event."""
    limit = current_app.config["ATTACHMENT_MAX_BYTES"]
    data = stream.read(limit + 1) if stream is not None else b""
    if not data:
        raise ValidationError({"file": _l("Please choose a file.")})
    if len(data) > limit:
        raise ValidationError({"file": _l("The file is larger than %(size)d MB.", size=limit // (1024 * 1024))})
    content_type = file_types.sniffed_type(data)
    if content_type == file_types.ZIP and content_type not in current_app.config["ATTACHMENT_TYPES"]:
        raise ValidationError({"file": _l(
            "This file is a ZIP archive, not a Word, Excel or OpenDocument file. Archives cannot be attached: "
            "attach the files in it one by one.")})
    if content_type not in current_app.config["ATTACHMENT_TYPES"]:
        raise ValidationError({"file": _l(
            "This kind of file cannot be attached. Attach PDF, images (PNG, JPEG, WebP, GIF), or Word, "
            "Excel and OpenDocument files.")})
    try:
        sealed = attachment_crypto.encrypt(data)
    except attachment_crypto.KeyProblem as exc:
        current_app.logger.error("attachment not stored: %s", exc.detail)
        raise ValidationError({"file": _l("Files cannot be stored at the moment: the key to encrypt them is "
                                          "missing on the server. Please tell your administrator.")}) from exc
    stored_name = secrets.token_hex(16)
    written = None
    try:
        with changing_case(user, case_id, "case.attach", once=once) as change:
            attachment = Attachment(case_id=change.case.id, municipality_id=change.case.municipality_id,
                                    filename=clean_filename(filename), stored_name=stored_name,
                                    content_type=content_type, size=len(data), uploaded_by_id=user.id)
            written = path_of(attachment)
            written.parent.mkdir(parents=True, exist_ok=True)
            with open(written, "xb") as handle:
                handle.write(sealed)
            change.session.add(attachment)
            change.session.flush()
            change.record("attachment_added", notify=False,
                          payload={"attachment": attachment.id, "type": content_type, "size": len(data)})
    except BaseException:
        if written is not None and written.exists():
            written.unlink()
        raise
    return change


def attachments_of(case: Case) -> list[Attachment]:
    return db.session.scalars(select(Attachment).where(Attachment.case_id == case.id).order_by(Attachment.id)).all()


def open_attachment(user, case_id: int, attachment_id: int) -> tuple[Attachment, bytes]:
    """An attachment of a case the user may see and its content, decrypted, written to the access
    trail as opened. A file its key does not open raises :class:`attachment_crypto.KeyProblem`."""
    case = permissions.get(user, "case.view", Case, case_id)
    pseudonyms.require_real_names(user, case)  # a letter or a photo cannot be pseudonymised
    attachment = db.session.scalars(
        select(Attachment).where(Attachment.id == attachment_id, Attachment.case_id == case.id)
    ).one_or_none() if permissions.is_id(attachment_id) else None
    if attachment is None or not path_of(attachment).is_file():
        raise NotFound()
    try:
        content = attachment_crypto.read(path_of(attachment))
    except attachment_crypto.KeyProblem as exc:
        current_app.logger.error("attachment %s not opened: %s", attachment.id, exc.detail)
        raise
    with write_transaction() as session:
        session.add(CaseAccess(case_id=case.id, municipality_id=case.municipality_id, user_id=user.id,
                               action="attachment"))
    return attachment, content


def remove_attachment(user, case_id: int, attachment_id: int) -> CaseChange:
    with changing_case(user, case_id, "case.attach") as change:
        attachment = change.session.scalars(
            select(Attachment).where(Attachment.id == attachment_id, Attachment.case_id == change.case.id)
        ).one_or_none() if permissions.is_id(attachment_id) else None
        if attachment is None:
            raise NotFound()
        remove_case_attachments(change.session, change.case, only=[attachment])
        change.record("attachment_removed", notify=False, payload={"attachment": attachment_id})
    return change


def remove_case_attachments(session, case: Case, only=None) -> int:
    """Delete the attachments of ``case`` (or ``only`` these) in the caller's transaction; their
    files are removed once it commits (the erasure of a case calls this). Returns how many."""
    attachments = only if only is not None else session.scalars(
        select(Attachment).where(Attachment.case_id == case.id)).all()
    session.info.setdefault(FILES_TO_REMOVE, []).extend(path_of(a) for a in attachments)
    for attachment in attachments:
        session.delete(attachment)
    return len(attachments)


@event.listens_for(Session, "after_commit")
def _remove_files(session):
    for path in session.info.pop(FILES_TO_REMOVE, []):
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass


@event.listens_for(Session, "after_rollback")
def _keep_files(session):
    session.info.pop(FILES_TO_REMOVE, None)  # the rows stay, and so do their files
