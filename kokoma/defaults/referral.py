"""Where multi-partiality ends: the state ``referral`` (Verweisung), reached by ``refer`` from
analysis and processing once the advisor has confirmed the facilitator's proposal (four eyes,
services.referral); from there back to analysis or closed."""
from flask_babel import gettext as _

from ..database import db
from ..i18n import Label as _l
from ..plugin_api import Plugin
from ..plugin_host import hookimpl
from ..services import referral
from ..services.referral_rules import REFERRAL_STATE

KOKOMA_PLUGIN = Plugin(
    name="kokoma.defaults.referral",
    description=_l("Where multi-partiality ends: the state Referred, reached by Refer once the advisor confirmed it."),
)


def referral_agreed(request):
    if not referral.is_agreed(request.case.id):
        return _("A referral is proposed in the analysis section and needs the advisor's confirmation, "
                 "given from the review queue.")
    return None


@hookimpl
def kokoma_workflow(workflow):
    workflow.add_state(REFERRAL_STATE, _l("Referred"))
    workflow.add_transition(referral.REFER, ["analysis", "processing"], REFERRAL_STATE, _l("Refer"),
                            requires_comment=True, guards=[referral_agreed])
    workflow.add_transition("end_referral", REFERRAL_STATE, "analysis", _l("End the referral and analyse again"),
                            requires_comment=True, direction="back")
    workflow.add_transition("close", REFERRAL_STATE, "closed", _l("Close with a summary"), requires_comment=True)


@hookimpl
def kokoma_case_event(case, event):
    if event.kind == "transition" and event.from_state == REFERRAL_STATE:
        referral.end_referrals(db.session, case.id)
