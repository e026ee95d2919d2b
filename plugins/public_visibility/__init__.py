"""Example local plugin: how publicly visible is the conflict?

Adds a field "public visibility" to the case form and scores it: a conflict fought out in the
regional or national media escalates faster and reaches more people (DOMAIN.md names public
visibility as one of the signals of the escalation score). It declares itself (a stable name, a
setting, its own German catalogue in ``translations/``) and is tested on KoKoMa's fixtures
(``tests/test_example_plugin.py``). Copy this folder to start your own, or run
``flask --app kokoma plugin new NAME``.
"""
from pathlib import Path

from wtforms import SelectChoice, SelectField

from kokoma import Plugin, Setting, hookimpl, lazy_gettext_for

_l = lazy_gettext_for("public_visibility")  # this plugin's own catalogue, in translations/

KOKOMA_PLUGIN = Plugin(
    name="public_visibility",
    description=_l("Public visibility of a conflict as a form field and an escalation factor."),
    version="1.0",
    settings=(
        Setting("national_points", int, default=15, label=_l("Points for national media"),
                help=_l("Added to the score of a conflict in the national media."),
                validate=lambda points: None if 0 <= points <= 40 else _l("Between 0 and 40, please.")),
    ),
    translations=Path(__file__).resolve().parent / "translations",
)

VISIBILITY = {
    "": (_l("not known"), 0),
    "private": (_l("among those involved only"), 0),
    "local": (_l("local public (neighbourhood, local press)"), 5),
    "regional": (_l("regional media or large social media reach"), 10),
    "national": (_l("national media"), None),  # the setting "national_points"
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
    if points is None:
        points = KOKOMA_PLUGIN.settings_for(case)["national_points"]
    if points:
        return [("public_visibility", points, KOKOMA_PLUGIN.reason("Public visibility: %(level)s", level=label))]
    return None
