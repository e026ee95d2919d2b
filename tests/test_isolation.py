"""No route can show or change another municipality's objects: the URL map is walked, and every
route that takes an object id is tried with an object of another municipality."""
import io
import json
import pathlib
import re
from datetime import date, datetime, timezone

import pytest
from sqlalchemy import func, select

from kokoma.database import db
from kokoma.models import ActorRelation, AnalysisActor, AnalysisResource, DisputeIssue, GroupHearing, HistoryEntry
from kokoma.models import (AdvisorAssignment, Attachment, Case, CaseEvent, CaseStudy, Delivery, FollowUp, Measure, Partner,
                           Referral, Review, User)
from kokoma.services import analysis, attachments, follow_ups, referral, reviews
from kokoma.services.analysis_snapshot import Analysis

from .conftest import PASSWORD

METHODS = ("GET", "POST")


@pytest.fixture
def foreign_objects(world):
    """Objects of Beispielhausen, one for each kind of id a route can take."""
    case = world.analysed_case(user=world.outsider, title="Fremder Fall")
    reviews.request_review(world.outsider, case.id, "Bitte prüfen")
    review = db.session.scalars(select(Review).where(Review.case_id == case.id)).one()
    assignment = db.session.scalars(
        select(AdvisorAssignment).where(AdvisorAssignment.municipality_id == world.other.id)
    ).first()
    partner = Partner(municipality_id=world.other.id, name="Jugendamt Beispielhausen", email="ja@bhn.example")
    db.session.add(partner)
    db.session.flush()
    delivery = Delivery(event_id=db.session.scalar(select(CaseEvent.id).where(CaseEvent.case_id == case.id)),
                        case_id=case.id, municipality_id=world.other.id, partner_id=partner.id,
                        channel="email", idempotency_key="k" * 32, status="failed")
    db.session.add(delivery)
    db.session.commit()
    parts = analysis_items(world, case)
    referral.propose(world.outsider, case.id, "Offen antidemokratisch", partner.id, date(2026, 11, 1))
    parts["referral_id"] = db.session.scalars(select(Referral.id).where(Referral.case_id == case.id)).one()
    measure = world.measure(case, user=world.outsider)
    follow_up = follow_ups.add_follow_up(world.outsider, case.id, follow_ups.FollowUpInput(
        date.today(), "Nachfragen", world.outsider.id)).follow_up
    attachments.add_attachment(world.outsider, case.id, "Protokoll.pdf",
                               io.BytesIO(b"%PDF-1.4\n%%EOF\n"))
    draft = CaseStudy(case_id=case.id, municipality_id=world.other.id, category=case.category, duration_days=3,
                      measures=[], lessons="Entwurf")  # not released: their own
    db.session.add(draft)
    db.session.commit()
    return {
        **parts,
        "measure_id": measure.id,
        "follow_up_id": follow_up.id,
        "study_id": draft.id,
        "attachment_id": db.session.scalar(select(Attachment.id).where(Attachment.case_id == case.id)),
        "partner_id": partner.id,
        "delivery_id": delivery.id,
        "case_id": case.id,
        "review_id": review.id,
        "user_id": world.outsider.id,
        "assignment_id": assignment.id,
    }


def analysis_items(world, case) -> dict:
    """One item of each part of the foreign case's analysis, by the name its routes give its id."""
    user = world.outsider
    analysis.add_item(user, case.id, "actor", {"name": "Kameradschaft", "kind": "group", "role": "primary",
                                               "influence": "high", "anti_democratic": True})
    analysis.add_item(user, case.id, "history", {"happened_on": date(2026, 10, 1), "text": "Flugblätter"})
    analysis.add_item(user, case.id, "resource", {"name": "Jugendclub", "kind": "ally"})
    snapshot = Analysis(db.session.get(Case, case.id))
    first, second = snapshot.actors[:2]
    analysis.add_item(user, case.id, "relation", {"source_id": first.id, "target_id": second.id, "kind": "conflict"})
    snapshot = Analysis(db.session.get(Case, case.id))
    return {"actor_id": first.id, "relation_id": snapshot.relations[0].id, "issue_id": snapshot.issues[0].id,
            "entry_id": snapshot.history[0].id, "hearing_id": snapshot.hearings[0].id,
            "resource_id": snapshot.resources[0].id}


def routes_with_ids(app):
    for rule in app.url_map.iter_rules():
        ids = re.findall(r"<int:(\w+)>", rule.rule)
        if ids:
            yield rule, ids


def snapshot():
    return (
        db.session.scalar(select(func.count()).select_from(CaseEvent)),
        db.session.scalar(select(func.count()).select_from(AdvisorAssignment)),
        tuple(db.session.execute(select(Partner.id, Partner.name, Partner.active).order_by(Partner.id)).all()),
        tuple(db.session.execute(select(Delivery.id, Delivery.status).order_by(Delivery.id)).all()),
        tuple(db.session.execute(select(User.id, User.active, User.role).order_by(User.id)).all()),
        tuple(db.session.execute(select(Case.id, Case.version, Case.state).order_by(Case.id)).all()),
        tuple(db.session.execute(select(Referral.id, Referral.status).order_by(Referral.id)).all()),
        tuple(tuple(db.session.execute(select(model.id).order_by(model.id)).scalars().all())
              for model in (AnalysisActor, ActorRelation, DisputeIssue, HistoryEntry, GroupHearing, AnalysisResource)),
        tuple(db.session.execute(select(Measure.id, Measure.title, Measure.status).order_by(Measure.id)).all()),
        tuple(db.session.execute(select(FollowUp.id, FollowUp.status).order_by(FollowUp.id)).all()),
    )


@pytest.mark.parametrize("who", ["facilitator", "coordinator", "advisor"])
def test_every_route_with_an_id_answers_404_for_another_municipality(app, client, world, foreign_objects, who):
    user = getattr(world, who)
    assert client.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 302
    before = snapshot()
    tried = 0
    for rule, ids in routes_with_ids(app):
        unknown = set(ids) - set(foreign_objects)
        assert not unknown, f"{rule.rule}: teach this test the id {unknown} (an object of another municipality)"
        url = rule.rule
        for arg in ids:
            url = url.replace(f"<int:{arg}>", str(foreign_objects[arg]))
        for method in METHODS:
            if method not in rule.methods:
                continue
            response = client.open(url, method=method, data={"text": "x", "trigger": "start_processing",
                                                             "active": "0", "role": "coordinator", "kind": "other",
                                                             "title": "x", "status": "done", "note": "x",
                                                             "due_on": "2030-01-01", "what": "x"})
            assert response.status_code == 404, f"{who} {method} {url} answered {response.status_code}"
            tried += 1
    assert tried >= 10
    db.session.expire_all()
    assert snapshot() == before, "a refused request changed data"


def test_a_changed_hidden_input_cannot_reach_another_municipality(client, world):
    """Form fields naming foreign objects are checked too (here: the responsible facilitator)."""
    own = world.case()
    client.post("/login", data={"email": world.facilitator.email, "password": PASSWORD})
    response = client.post(f"/cases/{own.id}/edit", data={
        "title": "x", "category": "other", "version": "1", "facilitator_id": str(world.outsider.id),
    })
    assert response.status_code == 422
    assert db.session.get(Case, own.id).facilitator_id == world.facilitator.id


def test_a_coordinator_manages_only_own_municipality(client, world):
    client.post("/login", data={"email": world.coordinator.email, "password": PASSWORD})
    page = client.get("/admin/users").get_data(as_text=True)
    assert world.facilitator.email in page and world.outsider.email not in page
    assert world.advisor.email not in page  # advisors are the admin's
    assert client.post(f"/admin/users/{world.outsider.id}/active", data={"active": "0"}).status_code == 404
    assert db.session.get(User, world.outsider.id).active is True


KOKOMA = pathlib.Path(__file__).resolve().parent.parent / "kokoma"
TEMPLATES = KOKOMA.parent / "templates"


def test_scope_and_roles_are_decided_in_one_place():
    """Only kokoma/services/permissions.py limits data to a person's municipality or tests a role:
    everything else asks it (visible, get, can)."""
    by_hand = re.compile(r"municipality_id\s*==\s*\w*(user|manager|coordinator|admin|advisor)\.municipality_id"
                         r"|\.role\s*(==|!=|in\b|not in\b)")
    offenders = [
        f"{path.relative_to(KOKOMA.parent)}:{n}"
        for path in [*KOKOMA.rglob("*.py"), *TEMPLATES.rglob("*.html")] if path.name != "permissions.py"
        for n, line in enumerate(path.read_text().splitlines(), 1) if by_hand.search(line)
    ]
    assert offenders == [], f"ask kokoma.services.permissions instead: {offenders}"


def test_measures_and_follow_ups_of_a_case_cannot_be_reached_through_another_case(client, world):
    """A measure or follow-up id belongs to its case: under another (own) case it is not found."""
    first, second = world.analysed_case(), world.analysed_case(title="Zweiter Fall")
    measure = world.measure(first)
    follow_up = follow_ups.add_follow_up(world.facilitator, first.id, follow_ups.FollowUpInput(
        date.today(), "Nachfragen", world.facilitator.id)).follow_up
    client.post("/login", data={"email": world.facilitator.email, "password": PASSWORD})
    assert client.get(f"/cases/{second.id}/measures/{measure.id}").status_code == 404
    assert client.post(f"/cases/{second.id}/measures/{measure.id}",
                       data={"kind": "other", "title": "x", "status": "done"}).status_code == 404
    assert client.post(f"/cases/{second.id}/follow-ups/{follow_up.id}/done", data={"note": "x"}).status_code == 404
    assert db.session.get(Measure, measure.id).title == "Runder Tisch im Rathaus"
    assert db.session.get(FollowUp, follow_up.id).status == "open"


# Routes whose variables are not ids of a case or its parts, and the test that proves each one
# shows and changes nothing of another municipality.
ROUTES_WITHOUT_IDS = {
    "/invitation/<token>": "test_routes_with_a_secret_token_answer_404_for_another_persons_token_or_none",
    "/calendar/<token>.ics": "test_routes_with_a_secret_token_answer_404_for_another_persons_token_or_none",
    "/cases/export.<any(csv, xlsx):kind>": "test_exports.py::test_the_csv_holds_the_filtered_list_of_the_municipality_only",
    "/plugins/<path:name>": "test_plugin_contract.py::test_the_coordinator_s_page_lists_switches_and_sets "
                            "(a coordinator's values and switch reach only their own municipality)",
    "/static/<path:filename>": "files of the app itself, the same for everybody",
}


def test_every_route_with_another_kind_of_variable_is_known(app):
    """A new route taking a name, token or path instead of an id must say which test keeps it
    inside its municipality (the id walk above does not reach it)."""
    found = {rule.rule for rule in app.url_map.iter_rules() if "<" in rule.rule and not re.search(r"<int:", rule.rule)}
    assert found == set(ROUTES_WITHOUT_IDS), "teach ROUTES_WITHOUT_IDS the new route and the test that covers it"


def test_routes_with_a_secret_token_answer_404_for_another_persons_token_or_none(app, client, world, foreign_objects):
    """Routes that take a token instead of an id (the calendar feed): the token of a person of
    another municipality opens only that person's own entries, and a made-up token nothing."""
    from kokoma.services import calendar_feed

    token_routes = [rule.rule for rule in app.url_map.iter_rules()
                    if "<token>" in rule.rule and "<int:" not in rule.rule]
    assert set(token_routes) == {"/invitation/<token>", "/calendar/<token>.ics"}, "teach this test the new route"
    own_case = world.analysed_case(title="Eigener Fall")
    world.measure(own_case, title="Eigene Maßnahme", status="planned",
                  planned_at=datetime(2030, 1, 1, tzinfo=timezone.utc),
                  responsible=f"user:{world.facilitator.id}")
    foreign_token = calendar_feed.renew_token(world.outsider)
    feed = client.get(f"/calendar/{foreign_token}.ics").get_data(as_text=True)
    assert "Eigene Maßnahme" not in feed and own_case.reference not in feed
    for made_up in ("a" * 43, foreign_token[:-1] + ("A" if foreign_token[-1] != "A" else "B")):
        assert client.get(f"/calendar/{made_up}.ics").status_code == 404


def test_the_data_protection_routes_show_nothing_of_another_municipality(app, client, world):
    """The routes without ids (the trail and its CSV, retention, a person's request) are walked
    as a coordinator with another municipality's case reference and words: nothing of it shows."""
    from kokoma.services import access_trail, retention

    foreign = world.analysed_case(user=world.outsider, title="Fremder Fall", parties="Frieda Fremdling")
    access_trail.record_view(world.outsider, foreign)
    other_coordinator = world.user("coord@bhn.example", "coordinator", world.other, "Uta Kern")
    retention.save_settings(other_coordinator, 1, None)
    client.post("/login", data={"email": world.coordinator.email, "password": PASSWORD})
    asked = {"case": foreign.reference, "person": str(world.outsider.id), "name": "Frieda Fremdling",
             "format": "json", "mode": "erase", "reason": "Test"}
    new_rules = [rule for rule in app.url_map.iter_rules()
                 if rule.rule.startswith(("/privacy/", "/admin/access-log")) and "<" not in rule.rule]
    assert len(new_rules) >= 5
    for rule in new_rules:
        for method in sorted(rule.methods & {"GET", "POST"}):
            response = (client.get(rule.rule, query_string=asked) if method == "GET"
                        else client.post(rule.rule, data=asked))
            body = response.get_data(as_text=True)
            assert response.status_code < 500, (method, rule.rule)
            # (the query itself may be echoed, in forms and links: what must not show is the case)
            assert f"/cases/{foreign.id}\"" not in body and f"{foreign.reference}</h2>" not in body, (method, rule.rule)
            assert "Fremder Fall" not in body and world.outsider.name not in body, (method, rule.rule)
            if response.mimetype == "application/json":
                assert json.loads(body)["cases"] == {}
    db.session.expire_all()
    assert "Frieda Fremdling" in {actor.name for actor in Analysis(db.session.get(Case, foreign.id)).actors}
