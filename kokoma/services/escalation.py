"""The escalation score: the sum of the factors that plugins give, clamped to 0-100."""
from flask import current_app
from flask_babel import force_locale

from ..database import db
from ..domain import level_for
from ..plugin_host import PluginFailure
from ..runtime import kokoma
from .analysis_snapshot import Analysis


def rescore(case) -> list[PluginFailure]:
    """Recompute and store the score, level and factors of ``case``; returns plugin failures.

    Reasons are stored in the default language, so the record reads the same for everybody.
    """
    # No autoflush while plugins read the analysis: the case's own pending change is written
    # once, with its new score, not once before and once after (one version per change).
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]), db.session.no_autoflush:
        results, failures = kokoma().plugins.call_each("kokoma_escalation_factors", case=case, analysis=Analysis(case))
        factors = []
        for plugin, returned in results:
            try:
                factors.extend(_factor(plugin, item) for item in returned or ())
            except (TypeError, ValueError) as exc:
                failures.append(PluginFailure(plugin, "kokoma_escalation_factors", f"invalid factor: {exc}"))
    score = max(0, min(100, sum(f["points"] for f in factors)))
    case.escalation_score = score
    case.escalation_level = level_for(score)
    case.escalation_factors = factors
    case.peak_escalation_score = max(case.peak_escalation_score or 0, score)
    return failures


def _factor(plugin: str, item) -> dict:
    key, points, reason = item
    if isinstance(points, bool) or not isinstance(points, int):
        raise ValueError(f"points of {key!r} must be an integer, not {points!r}")
    return {"key": str(key), "points": points, "reason": str(reason), "plugin": plugin}
