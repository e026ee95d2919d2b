"""Case studies: prepared from a closed case, released into the library of every municipality."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import get_translations
from flask_login import current_user

from ..domain import CATEGORIES
from ..i18n import translated
from ..services import permissions, studies
from ..services import cases as case_service
from ..services.errors import ConflictError, ValidationError
from .auth import require_login
from .case_forms import StudyForm, StudySearchForm, WithdrawStudyForm
from .forms import attach_errors, choices, refused_as_conflict

bp = Blueprint("studies", __name__)
require_login(bp)


@bp.route("/cases/<int:case_id>/study", methods=["GET", "POST"])
def prepare(case_id: int):
    case = case_service.get_case(current_user, case_id, "study.prepare")
    study = studies.study_of(case)
    form = StudyForm(obj=study) if request.method == "GET" else StudyForm()
    status, conflict = 200, None
    if request.method == "GET":
        form.showing(study)
    if form.validate_on_submit():
        lessons = form.lessons.data or ""
        try:
            if request.form.get("action") == "release":
                study = studies.release(current_user, case.id, lessons, bool(form.confirmed.data), form.sent_seen())
                flash(_("The case study was released into the library."), "success")
                return redirect(url_for(".show", study_id=study.id))
            study = studies.save_draft(current_user, case.id, lessons, form.sent_seen())
            flash(_("The draft of the case study was saved."), "success")
            return redirect(url_for(".prepare", case_id=case.id))
        except ValidationError as exc:
            attach_errors(form, exc)
            status = 422
        except ConflictError as exc:
            status, conflict, study = 409, exc, studies.study_of(case, as_saved=True)
            refused_as_conflict(form, study, exc)
    elif form.errors:
        status = 422
    names = studies.names_to_avoid(case)
    if case.state in _final_states():
        facts = studies.facts_of(case)
    else:
        facts = None
    return render_template("studies/prepare.html", case=case, study=study, form=form, facts=facts, conflict=conflict,
                           flags=studies.flagged(form.lessons.data or "", names), names=names,
                           withdrawal=studies.last_withdrawal(study) if study else None), status


@bp.get("/studies/")
def library():
    permissions.require(current_user, "studies.read")
    form = StudySearchForm(request.args)
    form.category.choices = choices(translated(CATEGORIES, get_translations()).items(), empty=_("all"))
    form.validate()
    category = form.category.data if form.category.data and not form.category.errors else None
    found = studies.library(current_user, words=form.q.data or "" if not form.q.errors else "", category=category)
    return render_template("studies/library.html", studies=found, form=form)


@bp.get("/studies/<int:study_id>")
def show(study_id: int):
    return _show(studies.released_study(current_user, study_id), WithdrawStudyForm())


@bp.post("/studies/<int:study_id>/withdraw")
def withdraw(study_id: int):
    form = WithdrawStudyForm()
    if form.validate_on_submit():
        try:
            study = studies.withdraw(current_user, study_id, form.reason.data or "")
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            flash(_("The case study was withdrawn from the library. You can revise it and release it again."), "success")
            if study.case_id is not None:
                return redirect(url_for(".prepare", case_id=study.case_id))
            return redirect(url_for(".library"))
    return _show(studies.released_study(current_user, study_id), form, 422)


def _show(study, form, status=200):
    return render_template("studies/show.html", study=study, withdraw_form=form,
                           may_withdraw=studies.may_withdraw(current_user, study),
                           withdrawal=studies.last_withdrawal(study)), status


def _final_states():
    from ..runtime import kokoma

    return kokoma().workflow.definition.final_states
