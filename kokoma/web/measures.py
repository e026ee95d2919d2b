"""Measures and follow-ups of a case: plan, change and complete a measure; set a follow-up and
mark it done (with the next one at once)."""
from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ..services import cases as case_service
from ..services import follow_ups, measures
from ..services.errors import ConflictError, ValidationError
from .auth import require_login
from .cases import case_form_action
from .forms import attach_errors, choices, focus_first_error, refused_as_conflict
from .measure_forms import FollowUpDoneForm, FollowUpForm, MeasureEditForm, MeasureForm

bp = Blueprint("measures", __name__, url_prefix="/cases")
require_login(bp)


@bp.post("/<int:case_id>/measures")
def add(case_id: int):
    return case_form_action(
        case_id, "case.measure", MeasureForm, "measure_form", "measures", _l("The measure was added."),
        lambda case, form, once: measures.add_measure(current_user, case.id, form.to_input(), once),
    )


@bp.route("/<int:case_id>/measures/<int:measure_id>", methods=["GET", "POST"])
def edit(case_id: int, measure_id: int):
    case = case_service.get_case(current_user, case_id, "case.measure")
    measure = measures.get_measure(current_user, case, measure_id)
    form = MeasureEditForm()
    form.offer(measures.responsible_choices(case.municipality_id), measures.participant_choices(case))
    conflict = None
    if form.validate_on_submit():
        try:
            measures.update_measure(current_user, case.id, measure.id, form.to_input(), seen=form.sent_seen())
        except ValidationError as exc:
            attach_errors(form, exc)
        except ConflictError as exc:
            conflict = exc
            measure = measures.get_measure(current_user, case, measure.id)
            refused_as_conflict(form, measure, exc)
        else:
            flash(_("The measure was saved."), "success")
            return redirect(url_for("cases.detail", case_id=case.id, _anchor="measures"))
    elif not form.is_submitted():
        form.fill(measure)
        form.showing(measure)
    focus_first_error(form)
    return (render_template("measures/edit.html", case=case, measure=measure, form=form, conflict=conflict),
            409 if conflict else 422 if form.errors else 200)


@bp.post("/<int:case_id>/follow-ups")
def add_follow_up(case_id: int):
    return case_form_action(
        case_id, "case.follow_up", FollowUpForm, "follow_up_form", "follow-ups", _l("The follow-up was set."),
        lambda case, form, once: follow_ups.add_follow_up(current_user, case.id, form.to_input(), once),
    )


@bp.route("/<int:case_id>/follow-ups/<int:follow_up_id>/done", methods=["GET", "POST"])
def follow_up_done(case_id: int, follow_up_id: int):
    case = case_service.get_case(current_user, case_id, "case.follow_up")
    follow_up = follow_ups.get_follow_up(current_user, case, follow_up_id)
    form = FollowUpDoneForm()
    form.next_assignee_id.choices = choices((u.id, u.name) for u in case_service.case_workers(case.municipality_id))
    if not form.is_submitted():
        form.next_assignee_id.data = str(follow_up.assignee_id)
        form.next_what.data = follow_up.what
    if follow_up.status == "open" and form.validate_on_submit():
        try:
            follow_ups.complete_follow_up(current_user, case.id, follow_up.id, form.note.data or "", form.following())
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            flash(_("The follow-up is done."), "success")
            return redirect(url_for("cases.detail", case_id=case.id, _anchor="follow-ups"))
    focus_first_error(form)
    return (render_template("measures/follow_up_done.html", case=case, follow_up=follow_up, form=form),
            422 if form.errors else 200)
