"""Two people editing the same measure, item of the analysis, partner or case study: the second
save of a form opened before the first is refused, with what its person typed, and nothing of the
first is lost; sent again, knowingly, it saves."""
from datetime import datetime, timezone

import pytest
from sqlalchemy import update

from kokoma.database import db
from kokoma.models import AnalysisActor, CaseStudy, Measure, Partner
from kokoma.services import analysis, cases, measures
from kokoma.services.changes import seen_state
from kokoma.services.errors import ConflictError

from .conftest import PASSWORD, seen_on

PLANNED = datetime(2030, 1, 15, 9, 0, tzinfo=timezone.utc)  # 10:00 in Berlin, as the form says
MEANWHILE = "Jemand anderes hat hier inzwischen eine Änderung gespeichert."


def signed_in(app, user):
    client = app.test_client()
    assert client.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 302
    return client


def two_people_edit(app, first, second, url, form, first_changes, second_changes):
    """Both open ``url``; ``first`` saves, then ``second`` saves the form opened before."""
    one, other = signed_in(app, first), signed_in(app, second)
    seen_by_one, seen_by_other = seen_on(one, url), seen_on(other, url)
    assert one.post(url, data={**form, **first_changes, "seen": seen_by_one}).status_code == 302
    refused = other.post(url, data={**form, **second_changes, "seen": seen_by_other})
    return other, refused


def closed_case(world):
    case = world.analysed_case()
    cases.fire_trigger(world.facilitator, case.id, "start_processing", "", None)
    cases.fire_trigger(world.facilitator, case.id, "close", "Beigelegt", None)
    return case


def measure_form(world):
    return {"kind": "round_table", "title": "Runder Tisch", "place": "Rathaus", "status": "planned",
            "planned_at": "2030-01-15T10:00", "responsible": f"user:{world.facilitator.id}", "participants": "",
            "outcome": "", "effect": ""}


def planned_measure(world, case):
    return world.measure(case, title="Runder Tisch", place="Rathaus", status="planned", outcome="",
                         planned_at=PLANNED, responsible=f"user:{world.facilitator.id}")


def test_a_measure_completed_meanwhile_is_not_planned_again(app, world):
    case = world.analysed_case()
    measure = planned_measure(world, case)
    url = f"/cases/{case.id}/measures/{measure.id}"
    other, refused = two_people_edit(
        app, world.facilitator, world.coordinator, url, measure_form(world),
        {"status": "done", "outcome": "Alle waren da, Einigung erzielt.", "effect": "helped"},
        {"title": "Runder Tisch im Rathaus"})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 409
    assert MEANWHILE in page and 'value="Runder Tisch im Rathaus"' in page  # what was typed stays
    assert f'href="{url}" target="_blank"' in page and "Aktuelle Fassung in neuem Tab öffnen" in page
    db.session.expire_all()
    saved = db.session.get(Measure, measure.id)
    assert (saved.title, saved.status, saved.outcome, saved.effect) == (
        "Runder Tisch", "done", "Alle waren da, Einigung erzielt.", "helped")
    # sent again from the refused form (which now carries the saved state): saved, knowingly
    again = other.post(url, data={**measure_form(world), "title": "Runder Tisch im Rathaus",
                                  "seen": seen_state(saved)})
    assert again.status_code == 302
    db.session.expire_all()
    assert db.session.get(Measure, measure.id).title == "Runder Tisch im Rathaus"


def test_the_refused_form_carries_the_saved_state(app, world):
    """What the refused page's hidden field holds is the measure as saved now: sending it again saves."""
    case = world.analysed_case()
    measure = planned_measure(world, case)
    url = f"/cases/{case.id}/measures/{measure.id}"
    other, refused = two_people_edit(app, world.facilitator, world.coordinator, url, measure_form(world),
                                     {"place": "Gemeindezentrum"}, {"title": "Runder Tisch II"})
    assert refused.status_code == 409
    carried = refused.get_data(as_text=True).split('name="seen" type="hidden" value="')[1].split('"')[0]
    db.session.expire_all()
    assert carried == seen_state(db.session.get(Measure, measure.id))
    assert other.post(url, data={**measure_form(world), "title": "Runder Tisch II", "seen": carried}).status_code == 302


def test_an_actor_changed_meanwhile_keeps_its_interests(app, world):
    case = world.analysed_case()
    analysis.add_item(world.facilitator, case.id, "actor", {"name": "Anwohnende Parkstraße 4", "kind": "group"})
    actor_id = db.session.query(AnalysisActor.id).filter_by(case_id=case.id, name="Anwohnende Parkstraße 4").one()[0]
    url = f"/cases/{case.id}/analysis/actors/{actor_id}"
    form = {"actor-name": "Anwohnende Parkstraße 4", "actor-kind": "group", "actor-role": "primary", "actor-influence": "medium"}
    one, other = signed_in(app, world.facilitator), signed_in(app, world.coordinator)
    seen_by_one, seen_by_other = seen_on(one, url), seen_on(other, url)
    assert one.post(url, data={**form, "actor-interests": "Ruhe ab 22 Uhr", "actor-seen": seen_by_one}).status_code == 302
    refused = other.post(url, data={**form, "actor-name": "Anwohnende Parkstraße", "actor-seen": seen_by_other})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 409 and MEANWHILE in page and 'value="Anwohnende Parkstraße"' in page
    db.session.expire_all()
    saved = db.session.get(AnalysisActor, actor_id)
    assert (saved.name, saved.interests) == ("Anwohnende Parkstraße 4", "Ruhe ab 22 Uhr")


def test_a_partner_changed_meanwhile_keeps_its_new_address(app, world):
    partner = Partner(municipality_id=world.musterstadt.id, name="Jugendamt", kind="youth_welfare",
                      email="ja@mst.example", min_level="low")
    db.session.add(partner)
    db.session.commit()
    url = f"/partners/{partner.id}"
    form = {"name": "Jugendamt", "kind": "youth_welfare", "min_level": "low", "email": "ja@mst.example",
            "contact": "", "active": "y"}
    _other, refused = two_people_edit(app, world.coordinator, world.coordinator, url, form,
                                      {"email": "neu@mst.example"}, {"contact": "Frau Kaya"})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 409 and MEANWHILE in page and 'value="Frau Kaya"' in page
    db.session.expire_all()
    saved = db.session.get(Partner, partner.id)
    assert (saved.email, saved.contact) == ("neu@mst.example", "")


def test_a_study_draft_saved_meanwhile_is_not_overwritten(app, world):
    case = closed_case(world)
    url = f"/cases/{case.id}/study"
    _other, refused = two_people_edit(app, world.facilitator, world.coordinator, url, {"action": "draft"},
                                      {"lessons": "Früh alle einladen."}, {"lessons": "Mehr zuhören."})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 409 and MEANWHILE in page and "Mehr zuhören." in page
    db.session.expire_all()
    assert db.session.query(CaseStudy.lessons).scalar() == "Früh alle einladen."


@pytest.mark.parametrize("seen", [None, ""])
def test_an_edit_that_does_not_say_what_it_showed_is_refused(app, world, seen):
    case = world.analysed_case()
    measure = planned_measure(world, case)
    client = signed_in(app, world.facilitator)
    extra = {} if seen is None else {"seen": seen}
    refused = client.post(f"/cases/{case.id}/measures/{measure.id}",
                          data={**measure_form(world), "title": "Mein Titel", **extra})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 409
    assert "Dieses Formular sagte nicht, von welchem Stand es ausging." in page and 'value="Mein Titel"' in page
    db.session.expire_all()
    assert db.session.get(Measure, measure.id).title == "Runder Tisch"


def test_a_save_compares_the_row_as_it_stands_under_the_lock(world):
    """A measure read earlier in the same session, then changed by another connection: the save
    reads it anew under its lock and sees the change, not the values it read before."""
    case = world.analysed_case()
    measure = planned_measure(world, case)
    seen = seen_state(db.session.get(Measure, measure.id))  # read in this session
    with db.engine.begin() as other:  # someone else, meanwhile
        other.execute(update(Measure).where(Measure.id == measure.id).values(outcome="Von Petra"))
    data = measures.MeasureInput(kind="round_table", title="Runder Tisch", place="Rathaus", status="done",
                                 responsible=f"user:{world.facilitator.id}")
    with pytest.raises(ConflictError):
        measures.update_measure(world.facilitator, case.id, measure.id, data, seen=seen)
    db.session.expire_all()
    assert db.session.get(Measure, measure.id).outcome == "Von Petra"
