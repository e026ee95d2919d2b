"""Attachments of a case: upload, download (as a download, never shown inline), removal."""
import io

from flask import Blueprint, flash, redirect, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..services import attachment_crypto, attachments
from ..services import cases as case_service
from ..services.errors import ValidationError
from .auth import require_login
from .cases import render_detail
from .case_forms import AttachmentForm
from .forms import attach_errors
from .input_guard import allows_larger_bodies

bp = Blueprint("attachments", __name__, url_prefix="/cases")
require_login(bp)


@bp.post("/<int:case_id>/attachments")
@allows_larger_bodies("ATTACHMENT_MAX_BYTES")
def upload(case_id: int):
    case = case_service.get_case(current_user, case_id, "case.attach")
    form = AttachmentForm()
    result_page = url_for("cases.detail", case_id=case.id, _anchor="attachments")
    if form.validate_on_submit():
        upload = form.file.data
        try:
            attachments.add_attachment(current_user, case.id, getattr(upload, "filename", "") or "",
                                       getattr(upload, "stream", None), form.once(lambda _done: result_page))
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            flash(_("The file was attached."), "success")
            return redirect(result_page)
    return render_detail(case, status=422, attachment_form=form)


@bp.get("/<int:case_id>/attachments/<int:attachment_id>")
def download(case_id: int, attachment_id: int):
    try:
        attachment, content = attachments.open_attachment(current_user, case_id, attachment_id)
    except attachment_crypto.KeyProblem as exc:
        flash(str(exc.message), "error")
        return redirect(url_for("cases.detail", case_id=case_id, _anchor="attachments"))
    response = send_file(io.BytesIO(content), mimetype=attachment.content_type, as_attachment=True,
                         download_name=attachment.filename, conditional=False, etag=False, max_age=0,
                         last_modified=attachment.created_at)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/<int:case_id>/attachments/<int:attachment_id>/delete")
def remove(case_id: int, attachment_id: int):
    attachments.remove_attachment(current_user, case_id, attachment_id)
    flash(_("The attachment was removed."), "success")
    return redirect(url_for("cases.detail", case_id=case_id, _anchor="attachments"))
