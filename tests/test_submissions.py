"""One submission, one record: a form that creates something, sent twice (a double click, a
resent POST) or twice at once, makes one record; the second sending is answered with the first
one's result."""
import re
import threading

import pytest
from sqlalchemy import func, select

from kokoma.database import db
from kokoma.models import Case, CaseEvent, FollowUp, Measure, Partner, Review, User
from kokoma.services import reviews

from .conftest import PASSWORD


def login(client, user):
    assert client.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 302


def token(page: str, form: str) -> str:
    """The one-time token of a form on a page, found by the id of its hidden field."""
    return re.search(rf'id="{form}-submission" name="submission" type="hidden" value="([^"]+)"', page).group(1)


def count(model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_the_case_form_sent_twice_logs_one_case(client, world):
    login(client, world.facilitator)
    form = {"title": "Streit am Bolzplatz", "category": "public_space", "facilitator_id": str(world.facilitator.id),
            "submission": token(client.get("/cases/new").get_data(as_text=True), "municipalcaseform")}
    first = client.post("/cases/new", data=form)
    second = client.post("/cases/new", data=form)
    assert first.status_code == second.status_code == 302
    assert second.headers["Location"] == first.headers["Location"]
    assert count(Case) == 1
    page = client.get(second.headers["Location"]).get_data(as_text=True)
    assert "einmal gespeichert" in page


def forms_of_the_case_page(world):
    case = world.analysed_case()
    return case, {
        "comment": ({"text": "Gespräch mit dem Ortsbeirat"}, "commentform", lambda: count(CaseEvent, CaseEvent.kind == "comment")),
        "measures": ({"kind": "mediation", "title": "Runder Tisch", "status": "done"}, "measureform",
                     lambda: count(Measure)),
        "follow-ups": ({"due_on": "2030-01-02", "what": "Nachfragen", "assignee_id": str(world.facilitator.id)},
                       "followupform", lambda: count(FollowUp)),
        "review": ({"question": "Können wir abschließen?"}, "reviewrequestform", lambda: count(Review)),
    }


@pytest.mark.parametrize("path", ["comment", "measures", "follow-ups", "review"])
def test_a_form_of_the_case_page_sent_twice_makes_one_record(client, world, path):
    case, forms = forms_of_the_case_page(world)
    data, form_name, records = forms[path]
    login(client, world.facilitator)
    data = {**data, "submission": token(client.get(f"/cases/{case.id}").get_data(as_text=True), form_name)}
    first = client.post(f"/cases/{case.id}/{path}", data=data)
    second = client.post(f"/cases/{case.id}/{path}", data=data)
    assert first.status_code == second.status_code == 302
    assert second.headers["Location"] == first.headers["Location"]
    assert records() == 1


def test_a_review_sent_twice_is_given_once(client, world):
    case = world.analysed_case()
    reviews.request_review(world.facilitator, case.id, "Bitte prüfen")
    review = db.session.scalars(select(Review)).one()
    login(client, world.advisor)
    data = {"recommendation": "continue", "text": "Weiter so.",
            "submission": token(client.get(f"/reviews/{review.id}").get_data(as_text=True), "reviewform")}
    first = client.post(f"/reviews/{review.id}", data=data)
    second = client.post(f"/reviews/{review.id}", data=data)
    assert first.status_code == second.status_code == 302
    assert second.headers["Location"] == first.headers["Location"]
    assert count(CaseEvent, CaseEvent.kind == "review_given") == 1


def test_the_partner_and_invitation_forms_sent_twice_make_one_each(client, world):
    login(client, world.coordinator)
    partner = {"name": "Jugendamt", "kind": "youth_welfare", "email": "ja@mst.example", "min_level": "low",
               "submission": token(client.get("/partners/new").get_data(as_text=True), "partnerform")}
    assert [client.post("/partners/new", data=partner).status_code for _ in range(2)] == [302, 302]
    assert count(Partner) == 1
    person = {"name": "Neue Person", "email": "neu@mst.example", "role": "facilitator",
              "submission": token(client.get("/admin/users").get_data(as_text=True), "inviteform")}
    first, second = client.post("/admin/users", data=person), client.post("/admin/users", data=person)
    assert first.status_code == 200 and second.status_code == 302  # the first shows the invitation link
    assert count(User, User.email == "neu@mst.example") == 1


def test_a_form_sent_again_after_an_error_is_saved_then(client, world):
    """A sending that saved nothing (here: no title) leaves the token free for the corrected one."""
    login(client, world.facilitator)
    form = {"title": "", "category": "public_space",
            "submission": token(client.get("/cases/new").get_data(as_text=True), "municipalcaseform")}
    assert client.post("/cases/new", data=form).status_code == 422
    assert client.post("/cases/new", data={**form, "title": "Streit"}).status_code == 302
    assert count(Case) == 1


def test_the_same_form_sent_twice_at_once_logs_one_case(app, client, world):
    login(client, world.facilitator)
    cookie = client.get_cookie("kokoma_session").value
    form = {"title": "Doppelklick", "category": "other",
            "submission": token(client.get("/cases/new").get_data(as_text=True), "municipalcaseform")}
    clients = [app.test_client() for _ in range(2)]
    for other in clients:
        other.set_cookie("kokoma_session", cookie)
    barrier, answers = threading.Barrier(len(clients)), []

    def send(other):
        barrier.wait(timeout=10)
        answers.append(other.post("/cases/new", data=form))

    threads = [threading.Thread(target=send, args=(other,)) for other in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert [answer.status_code for answer in answers] == [302, 302]
    assert answers[0].headers["Location"] == answers[1].headers["Location"]
    db.session.expire_all()
    assert count(Case) == 1 and count(CaseEvent, CaseEvent.kind == "created") == 1


def test_a_transition_sent_twice_moves_the_case_once(client, world):
    case = world.analysed_case()
    login(client, world.facilitator)
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    submission = re.search(r'name="submission" value="([^"]+)"', page).group(1)
    data = {"trigger": "start_processing", "version": str(case.version), "submission": submission}
    first = client.post(f"/cases/{case.id}/transition", data=data)
    second = client.post(f"/cases/{case.id}/transition", data=data)
    assert first.status_code == second.status_code == 302  # not "changed meanwhile"
    assert count(CaseEvent, CaseEvent.kind == "transition") == 1


def test_the_admins_forms_sent_twice_make_one_each(client, world):
    from kokoma.models import AdvisorAssignment, Municipality

    login(client, world.admin)
    municipality = {"code": "NEU", "name": "Neustadt",
                    "submission": token(client.get("/admin/municipalities").get_data(as_text=True), "municipalityform")}
    assert [client.post("/admin/municipalities", data=municipality).status_code for _ in range(2)] == [302, 302]
    assert count(Municipality, Municipality.code == "NEU") == 1
    assignment = {"advisor_id": str(world.other_advisor.id), "municipality_id": str(world.musterstadt.id),
                  "submission": token(client.get("/admin/assignments").get_data(as_text=True), "assignmentform")}
    answers = [client.post("/admin/assignments", data=assignment) for _ in range(2)]
    assert [answer.status_code for answer in answers] == [302, 302]  # the second not "assigned already"
    assert count(AdvisorAssignment, AdvisorAssignment.advisor_id == world.other_advisor.id) == 2
