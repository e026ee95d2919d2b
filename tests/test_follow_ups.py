"""Follow-ups (Wiedervorlage): a date, what to check and who, on a case in any phase; entering
prevention asks for the first monitoring date; done with a note, the next one set at once."""
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from kokoma.database import db
from kokoma.models import Case, CaseEvent, FollowUp
from kokoma.services import cases, follow_ups
from kokoma.services.errors import ValidationError

from .conftest import PASSWORD


def login(client, user):
    assert client.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 302


def setting(world, case, days=7, what="Stimmung im Quartier prüfen", who=None):
    return follow_ups.add_follow_up(world.facilitator, case.id, follow_ups.FollowUpInput(
        date.today() + timedelta(days=days), what, (who or world.facilitator).id)).follow_up


@pytest.mark.parametrize("state_path", [(), ("start_processing",)])
def test_a_follow_up_can_be_set_on_a_case_in_any_phase(world, state_path):
    case = world.analysed_case()
    for trigger in state_path:
        cases.fire_trigger(world.facilitator, case.id, trigger, "", None)
    follow_up = setting(world, case, who=world.coordinator)
    saved = db.session.get(FollowUp, follow_up.id)
    assert (saved.what, saved.assignee_id, saved.status) == ("Stimmung im Quartier prüfen", world.coordinator.id, "open")
    event = db.session.scalars(select(CaseEvent).where(CaseEvent.kind == "follow_up_set")).one()
    assert event.payload["follow_up_id"] == follow_up.id


@pytest.mark.parametrize("data, field", [
    ({"due_on": None}, "due_on"), ({"what": " "}, "what"), ({"assignee_id": None}, "assignee_id"),
])
def test_a_follow_up_needs_a_date_what_to_check_and_someone_of_the_municipality(world, data, field):
    case = world.analysed_case()
    values = {"due_on": date.today(), "what": "Prüfen", "assignee_id": world.facilitator.id, **data}
    with pytest.raises(ValidationError) as refused:
        follow_ups.add_follow_up(world.facilitator, case.id, follow_ups.FollowUpInput(**values))
    assert field in refused.value.errors
    with pytest.raises(ValidationError):
        follow_ups.add_follow_up(world.facilitator, case.id, follow_ups.FollowUpInput(
            date.today(), "Prüfen", world.outsider.id))


def test_done_with_a_note_and_the_next_one_set_at_once(client, world):
    case = world.analysed_case()
    first = setting(world, case, days=-1)
    login(client, world.facilitator)
    form = client.get(f"/cases/{case.id}/follow-ups/{first.id}/done")
    assert form.status_code == 200 and "Stimmung im Quartier prüfen" in form.get_data(as_text=True)
    empty = client.post(f"/cases/{case.id}/follow-ups/{first.id}/done", data={"note": ""})
    assert empty.status_code == 422 and 'id="note"' in empty.get_data(as_text=True)
    next_on = (date.today() + timedelta(days=30)).isoformat()
    response = client.post(f"/cases/{case.id}/follow-ups/{first.id}/done", data={
        "note": "Ruhig, keine Beschwerden.", "next_due_on": next_on, "next_what": "Wieder nachfragen",
        "next_assignee_id": str(world.coordinator.id)})
    assert response.status_code == 302
    rows = db.session.scalars(select(FollowUp).order_by(FollowUp.id)).all()
    assert [(f.status, f.note, f.assignee_id) for f in rows] == [
        ("done", "Ruhig, keine Beschwerden.", world.facilitator.id), ("open", "", world.coordinator.id)]
    assert rows[1].due_on.isoformat() == next_on
    kinds = db.session.scalars(select(CaseEvent.kind).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id)).all()
    assert kinds[-2:] == ["follow_up_done", "follow_up_set"]
    again = client.post(f"/cases/{case.id}/follow-ups/{first.id}/done", data={"note": "nochmal"})
    assert again.status_code == 200 and db.session.get(FollowUp, first.id).note == "Ruhig, keine Beschwerden."


def test_the_case_page_lists_follow_ups_and_an_overdue_one_stands_out(client, world):
    case = world.analysed_case()
    setting(world, case, days=-3, what="Überfällige Prüfung")
    setting(world, case, days=5, what="Spätere Prüfung")
    login(client, world.facilitator)
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    section = page[page.index('id="follow-ups"'):page.index('id="timeline"')]
    assert re.search(r'class="follow-up follow-up-open overdue">.*?überfällig.*?Überfällige Prüfung', section, re.S)
    assert section.count("überfällig") == 1 and "Spätere Prüfung" in section


def test_entering_prevention_on_the_page_asks_for_the_first_monitoring_date(client, world):
    case = world.analysed_case()
    cases.fire_trigger(world.facilitator, case.id, "start_processing", "", None)
    world.measure(case)
    login(client, world.facilitator)
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert 'id="follow-up-on-start_prevention"' in page and "Erstes Monitoring am" in page
    version = db.session.get(Case, case.id).version
    refused = client.post(f"/cases/{case.id}/transition", data={
        "trigger": "start_prevention", "version": str(version), "comment": "Maßnahmen greifen"})
    text = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert "Bitte das Datum des ersten Monitorings angeben." in text
    assert re.search(r'<details class="trigger trigger-forward" id="step-start_prevention" open>', text)
    assert re.search(r'id="follow-up-on-start_prevention"[^>]*autofocus', text, re.S)
    assert "Maßnahmen greifen" in text  # what was typed is kept
    assert db.session.get(Case, case.id).state == "processing"
    due = (date.today() + timedelta(days=21)).isoformat()
    moved = client.post(f"/cases/{case.id}/transition", data={
        "trigger": "start_prevention", "version": str(version), "follow_up_on": due, "follow_up_what": "Ruhe im Park?"})
    assert moved.status_code == 302
    follow_up = db.session.scalars(select(FollowUp).where(FollowUp.case_id == case.id)).one()
    assert (follow_up.due_on.isoformat(), follow_up.what, follow_up.assignee_id) == (due, "Ruhe im Park?", world.facilitator.id)
    assert db.session.get(Case, case.id).state == "prevention"
