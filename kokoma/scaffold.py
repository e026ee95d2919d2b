"""``flask --app kokoma plugin new NAME``: an installable plugin package whose test passes at once.

What it writes (``kokoma-<name>/``): ``pyproject.toml`` with the entry point in the group
``kokoma`` and the ini option that makes the KoKoMa fixtures load the plugin; the package
``kokoma_<name>/`` with its declaration, a setting and one hook (an escalation factor); its German
catalogue in ``translations/``; a test on the fixtures; a README.
"""
import keyword
import re
from pathlib import Path


class ScaffoldError(ValueError):
    pass


NAME = re.compile(r"^[a-z][a-z0-9_]{1,39}$")

PYPROJECT = '''[build-system]
requires = ["hatchling>=1.24"]
build-backend = "hatchling.build"

[project]
name = "kokoma-{dash}"
version = "0.1.0"
description = "KoKoMa plugin {name}"
requires-python = ">=3.11"
dependencies = ["kokoma"]

[project.entry-points.kokoma]
{name} = "kokoma_{name}"

[tool.hatch.build.targets.wheel]
packages = ["kokoma_{name}"]

[tool.pytest.ini_options]
kokoma_plugins = ["kokoma_{name}"]
'''

PACKAGE = '''"""KoKoMa plugin {name}: raises the escalation score of cases that name a school."""
from pathlib import Path

from kokoma import Plugin, Setting, hookimpl

KOKOMA_PLUGIN = Plugin(
    name="{name}",  # its stable name: keep it when the plugin moves or is re-installed
    description="Cases that concern a school score higher.",
    settings=(
        Setting("school_points", int, default=10, label="Points when a school is concerned",
                validate=lambda points: None if 0 <= points <= 50 else "Between 0 and 50, please."),
    ),
    translations=Path(__file__).resolve().parent / "translations",
)
_ = KOKOMA_PLUGIN.gettext


@hookimpl
def kokoma_escalation_factors(case, analysis):
    if any("schule" in actor.name.lower() for actor in analysis.actors):
        points = KOKOMA_PLUGIN.settings_for(case)["school_points"]
        return [("{name}_school", points, _("A school is concerned"))]
    return None
'''

CATALOGUE = '''msgid ""
msgstr ""
"Project-Id-Version: kokoma-{dash} 0.1.0\\n"
"Language: de\\n"
"MIME-Version: 1.0\\n"
"Content-Type: text/plain; charset=utf-8\\n"
"Content-Transfer-Encoding: 8bit\\n"

msgid "A school is concerned"
msgstr "Eine Schule ist betroffen"
'''

TEST = '''"""Runs on the fixtures KoKoMa ships (kokoma.testing): an app with this plugin, users, cases."""


def test_a_case_concerning_a_school_scores_higher(kokoma_make_case):
    case = kokoma_make_case(affected_groups="Schülerinnen und Schüler der Gesamtschule", glasl_stage=3)
    factors = {{f["key"]: f["points"] for f in case.escalation_factors}}
    assert factors == {{"glasl_stage": 20, "{name}_school": 10}}
    assert case.escalation_score == 30


def test_the_reason_shows_in_german_and_english(kokoma_make_case, kokoma_users, kokoma_login):
    case = kokoma_make_case(affected_groups="Grundschule am Park")
    client = kokoma_login(kokoma_users.facilitator)
    assert "Eine Schule ist betroffen" in client.get(f"/cases/{{case.id}}").get_data(as_text=True)
    client.post("/language", data={{"locale": "en"}})
    assert "A school is concerned" in client.get(f"/cases/{{case.id}}").get_data(as_text=True)


def test_switched_off_for_the_municipality_it_does_not_score(kokoma_make_case, kokoma_users):
    from kokoma.services import plugins

    plugins.switch(kokoma_users.coordinator, "{name}", False)
    case = kokoma_make_case(affected_groups="Gesamtschule")
    assert "{name}_school" not in {{f["key"] for f in case.escalation_factors}}
'''

README = '''# kokoma-{dash}

A KoKoMa plugin. Install it next to KoKoMa and run its tests:

    pip install -e .
    pytest

Translations: add strings with `KOKOMA_PLUGIN.gettext`, then extract and update the catalogue
(`pybabel extract -k _ -o {name}.pot kokoma_{name}` and `pybabel update -D {name} -i {name}.pot
-d kokoma_{name}/translations -l de`); KoKoMa compiles it when the app starts.
'''


def write_scaffold(name: str, directory) -> Path:
    if not NAME.match(name) or keyword.iskeyword(name):
        raise ScaffoldError(f"{name!r}: the name is a lower-case identifier of 2-40 characters (letters, digits, _)")
    folder = Path(directory) / f"kokoma-{name.replace('_', '-')}"
    if folder.exists():
        raise ScaffoldError(f"{folder} exists already")
    values = {"name": name, "dash": name.replace("_", "-")}
    files = {
        "pyproject.toml": PYPROJECT,
        f"kokoma_{name}/__init__.py": PACKAGE,
        f"kokoma_{name}/translations/de/LC_MESSAGES/{name}.po": CATALOGUE,
        f"tests/test_{name}.py": TEST,
        "README.md": README,
    }
    for path, template in files.items():
        target = folder / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(template.format(**values), encoding="utf-8")
    return folder
