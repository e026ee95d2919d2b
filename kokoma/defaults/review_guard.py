"""Closing a case that was ever high or critical needs a review given by the external advisor."""
from flask_babel import gettext as _

from ..domain import LEVEL_THRESHOLDS
from ..i18n import Label as _label
from ..plugin_api import Plugin
from ..plugin_host import hookimpl

from ..services.reviews import has_given_review

KOKOMA_PLUGIN = Plugin(
    name="kokoma.defaults.review_guard",
    description=_label("A case that was ever high or critical is closed only after the advisor's review."),
)

HIGH = dict(LEVEL_THRESHOLDS)["high"]


@hookimpl
def kokoma_transition_guard(case, trigger, user):
    if trigger == "close" and case.peak_escalation_score >= HIGH and not has_given_review(case.id):
        return _("This case was highly escalated: it is closed only after the external advisor has given a review.")
    return None
