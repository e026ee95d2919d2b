"""Default escalation factors: the Glasl stage and reported violence or threats."""
from flask_babel import gettext as _

from ..domain import GLASL_STAGES
from ..i18n import Label as _label
from ..plugin_api import Plugin
from ..plugin_host import hookimpl

KOKOMA_PLUGIN = Plugin(
    name="kokoma.defaults.escalation",
    description=_label("Escalation factors: the Glasl stage and reported violence or threats."),
)


# Points per Glasl stage: the win-lose stages (4-6) reach "elevated" and "high",
# the lose-lose stages (7-9) "high" and "critical" on their own.
GLASL_POINTS = {1: 5, 2: 10, 3: 20, 4: 30, 5: 40, 6: 55, 7: 65, 8: 80, 9: 90}
VIOLENCE_POINTS = 20


@hookimpl
def kokoma_escalation_factors(case):
    factors = []
    if case.glasl_stage:
        factors.append((
            "glasl_stage",
            GLASL_POINTS[case.glasl_stage],
            _("Glasl stage %(stage)d (%(name)s)", stage=case.glasl_stage, name=GLASL_STAGES[case.glasl_stage]),
        ))
    if case.violence_reported:
        factors.append(("violence_reported", VIOLENCE_POINTS, _("Violence or threats were reported")))
    return factors
