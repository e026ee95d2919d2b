"""The advisor's review: request, queue, give, supersede, the closing guard; comments both ways."""
import re

import pytest
from sqlalchemy import select

from kokoma.database import db
from kokoma.models import Case, CaseEvent, Review
from kokoma.services import cases, reviews
from kokoma.services.errors import ValidationError
from kokoma.workflow import TransitionBlocked

from .conftest import PASSWORD


def review_rows(case_id):
    return db.session.scalars(select(Review).where(Review.case_id == case_id).order_by(Review.id)).all()


def test_request_queue_give_and_timeline(client, world):
    case = world.analysed_case(title="Schmierereien am Gebetsraum")
    client.post("/login", data={"email": world.facilitator.email, "password": PASSWORD})
    assert client.post(f"/cases/{case.id}/review", data={"question": "Ist ein Runder Tisch sinnvoll?"}).status_code == 302
    client.post("/logout")

    client.post("/login", data={"email": world.advisor.email, "password": PASSWORD})
    queue = client.get("/reviews/").get_data(as_text=True)
    assert "Schmierereien am Gebetsraum" in queue and "Ist ein Runder Tisch sinnvoll?" in queue
    review = review_rows(case.id)[0]
    form = client.get(f"/reviews/{review.id}")
    assert form.status_code == 200
    bad = client.post(f"/reviews/{review.id}", data={"recommendation": "", "text": "Mein Text bleibt"})
    assert bad.status_code == 422 and "Mein Text bleibt" in bad.get_data(as_text=True)
    assert client.post(f"/reviews/{review.id}", data={"recommendation": "adjust", "text": "Jugendamt einbeziehen"}).status_code == 302
    assert "Schmierereien" not in client.get("/reviews/").get_data(as_text=True)

    (given,) = review_rows(case.id)
    assert (given.status, given.recommendation, given.given_by_id) == ("given", "adjust", world.advisor.id)
    kinds = db.session.scalars(select(CaseEvent.kind).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id)).all()
    assert kinds == ["created", "review_requested", "review_given"]
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "Jugendamt einbeziehen" in page


def test_a_new_request_supersedes_the_open_one_and_a_new_review_the_old(world):
    case = world.analysed_case()
    reviews.request_review(world.facilitator, case.id, "Erste Frage")
    reviews.request_review(world.facilitator, case.id, "Zweite Frage")
    assert [r.status for r in review_rows(case.id)] == ["superseded", "requested"]
    with pytest.raises(ValidationError):
        reviews.give_review(world.advisor, review_rows(case.id)[0].id, "continue", "zu spät")
    reviews.give_review(world.advisor, review_rows(case.id)[1].id, "continue", "Weiter so")
    reviews.request_review(world.coordinator, case.id, "Dritte Frage")
    reviews.give_review(world.advisor, review_rows(case.id)[2].id, "close", "Abschließen")
    db.session.expire_all()
    assert [r.status for r in review_rows(case.id)] == ["superseded", "superseded", "given"]


def test_an_advisor_of_another_municipality_sees_no_request(world):
    case = world.analysed_case()
    reviews.request_review(world.facilitator, case.id, "Frage")
    assert reviews.queue(world.other_advisor) == []
    assert len(reviews.queue(world.advisor)) == 1


def test_closing_a_once_high_case_needs_a_given_review(world):
    case = world.analysed_case(glasl_stage=6, violence_reported=True)  # 75: high
    assert case.escalation_level == "high"
    cases.fire_trigger(world.facilitator, case.id, "start_processing", "", None)
    data = cases.CaseInput(title=case.title, category=case.category, glasl_stage=2, facilitator_id=case.facilitator_id)
    calmer = cases.update_case(world.facilitator, case.id, db.session.get(Case, case.id).version, data).case
    assert calmer.escalation_level == "low" and calmer.peak_escalation_score == 75
    with pytest.raises(TransitionBlocked, match="review|Beratung|Review"):
        cases.fire_trigger(world.facilitator, case.id, "close", "Beigelegt", None)
    reviews.request_review(world.facilitator, case.id, "Können wir abschließen?")
    with pytest.raises(TransitionBlocked):
        cases.fire_trigger(world.facilitator, case.id, "close", "Beigelegt", None)
    reviews.give_review(world.advisor, review_rows(case.id)[0].id, "close", "Ja")
    assert cases.fire_trigger(world.facilitator, case.id, "close", "Beigelegt", None).case.state == "closed"


def test_a_case_that_was_never_high_closes_without_review(world):
    case = world.analysed_case(glasl_stage=4)
    cases.fire_trigger(world.facilitator, case.id, "start_processing", "", None)
    assert cases.fire_trigger(world.facilitator, case.id, "close", "Erledigt", None).case.state == "closed"


def test_comments_form_one_thread_for_both_sides_of_the_tandem(client, world):
    case = world.case()
    client.post("/login", data={"email": world.advisor.email, "password": PASSWORD})
    assert client.post(f"/cases/{case.id}/comment", data={"text": "Frage der Beraterin"}).status_code == 302
    client.post("/logout")
    client.post("/login", data={"email": world.facilitator.email, "password": PASSWORD})
    client.post(f"/cases/{case.id}/comment", data={"text": "Antwort der Prozessbegleitung"})
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert page.index("Antwort der Prozessbegleitung") < page.index("Frage der Beraterin")  # newest first
    client.post("/logout")
    client.post("/login", data={"email": world.advisor.email, "password": PASSWORD})
    assert "Antwort der Prozessbegleitung" in client.get(f"/cases/{case.id}").get_data(as_text=True)


@pytest.fixture
def colleague(world):
    """A second advisor accompanying Musterstadt."""
    from kokoma.services import accounts

    colleague = world.user("advisor2@spi.example", "advisor", None, "Jana Petersen")
    accounts.assign_advisor(world.admin, colleague.id, world.musterstadt.id)
    return colleague


def test_a_request_named_for_a_colleague_is_neither_shown_nor_answered(app, client, world, colleague):
    named_case = world.analysed_case(title="Streit um den Jugendtreff")
    cases.assign_case(world.facilitator, named_case.id, None, world.facilitator.id, world.advisor.id)
    reviews.request_review(world.facilitator, named_case.id, "Frage an Frau Hoffmann")
    unnamed_case = world.analysed_case(title="Plakate am Rathaus")
    reviews.request_review(world.facilitator, unnamed_case.id, "Frage an alle")
    named, unnamed = review_rows(named_case.id)[0], review_rows(unnamed_case.id)[0]
    assert (named.advisor_id, unnamed.advisor_id) == (world.advisor.id, None)

    assert [row.Review.id for row in reviews.queue(colleague)] == [unnamed.id]
    assert reviews.count_waiting(colleague) == 1
    client.post("/login", data={"email": colleague.email, "password": PASSWORD})
    page = client.get("/reviews/").get_data(as_text=True)
    assert "Streit um den Jugendtreff" not in page and "Plakate am Rathaus" in page
    assert client.get(f"/reviews/{named.id}").status_code == 403
    answer = {"recommendation": "adjust", "text": "Ich antworte für die Kollegin"}
    assert client.post(f"/reviews/{named.id}", data=answer).status_code == 403
    db.session.expire_all()
    assert db.session.get(Review, named.id).status == "requested"
    # The request asked of any advisor of the municipality: the colleague may answer it.
    assert client.post(f"/reviews/{unnamed.id}", data={**answer, "text": "Gern"}).status_code == 302
    db.session.expire_all()
    assert (db.session.get(Review, unnamed.id).status, db.session.get(Review, unnamed.id).given_by_id) == (
        "given", colleague.id)


def test_the_queue_says_whom_each_request_is_asked_of(client, world, colleague):
    named_case = world.analysed_case(title="Streit um den Jugendtreff")
    cases.assign_case(world.facilitator, named_case.id, None, world.facilitator.id, world.advisor.id)
    reviews.request_review(world.facilitator, named_case.id, "Frage an Frau Hoffmann")
    unnamed_case = world.analysed_case(title="Plakate am Rathaus")
    reviews.request_review(world.facilitator, unnamed_case.id, "Frage an alle")
    assert [(row.Case.id, row.personal) for row in reviews.queue(world.advisor)] == [
        (named_case.id, True), (unnamed_case.id, False)]
    assert reviews.count_waiting(world.advisor) == 2
    client.post("/login", data={"email": world.advisor.email, "password": PASSWORD})
    rows = re.findall(r"<tr>(.*?)</tr>", client.get("/reviews/").get_data(as_text=True), re.S)[1:]
    assert "Streit um den Jugendtreff" in rows[0] and "Ihnen persönlich" in rows[0]
    assert "Plakate am Rathaus" in rows[1] and "allen Beratenden der Kommune" in rows[1]
    client.post("/language", data={"locale": "en"})
    page = client.get("/reviews/").get_data(as_text=True)
    assert "you personally" in page and "any advisor of the municipality" in page


def test_the_review_form_shows_what_the_review_is_about(client, world):
    """The analysis (its actors and Glasl assessments) and the measures with their outcome."""
    from .conftest import PASSWORD

    case = world.analysed_case(glasl_stage=5, parties="Bürgerverein, Initiative", affected_groups="Geflüchtete")
    world.measure(case, title="Dialogforum im Rathaus", outcome="Einigung auf Regeln", effect="helped")
    reviews.request_review(world.facilitator, case.id, "Wie weiter?")
    review = reviews.queue(world.advisor)[0].Review
    client.post("/login", data={"email": world.advisor.email, "password": PASSWORD})
    page = client.get(f"/reviews/{review.id}").get_data(as_text=True)
    for shown in ("Gesichtsverlust", "Bürgerverein", "Initiative", "Geflüchtete", "Dialogforum im Rathaus",
                  "durchgeführt", "Einigung auf Regeln", "hat geholfen"):
        assert shown in page, shown


def test_requests_asked_of_an_advisor_who_no_longer_accompanies_go_to_the_colleagues(world, colleague):
    from kokoma.models import AdvisorAssignment
    from kokoma.services import accounts

    jugendtreff, rathaus, bahnhof = (world.analysed_case(title=t) for t in ("Jugendtreff", "Rathaus", "Bahnhof"))
    for case in (jugendtreff, rathaus, bahnhof):
        cases.assign_case(world.facilitator, case.id, None, world.facilitator.id, world.advisor.id)
    reviews.request_review(world.facilitator, jugendtreff.id, "Frage an Frau Hoffmann")
    assert review_rows(jugendtreff.id)[0].advisor_id == world.advisor.id
    assert reviews.queue(colleague) == []
    assignment = db.session.scalar(select(AdvisorAssignment.id).where(
        AdvisorAssignment.advisor_id == world.advisor.id, AdvisorAssignment.municipality_id == world.musterstadt.id))
    accounts.unassign_advisor(world.admin, assignment)
    # the open request, and a new one on a case that still names her, are asked of every advisor
    reviews.request_review(world.facilitator, rathaus.id, "Frage zum Rathaus")
    assert [row.Case.id for row in reviews.queue(colleague)] == [jugendtreff.id, rathaus.id]
    reviews.give_review(colleague, review_rows(jugendtreff.id)[0].id, "adjust", "Ich übernehme")
    # a deactivated colleague's requests, likewise
    cases.assign_case(world.facilitator, bahnhof.id, None, world.facilitator.id, colleague.id)
    reviews.request_review(world.facilitator, bahnhof.id, "Frage an Frau Petersen")
    assert review_rows(bahnhof.id)[0].advisor_id == colleague.id
    accounts.set_active(world.admin, colleague.id, False)
    db.session.expire_all()
    assert review_rows(bahnhof.id)[0].advisor_id is None

