"""The default workflow of the KoKoMa method: analysis, processing, prevention, closed."""
from flask_babel import gettext as _
from sqlalchemy import exists, select

from ..database import db
from ..i18n import Label as _l
from ..models import CaseEvent
from ..i18n import Label as _label
from ..plugin_api import Plugin
from ..plugin_host import hookimpl

KOKOMA_PLUGIN = Plugin(
    name="kokoma.defaults.workflow",
    description=_label("The workflow of the method: analysis, processing, prevention, closed."),
)


def analysis_complete(request):
    case = request.case
    missing = []
    if not case.glasl_stage:
        missing.append(_("Glasl stage"))
    if not (case.parties or "").strip():
        missing.append(_("parties involved"))
    if not (case.affected_groups or "").strip():
        missing.append(_("affected groups"))
    if missing:
        return _("The analysis is not complete yet. Missing: %(fields)s.", fields=", ".join(missing))
    return None


def processing_step_recorded(request):
    has_measure = db.session.scalar(
        select(exists().where(CaseEvent.case_id == request.case.id, CaseEvent.kind == "measure"))
    )
    if not has_measure:
        return _("Record at least one measure of the processing first.")
    return None


@hookimpl(tryfirst=True)  # the base that other plugins' kokoma_workflow extend
def kokoma_workflow(workflow):
    workflow.add_state("analysis", _l("Analysis"), initial=True)
    workflow.add_state("processing", _l("Processing"))
    workflow.add_state("prevention", _l("Prevention"))
    workflow.add_state("closed", _l("Closed"), final=True)

    workflow.add_transition(
        "start_processing", "analysis", "processing", _l("Start processing"), guards=[analysis_complete]
    )
    workflow.add_transition(
        "start_prevention", "processing", "prevention", _l("Move to prevention"),
        guards=[processing_step_recorded],
    )
    workflow.add_transition(
        "close", ["processing", "prevention"], "closed", _l("Close with a summary"), requires_comment=True
    )
    workflow.add_transition(
        "reanalyse", ["processing", "prevention"], "analysis", _l("Analyse again"),
        requires_comment=True, direction="back",
    )
    workflow.add_transition(
        "reactivate", "prevention", "processing", _l("Reactivate"), requires_comment=True, direction="back"
    )
    workflow.add_transition(
        "reopen", "closed", "analysis", _l("Reopen"), requires_comment=True, direction="back"
    )
