"""Plugins from a plugins folder and from installed packages extend every hook; failures lose nothing."""
import sys
import textwrap

import pluggy
import pytest
from sqlalchemy import func, select

from kokoma.database import db
from kokoma.models import Case, CaseEvent, Delivery, Partner
from kokoma.services import cases
from kokoma.workflow import TransitionBlocked

from .conftest import PASSWORD, World

LOCAL_PLUGIN = '''
from wtforms import StringField
from kokoma import hookimpl


@hookimpl
def kokoma_workflow(workflow):
    workflow.add_state("on_hold", "Ruhend")
    workflow.add_transition("pause", "processing", "on_hold", "Ruhen lassen", requires_comment=True)
    workflow.add_transition("resume", "on_hold", "processing", "Wieder aufnehmen")
    workflow.add_guard("close", lambda request: None if request.case.extra.get("press_contact")
                       else "Pressekontakt fehlt")


@hookimpl
def kokoma_escalation_factors(case):
    if case.extra.get("press_contact"):
        return [("press", 7, "Presse ist informiert")]


@hookimpl
def kokoma_transition_guard(case, trigger, user):
    if trigger == "resume" and "Schutz" not in case.description:
        return "Erst das Schutzkonzept klären"


@hookimpl
def kokoma_case_form_fields(municipality):
    return {"press_contact": StringField("Pressekontakt")}
'''


def write_plugin(folder, name, source):
    folder.mkdir(exist_ok=True)
    (folder / f"{name}.py").write_text(textwrap.dedent(source))


@pytest.fixture
def plugin_app(make_app, tmp_path):
    write_plugin(tmp_path / "plugins", "local_rules", LOCAL_PLUGIN)
    return make_app(PLUGINS_DIR=str(tmp_path / "plugins"))


@pytest.fixture
def plugin_world(plugin_app):
    with plugin_app.test_request_context():
        yield World()


def test_a_folder_plugin_adds_a_factor_state_guard_and_form_field(plugin_app, plugin_world):
    world = plugin_world
    case = world.analysed_case(extra={"press_contact": "Lokalzeitung"}, description="Ohne Konzept")
    assert {f["key"]: f["points"] for f in case.escalation_factors} == {"glasl_stage": 20, "press": 7}
    assert case.escalation_score == 27

    cases.fire_trigger(world.facilitator, case.id, "start_processing", "", None)
    case = cases.fire_trigger(world.facilitator, case.id, "pause", "Sommerpause", None).case
    assert case.state == "on_hold"
    with pytest.raises(TransitionBlocked, match="Schutzkonzept"):
        cases.fire_trigger(world.facilitator, case.id, "resume", "", None)

    other = world.analysed_case()
    cases.fire_trigger(world.facilitator, other.id, "start_processing", "", None)
    with pytest.raises(TransitionBlocked, match="Pressekontakt fehlt"):
        cases.fire_trigger(world.facilitator, other.id, "close", "fertig", None)


def test_a_plugin_form_field_is_shown_and_stored(plugin_app, plugin_world):
    client = plugin_app.test_client()
    client.post("/login", data={"email": "fac@mst.example", "password": PASSWORD})
    assert "Pressekontakt" in client.get("/cases/new").get_data(as_text=True)
    response = client.post("/cases/new", data={
        "title": "Graffiti am Jugendhaus", "category": "polarisation", "extra_press_contact": "WDR Lokalzeit",
        "facilitator_id": str(plugin_world.facilitator.id),
    })
    assert response.status_code == 302, response.get_data(as_text=True)
    case = db.session.scalars(select(Case).where(Case.title == "Graffiti am Jugendhaus")).one()
    assert case.extra == {"press_contact": "WDR Lokalzeit"}
    detail = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "Presse ist informiert" in detail
    assert "<dt>Pressekontakt</dt><dd>WDR Lokalzeit</dd>" in detail


def test_plugins_command_lists_plugins_and_their_hooks(plugin_app):
    result = plugin_app.test_cli_runner().invoke(args=["plugins"])
    assert result.exit_code == 0
    assert "plugins/local_rules" in result.output
    for hook in ("kokoma_workflow", "kokoma_transition_guard", "kokoma_case_form_fields"):
        assert hook in result.output
    assert "kokoma.defaults.escalation" in result.output


def test_a_misspelt_hook_fails_at_start_up(make_app, tmp_path):
    write_plugin(tmp_path / "plugins", "typo", """
        from kokoma import hookimpl

        @hookimpl
        def kokoma_escalation_factor(case):
            return []
    """)
    with pytest.raises(pluggy.PluginValidationError, match="kokoma_escalation_factor"):
        make_app(PLUGINS_DIR=str(tmp_path / "plugins"))


def test_a_plugin_that_cannot_be_imported_fails_at_start_up(make_app, tmp_path):
    write_plugin(tmp_path / "plugins", "broken", "import does_not_exist\n")
    with pytest.raises(RuntimeError, match="broken.py"):
        make_app(PLUGINS_DIR=str(tmp_path / "plugins"))


def test_plugins_from_installed_packages_are_loaded(make_app, tmp_path, monkeypatch):
    """A package announcing itself in the entry point group "kokoma" is loaded."""
    site = tmp_path / "site"
    (site / "kokoma_extra_plugin").mkdir(parents=True)
    (site / "kokoma_extra_plugin" / "__init__.py").write_text(textwrap.dedent('''
        from kokoma import hookimpl

        @hookimpl
        def kokoma_escalation_factors(case):
            return [("installed", 3, "Aus einem installierten Paket")]
    '''))
    dist = site / "kokoma_extra_plugin-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: kokoma-extra-plugin\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[kokoma]\nextra = kokoma_extra_plugin\n")
    monkeypatch.syspath_prepend(str(site))
    app = make_app(LOAD_ENTRYPOINT_PLUGINS=True)
    with app.test_request_context():
        case = World().case()
        assert [(f["key"], f["points"], f["reason"], f["plugin"]) for f in case.escalation_factors] == [
            ("installed", 3, "Aus einem installierten Paket", "extra")]
    sys.modules.pop("kokoma_extra_plugin", None)


def test_each_app_has_its_own_plugin_manager(make_app, tmp_path):
    write_plugin(tmp_path / "plugins", "local_rules", LOCAL_PLUGIN)
    plain, extended = make_app(), make_app(PLUGINS_DIR=str(tmp_path / "plugins"))
    assert plain.extensions["kokoma"].plugins.pm is not extended.extensions["kokoma"].plugins.pm
    assert "on_hold" not in plain.extensions["kokoma"].workflow.machine.states
    assert "on_hold" in extended.extensions["kokoma"].workflow.machine.states


# --- a failing plugin never loses a person's work -----------------------------------------

CRASHING_PLUGIN = '''
from kokoma import hookimpl
from kokoma.models import Partner


@hookimpl
def kokoma_escalation_factors(case):
    raise ValueError("scoring service down")


@hookimpl
def kokoma_transition_guard(case, trigger, user):
    raise KeyError("guard table missing")


@hookimpl
def kokoma_case_event(case, event):
    from kokoma.database import db
    db.session.add(Partner(municipality_id=case.municipality_id, name="half-written", email="x@y.example"))
    db.session.flush()
    raise RuntimeError("event hook broke")


@hookimpl
def kokoma_case_form_fields(municipality):
    raise TypeError("form plugin broke")


@hookimpl
def kokoma_notify_partners(case, event, partners, delivery):
    raise ConnectionError("partner system unreachable")
'''


@pytest.fixture
def crashing_app(make_app, tmp_path):
    write_plugin(tmp_path / "plugins", "crashing", CRASHING_PLUGIN)
    return make_app(PLUGINS_DIR=str(tmp_path / "plugins"))


def test_a_crashing_plugin_never_loses_the_change(crashing_app):
    with crashing_app.test_request_context():
        world = World()
        db.session.add(Partner(municipality_id=world.musterstadt.id, name="Jugendamt", email="ja@mst.example"))
        db.session.commit()
        change = cases.create_case(world.facilitator, cases.CaseInput(
            title="Drohbriefe an den Ortsbeirat", category="anti_democratic",
            glasl_stage=6,
        ))
        case = world.complete_analysis(world.actors(change.case, "Ortsbeirat", "Mitglieder des Ortsbeirats")) or change.case
        assert case.id and case.escalation_score == 55  # the default factors still count
        assert {f.hook for f in change.plugin_failures} == {"kokoma_escalation_factors", "kokoma_case_event"}

        moved = cases.fire_trigger(world.facilitator, case.id, "start_processing", "", None)
        assert moved.case.state == "processing"  # a raising guard does not block
        assert "kokoma_transition_guard" in {f.hook for f in moved.plugin_failures}

        db.session.expire_all()
        errors = db.session.scalars(
            select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.kind == "plugin_error")
        ).all()
        assert {(e.payload["plugin"], e.payload["hook"]) for e in errors} >= {
            ("plugins/crashing", "kokoma_escalation_factors"),
            ("plugins/crashing", "kokoma_case_event"),
            ("plugins/crashing", "kokoma_transition_guard"),
        }
        # The event hook's own half-done writes were rolled back to its savepoint.
        assert db.session.scalar(select(func.count()).select_from(Partner)) == 1
        # A failing channel leaves its deliveries queued for a retry instead of undoing anything.
        from kokoma import notifications
        from kokoma.runtime import kokoma

        notifications.deliver_due(kokoma().plugins)
        db.session.expire_all()
        failing = db.session.scalars(
            select(Delivery).where(Delivery.case_id == case.id, Delivery.channel == "plugins/crashing")
        ).all()
        assert len(failing) == 3  # created, its escalation alert (elevated), the transition
        assert all(d.status == "pending" and d.attempts == 1 for d in failing)
        assert all("partner system unreachable" in d.last_error for d in failing)


def test_the_page_names_the_failing_plugin_and_keeps_the_input(crashing_app):
    with crashing_app.test_request_context():
        World()
    client = crashing_app.test_client()
    client.post("/login", data={"email": "fac@mst.example", "password": PASSWORD})
    form_page = client.get("/cases/new").get_data(as_text=True)
    assert "plugins/crashing" in form_page and "kokoma_case_form_fields" in form_page
    response = client.post("/cases/new", data={"title": "Drohbriefe", "category": "anti_democratic"}, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Drohbriefe" in page and "plugins/crashing" in page and "scoring service down" in page
    assert "guard table missing" in page  # the case page lists the next steps through the guards


def test_a_crashing_workflow_plugin_stops_the_start_up(make_app, tmp_path):
    write_plugin(tmp_path / "plugins", "bad_workflow", """
        from kokoma import hookimpl

        @hookimpl
        def kokoma_workflow(workflow):
            workflow.add_transition("archive", "closed", "archived", "Archivieren")
    """)
    with pytest.raises(Exception, match="archived"):
        make_app(PLUGINS_DIR=str(tmp_path / "plugins"))


def test_the_shipped_example_plugin_scores_public_visibility(make_app):
    from pathlib import Path

    app = make_app(PLUGINS_DIR=str(Path(__file__).resolve().parent.parent / "plugins"))
    with app.test_request_context():
        world = World()
        case = world.case(glasl_stage=4, extra={"public_visibility": "regional"})
        assert case.escalation_score == 40
        assert ("public_visibility", 10) in [(f["key"], f["points"]) for f in case.escalation_factors]
    client = app.test_client()
    client.post("/login", data={"email": "fac@mst.example", "password": PASSWORD})
    assert 'name="extra_public_visibility"' in client.get("/cases/new").get_data(as_text=True)
    detail = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "regional" in detail
