"""The conflict analysis of a case: its own page with a form for every part, and the section
the case page shows (map, tables, completeness, the referral's state, the score's history)."""
from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import get_translations
from flask_login import current_user

from .. import analysis_map, score_chart
from ..domain import (
    ACTOR_ROLES, GLASL_LEVEL_OF_STAGE, GLASL_STAGES, INFLUENCE, LEVELS, RELATION_KINDS, THREAT_LEVELS,
)
from ..i18n import translated
from ..services.escalation import reason_text
from ..services import analysis as analysis_service
from ..services import cases as case_service
from ..services import permissions, pseudonyms, referral, score_history
from ..services.analysis_snapshot import Analysis
from ..services.errors import ConflictError, ValidationError
from ..services.referral_rules import REFERRAL_STATE
from .analysis_forms import PART_FORMS, GlaslForm, ReferralForm, analysis_fields_form_class
from .auth import require_login
from .forms import attach_errors, choices, focus_first_error, refused_as_conflict
from .plugins import flash_plugin_failures

bp = Blueprint("analysis", __name__, url_prefix="/cases/<int:case_id>/analysis")
require_login(bp)

# part -> (path segment, name of the id in the route)
ROUTES = {
    "actor": ("actors", "actor_id"),
    "relation": ("relations", "relation_id"),
    "issue": ("issues", "issue_id"),
    "history": ("history", "entry_id"),
    "hearing": ("hearings", "hearing_id"),
    "resource": ("resources", "resource_id"),
}


@bp.get("/")
def page(case_id: int):
    return _render_page(case_service.get_case(current_user, case_id))


def _add(case_id: int, part: str):
    case = case_service.get_case(current_user, case_id, "analysis.edit")
    form = _part_form(part, Analysis(case))
    if form.validate_on_submit():
        result = url_for(".page", case_id=case.id, _anchor=ROUTES[part][0])
        try:
            change = analysis_service.add_item(current_user, case.id, part, form.values(), form.once(lambda _d: result))
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            _saved(change)
            return redirect(result)
    return _render_page(case, status=422, **{f"{part}_form": form})


def _edit(case_id: int, part: str, **ids):
    case = case_service.get_case(current_user, case_id, "analysis.edit")
    analysis = Analysis(case)
    item = analysis_service.get_item(current_user, case.id, part, ids[ROUTES[part][1]])
    form = _part_form(part, analysis, obj=item)
    conflict = None
    if form.validate_on_submit():
        try:
            change = analysis_service.update_item(current_user, case.id, part, item.id, form.values(),
                                                  form.once(lambda _d: url_for(".page", case_id=case.id)),
                                                  seen=form.sent_seen())
        except ValidationError as exc:
            attach_errors(form, exc)
        except ConflictError as exc:
            conflict = exc
            item = analysis_service.get_item(current_user, case.id, part, item.id)
            refused_as_conflict(form, item, exc)
        else:
            _saved(change)
            return redirect(url_for(".page", case_id=case.id, _anchor=ROUTES[part][0]))
    elif not form.is_submitted():
        form.showing(item)
    return render_template("analysis/edit.html", case=case, part=part, item=item, form=form, conflict=conflict,
                           action=url_for(f".edit_{part}", case_id=case.id, **ids)), \
        409 if conflict else 422 if form.errors else 200


def _remove(case_id: int, part: str, **ids):
    case = case_service.get_case(current_user, case_id, "analysis.edit")
    change = analysis_service.remove_item(current_user, case.id, part, ids[ROUTES[part][1]])
    _saved(change, _("Removed from the analysis."))
    return redirect(url_for(".page", case_id=case.id, _anchor=ROUTES[part][0]))


for _part, (_segment, _id) in ROUTES.items():
    bp.add_url_rule(f"/{_segment}", f"add_{_part}", _add, methods=["POST"], defaults={"part": _part})
    bp.add_url_rule(f"/{_segment}/<int:{_id}>", f"edit_{_part}", _edit, methods=["GET", "POST"],
                    defaults={"part": _part})
    bp.add_url_rule(f"/{_segment}/<int:{_id}>/remove", f"remove_{_part}", _remove, methods=["POST"],
                    defaults={"part": _part})


@bp.post("/glasl")
def assess(case_id: int):
    case = case_service.get_case(current_user, case_id, "analysis.assess")
    form = GlaslForm(prefix="glasl")
    if form.validate_on_submit():
        result = url_for(".page", case_id=case.id, _anchor="glasl")
        try:
            change = analysis_service.assess(current_user, case.id, form.chosen_stage, form.temperature.data,
                                             form.rationale.data, form.once(lambda _d: result))
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            _saved(change, _("Your Glasl assessment was recorded."))
            return redirect(result)
    return _render_page(case, status=422, glasl_form=form)


@bp.post("/fields")
def fields(case_id: int):
    case = case_service.get_case(current_user, case_id, "analysis.edit")
    form_class, failures = analysis_fields_form_class(case.municipality)
    _flash_failures(failures)
    form = form_class(prefix="fields")
    if form.validate_on_submit():
        result = url_for(".page", case_id=case.id, _anchor="local-fields")
        change = analysis_service.save_fields(current_user, case.id, form.plugin_values(), form.once(lambda _d: result))
        _saved(change)
        return redirect(result)
    return _render_page(case, status=422, fields_form=form)


@bp.post("/referral")
def propose_referral(case_id: int):
    case = case_service.get_case(current_user, case_id, "referral.propose")
    form = _referral_form(case)
    if form.validate_on_submit():
        result = url_for(".page", case_id=case.id, _anchor="referral")
        try:
            referral.propose(current_user, case.id, form.reason.data, form.partner_id.chosen_id, form.referred_on.data,
                             form.once(lambda _d: result))
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            flash(_("The referral was proposed; the advisor confirms or declines it from the review queue."), "success")
            return redirect(result)
    return _render_page(case, status=422, referral_form=form)


# --- building the pages ---------------------------------------------------------------------


def _part_form(part: str, analysis: Analysis, obj=None):
    form = PART_FORMS[part](prefix=part, obj=obj)
    names = [(actor.id, actor.name) for actor in analysis.actors]
    if part == "relation":
        form.source_id.choices = choices(names, empty=_("– please choose –"))
        form.target_id.choices = choices(names, empty=_("– please choose –"))
    if part == "hearing":
        form.actor_id.choices = choices(((a.id, a.name) for a in analysis.affected_groups), empty=_("– please choose –"))
    if obj is not None and not form.is_submitted():
        for name in ("source_id", "target_id", "actor_id"):
            if hasattr(form, name):
                getattr(form, name).data = str(getattr(obj, name))
    return form


def _referral_form(case):
    form = ReferralForm(prefix="referral")
    form.partner_id.choices = choices(((p.id, p.name) for p in referral.partners_to_refer_to(current_user, case)),
                                      empty=_("– please choose –"))
    return form


def _render_page(case, *, status=200, **forms):
    for sent in forms.values():  # the form that came back: its first wrong field has the focus
        if sent is not None and sent.errors:
            focus_first_error(sent)
    analysis = Analysis(case)
    part_forms = {part: forms.get(f"{part}_form") or _part_form(part, analysis) for part in PART_FORMS}
    fields_form = forms.get("fields_form")
    fields_class, failures = analysis_fields_form_class(case.municipality)
    _flash_failures(failures)
    if fields_form is None:
        fields_form = fields_class(prefix="fields", formdata=None)
        for field in fields_form.plugin_fields():
            field.data = analysis.extra.get(field.short_name.removeprefix("extra_"), field.data)
    referral_form = forms.get("referral_form")
    if referral_form is None and permissions.can(current_user, "referral.propose"):
        referral_form = _referral_form(case)
    return render_template(
        "analysis/page.html", case=case, part_forms=part_forms,
        glasl_form=forms.get("glasl_form") or GlaslForm(prefix="glasl", formdata=None),
        fields_form=fields_form, referral_form=referral_form, routes=ROUTES,
        **section_context(case, analysis),
    ), status


def section_context(case, analysis: Analysis | None = None) -> dict:
    """What the analysis section of the case page (and the analysis page) shows."""
    analysis = analysis or Analysis(case)
    catalogue = get_translations()
    roles, influence = translated(ACTOR_ROLES, catalogue), translated(INFLUENCE, catalogue)
    kinds = translated(RELATION_KINDS, catalogue)

    def actor_text(actor):
        flags = [roles.get(actor.role, actor.role), _("influence %(level)s", level=influence.get(actor.influence, ""))]
        if actor.affected:
            flags.append(_("affected or marginalised group"))
        if actor.anti_democratic:
            flags.append(_("openly anti-democratic, unwilling to talk"))
        return f"{actor.name}: {', '.join(flags)}"

    def relation_text(relation):
        names = analysis.actor_names
        arrow = "→" if relation.kind == "influence" else "–"
        return f"{names.get(relation.source_id, '?')} {arrow} {names.get(relation.target_id, '?')}: {kinds.get(relation.kind, '')}"

    points = score_history.history(case)
    levels = translated(LEVELS, catalogue)

    def point_text(shown):
        factors = "; ".join(f"{f.get('points', 0):+d} {reason_text(f)}" for f in shown.point.factors)
        return f"{shown.point.score} ({levels.get(shown.point.level, '')}): {factors or _('no factors')}"

    referrals = referral.referrals_of(case)
    return {
        "analysis": analysis,
        "actor_map": analysis_map.draw(
            analysis, title=_("Actor map of the conflict"),
            description=_("%(actors)d actors and %(relations)d relations; the table beside the map lists the same relations.",
                          actors=len(analysis.actors), relations=len(analysis.relations)),
            actor_text=actor_text, relation_text=relation_text, name_of=pseudonyms.shown_name,
        ) if analysis.actors else None,
        "legend_sample": analysis_map.legend_sample,
        "relation_text": relation_text,
        "GLASL_LEVEL_OF_STAGE": GLASL_LEVEL_OF_STAGE,
        "glasl_stages": list(GLASL_STAGES),
        "threat_names": translated(THREAT_LEVELS, catalogue),
        "referrals": referrals,
        "open_referral": next((r for r in referrals if r.status == "proposed"), None),
        "in_referral": case.state == REFERRAL_STATE,
        "score_points": points,
        "score_chart": score_chart.draw(points, title=_("Escalation score over time"), point_text=point_text,
                                        level_names=levels) if points else None,
    }


OTHER_FIELD_LABELS = {"stage": _l("Glasl stage"), "advisor_stage": _l("Glasl stage of the external advisor")}


@bp.app_template_global()
def analysis_field_label(part: str, name: str) -> str:
    """The label of a field of the analysis, for the trail's "what changed"."""
    form_class = PART_FORMS.get(part)
    unbound = getattr(form_class, name, None) if form_class else None
    if unbound is not None and getattr(unbound, "args", None):
        return str(unbound.args[0])
    return str(OTHER_FIELD_LABELS.get(name, name))


def _saved(change, message=None) -> None:
    flash(message or _("The analysis was saved."), "success")
    _flash_failures(change.plugin_failures, saved=True)


def _flash_failures(failures, *, saved: bool = False) -> None:
    flash_plugin_failures(failures, saved=saved)
