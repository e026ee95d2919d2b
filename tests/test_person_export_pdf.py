"""A person's export as PDF, drawn by the same helper as the case report (web/pdf.py), and the
message both give where WeasyPrint cannot be loaded (the Pango libraries missing)."""
import io
import sys

from pypdf import PdfReader
from sqlalchemy import select

from kokoma.database import db
from kokoma.models import CaseAccess
from kokoma.services import cases

from .conftest import PASSWORD

NAME = "Karla Brandtner"


def login(client, user):
    assert client.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 302


def naming_cases(world):
    first = world.analysed_case(title="Streit am Spielplatz", description=f"Beschwerde von {NAME} über Lärm",
                                parties=f"{NAME}, Jugendliche")
    cases.add_comment(world.facilitator, first.id, f"Telefonat mit {NAME} am Montag")
    second = world.case(title=f"Hecke von {NAME}", location="Birkenweg 3")
    world.case(user=world.outsider, title=f"Brief von {NAME} in Beispielhausen")  # another municipality
    return first, second


def pdf_text(response) -> str:
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.get_data().startswith(b"%PDF")
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.get_data())).pages).split())


def test_the_pdf_export_holds_every_passage_naming_the_person(client, world):
    first, second = naming_cases(world)
    login(client, world.coordinator)
    response = client.post("/privacy/person/export", data={"name": NAME, "format": "pdf"})
    assert response.headers["Content-Disposition"] == 'attachment; filename="person-export.pdf"'
    assert response.headers["Cache-Control"] == "no-store"
    text = pdf_text(response)
    for expected in (f"Was KoKoMa über {NAME} enthält", first.reference, second.reference,
                     f"Beschwerde von {NAME} über Lärm", f"Telefonat mit {NAME} am Montag", f"Hecke von {NAME}",
                     "Beschreibung", "Kommentar", "Seite 1 / 1"):
        assert expected in text, expected
    assert "Beispielhausen" not in text
    trail = db.session.scalars(select(CaseAccess.action).where(CaseAccess.action.like("person_%"))).all()
    assert trail == ["person_export"]
    english = pdf_text(client.post("/privacy/person/export", data={"name": NAME, "format": "pdf"},
                                   headers={"Accept-Language": "en"}))
    assert f"What KoKoMa holds about {NAME}" in english and "Page 1 / 1" in english
    page = client.post("/privacy/person", data={"name": NAME}).get_data(as_text=True)
    assert 'name="format" value="pdf"' in page


def test_without_pango_both_pdfs_say_what_is_missing(client, world, monkeypatch):
    first, _second = naming_cases(world)
    monkeypatch.setitem(sys.modules, "weasyprint", None)  # as where WeasyPrint cannot be loaded
    login(client, world.coordinator)
    export = client.post("/privacy/person/export", data={"name": NAME, "format": "pdf"})
    page = export.get_data(as_text=True)
    assert export.status_code == 200 and export.mimetype == "text/html"
    assert "Pango" in page and first.reference in page  # the results stay on the page
    trail = db.session.scalars(select(CaseAccess.action).where(CaseAccess.action.like("person_%"))).all()
    assert trail == ["person_search"]  # nothing was exported
    report = client.get(f"/cases/{first.id}/report.pdf")
    assert report.status_code == 302 and report.headers["Location"].endswith(f"/cases/{first.id}")
    assert "Pango" in client.get(f"/cases/{first.id}").get_data(as_text=True)
