"""Every hook is documented with a working example and tested (in the manner of Datasette)."""
import inspect
import re
from pathlib import Path

import pytest
from sqlalchemy import select

from kokoma import hookspecs
from kokoma.database import db
from kokoma.models import Case, CaseEvent
from kokoma.services import analysis, cases

from .conftest import PASSWORD, World

ROOT = Path(__file__).resolve().parent.parent
DOCS = (ROOT / "docs" / "plugins.md").read_text()
HOOKS = sorted(name for name, fn in inspect.getmembers(hookspecs, inspect.isfunction) if name.startswith("kokoma_"))


def example_for(hook: str) -> str:
    section = re.search(rf"^### `{hook}`\n(.*?)(?=^### |\Z)", DOCS, re.S | re.M)
    assert section, f"docs/plugins.md has no section for {hook}"
    code = re.search(r"```python\n(.*?)```", section.group(1), re.S)
    assert code, f"the section on {hook} has no example"
    return code.group(1)


def test_there_are_hooks():
    assert len(HOOKS) == 12


@pytest.mark.parametrize("hook", HOOKS)
def test_every_signature_written_in_the_docs_is_the_code_s(hook):
    spec = set(inspect.signature(getattr(hookspecs, hook)).parameters)
    written = re.findall(rf"`{hook}\(([^)]*)\)`", DOCS)
    assert written, f"docs/plugins.md writes no signature of {hook}"
    for arguments in written:
        assert [a.strip() for a in arguments.split(",") if a.strip()] == list(inspect.signature(getattr(hookspecs, hook)).parameters)
    example = re.search(rf"def {hook}\(([^)]*)\)", example_for(hook)).group(1)
    assert {a.strip() for a in example.split(",") if a.strip()} <= spec, f"the example of {hook} takes arguments the hook has not"


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_has_a_docstring_that_says_when_with_what_and_what_it_returns(hook):
    doc = inspect.getdoc(getattr(hookspecs, hook)) or ""
    assert "Called" in doc, f"{hook}: say when it is called"
    assert re.search(r"[Rr]eturn", doc), f"{hook}: say what a return value means"


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_is_documented_with_an_example_implementing_it(hook):
    example = example_for(hook)
    assert f"def {hook}(" in example


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_is_tested(hook):
    """A hook counts as tested when a test module other than this one implements or names it."""
    others = [p for p in (ROOT / "tests").glob("test_*.py") if p.name != Path(__file__).name]
    assert any(hook in p.read_text() for p in others), f"no test exercises {hook}"


def test_the_documented_examples_work_together(make_app, tmp_path):
    folder = tmp_path / "plugins"
    folder.mkdir()
    for hook in HOOKS:
        (folder / f"example_{hook}.py").write_text(example_for(hook))
    app = make_app(PLUGINS_DIR=str(folder))
    implemented = {hook for name, hooks in app.extensions["kokoma"].plugins.listing() if name.startswith("plugins/example_") for hook in hooks}
    assert implemented == set(HOOKS)

    with app.test_request_context():
        world = World()
        from kokoma.models import Partner

        db.session.add(Partner(municipality_id=world.musterstadt.id, name="Jugendamt", email="ja@mst.example"))
        db.session.commit()
        change = cases.create_case(world.facilitator, cases.CaseInput(
            title="Bolzplatz", category="public_space", glasl_stage=3, violence_reported=True,
            extra={"reported_by": "school"},
        ))
        case = world.actors(change.case, "Anwohnende, Verein", "Kinder im Quartier")
        world.complete_analysis(case)
        case = db.session.get(Case, case.id)
        assert ("minors_affected", 10, "plugins/example_kokoma_escalation_factors") in [
            (f["key"], f["points"], f["plugin"]) for f in case.escalation_factors
        ]
        cases.fire_trigger(world.facilitator, case.id, "start_processing", "", None)
        assert cases.fire_trigger(world.facilitator, case.id, "pause", "Ferien", None).case.state == "on_hold"
        cases.fire_trigger(world.facilitator, case.id, "resume", "", None)
        with pytest.raises(Exception, match="coordinator|Koordination"):
            cases.fire_trigger(world.facilitator, case.id, "close", "fertig", None)
        assert cases.fire_trigger(world.coordinator, case.id, "close", "fertig", None).case.state == "closed"
        errors = db.session.scalars(select(CaseEvent).where(CaseEvent.kind == "plugin_error")).all()
        assert errors == []
        from kokoma import notifications
        from kokoma.runtime import kokoma

        notifications.deliver_due(kokoma().plugins)
        drop = sorted(Path(app.instance_path, "partner-drop").glob("*.json"))
        assert len(drop) == 6  # created, its escalation alert, four transitions; one partner
        analysis.save_fields(world.facilitator, case.id, {"connectors": "none"})
        assert ("no_connectors", 10, "plugins/example_kokoma_analysis_fields") in [
            (f["key"], f["points"], f["plugin"]) for f in db.session.get(Case, case.id).escalation_factors
        ]

    client = app.test_client()
    client.post("/login", data={"email": "fac@mst.example", "password": PASSWORD})
    assert 'name="extra_reported_by"' in client.get("/cases/new").get_data(as_text=True)
    assert 'name="fields-extra_connectors"' in client.get(f"/cases/{case.id}/analysis/").get_data(as_text=True)
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "betrifft den Krisenstab" in page and case.reference in page
    assert "<h1>Hotline</h1>" in client.get("/hotline/").get_data(as_text=True)
    assert 'href="/hotline/"' not in page  # the menu link is for coordinators
    client.post("/logout")
    client.post("/login", data={"email": "coord@mst.example", "password": PASSWORD})
    assert 'href="/hotline/"' in client.get("/cases/").get_data(as_text=True)
    partner_form = client.get("/partners/new").get_data(as_text=True)
    assert 'name="extra_hotline_id"' in partner_form
    result = app.test_cli_runner().invoke(args=["hotline-hello"])
    assert result.exit_code == 0 and "Hallo von der Hotline" in result.output
