"""Roles and isolation: the matrix of who may do what, tried over HTTP for each role."""
from datetime import date

import pytest
from sqlalchemy import select

from kokoma.database import db
from kokoma.models import AdvisorAssignment, Case, Partner, Review
from kokoma.services import analysis, cases, referral, reviews

from .conftest import PASSWORD

ROLES = ("facilitator", "advisor", "coordinator", "admin")


def login_as(client, world, role):
    user = {"facilitator": world.facilitator, "advisor": world.advisor,
            "coordinator": world.coordinator, "admin": world.admin}[role]
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302
    return user


@pytest.fixture
def scene(world):
    case = world.analysed_case(title="Streit am Jugendzentrum")
    reviews.request_review(world.facilitator, case.id, "Bitte Einschätzung")
    world.review = db.session.scalars(select(Review).where(Review.case_id == case.id)).one()
    world.target = case
    partner = Partner(municipality_id=world.musterstadt.id, name="Mobile Beratung", email="mb@mst.example")
    db.session.add(partner)
    db.session.commit()
    analysis.add_item(world.facilitator, case.id, "actor", {"name": "Kameradschaft", "kind": "group", "role": "primary",
                                                           "influence": "high", "anti_democratic": True})
    referral.propose(world.facilitator, case.id, "Keine Mediation", partner.id, date(2026, 11, 1))
    world.referral_id = referral.open_proposal(case.id).id
    world.target_version = db.session.get(Case, case.id, populate_existing=True).version
    db.session.commit()
    world.assignment_id = db.session.scalars(
        select(AdvisorAssignment.id).where(AdvisorAssignment.municipality_id == world.musterstadt.id)
    ).first()
    return world


def actions(world):
    case_id, review_id = world.target.id, world.review.id
    facilitator_id = world.facilitator.id
    return {
        "overview": ("GET", "/overview/", None),
        "list cases": ("GET", "/cases/", None),
        "open case": ("GET", f"/cases/{case_id}", None),
        "log case form": ("GET", "/cases/new", None),
        "log case": ("POST", "/cases/new", {"title": "Neu", "category": "other"}),
        "edit case": ("POST", f"/cases/{case_id}/edit", {"title": "Geändert", "category": "other",
                                                      "version": str(world.target_version)}),
        "move case": ("POST", f"/cases/{case_id}/transition", {"trigger": "start_processing",
                                                                     "version": str(world.target_version)}),
        "record measure": ("POST", f"/cases/{case_id}/measures", {"kind": "dialogue", "title": "Gespräch", "status": "done"}),
        "comment": ("POST", f"/cases/{case_id}/comment", {"text": "Anmerkung"}),
        "assign": ("POST", f"/cases/{case_id}/assign", {"facilitator_id": str(facilitator_id), "advisor_id": "",
                                                        "version": str(world.target_version)}),
        "request review": ("POST", f"/cases/{case_id}/review", {"question": "Bitte prüfen"}),
        "review queue": ("GET", "/reviews/", None),
        "give review": ("POST", f"/reviews/{review_id}", {"recommendation": "continue", "text": "Gut so"}),
        "manage users": ("GET", "/admin/users", None),
        "access trail": ("GET", "/admin/access-log", None),
        "export the access trail": ("GET", "/admin/access-log.csv", None),
        "retention periods": ("GET", "/privacy/retention", None),
        "set retention periods": ("POST", "/privacy/retention", {"anonymise_after_days": "400"}),
        "a person's request": ("POST", "/privacy/person", {"name": "Brandtner"}),
        "export for a person": ("POST", "/privacy/person/export", {"name": "Brandtner", "format": "json"}),
        "erase a person": ("POST", "/privacy/person/erase", {"name": "Brandtner", "mode": "erase", "reason": "x"}),
        "municipalities": ("GET", "/admin/municipalities", None),
        "advisors' assignments": ("GET", "/admin/assignments", None),
        "partners": ("GET", "/partners/", None),
        "end an assignment": ("POST", f"/admin/assignments/{world.assignment_id}/delete", None),
        "open the analysis": ("GET", f"/cases/{case_id}/analysis/", None),
        "edit the analysis": ("POST", f"/cases/{case_id}/analysis/issues", {"issue-text": "Lärm", "issue-kind": "facts"}),
        "assess the stage": ("POST", f"/cases/{case_id}/analysis/glasl",
                             {"glasl-stage": "4", "glasl-temperature": "hot", "glasl-rationale": "Bilder"}),
        "propose a referral": ("POST", f"/cases/{case_id}/analysis/referral", {"referral-reason": "Noch einmal"}),
        "decide a referral": ("POST", f"/referrals/{world.referral_id}", {"decision": "decline", "note": "Erst reden"}),
        "export the list": ("GET", "/cases/export.csv", None),
        "attach a file": ("POST", f"/cases/{case_id}/attachments", {}),  # no file: 422, the form's answer
        "prepare a case study": ("GET", f"/cases/{case_id}/study", None),
        "case study library": ("GET", "/studies/", None),
    }


OK, NO, HIDDEN = "ok", "forbidden", "not found"
# The matrix of the issue, as answers: ok (2xx/3xx), forbidden (403) or not found (404: the
# object lies outside what the role sees at all).
MATRIX = {
    #                        facilitator advisor  coordinator admin
    "overview":              (OK,        OK,      OK,         OK),
    "list cases":            (OK,        OK,      OK,         OK),
    "open case":             (OK,        OK,      OK,         HIDDEN),
    "log case form":         (OK,        NO,      OK,         NO),
    "log case":              (OK,        NO,      OK,         NO),
    "edit case":             (OK,        NO,      OK,         HIDDEN),
    "move case":             (OK,        NO,      OK,         HIDDEN),
    "record measure":        (OK,        NO,      OK,         HIDDEN),
    "comment":               (OK,        OK,      OK,         HIDDEN),
    "assign":                (OK,        NO,      OK,         HIDDEN),
    "request review":        (OK,        NO,      OK,         HIDDEN),
    "review queue":          (NO,        OK,      NO,         NO),
    "give review":           (NO,        OK,      NO,         HIDDEN),
    "manage users":          (NO,        NO,      OK,         OK),
    "access trail":          (NO,        NO,      OK,         NO),
    "export the access trail": (NO,      NO,      OK,         NO),
    "retention periods":     (NO,        NO,      OK,         NO),
    "set retention periods": (NO,        NO,      OK,         NO),
    "a person's request":    (NO,        NO,      OK,         NO),
    "export for a person":   (NO,        NO,      OK,         NO),
    "erase a person":        (NO,        NO,      OK,         NO),
    "municipalities":        (NO,        NO,      NO,         OK),
    "advisors' assignments": (NO,        NO,      NO,         OK),
    "partners":              (NO,        NO,      OK,         NO),
    "end an assignment":     (HIDDEN,    HIDDEN,  HIDDEN,     OK),
    "open the analysis":     (OK,        OK,      OK,         HIDDEN),
    "edit the analysis":     (OK,        NO,      OK,         HIDDEN),
    "assess the stage":      (OK,        OK,      OK,         HIDDEN),
    "propose a referral":    (OK,        NO,      OK,         HIDDEN),
    "decide a referral":     (NO,        OK,      NO,         HIDDEN),
    "export the list":       (OK,        OK,      OK,         NO),
    "attach a file":         (OK,        NO,      OK,         HIDDEN),
    "prepare a case study":  (OK,        NO,      OK,         HIDDEN),
    "case study library":    (OK,        OK,      OK,         NO),
}


def answer(status: int) -> str:
    return {403: NO, 404: HIDDEN}.get(status, OK if status < 400 or status == 422 else f"error {status}")


@pytest.mark.parametrize("role_index, role", list(enumerate(ROLES)))
@pytest.mark.parametrize("action", list(MATRIX))
def test_the_role_matrix(client, scene, role_index, role, action):
    login_as(client, scene, role)
    method, url, data = actions(scene)[action]
    response = client.open(url, method=method, data=data)
    assert answer(response.status_code) == MATRIX[action][role_index], (role, action, response.status_code)


def test_the_matrix_covers_every_action_a_role_can_have():
    from kokoma.services.permissions import PERMISSIONS

    assert len(MATRIX) >= len(PERMISSIONS)


def test_the_actions_a_page_offers_are_those_the_checkpoint_allows(world):
    """Templates ask ``can(action)`` of the set allowed_actions(user) computes once per page: for
    every role, an inactive account and nobody signed in it answers as permissions.can does."""
    from flask_login import AnonymousUserMixin

    from kokoma.services.permissions import PERMISSIONS, allowed_actions, can

    inactive = world.user("inactive@mst.example", "facilitator", world.musterstadt)
    inactive.active = False
    people = [world.facilitator, world.advisor, world.coordinator, world.admin, inactive, AnonymousUserMixin()]
    for person in people:
        assert allowed_actions(person) == {action for action in PERMISSIONS if can(person, action)}
    assert allowed_actions(world.facilitator) and not allowed_actions(inactive)


def test_an_advisor_sees_only_assigned_municipalities(client, world):
    own = world.case(title="Fall in Musterstadt")
    foreign = world.case(user=world.outsider, title="Fall in Beispielhausen")
    login_as(client, world, "advisor")
    page = client.get("/cases/").get_data(as_text=True)
    assert "Fall in Musterstadt" in page and "Fall in Beispielhausen" not in page
    assert client.get(f"/cases/{foreign.id}").status_code == 404
    assert client.get(f"/cases/{own.id}").status_code == 200


def test_an_admin_sees_case_content_only_where_assigned(client, world):
    from kokoma.services import accounts

    case = world.case(title="Vertraulicher Fall")
    login_as(client, world, "admin")
    assert "Vertraulicher Fall" not in client.get("/cases/").get_data(as_text=True)
    assert client.get(f"/cases/{case.id}").status_code == 404
    accounts.assign_advisor(world.admin, world.admin.id, world.musterstadt.id)
    assert client.get(f"/cases/{case.id}").status_code == 200


def test_an_advisor_cannot_change_case_data(client, world):
    case = world.analysed_case()
    login_as(client, world, "advisor")
    assert client.get(f"/cases/{case.id}/edit").status_code == 403
    client.post(f"/cases/{case.id}/edit", data={"title": "Vom Berater", "category": "other", "version": "1"})
    assert db.session.get(Case, case.id).title != "Vom Berater"
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert f'/cases/{case.id}/edit"' not in page and 'name="trigger"' not in page


def test_my_cases_lists_what_the_user_is_responsible_for(client, world):
    mine = world.case(title="Meiner")
    other = world.case(title="Fremd zugewiesen")
    cases.assign_case(world.coordinator, other.id, None, world.coordinator.id, None)
    cases.assign_case(world.coordinator, mine.id, None, world.facilitator.id, world.advisor.id)
    login_as(client, world, "facilitator")
    page = client.get("/cases/?mine=y").get_data(as_text=True)
    assert "Meiner" in page and "Fremd zugewiesen" not in page
    client.post("/logout")
    login_as(client, world, "advisor")
    page = client.get("/cases/?mine=y").get_data(as_text=True)
    assert "Meiner" in page and "Fremd zugewiesen" not in page


def test_assigning_an_advisor_of_another_municipality_is_refused(client, world):
    case = world.case()
    login_as(client, world, "facilitator")
    response = client.post(f"/cases/{case.id}/assign",
                           data={"facilitator_id": str(world.facilitator.id), "advisor_id": str(world.other_advisor.id),
                                 "version": str(case.version)})
    assert response.status_code == 422
    assert 'id="advisor_id-error"' in response.get_data(as_text=True)
    assert db.session.get(Case, case.id).advisor_id is None


def test_a_case_s_advisor_is_one_who_accompanies_its_municipality_and_is_active(world):
    from kokoma.services import accounts
    from kokoma.services.errors import ValidationError

    case = world.case()
    with pytest.raises(ValidationError) as refused:  # accompanies Beispielhausen only
        cases.assign_case(world.coordinator, case.id, None, world.facilitator.id, world.other_advisor.id)
    assert set(refused.value.errors) == {"advisor_id"}
    cases.assign_case(world.coordinator, case.id, None, world.facilitator.id, world.advisor.id)
    accounts.set_active(world.admin, world.advisor.id, False)
    with pytest.raises(ValidationError):
        cases.assign_case(world.coordinator, case.id, None, world.facilitator.id, world.advisor.id)
    assert db.session.get(Case, case.id).advisor_id == world.advisor.id  # the refused changes changed nothing
