"""The web pages: log in, intake with validation, list with filters and pages, detail, edit, triggers."""
import re

import pytest
from sqlalchemy import select

from kokoma.database import db
from kokoma.models import Case, CaseEvent
from kokoma.services import cases

from .conftest import PASSWORD

VALID = {
    "title": "Plakate gegen die Unterkunft",
    "category": "integration_migration",
    "description": "Nachts wurden Plakate geklebt.",
    "location": "Gewerbegebiet West",
    "observed_on": "2026-10-01",
    "violence_reported": "y",
}


def test_pages_need_a_login(client):
    response = client.get("/cases/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_wrong_password_is_refused_with_a_message(client, world):
    response = client.post("/login", data={"email": "fac@mst.example", "password": "wrong password!"})
    assert response.status_code == 422
    assert "fac@mst.example" in response.get_data(as_text=True)  # what was typed stays
    assert client.get("/cases/").status_code == 302


def test_login_ignores_foreign_next_urls(client, world):
    response = client.post("/login?next=https://evil.example/", data={"email": "fac@mst.example", "password": PASSWORD})
    assert response.headers["Location"] == "/"


def test_logging_a_case(client, auth, world):
    auth.login()
    response = client.post("/cases/new", data={**VALID, "facilitator_id": str(world.facilitator.id)})
    assert response.status_code == 302
    case = db.session.scalars(select(Case)).one()
    assert case.reference.startswith("MST-") and case.reference.endswith("-0001")
    assert (case.glasl_stage, case.violence_reported, case.state) == (None, True, "analysis")
    assert case.escalation_score == 20 and case.escalation_level == "low"  # the stage is the analysis's
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Plakate gegen die Unterkunft" in page and "Violence" not in page


def test_bad_input_keeps_everything_typed_and_marks_each_field(client, auth, world):
    auth.login()
    bad = {**VALID, "title": "", "category": "no_such_area", "observed_on": "31.02.2026"}
    response = client.post("/cases/new", data=bad)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    for field in ("title", "category", "observed_on"):
        assert f'id="{field}-error"' in page, field
    assert 'aria-invalid="true" id="title"' in page or 'id="title"' in page
    # everything else typed is still there
    assert "Gewerbegebiet West" in page and "Nachts wurden Plakate geklebt." in page
    assert 'value="31.02.2026"' in page and 'id="violence_reported" name="violence_reported" type="checkbox" value="y" checked' in page
    assert db.session.scalar(select(Case.id)) is None


def test_a_date_in_the_future_is_refused_at_its_field(client, auth, world):
    auth.login()
    response = client.post("/cases/new", data={**VALID, "observed_on": "2999-01-01"})
    assert response.status_code == 422
    assert 'id="observed_on-error"' in response.get_data(as_text=True)


def test_a_facilitator_of_another_municipality_cannot_be_smuggled_in(client, auth, world):
    auth.login()
    response = client.post("/cases/new", data={**VALID, "facilitator_id": str(world.outsider.id)})
    assert response.status_code == 422
    assert 'id="facilitator_id-error"' in response.get_data(as_text=True)


def test_references_count_up_per_municipality(world):
    first, second = world.case(), world.case()
    foreign = world.case(user=world.outsider)
    assert [first.reference[-4:], second.reference[-4:]] == ["0001", "0002"]
    assert foreign.reference.startswith("BHN-") and foreign.reference.endswith("-0001")


def test_the_list_shows_only_the_own_municipality(client, auth, world):
    world.case(title="Eigener Fall")
    world.case(user=world.outsider, title="Fremder Fall")
    auth.login()
    page = client.get("/cases/").get_data(as_text=True)
    assert "Eigener Fall" in page and "Fremder Fall" not in page


def test_another_municipalitys_case_answers_404(client, auth, world):
    foreign = world.case(user=world.outsider)
    auth.login()
    for url in (f"/cases/{foreign.id}", f"/cases/{foreign.id}/edit"):
        assert client.get(url).status_code == 404
    for url, data in (
        (f"/cases/{foreign.id}/transition", {"trigger": "start_processing"}),
        (f"/cases/{foreign.id}/comment", {"text": "Hallo"}),
        (f"/cases/{foreign.id}/measures", {"kind": "dialogue", "title": "x", "status": "done"}),
    ):
        assert client.post(url, data=data).status_code == 404
    assert [e.kind for e in db.session.scalars(select(CaseEvent).where(CaseEvent.case_id == foreign.id))] == ["created"]


@pytest.mark.parametrize(
    "query, expected",
    [
        ("state=processing", {"In Bearbeitung"}),
        ("category=polarisation", {"Polarisiert"}),
        ("level=high", {"Gewalt"}),
        ("state=analysis&category=public_space", {"Platz"}),
    ],
)
def test_the_list_filters_by_state_category_and_level(client, auth, world, query, expected):
    world.case(title="Platz", category="public_space")
    world.case(title="Polarisiert", category="polarisation")
    world.case(title="Gewalt", category="anti_democratic", glasl_stage=5, violence_reported=True)
    moved = world.analysed_case(title="In Bearbeitung")
    cases.fire_trigger(world.facilitator, moved.id, "start_processing", "", None)
    auth.login()
    page = client.get(f"/cases/?{query}").get_data(as_text=True)
    shown = {t for t in ("Platz", "Polarisiert", "Gewalt", "In Bearbeitung") if f"<td>{t}</td>" in page}
    assert shown == expected


def test_unknown_filter_values_show_a_message_not_an_error(client, auth, world):
    world.case(title="Platz", category="public_space")
    auth.login()
    response = client.get("/cases/?level=apocalyptic&per_page=7")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'id="level-error"' in page and 'aria-describedby="level-error"' in page  # at its field
    assert 'id="per_page-error"' in page
    assert "<td>Platz</td>" in page  # the other filters still apply; nothing is hidden by the bad one


def test_the_filter_bar_marks_what_is_chosen_and_flags_nothing_unasked(client, auth, world):
    auth.login()
    plain = client.get("/cases/?per_page=10").get_data(as_text=True)
    assert "aria-invalid" not in plain and 'class="error"' not in plain
    assert re.search(r'<option selected value="10">', plain)
    chosen = client.get("/cases/?state=processing&level=high").get_data(as_text=True)
    assert re.search(r'<option selected value="processing">Bearbeitung</option>', chosen)
    assert re.search(r'<option selected value="high">', chosen)
    again = client.get("/cases/").get_data(as_text=True)  # the kept HTML of one request never leaks into the next
    assert 'selected value="processing"' not in again and 'selected value="high"' not in again
    assert re.search(r'<option selected value="">', again)
    client.post("/language", data={"locale": "en", "next": "/cases/"})
    english = client.get("/cases/?state=processing").get_data(as_text=True)
    assert re.search(r'<option selected value="processing">Processing</option>', english)


def test_the_list_pages_through_all_cases(client, auth, world):
    made = [world.case(title=f"Fall {n:02d}").reference for n in range(23)]
    auth.login()
    seen, url = [], "/cases/?per_page=10"
    while url:
        page = client.get(url).get_data(as_text=True)
        seen += re.findall(r">(MST-\d{4}-\d{4})</a>", page)
        older = re.search(r'<a rel="next" href="([^"]+)"', page)
        url = older.group(1).replace("&amp;", "&") if older else None
    assert seen == list(reversed(made))
    back = re.search(r'<a rel="prev" href="([^"]+)"', page).group(1).replace("&amp;", "&")
    assert re.findall(r">(MST-\d{4}-\d{4})</a>", client.get(back).get_data(as_text=True)) == seen[10:20]


def test_the_detail_page_shows_score_reasons_timeline_and_triggers(client, auth, world):
    case = world.case(glasl_stage=6, violence_reported=True)
    auth.login()
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "75" in page and "Glasl" in page
    assert 'name="trigger" value="start_processing"' in page
    # start_processing is blocked (the analysis is not complete) and says why
    assert 'id="blocked-start_processing"' in page
    # ... and its comment can be read but not typed for a button that cannot send it
    step = re.search(r'<details[^>]*id="step-start_processing".*?</details>', page, re.S).group(0)
    assert re.search(r'<textarea id="comment-start_processing"[^>]* readonly', step)
    assert re.search(r'<button type="submit" disabled', step)


def test_firing_a_trigger_from_the_page(client, auth, world):
    case = world.analysed_case()
    auth.login()
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    step = re.search(r'<details[^>]*id="step-start_processing".*?</details>', page, re.S).group(0)
    assert "readonly" not in step and "disabled" not in step
    response = client.post(f"/cases/{case.id}/transition", data={"trigger": "start_processing", "version": case.version})
    assert response.status_code == 302
    assert db.session.get(Case, case.id).state == "processing"


def test_a_blocked_trigger_answers_with_the_reason_and_keeps_the_comment(client, auth, world):
    case = world.case()
    auth.login()
    response = client.post(f"/cases/{case.id}/transition",
                           data={"trigger": "start_processing", "comment": "Mein langer Text", "version": case.version})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Mein langer Text" in page and 'id="error-start_processing"' in page


def test_editing_a_case(client, auth, world):
    case = world.case()
    auth.login()
    form = client.get(f"/cases/{case.id}/edit").get_data(as_text=True)
    assert 'name="version" type="hidden" value="1"' in form
    response = client.post(f"/cases/{case.id}/edit", data={**VALID, "version": "1", "facilitator_id": str(world.coordinator.id)})
    assert response.status_code == 302
    saved = db.session.get(Case, case.id)
    assert (saved.title, saved.facilitator_id, saved.version) == (VALID["title"], world.coordinator.id, 2)


def test_comment_and_measure_from_the_page(client, auth, world):
    case = world.case()
    auth.login()
    assert client.post(f"/cases/{case.id}/comment", data={"text": "  "}).status_code == 422
    assert client.post(f"/cases/{case.id}/comment", data={"text": "Jugendamt informiert"}).status_code == 302
    assert client.post(f"/cases/{case.id}/measures", data={"kind": "mediation", "title": "Erstgespräch", "status": "done"}).status_code == 302
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "Jugendamt informiert" in page and "Erstgespräch" in page


def test_forms_are_protected_against_csrf(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.test_request_context():
        from tests.conftest import World
        World()
    client = app.test_client()
    response = client.post("/login", data={"email": "fac@mst.example", "password": PASSWORD})
    assert response.status_code in (400, 422)
    assert client.get("/cases/").status_code == 302


def test_only_self_hosted_assets(client, auth, world):
    auth.login()
    page = client.get("/cases/new").get_data(as_text=True)
    assert not re.search(r'(src|href)="(https?:)?//', page)
    assets = re.findall(r'<(?:link|script|img)[^>]*(?:src|href)="(/[^"]+)"', page)
    assert "/static/kokoma.css" in assets and "/static/favicon.svg" in assets  # no request for /favicon.ico
    assert all(client.get(asset).status_code == 200 for asset in assets), assets


def test_search_by_reference_or_title_words(client, auth, world):
    first = world.case(title="Graffiti am Jugendhaus")
    world.case(title="Streit um Parkplätze")
    world.case(user=world.outsider, title="Graffiti in Beispielhausen")
    auth.login()

    def shown(q):
        page = client.get("/cases/", query_string={"q": q}).get_data(as_text=True)
        return {t for t in ("Graffiti am Jugendhaus", "Streit um Parkplätze", "Graffiti in Beispielhausen")
                if f"<td>{t}<" in page}

    assert shown("graffiti") == {"Graffiti am Jugendhaus"}
    assert shown(first.reference.lower()) == {"Graffiti am Jugendhaus"}
    assert shown("100%") == set()  # LIKE wildcards are taken literally
    assert shown("_") == set()
