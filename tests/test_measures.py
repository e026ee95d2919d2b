"""Measures as records: planned, overdue, done with outcome and effect; every change an event
that says what changed; the table on the case page; today's measure events became records."""
import re
from datetime import datetime, timedelta, timezone

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import delete, select

from kokoma import create_app
from kokoma.database import db
from kokoma.models import CaseEvent, Measure, Partner
from kokoma.services import measures
from kokoma.services.changes import changing_case
from kokoma.services.errors import ValidationError

from .conftest import PASSWORD, _empty_tables, _test_config, seen_on

SOON = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(days=3)
PAST = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(days=2)


def plan(world, case, **fields):
    data = {"kind": "dialogue", "title": "Dialogforum", "planned_at": SOON, "place": "Rathaus",
            "responsible": f"user:{world.facilitator.id}", "participants": "Jugendliche, Ordnungsamt",
            "status": "planned", **fields}
    return measures.add_measure(world.facilitator, case.id, measures.MeasureInput(**data)).measure


def login(client, user):
    assert client.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 302


def test_a_measure_holds_kind_title_date_place_responsible_participants_status(world):
    case = world.analysed_case()
    measure = db.session.get(Measure, plan(world, case).id)
    assert (measure.kind, measure.title, measure.planned_at, measure.place, measure.responsible_user_id,
            measure.participants, measure.status, measure.outcome, measure.effect) == (
        "dialogue", "Dialogforum", SOON, "Rathaus", world.facilitator.id, "Jugendliche, Ordnungsamt", "planned", "", None)
    assert measure.participant_actor_ids == []


def test_a_partner_of_the_registry_can_be_responsible_but_not_another_municipalitys(world):
    own = Partner(municipality_id=world.musterstadt.id, name="Jugendamt", email="ja@mst.example")
    foreign = Partner(municipality_id=world.other.id, name="Kreisjugendamt", email="kja@bhn.example")
    db.session.add_all([own, foreign])
    db.session.commit()
    case = world.analysed_case()
    assert plan(world, case, responsible=f"partner:{own.id}").responsible_partner_id == own.id
    for responsible in (f"partner:{foreign.id}", f"user:{world.outsider.id}", f"user:{world.advisor.id}", "user:x"):
        with pytest.raises(ValidationError) as refused:
            plan(world, case, responsible=responsible)
        assert "responsible" in refused.value.errors


@pytest.mark.parametrize("fields, field", [
    ({"title": "  "}, "title"),
    ({"kind": "picnic"}, "kind"),
    ({"status": "maybe"}, "status"),
    ({"planned_at": None}, "planned_at"),  # a planned measure needs its date
    ({"effect": "helped"}, "effect"),  # an effect only of a measure that was done
    ({"status": "done", "effect": "great"}, "effect"),
])
def test_a_measure_that_breaks_a_rule_is_refused_at_its_field(world, fields, field):
    case = world.analysed_case()
    with pytest.raises(ValidationError) as refused:
        plan(world, case, **fields)
    assert field in refused.value.errors
    assert db.session.scalars(select(Measure)).all() == []


def test_every_change_is_an_event_that_says_what_changed(world):
    case = world.analysed_case()
    measure = plan(world, case)
    measures.update_measure(world.facilitator, case.id, measure.id, measures.MeasureInput(
        kind="dialogue", title="Dialogforum", planned_at=SOON, place="Rathaus",
        responsible=f"user:{world.coordinator.id}", participants="Jugendliche, Ordnungsamt",
        status="done", outcome="Vereinbarung zu Nutzungszeiten", effect="helped"))
    event = db.session.scalars(select(CaseEvent).where(CaseEvent.kind == "measure_changed")).one()
    assert event.payload["measure_id"] == measure.id
    assert event.payload["changes"] == {
        "status": ["planned", "done"], "outcome": ["", "Vereinbarung zu Nutzungszeiten"], "effect": [None, "helped"],
        "responsible": [f"user:{world.facilitator.id}", f"user:{world.coordinator.id}"],
    }
    unchanged = measures.MeasureInput(kind="dialogue", title="Dialogforum", planned_at=SOON, place="Rathaus",
                                      responsible=f"user:{world.coordinator.id}", participants="Jugendliche, Ordnungsamt",
                                      status="done", outcome="Vereinbarung zu Nutzungszeiten", effect="helped")
    measures.update_measure(world.facilitator, case.id, measure.id, unchanged)
    assert len(db.session.scalars(select(CaseEvent).where(CaseEvent.kind == "measure_changed")).all()) == 1


def test_the_case_lists_its_measures_in_a_table_and_an_overdue_one_stands_out(client, world):
    case = world.analysed_case()
    late = plan(world, case, title="Runder Tisch Bahnhof", planned_at=PAST)
    plan(world, case, title="Infoabend")
    world.measure(case, title="Erstgespräch mit dem Träger")
    login(client, world.facilitator)
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    table = page[page.index('<table class="cases measures">'):page.index("</table>", page.index('class="cases measures"'))]
    assert table.count("<tr class=") == 3
    overdue_row = re.search(rf'<tr class="measure-planned overdue" id="measure-{late.id}">(.*?)</tr>', table, re.S)
    assert overdue_row and "überfällig" in overdue_row.group(1) and "Runder Tisch Bahnhof" in overdue_row.group(1)
    assert table.count("overdue\"") == 1 and table.count("überfällig") == 1
    assert "Jonas Albrecht" in table and "durchgeführt" in table and "geplant" in table


def test_a_measure_is_changed_on_its_page_and_the_timeline_says_what_changed(client, world):
    case = world.analysed_case()
    measure = plan(world, case, planned_at=PAST)
    login(client, world.facilitator)
    form = client.get(f"/cases/{case.id}/measures/{measure.id}").get_data(as_text=True)
    assert 'value="Dialogforum"' in form and "Maßnahme „Dialogforum“ ändern" in form
    response = client.post(f"/cases/{case.id}/measures/{measure.id}", data={
        "seen": seen_on(client, f"/cases/{case.id}/measures/{measure.id}"),
        "kind": "dialogue", "title": "Dialogforum", "planned_at": "2026-11-20T18:30", "place": "Rathaus",
        "responsible": f"user:{world.facilitator.id}", "participants": "Jugendliche", "status": "done",
        "outcome": "Gute Stimmung", "effect": "helped"})
    assert response.status_code == 302 and response.headers["Location"].endswith("#measures")
    saved = db.session.get(Measure, measure.id)
    assert (saved.status, saved.outcome, saved.effect) == ("done", "Gute Stimmung", "helped")
    assert saved.planned_at == datetime(2026, 11, 20, 17, 30, tzinfo=timezone.utc)  # typed in Berlin time
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "Maßnahme geändert" in page
    assert re.search(r"Status:</span> <del>geplant</del> → <ins>durchgeführt</ins>", page)
    assert re.search(r"Wirkung:</span> <del>–</del> → <ins>hat geholfen</ins>", page)
    assert re.search(r"Ergebnis:</span> <del>–</del> → <ins>Gute Stimmung</ins>", page)


def test_a_measure_form_with_an_error_comes_back_open_scrolled_to_and_focused(client, world):
    case = world.analysed_case()
    login(client, world.facilitator)
    response = client.post(f"/cases/{case.id}/measures", data={
        "kind": "mediation", "title": "", "status": "planned", "place": "Bürgerhaus", "planned_at": ""})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    # The field is focused (autofocus; a fragment in the address would make browsers ignore it),
    # which scrolls the browser to it: tests/test_browser_measures.py
    assert re.search(r'<details class="add-form no-print" id="measure-new" open>', page)
    assert re.search(r'<input id="measure-title"[^>]*autofocus', page)  # the first wrong field has the focus
    assert page.count("autofocus") == 1
    assert 'value="Bürgerhaus"' in page  # nothing typed is lost
    assert db.session.scalars(select(Measure)).all() == []
    wrong_date = client.post(f"/cases/{case.id}/measures", data={
        "kind": "mediation", "title": "Mediation", "status": "planned", "planned_at": "morgen"})
    assert wrong_date.status_code == 422
    assert re.search(r'<input[^>]*id="measure-planned-at"[^>]*autofocus|<input[^>]*autofocus[^>]*id="measure-planned-at"',
                     wrong_date.get_data(as_text=True))


@pytest.mark.parametrize("planned_at", ["0001-01-01T00:10", "1899-12-31 23:59", "9999-12-31T23:59"])
def test_a_time_no_calendar_can_hold_is_refused_at_its_field_on_adding_and_changing(client, world, planned_at):
    # 00:10 on the first day of year 1 in Berlin (local mean time, +0:53) would be in year 0 in UTC.
    case = world.analysed_case()
    measure = plan(world, case)
    login(client, world.facilitator)
    for url in (f"/cases/{case.id}/measures", f"/cases/{case.id}/measures/{measure.id}"):
        response = client.post(url, data={"kind": "mediation", "title": "Runder Tisch", "status": "planned",
                                          "place": "Bürgerhaus", "planned_at": planned_at})
        page = response.get_data(as_text=True)
        assert response.status_code == 422, url
        assert "Bitte ein Datum zwischen den Jahren 1900 und 2999 eingeben." in page
        assert 'value="Runder Tisch"' in page and 'value="Bürgerhaus"' in page  # nothing typed is lost
    assert [m.title for m in db.session.scalars(select(Measure))] == ["Dialogforum"]


def test_todays_measure_events_became_measure_records(tmp_path):
    """Migration 0016: each event of kind "measure" becomes a done measure; nothing is lost."""
    url = "sqlite:///" + str(tmp_path / "migrate.sqlite")
    app = create_app(_test_config(url, tmp_path))
    with app.app_context():
        upgrade()
        from .conftest import World

        with app.test_request_context():
            world = World()
            case = world.analysed_case()
            with changing_case(world.facilitator, case.id, "case.measure") as change:
                change.record("measure", comment="Runder Tisch mit allen Beteiligten\nzweite Zeile",
                              payload={"measure": "round_table"})
            with changing_case(world.facilitator, case.id, "case.measure") as change:
                change.record("measure", comment="Gespräch", payload={"measure": "no_longer_a_kind"})
            downgrade(revision="0015")
            db.session.execute(delete(Measure))
            db.session.commit()
            upgrade()
            made = db.session.scalars(select(Measure).order_by(Measure.id)).all()
            events = db.session.scalars(select(CaseEvent).where(CaseEvent.kind == "measure").order_by(CaseEvent.id)).all()
            assert [(m.case_id, m.kind, m.title, m.outcome, m.status, m.responsible_user_id, m.planned_at) for m in made] == [
                (case.id, "round_table", "Runder Tisch mit allen Beteiligten",
                 "Runder Tisch mit allen Beteiligten\nzweite Zeile", "done", world.facilitator.id, events[0].created_at),
                (case.id, "other", "Gespräch", "Gespräch", "done", world.facilitator.id, events[1].created_at),
            ]
            _empty_tables()
        db.engine.dispose()


def test_actors_of_the_analysis_take_part_and_only_the_case_s_own(client, world):
    """Participants are actors of the case's analysis (ticked) and free text; an actor of another
    case is refused at the field, with what was typed kept."""
    from kokoma.models import AnalysisActor

    case = world.analysed_case(parties="Bürgerverein Süd, Initiative Postkolonial")
    other = world.analysed_case(title="Anderer Fall", parties="Kleingartenverein")
    actors = dict(db.session.execute(select(AnalysisActor.name, AnalysisActor.id)
                                     .where(AnalysisActor.case_id == case.id)).all())
    foreign = db.session.scalars(select(AnalysisActor.id).where(AnalysisActor.case_id == other.id)).first()
    client.post("/login", data={"email": world.facilitator.email, "password": PASSWORD})
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert f'name="participant_actors" type="checkbox" value="{actors["Bürgerverein Süd"]}"' in page
    refused = client.post(f"/cases/{case.id}/measures", data={
        "kind": "dialogue", "title": "Dialogforum", "status": "planned", "planned_at": "2031-05-04T10:00",
        "participant_actors": [str(foreign)], "participants": "Streetwork"})
    assert refused.status_code == 422
    assert "Bitte wählen Sie Akteure der Analyse dieses Falls." in refused.get_data(as_text=True)
    assert 'value="Dialogforum"' in refused.get_data(as_text=True)
    assert db.session.scalars(select(Measure)).all() == []
    added = client.post(f"/cases/{case.id}/measures", data={
        "kind": "dialogue", "title": "Dialogforum", "status": "planned", "planned_at": "2031-05-04T10:00",
        "participant_actors": [str(actors["Bürgerverein Süd"]), str(actors["Initiative Postkolonial"])],
        "participants": "Streetwork"})
    assert added.status_code == 302
    measure = db.session.scalars(select(Measure)).one()
    assert sorted(measure.participant_actor_ids) == sorted(actors[n] for n in ("Bürgerverein Süd", "Initiative Postkolonial"))
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "Beteiligte: Bürgerverein Süd, Initiative Postkolonial, Streetwork" in page
    edit = client.get(f"/cases/{case.id}/measures/{measure.id}").get_data(as_text=True)
    assert re.search(rf'value="{actors["Bürgerverein Süd"]}"[^>]*checked|checked[^>]*value="{actors["Bürgerverein Süd"]}"', edit)
