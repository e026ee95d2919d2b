"""The conflict analysis of a case: its parts through the pages, completeness and the guard, the
Glasl assessments of both sides of the tandem, the default factors it feeds, the trail after the
analysis phase, the score's history, plugins' analysis fields, and the migration of the texts."""
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from kokoma.database import db
from kokoma.models import (
    ActorRelation, AnalysisActor, Case, CaseEvent, DisputeIssue, GlaslAssessment, GroupHearing, ScorePoint,
)
from kokoma.services import analysis, cases
from kokoma.services.analysis_snapshot import Analysis
from kokoma.services.errors import PermissionDenied, ValidationError
from kokoma.workflow import TransitionBlocked

from .conftest import PASSWORD, World, seen_on


def login(client, user):
    assert client.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 302


def actor_form(name, **fields):
    return {"actor-name": name, "actor-kind": "group", "actor-role": "primary", "actor-influence": "medium",
            **{f"actor-{k}": v for k, v in fields.items()}}


def actors_of(case_id):
    return db.session.scalars(select(AnalysisActor).where(AnalysisActor.case_id == case_id).order_by(AnalysisActor.id)).all()


def test_a_facilitator_fills_every_part_through_the_analysis_page(client, world):
    case = world.case(title="Leerer Fall")
    login(client, world.facilitator)
    base = f"/cases/{case.id}/analysis"
    assert client.post(f"{base}/actors", data=actor_form(
        "Bürgerverein Süd", influence="high", position="Keine Umbenennung", interests="Heimat", fears="Schuld")).status_code == 302
    assert client.post(f"{base}/actors", data=actor_form(
        "Schwarze Community", role="secondary", affected="y", influence="low")).status_code == 302
    first, second = actors_of(case.id)
    assert client.post(f"{base}/relations", data={"relation-source_id": str(first.id), "relation-target_id": str(second.id),
                                                  "relation-kind": "conflict", "relation-note": "Offene Briefe"}).status_code == 302
    assert client.post(f"{base}/issues", data={"issue-text": "Name der Straße", "issue-kind": "values"}).status_code == 302
    assert client.post(f"{base}/history", data={"history-happened_on": "2026-10-01", "history-text": "Antrag im Ortsbeirat",
                                                "history-source": "Protokoll"}).status_code == 302
    assert client.post(f"{base}/hearings", data={"hearing-actor_id": str(second.id), "hearing-format": "group_talk",
                                                 "hearing-held_on": "2026-10-12", "hearing-consent": "y",
                                                 "hearing-summary": "Fühlen sich übergangen", "hearing-threat": "elevated"}).status_code == 302
    assert client.post(f"{base}/resources", data={"resource-name": "Stadtarchiv", "resource-kind": "ally",
                                                  "resource-note": "Kennt die Geschichte"}).status_code == 302
    assert client.post(f"{base}/glasl", data={"glasl-stage": "4", "glasl-temperature": "hot",
                                              "glasl-rationale": "Bilder vom Gegner"}).status_code == 302
    current = db.session.get(Case, case.id)
    snapshot = Analysis(current)
    assert [a.name for a in snapshot.actors] == ["Bürgerverein Süd", "Schwarze Community"]
    assert snapshot.actors[1].affected and snapshot.actors[0].position == "Keine Umbenennung"
    assert [(r.kind, r.note) for r in snapshot.relations] == [("conflict", "Offene Briefe")]
    assert [(i.kind, i.text) for i in snapshot.issues] == [("values", "Name der Straße")]
    assert snapshot.history[0].happened_on == date(2026, 10, 1) and snapshot.resources[0].kind == "ally"
    assert snapshot.hearings[0].summary == "Fühlen sich übergangen" and snapshot.highest_threat == "elevated"
    assert current.glasl_stage == 4 and snapshot.complete
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "Die Analyse ist vollständig." in page
    assert page.count('class="actor-map"') == 1 and "<title>Bürgerverein Süd" in page
    assert 'stroke="#a4161a" stroke-width="3.5"' in page  # the conflict's line style
    assert "Bilder vom Gegner" in page and "Gegenseitige Drohungen" not in page
    # the relations table beside the map says the same in words
    assert "<td>Bürgerverein Süd</td><td>Konflikt</td>" in page
    # edit one item, then remove an actor: its relation and hearing go with it
    edit = client.get(f"{base}/actors/{first.id}")
    assert edit.status_code == 200 and 'value="Bürgerverein Süd"' in edit.get_data(as_text=True)
    assert client.post(f"{base}/actors/{first.id}", data=actor_form(
        "Bürgerverein Süd e. V.", influence="high", seen=seen_on(client, f"{base}/actors/{first.id}"))).status_code == 302
    assert actors_of(case.id)[0].name == "Bürgerverein Süd e. V."
    assert client.post(f"{base}/actors/{second.id}/remove").status_code == 302
    assert db.session.scalars(select(ActorRelation).where(ActorRelation.case_id == case.id)).all() == []
    assert db.session.scalars(select(GroupHearing).where(GroupHearing.case_id == case.id)).all() == []


def test_bad_input_is_refused_at_its_field_and_kept(client, world):
    case = world.case(parties="Verein", affected_groups="Jugendliche")
    login(client, world.facilitator)
    group = actors_of(case.id)[1]
    response = client.post(f"/cases/{case.id}/analysis/hearings", data={
        "hearing-actor_id": str(group.id), "hearing-format": "one_to_one", "hearing-held_on": "2026-11-01",
        "hearing-summary": "Wir werden beschimpft", "hearing-threat": "high"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "nur mit Einverständnis" in page and "Wir werden beschimpft" in page
    assert db.session.scalars(select(GroupHearing)).all() == []
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    response = client.post(f"/cases/{case.id}/analysis/history", data={"history-happened_on": tomorrow, "history-text": "x"})
    assert response.status_code == 422 and "in der Zukunft" in response.get_data(as_text=True)
    verein = actors_of(case.id)[0]
    response = client.post(f"/cases/{case.id}/analysis/hearings", data={
        "hearing-actor_id": str(verein.id), "hearing-format": "one_to_one", "hearing-held_on": "2026-11-01",
        "hearing-threat": "none"})  # not flagged affected
    assert response.status_code == 422
    response = client.post(f"/cases/{case.id}/analysis/relations", data={
        "relation-source_id": str(verein.id), "relation-target_id": str(verein.id), "relation-kind": "close"})
    assert response.status_code == 422 and "zwei verschiedene" in response.get_data(as_text=True)
    response = client.post(f"/cases/{case.id}/analysis/glasl", data={"glasl-stage": "12", "glasl-rationale": ""})
    assert response.status_code == 422 and db.session.scalars(select(GlaslAssessment)).all() == []


def test_a_form_that_comes_back_has_its_first_wrong_field_focused(client, world):
    """The analysis page is long: the browser scrolls to the focused field (``autofocus``)."""
    case = world.case(parties="Verein")
    login(client, world.facilitator)
    for url, data, focused in [
        ("actors", {"actor-name": ""}, "actor-name"),
        ("history", {"history-happened_on": "morgen", "history-text": "Demo"}, "history-happened_on"),
        ("glasl", {"glasl-rationale": "Drohungen"}, "glasl-stage-1"),
        ("glasl", {"glasl-stage": "4", "glasl-rationale": "Drohungen"}, "glasl-temperature-hot"),
    ]:
        page = client.post(f"/cases/{case.id}/analysis/{url}", data=data).get_data(as_text=True)
        (tag,) = re.findall(r'<input [^>]*autofocus[^>]*>', page)
        assert f'id="{focused}"' in tag, url


@pytest.mark.parametrize("leave_out, words", [
    ("actor", "mindestens zwei Akteure"),
    ("issue", "mindestens ein Streitpunkt"),
    ("assessment", "eine Glasl-Einschätzung"),
    ("hearing", "Jugendliche"),
])
def test_no_processing_before_the_analysis_is_complete(world, leave_out, words):
    case = world.case(parties="" if leave_out == "actor" else "Anwohnende", affected_groups="Jugendliche",
                      glasl_stage=None if leave_out == "assessment" else 3)
    if leave_out != "issue":
        analysis.add_item(world.facilitator, case.id, "issue", {"text": "Lärm", "kind": "interests"})
    if leave_out != "hearing":
        group = Analysis(db.session.get(Case, case.id)).affected_groups[0]
        analysis.update_item(world.facilitator, case.id, "actor", group.id, {
            "name": group.name, "kind": "group", "role": "secondary", "influence": "low", "affected": True,
            "not_heard_reason": "Noch kein Vertrauen; Streetwork vermittelt ein Gespräch."})
    with pytest.raises(TransitionBlocked) as blocked:
        cases.fire_trigger(world.facilitator, case.id, "start_processing", "", None)
    assert words in " ".join(blocked.value.reasons)
    assert db.session.get(Case, case.id).state == "analysis"


def test_a_reason_why_a_group_is_not_heard_yet_completes_the_analysis(world):
    case = world.case(parties="Anwohnende", affected_groups="Jugendliche", glasl_stage=3)
    analysis.add_item(world.facilitator, case.id, "issue", {"text": "Lärm", "kind": "interests"})
    group = Analysis(db.session.get(Case, case.id)).affected_groups[0]
    analysis.update_item(world.facilitator, case.id, "actor", group.id, {
        "name": group.name, "kind": "group", "role": "secondary", "influence": "low", "affected": True,
        "not_heard_reason": "Noch kein Vertrauen"})
    assert cases.fire_trigger(world.facilitator, case.id, "start_processing", "", None).case.state == "processing"


def test_every_glasl_assessment_is_kept_and_the_tandem_disagreement_is_flagged(client, world):
    case = world.analysed_case()
    analysis.assess(world.facilitator, case.id, 4, "cold", "Koalitionen bilden sich")
    change = analysis.assess(world.advisor, case.id, 6, "hot", "Es wird gedroht")
    current = db.session.get(Case, case.id)
    kept = db.session.scalars(select(GlaslAssessment).where(GlaslAssessment.case_id == case.id)
                              .order_by(GlaslAssessment.id)).all()
    assert [(a.stage, a.side) for a in kept] == [(3, "facilitator"), (4, "facilitator"), (6, "advisor")]
    assert current.glasl_stage == 4  # the facilitation's latest; the advisor's stands beside it
    factors = {f["key"]: f for f in change.case.escalation_factors}
    assert factors["tandem_disagreement"]["points"] == 10 and "2" in factors["tandem_disagreement"]["reason"]
    login(client, world.advisor)
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "Das Tandem ist sich uneinig" in page and "Es wird gedroht" in page
    analysis.assess(world.facilitator, case.id, 5, "hot", "Gesichtsverlust")
    assert "tandem_disagreement" not in {f["key"] for f in db.session.get(Case, case.id).escalation_factors}
    with pytest.raises(PermissionDenied):  # the advisor assesses, but does not edit the analysis
        analysis.add_item(world.advisor, case.id, "issue", {"text": "x", "kind": "facts"})
    assert client.post(f"/cases/{case.id}/analysis/issues", data={"issue-text": "x", "issue-kind": "facts"}).status_code == 403
    assessment_page = client.get(f"/cases/{case.id}/analysis/").get_data(as_text=True)
    for stage in range(1, 10):
        assert f'id="glasl-stage-{stage}"' in assessment_page
    assert "Gemeinsam in den Abgrund" in assessment_page and "Lose–Lose" in assessment_page


def test_default_factors_read_the_analysis(world):
    case = world.analysed_case(title="Drohungen")
    group = Analysis(case).affected_groups[0]
    analysis.add_item(world.facilitator, case.id, "hearing", {
        "actor_id": group.id, "format": "one_to_one", "held_on": date(2026, 11, 3), "consent": False,
        "summary": "", "threat": "high"})
    keys = {f["key"] for f in db.session.get(Case, case.id).escalation_factors}
    assert "high_threat" in keys and "anti_democratic_actor" not in keys
    analysis.add_item(world.facilitator, case.id, "actor", {
        "name": "Kameradschaft Nord", "kind": "group", "role": "primary", "influence": "medium",
        "anti_democratic": True})
    current = db.session.get(Case, case.id)
    assert {"high_threat", "anti_democratic_actor"} <= {f["key"] for f in current.escalation_factors}
    assert current.escalation_score == 20 + 15 + 15


def test_editing_is_free_in_analysis_and_trailed_with_what_changed_afterwards(client, world):
    case = world.analysed_case()
    first = actors_of(case.id)[0]
    edit = {"name": first.name, "kind": "group", "role": "primary", "influence": "medium", "position": "Ruhe ab 22 Uhr"}
    analysis.update_item(world.facilitator, case.id, "actor", first.id, edit)
    assert db.session.scalars(select(CaseEvent).where(CaseEvent.kind == "analysis_changed")).all() == []
    cases.fire_trigger(world.facilitator, case.id, "start_processing", "", None)
    analysis.update_item(world.facilitator, case.id, "actor", first.id, {**edit, "position": "Ruhe ab 20 Uhr"})
    analysis.add_item(world.facilitator, case.id, "issue", {"text": "Müll", "kind": "facts"})
    events = db.session.scalars(select(CaseEvent).where(CaseEvent.kind == "analysis_changed").order_by(CaseEvent.id)).all()
    assert [e.payload["action"] for e in events] == ["changed", "added"]
    assert events[0].payload["changes"] == {"position": ["Ruhe ab 22 Uhr", "Ruhe ab 20 Uhr"]}
    login(client, world.facilitator)
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "Analyse geändert" in page and "Ruhe ab 22 Uhr → Ruhe ab 20 Uhr" in page
    assert "Position (was sie fordern):" in page  # the field by its label


def test_the_score_history_has_a_point_per_change_with_its_factors(client, world):
    case = world.case(glasl_stage=2)
    cases.update_case(world.facilitator, case.id, db.session.get(Case, case.id).version, cases.CaseInput(
        title=case.title, category=case.category, violence_reported=True, facilitator_id=world.facilitator.id))
    cases.add_comment(world.facilitator, case.id, "Nichts am Score")
    points = db.session.scalars(select(ScorePoint).where(ScorePoint.case_id == case.id).order_by(ScorePoint.id)).all()
    assert [p.score for p in points] == [10, 30]  # logged with a stage, then violence; the comment moved nothing
    assert [f["key"] for f in points[-1].factors] == ["glasl_stage", "violence_reported"]
    login(client, world.facilitator)
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert page.count('class="score-chart"') == 1 and page.count("<circle", page.index("score-chart")) == 2
    assert "30 (erhöht): +10 Glasl-Stufe 2" in page  # a point's tooltip names its factors
    assert "+20</span> Gewalt oder Drohungen wurden gemeldet" in page  # what that change added
    # the level names stand right of every point, where none covers them
    chart = page[page.index('<svg class="score-chart"'):page.index("</svg>", page.index('<svg class="score-chart"'))]
    points_x = [float(x) for x in re.findall(r'<circle cx="([\d.]+)"', chart)]
    labels_x = {name: float(x) for x, name in re.findall(r'<text x="([\d.]+)"[^>]*>(erhöht|hoch|kritisch)</text>', chart)}
    assert len(labels_x) == 3 and min(labels_x.values()) > max(points_x) + 5


def test_a_plugin_adds_an_analysis_field_and_reads_it_when_scoring(make_app, tmp_path):
    folder = tmp_path / "plugins"
    folder.mkdir()
    (folder / "mapping.py").write_text('''
from wtforms import StringField
from kokoma import hookimpl


@hookimpl
def kokoma_analysis_fields(municipality):
    return {"dividers": StringField("Was trennt")}


@hookimpl
def kokoma_escalation_factors(case, analysis):
    if "Religion" in (analysis.extra.get("dividers") or ""):
        return [("religious_divide", 7, "Religion trennt")]
''')
    app = make_app(PLUGINS_DIR=str(folder))
    client = app.test_client()
    with app.test_request_context():
        world = World()
        case = world.analysed_case()
    login(client, world.facilitator)
    page = client.get(f"/cases/{case.id}/analysis/").get_data(as_text=True)
    assert 'name="fields-extra_dividers"' in page
    assert client.post(f"/cases/{case.id}/analysis/fields", data={"fields-extra_dividers": "Religion, Herkunft"}).status_code == 302
    with app.app_context():
        current = db.session.get(Case, case.id)
        assert ("religious_divide", 7) in [(f["key"], f["points"]) for f in current.escalation_factors]
        assert Analysis(current).extra == {"dividers": "Religion, Herkunft"}
    assert "Religion, Herkunft" in client.get(f"/cases/{case.id}/analysis/").get_data(as_text=True)


def test_service_rules_hold_without_the_forms(world):
    case = world.case(parties="A, B")
    with pytest.raises(ValidationError) as refused:
        analysis.add_item(world.facilitator, case.id, "actor", {"name": " ", "kind": "alien", "role": "primary",
                                                               "influence": "medium"})
    assert set(refused.value.errors) == {"name", "kind"}
    other = world.case(user=world.coordinator, parties="C")
    foreign_actor = actors_of(other.id)[0]
    from kokoma.services.errors import NotFound

    with pytest.raises(NotFound):  # an item of another case is not found through this one
        analysis.remove_item(world.facilitator, case.id, "actor", foreign_actor.id)
    with pytest.raises(NotFound):  # nor from another municipality
        analysis.add_item(world.outsider, case.id, "issue", {"text": "x", "kind": "facts"})
    assert db.session.scalars(select(DisputeIssue)).all() == []


def test_the_map_draws_influence_line_styles_and_flags():
    from types import SimpleNamespace as Item

    from kokoma import analysis_map

    actors = [Item(id=1, name="Verein", role="primary", influence="high", affected=False, anti_democratic=False),
              Item(id=2, name="Gruppe <b>", role="secondary", influence="low", affected=True, anti_democratic=False),
              Item(id=3, name="Kameradschaft", role="primary", influence="medium", affected=False, anti_democratic=True)]
    relations = [Item(source_id=1, target_id=2, kind="influence"), Item(source_id=2, target_id=3, kind="broken"),
                 Item(source_id=1, target_id=3, kind="tension")]
    svg = str(analysis_map.draw(Item(actors=actors, relations=relations), title="Karte", description="3 Akteure",
                                actor_text=lambda a: a.name, relation_text=lambda r: r.kind))
    assert svg.startswith("<svg") and 'role="img"' in svg and '<title id="map-title">Karte</title>' in svg
    assert 'r="34"' in svg and 'r="16"' in svg and 'r="24"' in svg  # circle size is influence
    assert 'marker-end="url(#map-arrow)"' in svg  # influence has a direction
    assert 'stroke-dasharray="8 5"' in svg and 'stroke-dasharray="12 4 2 4"' in svg  # tension, broken
    assert svg.count('stroke="#1e6b34" stroke-width="2" stroke-dasharray="4 3"') == 1  # the affected group's ring
    assert 'stroke="#a4161a" stroke-width="4"' in svg and ">!</text>" in svg  # the flagged actor
    assert "Gruppe &lt;b&gt;" in svg and "<b>" not in svg  # names are escaped
    # Each name lies on a white halo drawn before it, in ink without a stroke: `paint-order`, which
    # the PDF report's renderer ignores (it painted the halo over the letters), is not needed.
    for name in ("Verein", "Gruppe &lt;b&gt;", "Kameradschaft"):
        halo, ink = re.findall(rf"<text ([^>]*)>{re.escape(name)}</text>", svg)
        assert 'fill="#ffffff" stroke="#ffffff"' in halo and "stroke" not in ink and 'fill="#ffffff"' not in ink
    assert "paint-order" not in svg
