"""Case pages: list, intake, detail with timeline and triggers, edit."""
import os
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, stream_with_context, url_for
from flask_babel import get_locale, get_timezone
from flask_babel import gettext as _
from flask_login import current_user

from ..i18n import Label as _l
from ..runtime import kokoma
from ..database import utcnow
from ..services import (permissions, access_trail, accounts, exports, follow_ups, measures, partners, pseudonym_lifts,
                        pseudonyms, reviews, search, todo)
from ..services import attachments as attachment_service
from ..services import cases as case_service
from ..services.errors import ConflictError, ValidationError, VersionUnknown
from ..workflow import TransitionBlocked
from . import labels
from .auth import require_login
from .timeline import changes_in_words
from .analysis import section_context
from .plugins import case_panels, flash_plugin_failures
from .case_forms import (
    AssignForm,
    AttachmentForm,
    CaseFilterForm,
    CommentForm,
    PseudonymLiftForm,
    PseudonymRestoreForm,
    ReviewRequestForm,
    TransitionForm,
    case_form_class,
    plugin_field_values,
)
from .forms import attach_errors, choices, filter_args, focus_first_error, object_id
from .measure_forms import FollowUpForm, MeasureForm

bp = Blueprint("cases", __name__, url_prefix="/cases")
# The list table's caption says its order (Labels: the page translates them through its catalogue).
SORT_CAPTIONS = {
    "newest": _l("Cases, newest first"),
    "reference": _l("Cases by reference"),
    "updated": _l("Cases by last change, latest first"),
    "escalation": _l("Cases by escalation score, highest first"),
    "relevance": _l("Cases found, best match first"),
}
require_login(bp)


@bp.get("/")
def index():
    user = current_user._get_current_object()  # asked about often below: not through the proxy each time
    form = _filter_form(user)
    page = case_service.list_cases(
        user, form.chosen_filters(), per_page=form.chosen_page_size(current_app.config["CASES_PER_PAGE"]),
        # an id out of range pages nothing: the first page
        after=object_id(request.args.get("after")), before=object_id(request.args.get("before")),
    )
    return render_template("cases/list.html", page=page, filter_form=form, filter_args=filter_args(form, request.args),
                           several_municipalities=len(form.municipality.choices) > 2,
                           sort_captions=SORT_CAPTIONS, candidates=search.CANDIDATES)


@bp.get("/export.<any(csv, xlsx):kind>")
def export(kind: str):
    """The filtered list as CSV or XLSX, written to the access trail first."""
    permissions.require(current_user, "case.export")
    filters = _filter_form().chosen_filters()
    exports.record_export(current_user, filters, kind)
    stamp = utcnow().strftime("%Y-%m-%d")
    zone = str(get_timezone())
    if kind == "csv":
        body = stream_with_context(exports.csv_chunks(current_user, filters, zone))
        response = Response(body, mimetype="text/csv")
    else:
        path = exports.write_xlsx(current_user, filters, zone)
        response = Response(_file_then_remove(path),
                            mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response.headers["Content-Disposition"] = f'attachment; filename="kokoma-cases-{stamp}.{kind}"'
    response.headers["Cache-Control"] = "no-store"
    return response


def _file_then_remove(path: str, chunk: int = 65536):
    try:
        with open(path, "rb") as handle:
            while block := handle.read(chunk):
                yield block
    finally:
        os.unlink(path)


def _filter_form(user=current_user) -> CaseFilterForm:
    """The filter bar's form on the request's query, checked: an invalid value filters nothing
    and gets its message in the filter bar."""
    config = current_app.config
    form = CaseFilterForm(request.args)
    form.offer(kokoma().workflow.state_labels(), config["CASES_PER_PAGE_CHOICES"], config["CASES_PER_PAGE"],
               case_service.list_municipalities(user))
    form.validate()
    return form


@bp.route("/new", methods=["GET", "POST"])
def new():
    permissions.require(current_user, "case.create")
    form, failures = _case_form(current_user.municipality)
    if form.validate_on_submit():
        try:
            change = case_service.create_case(
                current_user, form.to_input(), form.once(lambda done: url_for(".detail", case_id=done.case.id))
            )
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            flash(_("Case %(reference)s was logged.", reference=change.case.reference), "success")
            flash_plugin_failures(change.plugin_failures)
            return redirect(url_for(".detail", case_id=change.case.id))
    flash_plugin_failures(failures, saved=False)
    return render_template("cases/form.html", form=form, case=None), 422 if form.errors else 200


@bp.route("/<int:case_id>/edit", methods=["GET", "POST"])
def edit(case_id: int):
    case = case_service.get_case(current_user, case_id, "case.edit")
    form, failures = _case_form(case.municipality, case)
    if form.validate_on_submit():
        try:
            change = case_service.update_case(current_user, case.id, seen_version(form), form.to_input(),
                                              form.once(lambda _done: url_for(".detail", case_id=case.id)))
        except ValidationError as exc:
            attach_errors(form, exc)
        except ConflictError as exc:
            return _render_form_conflict(form, case, exc)
        else:
            flash(_("Your changes were saved."), "success")
            flash_plugin_failures(change.plugin_failures)
            return redirect(url_for(".detail", case_id=case.id))
    flash_plugin_failures(failures, saved=False)
    return render_template("cases/form.html", form=form, case=case), 422 if form.errors else 200


@bp.get("/<int:case_id>")
def detail(case_id: int):
    case = case_service.get_case(current_user, case_id)
    access_trail.record_view(current_user, case)
    return render_detail(case, timeline_before=object_id(request.args.get("before")))


@bp.post("/<int:case_id>/transition")
def transition(case_id: int):
    case = case_service.get_case(current_user, case_id, "case.transition")
    form = TransitionForm()
    if not form.validate_on_submit():
        return render_detail(case, transition_form=form, status=400)
    try:
        change = case_service.fire_trigger(
            current_user, case.id, form.trigger.data, form.comment.data or "", seen_version(form),
            form.once(lambda _done: url_for(".detail", case_id=case.id)),
            first_follow_up=form.first_follow_up(case.facilitator_id or current_user.id),
        )
    except ValidationError as exc:
        attach_errors(form, exc)
        return render_detail(case_service.get_case(current_user, case.id), transition_form=form, status=422)
    except (TransitionBlocked, ConflictError) as refused:
        reasons, status = (refused.reasons, 422) if isinstance(refused, TransitionBlocked) else ([refused.message], 409)
        form.comment.errors = list(form.comment.errors) + [str(r) for r in reasons]
        # The failed transaction was rolled back: show the case as it stands now.
        return render_detail(case_service.get_case(current_user, case.id), transition_form=form, status=status)
    flash(_("The case is now in “%(state)s”.", state=kokoma().workflow.state_label(change.case.state)), "success")
    flash_plugin_failures(change.plugin_failures)
    return redirect(url_for(".detail", case_id=case.id))


@bp.post("/<int:case_id>/comment")
def comment(case_id: int):
    return case_form_action(
        case_id, "case.comment", CommentForm, "comment_form", "timeline", _l("Your comment was added."),
        lambda case, form, once: case_service.add_comment(current_user, case.id, form.text.data, once),
    )


@bp.post("/<int:case_id>/assign")
def assign(case_id: int):
    case = case_service.get_case(current_user, case_id, "case.assign")
    form = AssignForm()
    if not form.validate():
        return render_detail(case, assign_form=form, status=422)
    try:
        case_service.assign_case(
            current_user, case.id, seen_version(form), form.facilitator_id.chosen_id, form.advisor_id.chosen_id,
            form.once(lambda _done: url_for(".detail", case_id=case.id)),
        )
    except ValidationError as exc:
        attach_errors(form, exc)
        return render_detail(case_service.get_case(current_user, case.id), assign_form=form, status=422)
    except ConflictError as exc:
        return render_detail(_refused_as_conflict(form, case, exc), assign_form=form, status=409)
    flash(_("The responsibilities were saved."), "success")
    return redirect(url_for(".detail", case_id=case.id))


@bp.post("/<int:case_id>/review")
def request_review(case_id: int):
    return case_form_action(
        case_id, "review.request", ReviewRequestForm, "review_form", "reviews", _l("The review was requested."),
        lambda case, form, once: reviews.request_review(current_user, case.id, form.question.data, once),
    )


@bp.post("/<int:case_id>/pseudonyms/lift")
def lift_pseudonyms(case_id: int):
    return case_form_action(
        case_id, "case.pseudonyms", PseudonymLiftForm, "lift_form", "pseudonyms",
        _l("The case's advisors and partners now read the names; the reason is in the timeline."),
        lambda case, form, once: pseudonym_lifts.lift(current_user, case.id, form.reason.data, once),
    )


@bp.post("/<int:case_id>/pseudonyms/restore")
def restore_pseudonyms(case_id: int):
    return case_form_action(
        case_id, "case.pseudonyms", PseudonymRestoreForm, "restore_form", "pseudonyms",
        _l("The case's advisors and partners read pseudonyms again."),
        lambda case, _form, once: pseudonym_lifts.restore(current_user, case.id, once),
    )


# --- helpers -------------------------------------------------------------------------------


def case_form_action(case_id, action, form_class, form_name, anchor, done, perform, prepare=None):
    """A small form on the case page: check, perform, then back to the page, or the page again
    with the form as typed and its errors."""
    case = case_service.get_case(current_user, case_id, action)
    form = form_class()
    if prepare is not None:
        prepare(case, form)
    if form.validate_on_submit():
        result_page = url_for("cases.detail", case_id=case.id, _anchor=anchor)
        try:
            change = perform(case, form, form.once(lambda _done: result_page))
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            flash(str(done), "success")
            flash_plugin_failures(change.plugin_failures)
            return redirect(result_page)
    return render_detail(case, status=422, **{form_name: form})


def _case_form(municipality, case=None):
    form_class, failures = case_form_class(municipality)
    form = form_class(obj=case) if case is not None else form_class()
    if case is not None and request.method == "GET":
        form.version.data = str(case.version)
        form.facilitator_id.data = str(case.facilitator_id or "")
        for field in form.plugin_fields():
            field.data = (case.extra or {}).get(field.name.removeprefix("extra_"), field.data)
    elif case is None and request.method == "GET":
        form.facilitator_id.data = str(current_user.id)
    workers = case_service.case_workers(municipality.id)
    form.facilitator_id.choices = choices((u.id, u.name) for u in workers)
    return form, failures


def _render_form_conflict(form, case, exc: ConflictError):
    return render_template("cases/form.html", form=form, case=_refused_as_conflict(form, case, exc), conflict=True), 409


def _refused_as_conflict(form, case, exc: ConflictError):
    """The case as it stands now, after a change of it was refused as a conflict: its version goes
    into the refused form, which keeps what was typed (sending it again saves knowingly)."""
    current = case_service.get_case(current_user, case.id)
    form.version.data = str(current.version)
    flash(str(exc.message), "error")
    return current


def timeline_words(timeline):
    """What each event of ``timeline`` changed, in words of the reader's language and zone."""
    dates = labels.DateTimeFormat(get_locale(), ZoneInfo(str(get_timezone())))
    return lambda event: changes_in_words(event, timeline.names, dates)


def render_detail(case, *, status=200, timeline_before=None, **forms):
    """The case page; ``forms`` are forms that come back with what was typed and its errors."""
    options, guard_failures = kokoma().workflow.options(case, current_user)
    plugin_fields, field_failures = plugin_field_values(case)
    panels, panel_failures = case_panels(case, current_user)
    flash_plugin_failures(guard_failures + field_failures + panel_failures, saved=False)
    workers = choices((u.id, u.name) for u in case_service.case_workers(case.municipality_id))
    assign_form = forms.get("assign_form") or AssignForm(formdata=None, version=case.version,
                                                          facilitator_id=str(case.facilitator_id or ""),
                                                          advisor_id=str(case.advisor_id or ""))
    assign_form.facilitator_id.choices = workers
    assign_form.advisor_id.choices = choices(
        ((u.id, u.name) for u in accounts.advisors_of(case.municipality_id)), empty=_("nobody yet")
    )
    analysis_view = section_context(case)
    participants = measures.participant_choices(case, analysis_view["analysis"])
    measure_form = forms.get("measure_form") or MeasureForm(formdata=None)
    if permissions.can(current_user, "case.measure"):
        measure_form.offer(measures.responsible_choices(case.municipality_id), participants)
    follow_up_form = forms.get("follow_up_form") or FollowUpForm(
        formdata=None, assignee_id=str(case.facilitator_id or current_user.id))
    follow_up_form.assignee_id.choices = workers
    for form in forms.values():
        focus_first_error(form)
    timeline = case_service.timeline(case, before=timeline_before)
    now = utcnow()
    pseudonyms_on = pseudonyms.enabled_for(case.municipality_id)
    real_names = pseudonyms.sees_real_names(current_user, case)
    return render_template(
        "cases/detail.html",
        case=case,
        analysis_view=analysis_view,
        now=now,
        today=todo.local_today(now),
        timeline=timeline,
        changes_in_words=timeline_words(timeline),
        measures=measures.measures_of(case),
        follow_ups=follow_ups.follow_ups_of(case),
        reviews=reviews.reviews_of(case),
        delivery_summary=partners.delivery_summary_of_case(current_user, case)
        if permissions.can(current_user, "case.deliveries") else [],
        plugin_fields=plugin_fields,
        plugin_panels=panels,
        options=options,
        monitored_state=follow_ups.MONITORED_STATE,
        transition_form=forms.get("transition_form") or TransitionForm(formdata=None),
        comment_form=forms.get("comment_form") or CommentForm(formdata=None),
        measure_form=measure_form,
        actor_names=dict(participants),
        follow_up_form=follow_up_form,
        review_form=forms.get("review_form") or ReviewRequestForm(formdata=None),
        assign_form=assign_form,
        workers=workers,
        returned=next(iter(forms), None),  # the form that came back, to open and scroll to
        attachments=attachment_service.attachments_of(case),
        attachment_form=forms.get("attachment_form") or AttachmentForm(formdata=None),
        seen_by=access_trail.who_saw(current_user, case) if permissions.can(current_user, "access_log.view") else None,
        pseudonyms_on=pseudonyms_on,
        real_names=real_names,
        pseudonym_legend=pseudonyms.legend(case) if pseudonyms_on and real_names else [],
        pseudonym_lift=pseudonyms.lift_of(case),
        lift_form=forms.get("lift_form") or PseudonymLiftForm(formdata=None),
        restore_form=forms.get("restore_form") or PseudonymRestoreForm(formdata=None),
    ), status


def seen_version(form) -> int:
    """The version of the case the person's form was made from. A form without one (an old page,
    a hand-made request) cannot show that nobody changed the case since: it is refused as a
    conflict, so that the person sees the case as it stands and sends again, and nothing they
    typed is lost."""
    sent = form.version.raw_data  # what the request sent, not what a form filled from the case holds
    try:
        return int(sent[0])
    except (IndexError, ValueError):
        raise VersionUnknown() from None
