"""Showing a case's persons by their names to its advisors and partners, where the municipality
reads them as pseudonyms, and revoking it: case changes, each in the case's timeline. (Reading
as pseudonyms is :mod:`kokoma.services.pseudonyms`; the notifications read through it, so these
changes, which go through :func:`~kokoma.services.changes.changing_case`, live apart.)"""
from flask_babel import lazy_gettext as _l

from ..models import PseudonymLift
from .changes import changing_case
from .errors import ValidationError
from .pseudonyms import enabled_for


def lift(user, case_id: int, reason: str, once=None):
    """Let the case's advisors and partners read its persons by their names; the reason goes into
    the timeline."""
    if not (reason or "").strip():
        raise ValidationError({"reason": _l("Please give the reason why the names are shown.")})
    with changing_case(user, case_id, "case.pseudonyms", once=once) as change:
        if not enabled_for(change.case.municipality_id):
            raise ValidationError({"reason": _l("Your municipality shows the names to advisors and partners anyway.")})
        if change.session.get(PseudonymLift, case_id) is not None:
            raise ValidationError({"reason": _l("The names are already shown for this case.")})
        event = change.record("pseudonyms_lifted", notify=False, comment=reason.strip())
        change.session.add(PseudonymLift(case_id=case_id, event_id=event.id, lifted_by_id=user.id))
    return change


def restore(user, case_id: int, once=None):
    """Revoke the lifting: the case's advisors and partners read pseudonyms again."""
    with changing_case(user, case_id, "case.pseudonyms", once=once) as change:
        existing = change.session.get(PseudonymLift, case_id)
        if existing is None:
            raise ValidationError({"reason": _l("The names are not shown for this case.")})
        change.session.delete(existing)
        change.record("pseudonyms_restored", notify=False)
    return change
