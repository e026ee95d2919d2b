"""Coordinators' pages: the municipality's partners and the deliveries that did not arrive."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..runtime import kokoma
from ..services import partners, permissions
from ..services.errors import ConflictError, ValidationError
from .auth import require_login
from ..notifications import reasons
from .admin_forms import partner_form_class
from .forms import PLUGIN_FIELD_PREFIX, attach_errors, choices, object_id, refused_as_conflict

bp = Blueprint("partners", __name__, url_prefix="/partners")
require_login(bp)


@bp.get("/")
def index():
    return render_template("partners/list.html", partners=partners.partners_of(current_user))


@bp.route("/new", methods=["GET", "POST"])
def new():
    permissions.require(current_user, "partners.manage")  # before any form is shown
    return _edit(None)


@bp.route("/<int:partner_id>", methods=["GET", "POST"])
def edit(partner_id: int):
    return _edit(partners.get_partner(current_user, partner_id))


def _edit(partner):
    form_class, failures = partner_form_class(current_user.municipality)
    form = form_class(obj=partner)
    if partner is not None and request.method == "GET":
        form.showing(partner)
        for field in form.plugin_fields():
            field.data = (partner.extra or {}).get(field.name.removeprefix(PLUGIN_FIELD_PREFIX), field.data)
    for failure in failures:
        flash(_("The plugin “%(plugin)s” failed (%(hook)s): %(error)s.", plugin=failure.plugin, hook=failure.hook,
                error=failure.error), "warning")
    workflow = kokoma().workflow
    form.events.choices = choices(partners.subscribable_events(workflow).items())
    conflict = None
    if form.validate_on_submit():
        try:
            saved = partners.save_partner(current_user, partner.id if partner else None, form.to_input(), workflow,
                                          form.once(lambda _saved: url_for(".index")),
                                          seen=form.sent_seen() if partner else None)
        except ValidationError as exc:
            attach_errors(form, exc)
        except ConflictError as exc:
            conflict, partner = exc, partners.get_partner(current_user, partner.id)
            refused_as_conflict(form, partner, exc)
        else:
            flash(_("%(name)s was saved.", name=saved.name), "success")
            return redirect(url_for(".index"))
    return (render_template("partners/form.html", form=form, partner=partner, conflict=conflict),
            409 if conflict else 422 if form.errors else 200)


@bp.get("/deliveries")
def deliveries():
    before = object_id(request.args.get("before"))
    rows, older_than = partners.deliveries_of(current_user, before=before)
    return render_template("partners/deliveries.html", rows=rows, older_than=older_than, first_page=before is None,
                           reason=reasons.reason, channel_name=reasons.channel_name)


@bp.post("/deliveries/<int:delivery_id>/retry")
def retry(delivery_id: int):
    try:
        partners.retry_delivery(current_user, delivery_id)
    except ConflictError as refused:
        flash(str(refused.message), "error")
    else:
        flash(_("The message is sent again."), "success")
    return redirect(url_for(".deliveries"))
