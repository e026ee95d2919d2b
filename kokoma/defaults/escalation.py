"""Default escalation factors: the Glasl stage and reported violence or threats."""
from flask_babel import gettext as _

from ..domain import GLASL_STAGES
from ..plugin_host import hookimpl

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
