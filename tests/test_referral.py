"""Where multi-partiality ends: the referral path with four eyes, and what a referred case refuses."""
from datetime import date, datetime, timezone

import pytest
from sqlalchemy import select

from kokoma.database import db
from kokoma.models import AnalysisActor, Case, CaseEvent, Partner, Referral
from kokoma.services import analysis, cases, follow_ups, measures, referral, reviews
from kokoma.services.errors import PermissionDenied, ValidationError
from kokoma.services.referral_rules import measure_refusal
from kokoma.workflow import TransitionBlocked

from .conftest import PASSWORD

SOON = datetime(2031, 5, 4, 10, 0, tzinfo=timezone.utc)


def login(client, user):
    assert client.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 302


@pytest.fixture
def partner(world):
    partner = Partner(municipality_id=world.musterstadt.id, name="Mobile Beratung gegen Rechtsextremismus",
                      email="mbr@example.org")
    db.session.add(partner)
    db.session.commit()
    return partner


def flagged_case(world):
    case = world.analysed_case(title="Kameradschaft am Jugendtreff")
    analysis.add_item(world.facilitator, case.id, "actor", {
        "name": "Kameradschaft Nord", "kind": "group", "role": "primary", "influence": "high",
        "anti_democratic": True})
    return db.session.get(Case, case.id)


def test_the_referral_path_with_the_advisors_confirmation(client, world, partner):
    case = flagged_case(world)
    assert "refer" in {o.transition.trigger for o in cases_options(world, case)}
    with pytest.raises(TransitionBlocked) as blocked:  # not without the advisor
        cases.fire_trigger(world.facilitator, case.id, "refer", "Keine Mediation", None)
    assert "Bestätigung" in blocked.value.reasons[0]

    login(client, world.facilitator)
    detail = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "Wo die Multiparteilichkeit endet" in detail and "Kameradschaft Nord" in detail
    response = client.post(f"/cases/{case.id}/analysis/referral", data={
        "referral-partner_id": "", "referral-referred_on": "2026-11-20", "referral-reason": "Drohungen"})
    assert response.status_code == 422 and "Partner aus dem Verzeichnis" in response.get_data(as_text=True)
    assert client.post(f"/cases/{case.id}/analysis/referral", data={
        "referral-partner_id": str(partner.id), "referral-referred_on": "2026-11-20",
        "referral-reason": "Offen rechtsextreme Gruppe, verweigert jedes Gespräch"}).status_code == 302
    proposal = db.session.scalars(select(Referral)).one()
    assert proposal.status == "proposed" and db.session.get(Case, case.id).state == "analysis"
    assert client.get(f"/referrals/{proposal.id}").status_code == 403  # the facilitator cannot confirm

    client.post("/logout")
    login(client, world.advisor)
    queue = client.get("/reviews/").get_data(as_text=True)
    assert "Zu bestätigende Verweisungen" in queue and f"/referrals/{proposal.id}" in queue
    response = client.post(f"/referrals/{proposal.id}", data={"decision": "confirm", "note": "Einverstanden"})
    assert response.status_code == 302
    current = db.session.get(Case, case.id)
    assert current.state == "referral"
    decided = db.session.get(Referral, proposal.id)
    assert (decided.status, decided.decided_by_id, decided.partner_id, decided.referred_on) == (
        "confirmed", world.advisor.id, partner.id, date(2026, 11, 20))
    moved = db.session.scalars(select(CaseEvent).where(CaseEvent.kind == "transition")).all()[-1]
    assert (moved.trigger, moved.actor_id, moved.from_state, moved.to_state) == ("refer", world.advisor.id, "analysis", "referral")
    assert "Zu bestätigende Verweisungen" not in client.get("/reviews/").get_data(as_text=True)

    # in referral: no dialogue or mediation with the flagged actor; other measures go on
    with pytest.raises(ValidationError) as refused:
        measures.add_measure(world.facilitator, case.id, measures.MeasureInput(
            kind="mediation", title="Mediation mit allen", planned_at=SOON))
    assert "Kameradschaft Nord" in str(refused.value.errors["kind"])
    client.post("/logout")
    login(client, world.facilitator)
    response = client.post(f"/cases/{case.id}/measures", data={
        "kind": "dialogue", "title": "Gespräch mit der Gruppe", "status": "planned", "planned_at": "2031-05-04T10:00"})
    assert response.status_code == 422 and "Multiparteilichkeit" in response.get_data(as_text=True)
    assert "Gespräch mit der Gruppe" in response.get_data(as_text=True)  # what was typed is kept
    measures.add_measure(world.facilitator, case.id, measures.MeasureInput(
        kind="round_table", title="Runder Tisch mit der Mobilen Beratung", planned_at=SOON))
    # a dialogue that names only actors who talk goes on
    other = db.session.scalars(select(AnalysisActor).where(
        AnalysisActor.case_id == case.id, AnalysisActor.anti_democratic.is_(False))).first()
    measures.add_measure(world.facilitator, case.id, measures.MeasureInput(
        kind="dialogue", title="Gespräch mit dem Verein", planned_at=SOON, participant_actor_ids=[other.id]))

    # back to analysis: the referral has ended, a new one needs a new confirmation
    cases.fire_trigger(world.facilitator, case.id, "end_referral", "Gruppe hat sich aufgelöst", None)
    assert db.session.get(Case, case.id).state == "analysis"
    assert db.session.get(Referral, proposal.id).ended_at is not None
    with pytest.raises(TransitionBlocked):
        cases.fire_trigger(world.facilitator, case.id, "refer", "Wieder", None)


def cases_options(world, case):
    from kokoma.runtime import kokoma

    return kokoma().workflow.options(case, world.facilitator)[0]


def test_the_advisor_declines_with_a_reason_and_the_case_stays(client, world, partner):
    case = flagged_case(world)
    referral.propose(world.facilitator, case.id, "Verweisen", partner.id, date(2026, 11, 1))
    proposal = db.session.scalars(select(Referral)).one()
    login(client, world.advisor)
    response = client.post(f"/referrals/{proposal.id}", data={"decision": "decline", "note": ""})
    assert response.status_code == 422 and "warum Sie die Verweisung ablehnen" in response.get_data(as_text=True)
    assert client.post(f"/referrals/{proposal.id}", data={"decision": "decline",
                                                         "note": "Erst das Gespräch mit dem Träger"}).status_code == 302
    assert db.session.get(Referral, proposal.id).status == "declined"
    assert db.session.get(Case, case.id).state == "analysis"
    assert db.session.scalars(select(CaseEvent.kind).where(CaseEvent.kind == "referral_declined")).all()


def test_a_referral_needs_a_flagged_actor_a_partner_and_one_proposal_at_a_time(world, partner):
    case = world.analysed_case()
    with pytest.raises(ValidationError) as refused:
        referral.propose(world.facilitator, case.id, "Grund", partner.id, date(2026, 11, 1))
    assert "markieren" in str(refused.value.errors["reason"]).lower()
    case = flagged_case(world)
    foreign = Partner(municipality_id=world.other.id, name="Fremd", email="x@bhn.example")
    db.session.add(foreign)
    db.session.commit()
    with pytest.raises(ValidationError) as refused:
        referral.propose(world.facilitator, case.id, "Grund", foreign.id, None)
    assert set(refused.value.errors) == {"partner_id", "referred_on"}
    referral.propose(world.facilitator, case.id, "Grund", partner.id, date(2026, 11, 1))
    with pytest.raises(ValidationError):
        referral.propose(world.facilitator, case.id, "Noch einmal", partner.id, date(2026, 11, 1))
    with pytest.raises(PermissionDenied):
        referral.propose(world.advisor, case.id, "Grund", partner.id, date(2026, 11, 1))


def test_the_advisors_recommendation_refer_offers_the_referral(client, world):
    case = world.analysed_case()
    review = reviews.request_review(world.facilitator, case.id, "Mediation möglich?")
    pending = reviews.queue(world.advisor)[0].Review
    reviews.give_review(world.advisor, pending.id, "refer", "Keine Mediation, verweisen.")
    assert review
    login(client, world.facilitator)
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "Die externe Beratung empfiehlt eine Verweisung." in page and "Verweisung vorschlagen" in page


def test_the_measure_rule_in_one_function(world):
    case = flagged_case(world)
    flagged = [a for a in analysis_actors(case) if a.anti_democratic][0]
    other = [a for a in analysis_actors(case) if not a.anti_democratic][0]
    assert measure_refusal(case, "dialogue") is None  # not in referral
    case.state = "referral"  # as the state machine would set it (not saved)
    assert measure_refusal(case, "round_table") is None
    assert "Kameradschaft Nord" in measure_refusal(case, "mediation")
    assert measure_refusal(case, "dialogue", actor_ids=[other.id]) is None  # a dialogue without the flagged actor
    assert measure_refusal(case, "dialogue", actor_ids=[other.id, flagged.id])
    db.session.rollback()


def analysis_actors(case):
    from kokoma.services.analysis_snapshot import Analysis

    return Analysis(case).actors


def test_a_case_in_processing_is_referred_and_closed_from_referral(world, partner):
    case = flagged_case(world)
    cases.fire_trigger(world.facilitator, case.id, "start_processing", "", None)
    referral.propose(world.facilitator, case.id, "Gespräche abgebrochen, Drohungen", partner.id, date(2026, 11, 5))
    referral.decide(world.advisor, referral.open_proposal(case.id).id, True, "")
    current = db.session.get(Case, case.id)
    assert current.state == "referral"
    moved = db.session.scalars(select(CaseEvent).where(CaseEvent.trigger == "refer")).one()
    assert moved.from_state == "processing" and moved.payload["referral_id"]
    if current.peak_escalation_score >= 60:  # the review guard holds here too
        reviews.request_review(world.facilitator, case.id, "Abschluss?")
        reviews.give_review(world.advisor, reviews.queue(world.advisor)[0].Review.id, "close", "Ja")
    cases.fire_trigger(world.facilitator, case.id, "close", "An die Mobile Beratung übergeben", None)
    assert db.session.get(Case, case.id).state == "closed"
    assert db.session.scalars(select(Referral.ended_at)).one() is not None


def test_confirming_a_referral_the_workflow_refuses_tells_why_on_the_proposal(client, world, partner):
    """The case moved on to prevention after the proposal: the confirmation is refused with the
    workflow's reason at the note, on the proposal read anew, and nothing changes."""
    case = flagged_case(world)
    cases.fire_trigger(world.facilitator, case.id, "start_processing", "", None)
    referral.propose(world.facilitator, case.id, "Gespräche abgebrochen", partner.id, date(2026, 11, 5))
    world.measure(case)
    cases.fire_trigger(world.facilitator, case.id, "start_prevention", "", None, first_follow_up=follow_ups.FollowUpInput(
        date(2031, 6, 1), "Monitoring", world.facilitator.id))
    proposal = referral.open_proposal(case.id)
    login(client, world.advisor)
    response = client.post(f"/referrals/{proposal.id}", data={"decision": "confirm", "note": "Einverstanden"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and 'id="note-error"' in html
    assert world.facilitator.name in html and "Gespräche abgebrochen" in html  # the proposal as it is
    assert "Einverstanden</textarea>" in html  # the note as typed
    db.session.expire_all()
    assert db.session.get(Referral, proposal.id).status == "proposed"
    assert db.session.get(Case, case.id).state == "prevention"
