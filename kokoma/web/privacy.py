"""Data-protection pages for the coordinator: the municipality's retention periods, what they
would remove today (a dry run), and the runs of the daily job; whether advisors and partners read
persons as pseudonyms; a person's request (find, export, erase or pseudonymise)."""
import json

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import get_translations
from flask_babel import gettext as _
from flask_login import current_user

from ..i18n import translated
from ..services import permissions, person_requests, pseudonyms, retention
from ..services.errors import ValidationError
from .auth import require_login
from .forms import attach_errors
from .pdf import pdf_download, pdf_engine
from .privacy_forms import PersonErasureForm, PersonSearchForm, PseudonymSettingForm, RetentionForm

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


@bp.route("/pseudonyms", methods=["GET", "POST"])
def pseudonym_settings():
    enabled = pseudonyms.settings(current_user)
    # (a sent form is read alone: an unticked box sends nothing, which is "off", not "as before")
    form = PseudonymSettingForm() if request.method == "POST" else PseudonymSettingForm(data={"enabled": enabled})
    if form.validate_on_submit():
        enabled = pseudonyms.save_settings(current_user, form.enabled.data)
        flash(_("Advisors and partners now read persons as pseudonyms.") if enabled
              else _("Advisors and partners now read persons by their names."), "success")
        return redirect(url_for(".pseudonym_settings"))
    return render_template("privacy/pseudonyms.html", form=form), 422 if form.errors else 200


def _person_page(search, erasure, findings=None, status=200):
    return render_template(
        "privacy/person.html", search=search, erasure=erasure, findings=findings,
        FIELDS=translated(person_requests.FIELD_LABELS, get_translations()),
        done=person_requests.done_requests(current_user),
    ), status


@bp.route("/person", methods=["GET", "POST"])
def person():
    """Search (POST: the name stays out of the address), then export or erase from the results."""
    permissions.require(current_user, "person_request.manage")
    search = PersonSearchForm()
    if not search.validate_on_submit():
        return _person_page(search, None, status=422 if search.errors else 200)
    findings = person_requests.search(current_user, search.name.data)
    erasure = PersonErasureForm(formdata=None, name=search.name.data)
    return _person_page(search, erasure, findings)


@bp.post("/person/export")
def person_export():
    """The person's copy (Art. 15): a readable HTML report, the same as a PDF, or a JSON file."""
    permissions.require(current_user, "person_request.manage")
    search = PersonSearchForm()
    if not search.validate_on_submit():
        return _person_page(search, None, status=422)
    export_format = request.form.get("format")
    engine = pdf_engine() if export_format == "pdf" else None
    if export_format == "pdf" and engine is None:
        flash(_("The PDF needs the Pango libraries on the server (docs/deployment.md). The readable report "
                "(HTML) holds the same."), "error")
        findings = person_requests.search(current_user, search.name.data)
        return _person_page(search, PersonErasureForm(formdata=None, name=search.name.data), findings)
    findings = person_requests.search(current_user, search.name.data, for_export=True)
    data = person_requests.export(findings, search.name.data.strip())
    if export_format == "json":
        return Response(json.dumps(data, ensure_ascii=False, indent=2), mimetype="application/json",
                        headers={"Content-Disposition": 'attachment; filename="person-export.json"'})
    html = render_template("privacy/person_report.html", data=data, findings=findings,
                           FIELDS=translated(person_requests.FIELD_LABELS, get_translations()))
    if engine is not None:
        return pdf_download(engine, html, render_template("privacy/person_report.css"), "person-export.pdf")
    return Response(html, mimetype="text/html",
                    headers={"Content-Disposition": 'attachment; filename="person-export.html"'})


@bp.post("/person/erase")
def person_erase():
    permissions.require(current_user, "person_request.manage")
    erasure = PersonErasureForm()
    if erasure.validate_on_submit():
        try:
            done = person_requests.carry_out(current_user, erasure.name.data, erasure.mode.data, erasure.reason.data)
        except ValidationError as exc:
            attach_errors(erasure, exc)
        else:
            flash(_("Done: %(records)d passages in %(cases)d cases were changed; the reason is recorded.",
                    records=done.records_changed, cases=done.cases_changed), "success")
            return redirect(url_for(".person"))
    search = PersonSearchForm(formdata=None, name=erasure.name.data)
    search.name.errors = list(erasure.name.errors)  # a name refused is told where it is typed, in the search
    findings = person_requests.search(current_user, erasure.name.data) if not erasure.name.errors else None
    return _person_page(search, erasure, findings, status=422)
