"""Full-text search (FTS5 on SQLite, tsvector on PostgreSQL), the list's sorts and municipality
filter, and the counters the overview reads."""
import pytest
from sqlalchemy import delete, func, select

from kokoma.database import db
from kokoma.models import Case, CaseCount
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


def test_the_analysis_measures_and_follow_ups_find_the_case_and_follow_each_change(world, park):
    """Every text of the analysis, of the measures and of the follow-ups is in the search
    document, written anew in the transaction of each change (CaseChange.finish)."""
    from datetime import date

    from kokoma.services import analysis, follow_ups, measures
    from kokoma.services.analysis_snapshot import Analysis

    other = world.analysed_case(title="Parkplatzstreit")
    actor = next(a for a in Analysis(db.session.get(Case, park.id)).actors if a.name == "Familie Özdemir")
    analysis.update_item(world.facilitator, park.id, "actor", actor.id, {
        "name": "Familie Özdemir", "kind": "group", "role": "primary", "influence": "medium", "affected": False,
        "anti_democratic": False, "position": "Grillverbot durchsetzen", "interests": "Nachtruhe für die Kinder",
        "fears": "Vandalismus am Spielplatz"})
    for part, data in (
        ("issue", {"text": "Öffnungszeiten des Pavillons", "kind": "facts"}),
        ("history", {"happened_on": date(2026, 9, 1), "text": "Unterschriftensammlung im Quartier", "source": ""}),
        ("resource", {"name": "Quartiersmanagement Südstadt", "kind": "resource", "note": ""}),
    ):
        analysis.add_item(world.facilitator, park.id, part, data)
    analysis.assess(world.advisor, park.id, 4, "hot", "Drohbriefe an den Kioskpächter")
    world.measure(park, kind="mediation", title="Moderiertes Gespräch", place="Gemeindesaal Sankt Georg",
                  participants="Jugendhilfeausschuss", outcome="Ruhezeiten vereinbart")
    follow_ups.add_follow_up(world.facilitator, park.id, follow_ups.FollowUpInput(
        date.today(), "Lautstärkemessung nachholen", world.facilitator.id))
    for words in ("Grillverbot", "Nachtruhe", "Vandalismus", "Öffnungszeiten", "Unterschriftensammlung",
                  "Quartiersmanagement", "Drohbriefe", "Moderiertes", "Gemeindesaal", "Jugendhilfeausschuss",
                  "Ruhezeiten", "Lautstärkemessung"):
        assert found(world.facilitator, words) == [park.reference], words
    # the affected groups' hearings (complete_analysis heard them): both cases
    assert set(found(world.facilitator, "verdrängt")) == {park.reference, other.reference}
    # an actor renamed or removed, a measure changed: the old words find the case no more
    analysis.update_item(world.facilitator, park.id, "actor", actor.id, {
        "name": "Familie K.", "kind": "group", "role": "primary", "influence": "medium", "affected": False,
        "anti_democratic": False})
    assert found(world.facilitator, "Özdemir") == [] and found(world.facilitator, "Grillverbot") == []
    assert found(world.facilitator, "Familie") == [park.reference]
    resource = Analysis(db.session.get(Case, park.id)).resources[0]
    analysis.remove_item(world.facilitator, park.id, "resource", resource.id)
    assert found(world.facilitator, "Quartiersmanagement") == []
    measure = measures.measures_of(db.session.get(Case, park.id))[0]
    measures.update_measure(world.facilitator, park.id, measure.id, measures.MeasureInput(
        kind="mediation", title="Moderiertes Gespräch", status="done", outcome="Keine Einigung"))
    assert found(world.facilitator, "Ruhezeiten") == [] and found(world.facilitator, "Einigung") == [park.reference]
    assert found(world.outsider, "Moderiertes") == []  # another municipality's search finds none of it


def test_german_words_are_found_in_other_forms(world, park):
    assert found(world.facilitator, "Jugendlichen") == [park.reference]
    assert found(world.facilitator, "trifft Pavillons") == [park.reference] or found(world.facilitator, "Pavillons") == [park.reference]


def test_an_edit_changes_what_finds_the_case(world, park):
    cases.update_case(world.facilitator, park.id, park.version, cases.CaseInput(
        title="Lärm im Schlossgarten", category=park.category, location=park.location, glasl_stage=3,
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
        title="anders", category="polarisation", glasl_stage=8))
    from .test_query_plans import seed

    seed(world, 40)  # bulk-inserted, not through the services: counted too
    with db.session.begin():
        for table in reversed(db.metadata.sorted_tables):  # its analysis, events and score first
            if "case_id" in table.c and table.name != "case_search":
                db.session.execute(delete(table).where(table.c.case_id == made[3].id))
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


@pytest.mark.parametrize("few, window", [(None, None), (1, 2), (1, 4), (1, 1000)],
                         ids=["as configured", "window too small: all matches", "walk in a window", "walk to the end"])
@pytest.mark.parametrize("sort", ["newest", "reference", "updated", "escalation"])
def test_a_sorted_search_finds_the_same_pages_in_each_plan(world, monkeypatch, sort, few, window):
    """search.in_order walks the list's order and looks each case up in the full-text index, or
    reads all matches and sorts them, by how many match: every plan shows the same pages, in the
    list's order, scoped (another municipality's matches never show)."""
    from sqlalchemy import event

    from kokoma.services import search

    made = [world.case(title=f"{'Bolzplatz' if n % 3 else 'Parkplatz'} {n}", glasl_stage=(n * 4) % 9 + 1)
            for n in range(10)]
    cases.add_comment(world.facilitator, made[4].id, "Bolzplätze geprüft")  # changed last, found by its stem
    world.case(world.outsider, title="Bolzplatz in Beispielhausen")
    matching = {c.reference for n, c in enumerate(made) if n % 3}
    expected = [ref for ref in found(world.facilitator, "", sort=sort) if ref in matching]
    if few is not None:
        monkeypatch.setattr(search, "FEW", few)
        monkeypatch.setattr(search, "WINDOW", window)
    statements = []
    listen = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listen)
    try:
        forwards, backwards = _walk(world.facilitator, CaseFilters(text="Bolzplatz", sort=sort), 2)
    finally:
        event.remove(db.engine, "before_cursor_execute", listen)
    assert [ref for page in forwards for ref in page] == expected
    assert forwards == backwards
    walked = any("EXISTS (SELECT" in statement for statement in statements)
    read_all = any(" IN (SELECT" in statement and ("case_search_fts" in statement or "matches" in statement)
                   for statement in statements)
    postgresql = db.engine.dialect.name == "postgresql"
    assert walked == (few is not None or postgresql)  # SQLite counts 7 matches: fewer than FEW, read all
    if few is None and not postgresql or window == 2:
        assert read_all
    if window == 1000:
        assert not read_all


@pytest.mark.parametrize("sort, index", [
    ("newest", "ix_cases_municipality_id_id"),
    ("updated", "ix_cases_municipality_updated_id"),
    ("escalation", "ix_cases_municipality_score_id"),
    ("reference", "sqlite_autoindex_cases_1"),
])
def test_a_sorted_search_walks_the_sorts_index(world, monkeypatch, sort, index):
    """The walk of search.in_order reads along the sort's index and stops after the page: no sort
    of all matches (the cost that grew with the cases, docs/performance.md)."""
    from sqlalchemy import event

    from kokoma.services import search

    from .test_query_plans import plan, seed

    seed(world, 6000)
    monkeypatch.setattr(search, "FEW", 0)  # as for a word that matches many
    captured = []

    def grab(_conn, _cursor, statement, parameters, _context, _many):
        if "EXISTS (SELECT" in statement:
            captured.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", grab)
    try:
        cases.list_cases(world.facilitator, CaseFilters(text="Fall", sort=sort), per_page=50)
    finally:
        event.remove(db.engine, "before_cursor_execute", grab)
    assert captured
    for statement, parameters in captured:
        shown = plan(statement, parameters)
        if db.engine.dialect.name == "sqlite":  # PostgreSQL picks by its own costs at this size
            assert index in shown and "TEMP B-TREE" not in shown.upper(), shown


def test_words_are_stemmed_in_c_with_the_stems_of_snowballs_python():
    """A change writes the stems of every word of its case's document anew: snowballstemmer's own
    Python took 40-75 µs a word (110 ms a comment on a trail of 2,000 events, bench_timeline.py),
    PyStemmer's C under 1 µs. Both must stem alike, or documents indexed by one would not be
    found by words stemmed by the other."""
    from snowballstemmer.german_stemmer import GermanStemmer

    from kokoma.services.search import _stemmer, german_stem

    assert type(_stemmer()).__module__ == "Stemmer"  # PyStemmer is installed and used
    python_stemmer = GermanStemmer()
    words = ["Jugendlichen", "Straßenfeste", "übers", "Häuser", "Konfliktmanagement", "Bürgerversammlungen",
             "Rechtsextremismus", "Moscheegemeinde", "Nachbarschaftsstreit", "Ordnungsamt", "Wiedervorlage"]
    for word in (w.lower() for w in words):
        assert german_stem(word) == python_stemmer.stemWord(word), word
