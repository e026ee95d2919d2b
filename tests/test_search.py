"""Full-text search (FTS5 on SQLite, tsvector on PostgreSQL), the list's sorts and municipality
filter, and the counters the overview reads."""
import pytest
from sqlalchemy import delete, func, select

from kokoma.database import db
from kokoma.models import Case, CaseCount, CaseEvent
from kokoma.services import accounts, cases
from kokoma.services.cases import CaseFilters


def found(user, text, **filters):
    return [row.reference for row in cases.list_cases(user, CaseFilters(text=text, **filters), per_page=100).cases]


@pytest.fixture
def park(world):
    return world.analysed_case(
        title="Lärm im Stadtpark", description="Jugendliche treffen sich abends am Pavillon.",
        location="Lindenplatz", parties="Familie Özdemir, Bürgerverein Nord", affected_groups="Anwohnende",
    )


def test_every_text_of_a_case_finds_it(world, park):
    other = world.case(title="Parkplatzstreit")
    for words in ("Stadtpark", "Pavillon", "Lindenplatz", "Özdemir", "ozdemir", "Bürgerverein", "Anwohnende",
                  park.reference, "lärm stadtpark"):
        assert found(world.facilitator, words) == [park.reference], words
    assert found(world.facilitator, "Kiosk") == []
    cases.add_comment(world.facilitator, park.id, "Gespräch mit dem Kioskbetreiber vereinbart")
    assert found(world.facilitator, "Kioskbetreiber") == [park.reference]  # in the same transaction
    assert other.reference not in found(world.facilitator, "Stadtpark")


def test_german_words_are_found_in_other_forms(world, park):
    assert found(world.facilitator, "Jugendlichen") == [park.reference]
    assert found(world.facilitator, "trifft Pavillons") == [park.reference] or found(world.facilitator, "Pavillons") == [park.reference]


def test_an_edit_changes_what_finds_the_case(world, park):
    cases.update_case(world.facilitator, park.id, park.version, cases.CaseInput(
        title="Lärm im Schlossgarten", category=park.category, parties=park.parties,
        affected_groups=park.affected_groups, glasl_stage=3,
    ))
    assert found(world.facilitator, "Stadtpark") == []
    assert found(world.facilitator, "Schlossgarten") == [park.reference]


def test_a_word_of_another_municipality_finds_nothing(world, park):
    theirs = world.case(world.outsider, title="Streit am Marktbrunnen", parties="Familie Brandauer")
    assert found(world.facilitator, "Marktbrunnen") == [] and found(world.facilitator, "Brandauer") == []
    assert found(world.outsider, "Özdemir") == [] and found(world.outsider, "Brandauer") == [theirs.reference]
    assert found(world.advisor, "Brandauer") == []  # accompanies Musterstadt only
    for sort in cases.SORTS:
        assert found(world.facilitator, "Brandauer", sort=sort) == []


def test_search_combines_with_the_filters(world, park):
    cases.fire_trigger(world.facilitator, park.id, "start_processing", "", None)
    also = world.analysed_case(title="Stadtpark bei Nacht")
    assert found(world.facilitator, "Stadtpark") == [also.reference, park.reference] or \
        set(found(world.facilitator, "Stadtpark")) == {also.reference, park.reference}
    assert found(world.facilitator, "Stadtpark", state="processing") == [park.reference]
    assert found(world.facilitator, "Stadtpark", state="analysis") == [also.reference]
    assert found(world.facilitator, "Stadtpark", category="polarisation") == []


def test_a_match_in_the_title_ranks_before_one_in_the_text(world):
    in_text = world.case(title="Streit um den Jugendtreff", description="Auch der Bolzplatz ist betroffen.")
    in_title = world.case(title="Bolzplatz gesperrt")
    older_in_title = world.case(title="Bolzplatz am Bahnhof")
    ranked = found(world.facilitator, "Bolzplatz")
    assert ranked.index(in_text.reference) == 2, ranked
    assert set(ranked[:2]) == {in_title.reference, older_in_title.reference}


def test_the_matching_passage_is_shown_marked(client, auth, world, park):
    auth.login()
    page = client.get("/cases/?q=Pavillon").get_data(as_text=True)
    assert "<mark>Pavillon</mark>" in page and park.reference in page
    hostile = world.case(description="<script>alert(1)</script> Pavillon")
    page = client.get("/cases/?q=Pavillon").get_data(as_text=True)
    assert "<script>alert(1)" not in page and hostile.reference in page  # escaped (PostgreSQL drops tags)


@pytest.mark.parametrize("words", ['"', "*", "Stadt OR", "NEAR(", ")", "a:b", "-", "' OR 1=1 --", "ä" * 100, "\\"])
def test_any_typed_text_searches_without_an_error(client, auth, world, park, words):
    auth.login()
    assert client.get("/cases/", query_string={"q": words}).status_code == 200
    for sort in cases.SORTS:
        assert client.get("/cases/", query_string={"q": words, "sort": sort}).status_code == 200


def _walk(user, filters, per_page):
    """Every page forwards, then back again: the references in the order shown."""
    pages, after = [], None
    while True:
        page = cases.list_cases(user, filters, per_page=per_page, after=after)
        pages.append([r.reference for r in page.cases])
        if page.next_after is None:
            break
        after = page.next_after
    back, before = [pages[-1]], page.prev_before
    while before is not None:
        page = cases.list_cases(user, filters, per_page=per_page, before=before)
        back.insert(0, [r.reference for r in page.cases])
        before = page.prev_before
    return pages, back


@pytest.mark.parametrize("sort", ["newest", "reference", "updated", "escalation", "relevance"])
def test_each_sort_pages_forwards_and_back(world, sort):
    made = [world.analysed_case(title=f"Bolzplatz {n}", glasl_stage=(n * 4) % 9 + 1,
                                description="Bolzplatz " * (n % 3)) for n in range(7)]
    cases.fire_trigger(world.facilitator, made[2].id, "start_processing", "", None)  # changed last
    filters = CaseFilters(sort=sort, text="Bolzplatz" if sort == "relevance" else "")
    everything = [r.reference for r in cases.list_cases(world.facilitator, filters, per_page=100).cases]
    assert sorted(everything) == sorted(c.reference for c in made)
    forwards, backwards = _walk(world.facilitator, filters, 3)
    assert [ref for page in forwards for ref in page] == everything
    assert forwards == backwards
    by_id = {c.reference: c for c in made}
    if sort == "reference":
        assert everything == sorted(everything)
    if sort == "escalation":
        scores = [db.session.get(Case, by_id[ref].id).escalation_score for ref in everything]
        assert scores == sorted(scores, reverse=True)
    if sort == "updated":
        assert everything[0] == made[2].reference


def test_an_advisor_sees_the_municipality_column_and_filters_by_it(client, world):
    from .conftest import PASSWORD

    accounts.assign_advisor(world.admin, world.advisor.id, world.other.id)
    ours, theirs = world.case(title="Fall in Musterstadt"), world.case(world.outsider, title="Fall in Beispielhausen")
    client.post("/login", data={"email": world.advisor.email, "password": PASSWORD})
    page = client.get("/cases/").get_data(as_text=True)
    assert ">Kommune<" in page and "Stadt Musterstadt" in page and "Gemeinde Beispielhausen" in page
    page = client.get(f"/cases/?municipality={world.other.id}").get_data(as_text=True)
    assert theirs.reference in page and ours.reference not in page
    client.post("/logout")
    client.post("/login", data={"email": world.facilitator.email, "password": PASSWORD})
    page = client.get(f"/cases/?municipality={world.other.id}").get_data(as_text=True)
    assert ">Kommune<" not in page and theirs.reference not in page  # one municipality: no column


def _counted(municipality_id):
    return dict(db.session.execute(
        select(CaseCount.state, func.sum(CaseCount.cases)).where(CaseCount.municipality_id == municipality_id)
        .group_by(CaseCount.state)).all())


def _actual(municipality_id):
    return dict(db.session.execute(
        select(Case.state, func.count()).where(Case.municipality_id == municipality_id).group_by(Case.state)).all())


def test_the_counters_follow_every_change(world):
    made = [world.analysed_case(title=f"Fall {n}") for n in range(4)]
    cases.fire_trigger(world.facilitator, made[0].id, "start_processing", "", None)
    cases.update_case(world.facilitator, made[1].id, made[1].version, cases.CaseInput(
        title="anders", category="polarisation", parties="A", affected_groups="B", glasl_stage=8))
    from .test_query_plans import seed

    seed(world, 40)  # bulk-inserted, not through the services: counted too
    with db.session.begin():
        db.session.execute(delete(CaseEvent).where(CaseEvent.case_id == made[3].id))
        db.session.execute(delete(Case).where(Case.id == made[3].id))
    db.session.expire_all()
    counted = {state: n for state, n in _counted(world.musterstadt.id).items() if n}
    assert counted == _actual(world.musterstadt.id) == {"analysis": 2 + 2, "processing": 1}
    levels = dict(db.session.execute(select(CaseCount.category, func.sum(CaseCount.cases)).where(
        CaseCount.municipality_id == world.musterstadt.id).group_by(CaseCount.category)).all())
    assert levels["polarisation"] == 1


@pytest.mark.parametrize("sort, index", [
    ("updated", "ix_cases_municipality_updated_id"),
    ("escalation", "ix_cases_municipality_score_id"),
    ("reference", "sqlite_autoindex_cases_1"),  # the unique (municipality_id, reference)
])
def test_each_sort_reads_along_an_index(world, sort, index):
    from sqlalchemy import event

    from .test_query_plans import plan, seed

    seed(world, 6000)
    captured = []

    def grab(_conn, _cursor, statement, parameters, _context, _many):
        if "FROM cases" in statement and "ORDER BY" in statement:
            captured.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", grab)
    try:
        first = cases.list_cases(world.facilitator, CaseFilters(sort=sort), per_page=50)
        cases.list_cases(world.facilitator, CaseFilters(sort=sort), per_page=50, after=first.next_after)
    finally:
        event.remove(db.engine, "before_cursor_execute", grab)
    for statement, parameters in captured[-2:]:
        shown = plan(statement, parameters)
        if db.engine.dialect.name == "sqlite":  # PostgreSQL picks by its own costs at this size
            assert index in shown and "TEMP B-TREE" not in shown.upper(), shown
