"""Where multi-partiality ends: what a referred case refuses. One function per rule, for every
place that records a measure to call (today's measure events, and measure records later)."""
from flask_babel import gettext as _

from .analysis_snapshot import Analysis

REFERRAL_STATE = "referral"  # the state the default referral plugin adds
# Measures that bring the parties to talk: none with an actor openly anti-democratic and
# unwilling to talk while the case is referred.
TALKING_MEASURES = ("dialogue", "mediation")


def measure_refusal(case, kind: str, *, actor_ids=None) -> str | None:
    """Why a measure of ``kind`` cannot be recorded on ``case`` now, or None when it can.

    While the case is in referral, a dialogue or a mediation with an actor flagged openly
    anti-democratic is refused. ``actor_ids`` are the actors the measure involves, where the
    measure says so; a measure that does not say whom it involves (today's measure events) is
    refused while a flagged actor is in the analysis, since it cannot rule that actor out.
    """
    if case.state != REFERRAL_STATE or kind not in TALKING_MEASURES:
        return None
    flagged = Analysis(case).flagged_actors
    if actor_ids is not None:
        flagged = [actor for actor in flagged if actor.id in set(actor_ids)]
    if not flagged:
        return None
    return _("While the case is referred, there is no dialogue or mediation with %(actors)s (openly "
             "anti-democratic and unwilling to talk): multi-partiality ends here. Record another kind of "
             "measure, or end the referral first.", actors=", ".join(actor.name for actor in flagged))
