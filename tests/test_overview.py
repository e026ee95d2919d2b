"""The overview: counts by state and level, what needs attention, the tandem's open ends; each
person sees only what their scope holds."""
import re

from kokoma.database import db
from kokoma.models import Delivery, Partner
from kokoma.services import cases, reviews

from .conftest import PASSWORD


def cell(page, state_label, column):
    """The number in the overview's row of ``state_label``, in column ``column`` (0 = lowest level)."""
    row = re.search(rf'<th scope="row">{state_label}</th>(.*?)</tr>', page, re.S).group(1)
    return re.findall(r"<td>(?:<a [^>]*>)?([\d.]+)", row)[column]


def test_the_overview_counts_by_state_and_level_and_links_to_the_list(client, auth, world):
    world.case(title="Ruhig")  # low
    world.case(title="Auch ruhig")
    world.case(title="Drohungen", glasl_stage=6, violence_reported=True)  # high
    moved = world.analysed_case(title="In Arbeit", glasl_stage=8, violence_reported=True)  # critical
    cases.fire_trigger(world.facilitator, moved.id, "start_processing", "", None)
    world.case(user=world.outsider, title="Fremd", glasl_stage=9, violence_reported=True)
    auth.login()
    page = client.get("/overview/").get_data(as_text=True)
    assert cell(page, "Analyse", 0) == "2" and cell(page, "Analyse", 2) == "1" and cell(page, "Analyse", 4) == "3"
    assert cell(page, "Bearbeitung", 3) == "1"
    assert cell(page, "Alle Phasen", 4) == "4"  # not the other municipality's case
    assert 'href="/cases/?state=analysis&amp;level=high">1</a>' in page
    attention = page.split('id="attention-heading"')[1]
    assert attention.index("In Arbeit") < attention.index("Drohungen")  # highest first
    assert "Ruhig" not in attention and "Fremd" not in page


def test_case_workers_start_on_the_overview_and_advisors_on_their_queue(client, auth, world):
    auth.login()
    assert client.get("/").headers["Location"] == "/overview/"
    auth.logout()
    auth.login(world.advisor.email)
    assert client.get("/").headers["Location"] == "/reviews/"


def test_the_overview_shows_waiting_reviews_and_failed_deliveries_to_the_coordinator(client, auth, world):
    case = world.analysed_case()
    reviews.request_review(world.facilitator, case.id, "Wie schätzen Sie das ein?")
    partner = Partner(municipality_id=world.musterstadt.id, name="Jugendamt", email="ja@mst.example")
    db.session.add(partner)
    db.session.flush()
    db.session.add(Delivery(municipality_id=world.musterstadt.id, case_id=case.id, event_id=case_event_id(case),
                            partner_id=partner.id, channel="email", idempotency_key="k-1", status="failed",
                            last_error="Verbindung abgelehnt"))
    db.session.commit()
    auth.login(world.coordinator.email)
    page = client.get("/overview/").get_data(as_text=True)
    assert "1 erbetene Einschätzung wartet auf Antwort." in page
    assert "1 Benachrichtigung an Partner ist fehlgeschlagen." in page
    auth.logout()
    auth.login()  # a facilitator does not manage partners: no delivery line
    page = client.get("/overview/").get_data(as_text=True)
    assert "1 erbetene Einschätzung wartet auf Antwort." in page and "Benachrichtigung" not in page
    auth.logout()
    client.post("/login", data={"email": world.other_advisor.email, "password": PASSWORD})
    assert "0 erbetene Einschätzungen warten auf Antwort." in client.get("/overview/").get_data(as_text=True)


def test_an_advisor_sees_the_assigned_municipalities_only(client, world):
    world.case(title="Hier", glasl_stage=8, violence_reported=True)
    world.case(user=world.outsider, title="Dort", glasl_stage=8, violence_reported=True)
    client.post("/login", data={"email": world.advisor.email, "password": PASSWORD})
    page = client.get("/overview/").get_data(as_text=True)
    assert "Hier" in page and "Dort" not in page
    assert cell(page, "Alle Phasen", 4) == "1"


def case_event_id(case):
    from sqlalchemy import select

    from kokoma.models import CaseEvent

    return db.session.scalar(select(CaseEvent.id).where(CaseEvent.case_id == case.id).limit(1))


ARCHIVE_PLUGIN = '''
from kokoma import hookimpl


@hookimpl
def kokoma_workflow(workflow):
    workflow.add_state("archived", "Archiviert", final=True)
    workflow.add_transition("archive", "processing", "archived", "Archivieren")
'''


def test_a_plugins_end_state_counts_as_done_in_the_overview(make_app, tmp_path):
    """The overview asks the workflow which states are final, so a plugin's end state needs no
    attention, like the default "closed"."""
    from .conftest import World
    from .test_plugins import write_plugin

    write_plugin(tmp_path / "plugins", "archive", ARCHIVE_PLUGIN)
    app = make_app(PLUGINS_DIR=str(tmp_path / "plugins"))
    with app.test_request_context():
        world = World()
        archived = world.analysed_case(title="Abgelegt", glasl_stage=8, violence_reported=True)
        cases.fire_trigger(world.facilitator, archived.id, "start_processing", "", None)
        cases.fire_trigger(world.facilitator, archived.id, "archive", "", None)
        world.analysed_case(title="Noch offen", glasl_stage=8, violence_reported=True)
    client = app.test_client()
    client.post("/login", data={"email": "fac@mst.example", "password": PASSWORD})
    page = client.get("/overview/").get_data(as_text=True)
    attention = page.split('id="attention-heading"')[1]
    assert "Noch offen" in attention and "Abgelegt" not in attention
    assert cell(page, "Archiviert", 4) == "1"
