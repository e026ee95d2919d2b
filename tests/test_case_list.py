"""The case list as people see it: a change shows at once, each language and each municipality
gets its own rows, the navigation follows the role, filters apply or say what is wrong."""
import re

from flask import render_template_string
from flask_babel import force_locale

from kokoma.services import cases


def row_of(page: str, reference: str) -> str:
    match = re.search(r"<tr>\s*<td><a [^>]*>" + re.escape(reference) + r"</a>.*?</tr>", page, re.S)
    assert match, reference
    return match.group(0)


def test_a_changed_case_shows_in_the_list_at_once(client, auth, world):
    case = world.analysed_case(title="Vor der Änderung")
    auth.login()
    row = row_of(client.get("/cases/").get_data(as_text=True), case.reference)
    assert "state-analysis" in row and "Vor der Änderung" in row

    moved = cases.fire_trigger(world.facilitator, case.id, "start_processing", "", None).case
    row = row_of(client.get("/cases/").get_data(as_text=True), case.reference)
    assert "state-processing" in row and "state-analysis" not in row

    cases.update_case(world.facilitator, case.id, moved.version, cases.CaseInput(
        title="Nach der Änderung", category=case.category, glasl_stage=7,
    ))
    row = row_of(client.get("/cases/").get_data(as_text=True), case.reference)
    assert "Nach der Änderung" in row and "Vor der Änderung" not in row
    assert "level-high" in row  # Glasl stage 7 scores high: the level shown follows


def test_rows_and_navigation_follow_the_language(client, auth, world):
    case = world.analysed_case()
    auth.login()
    german = client.get("/cases/").get_data(as_text=True)
    english = client.get("/cases/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Analyse" in row_of(german, case.reference) and "Analysis" in row_of(english, case.reference)
    assert "Meine Fälle" in german and "My cases" in english and "My cases" not in german
    assert ">Themenfeld<" in german and ">Focus area<" in english  # the table's head


def test_each_municipality_sees_only_its_own_rows(client, auth, world):
    mine = world.case(title="Nur in Musterstadt")
    auth.login()
    assert mine.reference in client.get("/cases/").get_data(as_text=True)
    auth.logout()
    auth.login("fac@bhn.example")
    page = client.get("/cases/").get_data(as_text=True)
    assert mine.reference not in page and "Nur in Musterstadt" not in page


def test_the_navigation_follows_the_role(client, auth, world):
    auth.login()
    facilitator = client.get("/overview/").get_data(as_text=True)
    auth.logout()
    auth.login("coord@mst.example")
    coordinator = client.get("/overview/").get_data(as_text=True)
    assert "/admin/access-log" not in facilitator and "/admin/access-log" in coordinator
    assert "/partners/" not in facilitator and "/partners/" in coordinator


def test_filters_apply_and_paging_keeps_them(client, auth, world):
    analysed = world.analysed_case(title="In Analyse")
    moved = world.analysed_case(title="In Bearbeitung")
    cases.fire_trigger(world.facilitator, moved.id, "start_processing", "", None)
    auth.login()
    for paging in ("", f"&before={analysed.id}"):
        page = client.get(f"/cases/?state=processing&per_page=10{paging}").get_data(as_text=True)
        assert moved.reference in page and analysed.reference not in page
    wrong = client.get("/cases/?state=processing&per_page=7").get_data(as_text=True)
    assert 'id="per_page-error"' in wrong and analysed.reference not in wrong  # a wrong size alone is refused


def test_each_filter_shows_its_value_or_its_message(client, auth, world):
    auth.login()
    for _ in range(2):
        wrong = client.get("/cases/?state=nonsense").get_data(as_text=True)
        assert 'id="state-error"' in wrong
        right = client.get("/cases/?state=analysis").get_data(as_text=True)
        assert 'id="state-error"' not in right
        assert re.search(r'<option selected value="analysis">|<option value="analysis" selected>', right)


def test_templates_translate_in_the_language_active_when_rendering(app):
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert render_template_string("{{ _('Cases') }}") == "Cases"
        with force_locale("de"):
            assert render_template_string("{{ _('Cases') }}") == "Fälle"
        assert render_template_string("{{ _('Cases') }}") == "Cases"


def test_a_blank_page_size_shows_the_default_page(client, auth, world):
    """Found by the hostile probe: a page size of only spaces passed the optional field and
    failed when turned into a number."""
    world.case()
    auth.login()
    for value in (" ", "\t", "٣"):
        assert client.get("/cases/", query_string={"per_page": value}).status_code == 200
