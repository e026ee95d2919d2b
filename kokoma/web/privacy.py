"""Data-protection pages for the coordinator: the municipality's retention periods, what they
would remove today (a dry run), and the runs of the daily job."""
from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..services import permissions, retention
from ..services.errors import ValidationError
from .auth import require_login
from .forms import attach_errors
from .privacy_forms import RetentionForm

bp = Blueprint("privacy", __name__, url_prefix="/privacy")
require_login(bp)


@bp.route("/retention", methods=["GET", "POST"])
def retention_settings():
    permissions.require(current_user, "retention.manage")
    form = RetentionForm(obj=retention.settings(current_user))
    if form.validate_on_submit():
        try:
            retention.save_settings(current_user, form.anonymise_after_days.data, form.delete_after_days.data)
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            flash(_("The retention periods were saved. The daily job applies them from now on."), "success")
            return redirect(url_for(".retention_settings"))
    return render_template(
        "privacy/retention.html", form=form, plan=retention.dry_run(current_user),
        runs=retention.recent_runs(current_user),
    ), 422 if form.errors else 200
