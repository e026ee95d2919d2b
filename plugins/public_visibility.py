"""Example local plugin: how publicly visible is the conflict?

Adds a field "public visibility" to the case form and scores it: a conflict fought out in the
regional or national media escalates faster and reaches more people (DOMAIN.md names public
visibility as one of the signals of the escalation score). Copy this file to start your own.
"""
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import SelectChoice, SelectField

from kokoma import hookimpl

VISIBILITY = {
    "": (_l("not known"), 0),
    "private": (_l("among those involved only"), 0),
    "local": (_l("local public (neighbourhood, local press)"), 5),
    "regional": (_l("regional media or large social media reach"), 10),
    "national": (_l("national media"), 15),
}


@hookimpl
def kokoma_case_form_fields(municipality):
    return {
        "public_visibility": SelectField(
            _l("Public visibility"),
            choices=[SelectChoice(key, label) for key, (label, _points) in VISIBILITY.items()],
            default="",
        )
    }


@hookimpl
def kokoma_escalation_factors(case):
    key = (case.extra or {}).get("public_visibility") or ""
    label, points = VISIBILITY.get(key, VISIBILITY[""])
    if points:
        return [("public_visibility", points, _("Public visibility: %(level)s", level=label))]
    return None
