"""The case report as PDF, drawn by WeasyPrint from an HTML page of its own (nothing fetched)."""
from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ..database import utcnow
from ..services import access_trail, follow_ups, measures, reviews, todo
from ..services import attachments as attachment_service
from ..services import cases as case_service
from .analysis import section_context
from .auth import require_login
from .cases import timeline_words
from .case_forms import plugin_field_values
from .pdf import pdf_download, pdf_engine

bp = Blueprint("report", __name__, url_prefix="/cases")
require_login(bp)

# The report's sections, in order; each gets the case and what the view below gathers.
REPORT_SECTIONS = [
    "cases/report/_facts.html",
    "cases/report/_analysis.html",  # with the actor map (analysis_map's SVG, which WeasyPrint draws)
    "cases/report/_measures.html",
    "cases/report/_follow_ups.html",
    "cases/report/_reviews.html",
    "cases/report/_timeline.html",
    "cases/report/_attachments.html",
]
TIMELINE_ENTRIES = 500  # the newest entries of the trail the report holds
CONFIDENTIALITY = _l("Confidential: contains special categories of personal data (Art. 9 GDPR). For the "
                     "tandem's work only; do not pass on.")


@bp.get("/<int:case_id>/report.pdf")
def pdf(case_id: int):
    case = case_service.get_case(current_user, case_id)
    engine = pdf_engine()
    if engine is None:
        flash(_("The PDF report needs the Pango libraries on the server (docs/deployment.md). The case page "
                "prints as a report as well."), "error")
        return redirect(url_for("cases.detail", case_id=case.id))
    access_trail.record_view(current_user, case, action="report_pdf")
    plugin_fields, _failures = plugin_field_values(case)
    timeline = case_service.timeline(case, per_page=TIMELINE_ENTRIES)
    now = utcnow()
    analysis_view = section_context(case)
    page = dict(case=case, analysis_view=analysis_view, sections=REPORT_SECTIONS, timeline=timeline,
                changes_in_words=timeline_words(timeline),
                measures=measures.measures_of(case), actor_names=dict(measures.participant_choices(case, analysis_view["analysis"])),
                follow_ups=follow_ups.follow_ups_of(case),
                now=now, today=todo.local_today(now),
                reviews=reviews.reviews_of(case), attachments=attachment_service.attachments_of(case),
                plugin_fields=plugin_fields, printed_at=now, confidentiality=CONFIDENTIALITY, report_page=True)
    return pdf_download(engine, render_template("cases/report.html", **page),
                        render_template("cases/report.css", **page), f"{case.reference}.pdf")
