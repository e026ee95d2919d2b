"""Managing people: users and invitations (coordinators, admins), municipalities and advisors'
assignments (admins), and the access trail (coordinators)."""
import tempfile

from flask import Blueprint, flash, redirect, render_template, request, send_file, url_for
from flask_babel import get_translations
from flask_babel import gettext as _
from flask_login import current_user

from ..database import utcnow
from ..domain import ROLES
from ..services import access_trail, accounts, cases, permissions
from ..i18n import translated
from ..services.errors import ValidationError
from .auth import require_login
from .admin_forms import AssignmentForm, InviteForm, MunicipalityForm, RoleForm
from .forms import attach_errors, choices, filter_args, object_id
from .privacy_forms import TrailFilterForm

bp = Blueprint("admin", __name__, url_prefix="/admin")
require_login(bp)


def _invite_form(formdata=None):
    form = InviteForm(formdata=formdata) if formdata is not None else InviteForm()
    form.role.choices = choices((r, ROLES[r]) for r in permissions.roles_assignable_by(current_user))
    form.municipality_id.choices = choices((m.id, m.name) for m in accounts.municipalities())
    return form


@bp.route("/users", methods=["GET", "POST"])
def users():
    people = accounts.managed_users(current_user)
    form = _invite_form()
    invitation_link = None
    if form.validate_on_submit():
        try:
            user, token = accounts.invite_user(
                current_user, email=form.email.data, name=form.name.data, role=form.role.data,
                municipality_id=form.municipality_id.chosen_id, once=form.once(lambda _user: url_for(".users")),
            )
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            invitation_link = url_for("auth.invitation", token=token, _external=True)
            flash(_("%(name)s was invited. Send them the link below; it works for seven days.", name=user.name), "success")
            people = accounts.managed_users(current_user)
            form = _invite_form(formdata={})
    role_form = RoleForm(formdata=None)
    role_form.role.choices = choices((r, ROLES[r]) for r in permissions.roles_assignable_by(current_user))
    return render_template(
        "admin/users.html", people=people, form=form, role_form=role_form, invitation_link=invitation_link,
    ), 422 if form.errors else 200


@bp.post("/users/<int:user_id>/active")
def set_active(user_id: int):
    activate = request.form.get("active") == "1"
    try:
        user = accounts.set_active(current_user, user_id, activate)
    except ValidationError as exc:
        flash(" ".join(str(m) for m in exc.errors.values()), "error")
    else:
        flash(_("%(name)s can log in again.", name=user.name) if activate
              else _("%(name)s is deactivated; their sessions have ended.", name=user.name), "success")
    return redirect(url_for(".users"))


@bp.post("/users/<int:user_id>/role")
def change_role(user_id: int):
    form = RoleForm()
    form.role.choices = choices((r, ROLES[r]) for r in permissions.roles_assignable_by(current_user))
    try:
        user = accounts.change_role(current_user, user_id, form.role.data or "")
    except ValidationError as exc:
        flash(" ".join(str(m) for m in exc.errors.values()), "error")
    else:
        flash(_("%(name)s is now: %(role)s.", name=user.name, role=ROLES[user.role]), "success")
    return redirect(url_for(".users"))


@bp.route("/municipalities", methods=["GET", "POST"])
def municipalities():
    permissions.require(current_user, "municipalities.manage")
    form = MunicipalityForm()
    if form.validate_on_submit():
        try:
            municipality = accounts.create_municipality(form.code.data, form.name.data,
                                                        form.once(lambda _made: url_for(".municipalities")))
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            flash(_("%(name)s was added.", name=municipality.name), "success")
            return redirect(url_for(".municipalities"))
    return render_template(
        "admin/municipalities.html", municipalities=accounts.municipalities(), form=form
    ), 422 if form.errors else 200


@bp.route("/assignments", methods=["GET", "POST"])
def assignments():
    permissions.require(current_user, "assignments.manage")
    form = AssignmentForm()
    form.advisor_id.choices = choices(((u.id, u.name) for u in accounts.all_advisors()), empty=_("– please choose –"))
    form.municipality_id.choices = choices(((m.id, m.name) for m in accounts.municipalities()), empty=_("– please choose –"))
    if form.validate_on_submit():
        try:
            accounts.assign_advisor(current_user, form.advisor_id.chosen_id, form.municipality_id.chosen_id,
                                    form.once(lambda _made: url_for(".assignments")))
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            flash(_("The assignment was saved."), "success")
            return redirect(url_for(".assignments"))
    return render_template("admin/assignments.html", rows=accounts.assignments(), form=form), 422 if form.errors else 200


@bp.post("/assignments/<int:assignment_id>/delete")
def unassign(assignment_id: int):
    accounts.unassign_advisor(current_user, assignment_id)
    flash(_("The assignment was removed."), "success")
    return redirect(url_for(".assignments"))


def _trail_question() -> tuple[TrailFilterForm, access_trail.TrailFilters]:
    permissions.require(current_user, "access_log.view")
    form = TrailFilterForm(request.args)
    form.case.render_kw = {"placeholder": cases.reference(current_user.municipality.code, utcnow().year, 1)}
    form.person.choices = choices(((u.id, u.name) for u in access_trail.people_in_trail(current_user)),
                                  empty=_("everybody"))
    form.validate()
    return form, form.chosen_filters(lambda reference: access_trail.case_of_reference(current_user, reference))


@bp.get("/access-log")
def access_log():
    form, filters = _trail_question()
    page = access_trail.trail(current_user, filters, after=object_id(request.args.get("after")))
    return render_template("admin/access_log.html", page=page, form=form, filter_args=filter_args(form, request.args),
                           ACTIONS=translated(access_trail.ACTIONS, get_translations()))


@bp.get("/access-log.csv")
def access_log_csv():
    _form, filters = _trail_question()
    # Written to a spooled file inside the request (memory up to 1 MB, then a temporary file).
    spool = tempfile.SpooledTemporaryFile(max_size=1024 * 1024, mode="w+b")
    for line in access_trail.export_csv(current_user, filters, get_translations()):
        spool.write(line.encode("utf-8"))
    spool.seek(0)
    return send_file(spool, mimetype="text/csv", as_attachment=True, download_name="access-trail.csv")
