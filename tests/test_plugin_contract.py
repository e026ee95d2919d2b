"""The plugin contract: per-municipality enablement, settings, own pages, stable channels,
malformed returns, duplicates, wrappers, snapshots, translated reasons, the reference."""
import re
import sys
import textwrap
import threading
from pathlib import Path

import pytest
from sqlalchemy import select

from kokoma.database import db
from kokoma.models import Case, CaseEvent, Delivery, Partner, User
from kokoma.plugin_host import PluginLoadError
from kokoma.services import cases
from kokoma.services import plugins as plugin_service
from kokoma.services.changes import changing_case
from kokoma.services.errors import ValidationError
from kokoma.workflow import TransitionBlocked, WorkflowError

from .conftest import PASSWORD, World

ROOT = Path(__file__).resolve().parent.parent

LOCAL = '''
from markupsafe import Markup
from wtforms import BooleanField, StringField
from kokoma import Plugin, Setting, hookimpl

KOKOMA_PLUGIN = Plugin(name="local", channel="hotline", description="Lokale Regeln",
                       settings=(Setting("points", int, default=7, label="Punkte",
                                         validate=lambda v: None if 0 <= v <= 50 else "Zwischen 0 und 50."),
                                 Setting("motto", str, default="")))
SENT = []


@hookimpl
def kokoma_workflow(workflow):
    workflow.add_state("ombuds", "Verwiesen")
    workflow.add_transition("call_ombuds", "analysis", "ombuds", "Verweisen")
    workflow.add_transition("take_back", "ombuds", "analysis", "Zurücknehmen", direction="back")


@hookimpl
def kokoma_escalation_factors(case):
    return [("local", KOKOMA_PLUGIN.settings_for(case)["points"], "Lokaler Faktor")]


@hookimpl
def kokoma_case_form_fields(municipality):
    return {"press": BooleanField("Presse informiert"), "note": StringField("Notiz")}


@hookimpl
def kokoma_case_panel(case, user):
    return Markup("<h2>Lokales Panel</h2>")


@hookimpl
def kokoma_partner_fields(municipality):
    return {"hotline_id": StringField("Hotline-Nummer")}


@hookimpl
def kokoma_notify_partners(case, event, partners, delivery):
    for partner in partners:
        if not partner.extra.get("hotline_id"):
            return False
        SENT.append((partner.extra["hotline_id"], event.kind, event.snapshot["state"], case.state))
    return True
'''


def write(folder, name, source):
    folder.mkdir(exist_ok=True)
    (folder / f"{name}.py").write_text(textwrap.dedent(source))
    return folder


@pytest.fixture
def local_app(make_app, tmp_path):
    return make_app(PLUGINS_DIR=str(write(tmp_path / "plugins", "local", LOCAL)))


@pytest.fixture
def local_world(local_app):
    with local_app.test_request_context():
        yield World()


def keys(case):
    return {f["key"] for f in case.escalation_factors}


def test_a_plugin_reaches_only_the_municipalities_it_is_on_for(local_app, local_world):
    world = local_world
    assert "local" in keys(world.case())
    plugin_service.switch(world.coordinator, "local", False)
    case = world.case()
    assert "local" not in keys(case)  # off in Musterstadt
    assert "local" in keys(world.case(user=world.outsider))  # still on in Beispielhausen
    # its state exists for all, its transitions are offered only where it is on
    assert "ombuds" in local_app.extensions["kokoma"].workflow.definition.states
    options, _failures = local_app.extensions["kokoma"].workflow.options(case, world.facilitator)
    assert "call_ombuds" not in [o.transition.trigger for o in options]
    with pytest.raises(TransitionBlocked):
        cases.fire_trigger(world.facilitator, case.id, "call_ombuds", "", None)
    other = world.case(user=world.outsider)
    assert cases.fire_trigger(world.outsider, other.id, "call_ombuds", "", None).case.state == "ombuds"


def test_the_coordinator_s_page_lists_switches_and_sets(local_app, local_world):
    client = local_app.test_client()
    client.post("/login", data={"email": "coord@mst.example", "password": PASSWORD})
    listing = client.get("/plugins/").get_data(as_text=True)
    assert "local" in listing and "Lokale Regeln" in listing and "kokoma_escalation_factors" in listing
    assert "kokoma.defaults.escalation" in listing
    page = client.get("/plugins/local")
    assert page.status_code == 200 and 'name="setting_points"' in page.get_data(as_text=True)
    bad = client.post("/plugins/local", data={"setting_points": "99", "setting_motto": "x"})
    assert bad.status_code == 422
    text = bad.get_data(as_text=True)
    assert 'id="setting_points-error">Zwischen 0 und 50.' in text and 'value="x"' in text
    assert client.post("/plugins/local", data={"setting_points": "12", "setting_motto": ""}).status_code == 302
    assert [f["points"] for f in local_world.case().escalation_factors if f["key"] == "local"] == [12]
    assert [f["points"] for f in local_world.case(user=local_world.outsider).escalation_factors
            if f["key"] == "local"] == [7]
    assert client.post("/plugins/local", data={"enabled": "0"}).status_code == 302
    assert "local" not in keys(local_world.case())
    assert client.get("/plugins/no-such-plugin").status_code == 404
    client.post("/logout")
    client.post("/login", data={"email": "fac@mst.example", "password": PASSWORD})
    assert client.get("/plugins/").status_code == 403


def test_a_plugin_is_not_switched_off_while_cases_are_in_its_states(local_app, local_world):
    """Its transitions are the only way out of its state: switching it off is refused, with the
    cases to move named and linked, until none of the municipality's cases is there."""
    world = local_world
    case = world.case()
    cases.fire_trigger(world.facilitator, case.id, "call_ombuds", "", None)
    foreign = world.case(user=world.outsider)  # another municipality's case does not count
    cases.fire_trigger(world.outsider, foreign.id, "call_ombuds", "", None)
    with pytest.raises(ValidationError) as refused:
        plugin_service.switch(world.coordinator, "local", False)
    assert set(refused.value.errors) == {"enabled"}
    assert [(u.state, u.cases) for u in plugin_service.cases_in_its_states(world.coordinator, "local")] == [("ombuds", 1)]

    client = local_app.test_client()
    client.post("/login", data={"email": "coord@mst.example", "password": PASSWORD})
    page = client.post("/plugins/local", data={"enabled": "0"})
    html = page.get_data(as_text=True)
    assert page.status_code == 422 and "ohne ihn kämen sie weder weiter noch zurück" in html
    assert 'href="/cases/?state=ombuds">1 Fall in „Verwiesen“</a>' in html
    assert "local" in local_app.extensions["kokoma"].plugins.enabled(world.musterstadt.id)
    english = client.post("/plugins/local", data={"enabled": "0"}, headers={"Accept-Language": "en"})
    assert "1 case in “Verwiesen”" in english.get_data(as_text=True)

    cases.fire_trigger(world.facilitator, case.id, "take_back", "", None)
    assert client.post("/plugins/local", data={"enabled": "0"}).status_code == 302
    assert "local" not in local_app.extensions["kokoma"].plugins.enabled(world.musterstadt.id)
    assert "local" in local_app.extensions["kokoma"].plugins.enabled(world.other.id)


def test_a_plugin_is_not_switched_off_while_a_case_is_moving_into_its_state(local_app, local_world):
    """A coordinator switches the plugin off while a facilitator's change is moving a case into
    its state: the switch waits for the change to end, then counts the case and is refused
    (PostgreSQL: the municipality's row held by both; SQLite: one writer at a time)."""
    world = local_world
    case_id, facilitator_id, coordinator_id = world.case().id, world.facilitator.id, world.coordinator.id
    moving, finish = threading.Event(), threading.Event()
    outcome = {}

    def move():
        with local_app.app_context():
            try:
                with changing_case(db.session.get(User, facilitator_id), case_id, "case.transition") as change:
                    cases.fire_in(change, "call_ombuds", "")
                    moving.set()
                    finish.wait(timeout=10)
                outcome["move"] = "done"
            finally:
                db.session.remove()

    def switch_off():
        with local_app.app_context():
            try:
                plugin_service.switch(db.session.get(User, coordinator_id), "local", False)
                outcome["switch"] = "done"
            except ValidationError as refused:
                outcome["switch"] = sorted(refused.errors)
            finally:
                db.session.remove()

    mover, switcher = threading.Thread(target=move), threading.Thread(target=switch_off)
    mover.start()
    assert moving.wait(timeout=10)
    switcher.start()
    switcher.join(timeout=0.5)  # as far as it gets while the case is on its way
    finish.set()
    mover.join(timeout=10)
    switcher.join(timeout=10)
    assert outcome == {"move": "done", "switch": ["enabled"]}
    db.session.expire_all()
    assert db.session.get(Case, case_id).state == "ombuds"
    assert "local" in local_app.extensions["kokoma"].plugins.enabled(world.musterstadt.id)


def test_only_a_transition_of_a_plugin_that_can_be_switched_off_holds_the_choices(local_app, local_world):
    """The hold costs a statement and makes new cases of the municipality wait: the workflow's own
    transitions and the defaults' (always on) go without it."""
    from .test_query_counts import counted

    held = re.compile(r"SELECT municipalities\.id\s+FROM municipalities\s+WHERE municipalities\.id = ")
    world = local_world
    with counted(local_app) as statements:
        cases.fire_trigger(world.facilitator, world.analysed_case().id, "start_processing", "", None)
    assert not [s for s in statements if held.match(s)]
    with counted(local_app) as statements, pytest.raises(TransitionBlocked):  # the default referral's, unconfirmed
        cases.fire_trigger(world.facilitator, world.analysed_case().id, "refer", "Zur Beratungsstelle", None)
    assert not [s for s in statements if held.match(s)]
    with counted(local_app) as statements:
        cases.fire_trigger(world.facilitator, world.case().id, "call_ombuds", "", None)
    assert len([s for s in statements if held.match(s)]) == 1


def test_instance_settings_are_checked_at_start_up(make_app, tmp_path):
    folder = write(tmp_path / "plugins", "local", LOCAL)
    with pytest.raises(PluginLoadError, match="points"):
        make_app(PLUGINS_DIR=str(folder), PLUGIN_SETTINGS={"local": {"points": "viele"}})
    app = make_app(PLUGINS_DIR=str(folder), PLUGIN_SETTINGS={"local": {"points": 3}})
    with app.test_request_context():
        assert [f["points"] for f in World().case().escalation_factors if f["key"] == "local"] == [3]


def test_partner_fields_panel_and_booleans_show(local_app, local_world):
    client = local_app.test_client()
    client.post("/login", data={"email": "coord@mst.example", "password": PASSWORD})
    form = client.get("/partners/new").get_data(as_text=True)
    assert 'name="extra_hotline_id"' in form and "local" in form
    assert client.post("/partners/new", data={"name": "Hotline", "kind": "other", "min_level": "low",
                                              "extra_hotline_id": "0800-1", "active": "y"}).status_code == 302
    partner = db.session.scalars(select(Partner)).one()
    assert partner.extra == {"hotline_id": "0800-1"}
    case = local_world.case(extra={"press": True, "note": ""})
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "<dt>Presse informiert</dt><dd>ja</dd>" in page and "Lokales Panel" in page


def test_a_channel_reads_the_snapshot_and_deliveries_survive_a_reinstall(make_app, local_app, tmp_path, monkeypatch):
    with local_app.test_request_context():
        world = World()
        db.session.add(Partner(municipality_id=world.musterstadt.id, name="Hotline", email="", extra={"hotline_id": "42"},
                               webhook_url=""))
        db.session.commit()
        case = world.analysed_case()
        cases.fire_trigger(world.facilitator, case.id, "start_processing", "", None)
        queued = db.session.scalars(select(Delivery.channel).where(Delivery.channel == "hotline")).all()
        assert len(queued) == 2  # created, transition
    # the same plugin, now installed as a package: the queued deliveries find their channel
    site = tmp_path / "site"
    (site / "kokoma_local").mkdir(parents=True)
    (site / "kokoma_local" / "__init__.py").write_text(textwrap.dedent(LOCAL))
    monkeypatch.syspath_prepend(str(site))
    reinstalled = make_app(EXTRA_PLUGINS=["kokoma_local"])
    with reinstalled.test_request_context():
        from kokoma import notifications
        from kokoma.runtime import kokoma

        notifications.deliver_due(kokoma().plugins)
        assert sorted(db.session.scalars(select(Delivery.status).where(Delivery.channel == "hotline"))) == ["sent", "sent"]
        sent = sys.modules["kokoma_local"].SENT
        assert ("42", "created", "analysis", "processing") in sent  # the event's state, not today's
    sys.modules.pop("kokoma_local", None)


MALFORMED = '''
from kokoma import hookimpl

@hookimpl
def kokoma_escalation_factors(case):
    return "viel"

@hookimpl
def kokoma_transition_guard(case, trigger, user):
    return True
'''


def test_malformed_return_values_are_recorded_with_plugin_hook_and_expectation(make_app, tmp_path, caplog):
    app = make_app(PLUGINS_DIR=str(write(tmp_path / "plugins", "sloppy", MALFORMED)))
    with app.test_request_context():
        world = World()
        change = world.analysed_case()
        moved = cases.fire_trigger(world.facilitator, change.id, "start_processing", "", None)
        assert moved.case.state == "processing"  # True does not block
        errors = db.session.scalars(select(CaseEvent).where(CaseEvent.kind == "plugin_error")).all()
        found = {(e.payload["plugin"], e.payload["hook"]) for e in errors}
        assert ("plugins/sloppy", "kokoma_escalation_factors") in found
        assert ("plugins/sloppy", "kokoma_transition_guard") in found
        assert any("expected an iterable of (key, points, reason)" in e.comment for e in errors)
    assert "plugins/sloppy returned 'viel' from kokoma_escalation_factors" in caplog.text


def test_duplicates_name_both_plugins(make_app, tmp_path):
    folder = tmp_path / "plugins"
    for name in ("one", "two"):
        write(folder, name, '''
            from kokoma import hookimpl

            @hookimpl
            def kokoma_workflow(workflow):
                workflow.add_state("ombuds", "Verwiesen")
        ''')
    with pytest.raises(WorkflowError, match="'ombuds' is defined twice: by plugins/(one|two) and by plugins/(one|two)"):
        make_app(PLUGINS_DIR=str(folder))


def test_the_same_plugin_twice_names_both_origins(make_app, tmp_path, monkeypatch):
    folder = write(tmp_path / "plugins", "local", LOCAL)
    site = tmp_path / "site"
    (site / "kokoma_local2").mkdir(parents=True)
    (site / "kokoma_local2" / "__init__.py").write_text(textwrap.dedent(LOCAL))
    monkeypatch.syspath_prepend(str(site))
    with pytest.raises(PluginLoadError, match="two plugins are named 'local': module kokoma_local2 and .*local.py"):
        make_app(PLUGINS_DIR=str(folder), EXTRA_PLUGINS=["kokoma_local2"])
    sys.modules.pop("kokoma_local2", None)


def test_wrappers_are_refused_at_start_up(make_app, tmp_path):
    folder = write(tmp_path / "plugins", "wrapping", '''
        from kokoma import hookimpl

        @hookimpl(wrapper=True)
        def kokoma_escalation_factors(case):
            return (yield)
    ''')
    with pytest.raises(PluginLoadError, match="kokoma_escalation_factors as wrapper/hookwrapper"):
        make_app(PLUGINS_DIR=str(folder))


def test_escalation_reasons_show_in_the_reader_s_language(make_app):
    app = make_app(PLUGINS_DIR=str(ROOT / "plugins"))
    with app.test_request_context():
        world = World()
        case = world.case(glasl_stage=4, extra={"public_visibility": "regional"})
        stored = {f["key"]: f for f in case.escalation_factors}
        assert stored["glasl_stage"]["msgid"] == "Glasl stage %(stage)d (%(name)s)"
        assert stored["public_visibility"]["domain"] == "public_visibility"
    client = app.test_client()
    client.post("/login", data={"email": "fac@mst.example", "password": PASSWORD})
    german = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "Glasl-Stufe 4 (Images und Koalitionen)" in german
    assert "Öffentliche Sichtbarkeit: regionale Medien" in german
    client.post("/language", data={"locale": "en"})
    english = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "Glasl stage 4 (Images and coalitions)" in english
    assert "Public visibility: regional media or large social media reach" in english


def test_a_plugin_s_pages_answer_only_where_it_is_on(make_app, tmp_path):
    folder = write(tmp_path / "plugins", "pages", '''
        from flask import Blueprint
        from kokoma import Plugin, hookimpl

        KOKOMA_PLUGIN = Plugin(name="pages", default_enabled=False)
        bp = Blueprint("pages_plugin", __name__, url_prefix="/pages-plugin")

        @bp.get("/")
        def index():
            return "eigene Seite"

        @hookimpl
        def kokoma_blueprints():
            return [bp]
    ''')
    app = make_app(PLUGINS_DIR=str(folder))
    with app.test_request_context():
        world = World()
    client = app.test_client()
    assert client.get("/pages-plugin/").status_code == 302  # login first
    client.post("/login", data={"email": "coord@mst.example", "password": PASSWORD})
    assert client.get("/pages-plugin/").status_code == 404  # off by default
    client.post("/plugins/pages", data={"enabled": "1"})
    assert client.get("/pages-plugin/").get_data(as_text=True) == "eigene Seite"
    with app.test_request_context():
        with pytest.raises(ValidationError):
            plugin_service.switch(world.coordinator, "kokoma.defaults.escalation", False)


def test_the_reference_is_up_to_date_and_the_command_prints_it(app):
    from kokoma.plugin_reference import reference_markdown

    with app.test_request_context():
        generated = reference_markdown()
    assert (ROOT / "docs" / "plugin-reference.md").read_text() == generated, (
        "docs/plugin-reference.md is out of date: flask --app kokoma plugins --reference > docs/plugin-reference.md")
    for needed in ("`kokoma_case_panel(case, user)`", "`anti_democratic`", "`start_processing`", "`escalation_raised`",
                   "#### `add_transition(", "| `snapshot` |", "kokoma_make_case"):
        assert needed in generated
    result = app.test_cli_runner().invoke(args=["plugins", "--reference"])
    assert result.exit_code == 0 and result.output == generated


def test_menu_links_and_cli_commands_of_a_plugin(make_app, tmp_path):
    folder = write(tmp_path / "plugins", "extras", '''
        import click
        from kokoma import hookimpl

        @click.command("extras-count")
        def count():
            click.echo("drei")

        @hookimpl
        def kokoma_cli_commands():
            return [count]

        @hookimpl
        def kokoma_menu_links(user):
            return [("Extras", "/extras/"), "kaputt"]
    ''')
    app = make_app(PLUGINS_DIR=str(folder))
    with app.test_request_context():
        World()
    assert app.test_cli_runner().invoke(args=["extras-count"]).output == "drei\n"
    client = app.test_client()
    client.post("/login", data={"email": "fac@mst.example", "password": PASSWORD})
    page = client.get("/cases/").get_data(as_text=True)
    assert '<a href="/extras/">Extras</a>' in page and "kaputt" not in page  # a malformed link is left out


def test_a_plugin_returning_no_blueprint_stops_the_start_up(make_app, tmp_path):
    folder = write(tmp_path / "plugins", "nopages", '''
        from kokoma import hookimpl

        @hookimpl
        def kokoma_blueprints():
            return ["/pages"]
    ''')
    with pytest.raises(PluginLoadError, match="plugins/nopages.*expected a list of flask.Blueprint"):
        make_app(PLUGINS_DIR=str(folder))


def test_a_page_reads_the_plugin_choices_once_however_many_plugins(make_app, tmp_path):
    from .test_query_counts import counted

    counts = {}
    for n in (1, 4):
        folder = tmp_path / f"plugins{n}"
        for i in range(n):
            write(folder, f"local{i}", LOCAL.replace('name="local", channel="hotline"', f'name="local{i}", channel="h{i}"')
                  .replace('"press"', f'"press{i}"').replace('"note"', f'"note{i}"').replace('"hotline_id"', f'"hid{i}"')
                  .replace('add_state("ombuds"', f'add_state("ombuds{i}"').replace('"call_ombuds"', f'"call_ombuds{i}"')
                  .replace('"take_back"', f'"take_back{i}"').replace('"ombuds",', f'"ombuds{i}",')
                  .replace('"ombuds"', f'"ombuds{i}"'))
        app = make_app(PLUGINS_DIR=str(folder))
        if n == 1:  # the database is shared by both apps
            with app.test_request_context():
                case = World().case()
        client = app.test_client()
        client.post("/login", data={"email": "coord@mst.example", "password": PASSWORD})
        for path in (f"/cases/{case.id}", "/plugins/", "/plugins/local0"):
            with counted(app) as statements:
                assert client.get(path).status_code == 200
            assert sum("plugin_choices" in s for s in statements) == 1, (path, statements)
            counts[n, path] = len(statements)
    assert counts[1, f"/cases/{case.id}"] == counts[4, f"/cases/{case.id}"]
    assert counts[1, "/plugins/"] == counts[4, "/plugins/"]
    assert counts[1, "/plugins/local0"] == counts[4, "/plugins/local0"]


def test_another_municipality_s_choices_stay_its_own(local_app, local_world):
    plugin_service.save_settings(local_world.coordinator, "local", {"points": "30", "motto": "Musterstadt"})
    plugin_service.switch(local_world.coordinator, "local", False)
    other_coordinator = World.user("coord@bhn.example", "coordinator", local_world.other, "Bea Koordination")
    (row,) = [r for r in plugin_service.installed(other_coordinator) if r.name == "local"]
    assert row.enabled and row.settings == {"points": 7, "motto": ""}
