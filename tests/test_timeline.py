"""The timeline says what changed: edited fields with old and new value, an assignment from
whom to whom, a level from and to, and clearly who gave a review."""
import re

from kokoma.services import cases, reviews

from .conftest import PASSWORD


def page_of(client, user, case):
    assert client.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 302
    return client.get(f"/cases/{case.id}").get_data(as_text=True)


def test_an_edit_names_each_field_with_its_old_and_new_value(client, world):
    case = world.analysed_case(title="Streit am Platz", location="Marktplatz")
    data = cases.CaseInput(title="Streit am Bahnhofsplatz", category="polarisation", location="Marktplatz",
                           glasl_stage=5, facilitator_id=world.coordinator.id)
    cases.update_case(world.facilitator, case.id, case.version, data)
    page = page_of(client, world.facilitator, case)
    assert "Fall geändert" in page
    assert re.search(r"Titel:</span> <del>Streit am Platz</del> → <ins>Streit am Bahnhofsplatz</ins>", page)
    assert re.search(r"Themenfeld:</span> <del>Nutzungskonflikte im öffentlichen Raum</del> → "
                     r"<ins>Gesellschaftlich polarisierende Konflikte</ins>", page)
    assert re.search(r"Glasl-Stufe:</span> <del>3 – [^<]+</del> → <ins>5 – [^<]+</ins>", page)
    assert re.search(r"Zuständige Prozessbegleitung:</span> <del>Jonas Albrecht</del> → <ins>Petra Lindner</ins>", page)
    assert "Ort:</span>" not in page  # unchanged fields are not named


def test_an_assignment_says_from_whom_to_whom_and_a_level_from_and_to(client, world):
    case = world.analysed_case()
    cases.assign_case(world.facilitator, case.id, None, world.coordinator.id, world.advisor.id)
    data = cases.CaseInput(title=case.title, category=case.category, glasl_stage=8, violence_reported=True,
                           facilitator_id=world.coordinator.id)
    cases.update_case(world.facilitator, case.id, None, data)
    page = page_of(client, world.facilitator, case)
    assert re.search(r"Zuständige Prozessbegleitung:</span> <del>Jonas Albrecht</del> → <ins>Petra Lindner</ins>", page)
    assert re.search(r"Zuständige externe Beratung:</span> <del>niemand</del> → <ins>Lena Hoffmann</ins>", page)
    assert re.search(r"Eskalationsstufe:</span> <del>niedrig</del> → <ins>(hoch|kritisch)</ins>", page)


def test_the_timeline_says_clearly_who_gave_a_review(client, world):
    case = world.analysed_case()
    reviews.request_review(world.facilitator, case.id, "Wie weiter?")
    reviews.give_review(world.advisor, reviews.queue(world.advisor)[0].Review.id, "adjust", "Betroffene einbeziehen")
    page = page_of(client, world.facilitator, case)
    assert re.search(r"Einschätzung gegeben von Lena Hoffmann \(Externe Beratung \(SPI\)\)", page)
