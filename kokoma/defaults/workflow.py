"""The default workflow of the KoKoMa method: analysis, processing, prevention, closed."""
from flask_babel import gettext as _
from ..i18n import Label as _l
from ..i18n import Label as _label
from ..plugin_api import Plugin
from ..plugin_host import hookimpl
from ..services.analysis_snapshot import Analysis
from ..services import measures

KOKOMA_PLUGIN = Plugin(
    name="kokoma.defaults.workflow",
    description=_label("The workflow of the method: analysis, processing, prevention, closed."),
)


def analysis_complete(request):
    missing = Analysis(request.case).missing()
    if missing:
        return _("The analysis is not complete yet. Missing: %(fields)s.", fields=", ".join(missing))
    return None


def measure_done(request):
    if not measures.has_done_measure(request.case.id):
        return _("Complete at least one measure of the processing first (status “done”).")
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
        guards=[measure_done],
    )
    workflow.add_transition(
        "close", ["processing", "prevention"], "closed", _l("Close with a closing report"), requires_comment=True
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
