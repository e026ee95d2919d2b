"""The advisor's review: request, queue, give, supersede, the closing guard; comments both ways."""
import pytest
from sqlalchemy import select

from kokoma.database import db
from kokoma.models import CaseEvent, Review
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
    data = cases.CaseInput(title=case.title, category=case.category, parties=case.parties,
                           affected_groups=case.affected_groups, glasl_stage=2, facilitator_id=case.facilitator_id)
    calmer = cases.update_case(world.facilitator, case.id, 2, data).case
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
    assert page.index("Frage der Beraterin") < page.index("Antwort der Prozessbegleitung")
    client.post("/logout")
    client.post("/login", data={"email": world.advisor.email, "password": PASSWORD})
    assert "Antwort der Prozessbegleitung" in client.get(f"/cases/{case.id}").get_data(as_text=True)
