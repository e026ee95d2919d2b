"""Default escalation factors: the Glasl stage, reported violence or threats, and from the analysis
a high threat assessment of a group heard, an actor openly anti-democratic, the tandem's disagreement."""
from flask_babel import gettext as _

from ..domain import GLASL_STAGES
from ..i18n import Label as _label
from ..plugin_api import Plugin
from ..plugin_host import hookimpl

KOKOMA_PLUGIN = Plugin(
    name="kokoma.defaults.escalation",
    description=_label("Escalation factors: the Glasl stage, reported violence or threats, a highly threatened "
                       "group heard, an openly anti-democratic actor and the tandem's disagreement."),
)


# Points per Glasl stage: the win-lose stages (4-6) reach "elevated" and "high",
# the lose-lose stages (7-9) "high" and "critical" on their own.
GLASL_POINTS = {1: 5, 2: 10, 3: 20, 4: 30, 5: 40, 6: 55, 7: 65, 8: 80, 9: 90}
VIOLENCE_POINTS = 20
HIGH_THREAT_POINTS = 15
ANTI_DEMOCRATIC_POINTS = 15
TANDEM_DISAGREEMENT_POINTS = 10


@hookimpl
def kokoma_escalation_factors(case, analysis):
    factors = []
    if case.glasl_stage:
        factors.append((
            "glasl_stage",
            GLASL_POINTS[case.glasl_stage],
            _("Glasl stage %(stage)d (%(name)s)", stage=case.glasl_stage, name=GLASL_STAGES[case.glasl_stage]),
        ))
    if case.violence_reported:
        factors.append(("violence_reported", VIOLENCE_POINTS, _("Violence or threats were reported")))
    if analysis.highest_threat == "high":
        factors.append(("high_threat", HIGH_THREAT_POINTS, _("An affected group heard is assessed as highly threatened")))
    if analysis.flagged_actors:
        factors.append(("anti_democratic_actor", ANTI_DEMOCRATIC_POINTS,
                        _("An actor is openly anti-democratic and unwilling to talk")))
    if analysis.tandem_disagrees:
        factors.append(("tandem_disagreement", TANDEM_DISAGREEMENT_POINTS,
                        _("The tandem's Glasl assessments lie %(stages)d stages apart", stages=analysis.tandem_gap)))
    return factors
