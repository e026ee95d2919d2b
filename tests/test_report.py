"""The case report as PDF: today's content, print date and confidentiality line, in scope, in the
access trail, loading nothing."""
import io

from pypdf import PdfReader
from sqlalchemy import select

from kokoma.database import db
from kokoma.models import CaseAccess
from kokoma.services import cases, reviews

from .conftest import PASSWORD


def pdf_text(response) -> str:
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.get_data())).pages)


def test_the_report_holds_the_case_the_date_and_the_confidentiality_line(client, auth, world):
    case = world.analysed_case(title="Lärm am Pavillon", description="Beschwerden über nächtliche Treffen.",
                               location="Lindenplatz", parties="Bürgerverein Nord")
    cases.add_comment(world.facilitator, case.id, "Gespräch mit dem Ordnungsamt geführt")
    reviews.request_review(world.facilitator, case.id, "Ist ein runder Tisch sinnvoll?")
    auth.login()
    response = client.get(f"/cases/{case.id}/report.pdf")
    assert response.headers["Content-Disposition"] == f'attachment; filename="{case.reference}.pdf"'
    text = pdf_text(response)
    for expected in (case.reference, "Lärm am Pavillon", "Lindenplatz", "Bürgerverein Nord", "Ordnungsamt",
                     "runder Tisch", "Gedruckt am", "Vertraulich", "Art. 9 DSGVO", "Verlauf"):
        assert expected in text, expected
    actions = db.session.scalars(select(CaseAccess.action).where(CaseAccess.case_id == case.id)).all()
    assert "report_pdf" in actions


def test_in_english_and_never_for_another_municipality(client, world):
    case = world.analysed_case(title="Plakate am Rathaus")
    client.post("/login", data={"email": world.facilitator.email, "password": PASSWORD})
    text = pdf_text(client.get(f"/cases/{case.id}/report.pdf", headers={"Accept-Language": "en"}))
    assert "Confidential" in text and "Printed on" in text
    client.post("/logout")
    client.post("/login", data={"email": world.outsider.email, "password": PASSWORD})
    assert client.get(f"/cases/{case.id}/report.pdf").status_code == 404


def test_the_report_loads_nothing(ctx):
    from kokoma.web.pdf import refuse_every_fetch

    import pytest

    with pytest.raises(ValueError):
        refuse_every_fetch("http://example.org/x.png")


def test_the_report_holds_the_analysis_with_its_map_the_measures_and_the_follow_ups(client, auth, world):
    from datetime import date

    from kokoma.services import analysis, follow_ups
    from kokoma.services.analysis_snapshot import Analysis
    from kokoma.models import Case

    case = world.analysed_case(title="Lärm am Pavillon", parties="Bürgerverein Nord, Jugendclub Süd")
    first, second = Analysis(db.session.get(Case, case.id)).actors[:2]
    analysis.add_item(world.facilitator, case.id, "relation", {"source_id": first.id, "target_id": second.id,
                                                               "kind": "conflict", "note": "Streit um Ruhezeiten"})
    analysis.add_item(world.facilitator, case.id, "history", {"happened_on": date(2026, 9, 1),
                                                              "text": "Unterschriftensammlung", "source": ""})
    analysis.assess(world.advisor, case.id, 4, "hot", "Drohbriefe am Kiosk")
    world.measure(case, kind="mediation", title="Moderiertes Gespräch", place="Gemeindesaal", effect="helped",
                  outcome="Ruhezeiten vereinbart")
    follow_ups.add_follow_up(world.facilitator, case.id, follow_ups.FollowUpInput(
        date.today(), "Lautstärke erneut prüfen", world.facilitator.id))
    auth.login()
    response = client.get(f"/cases/{case.id}/report.pdf")
    text = " ".join(pdf_text(response).split())  # table cells wrap their lines
    for expected in ("Konfliktanalyse", "Konfliktlandkarte", "Streitpunkte", "Nutzung des Platzes am Abend",
                     "Unterschriftensammlung", "Sie fühlen sich verdrängt", "Drohbriefe am Kiosk", "Streit um Ruhezeiten",
                     "Maßnahmen", "Moderiertes Gespräch", "Gemeindesaal", "Ruhezeiten vereinbart", "hat geholfen",
                     "Wiedervorlagen", "Lautstärke erneut prüfen"):
        assert expected in text, expected
    # the actor map is drawn (WeasyPrint renders its SVG): the name is written in the map, in the
    # actors' table and in the relations' table
    assert text.count("Jugendclub Süd") >= 3, text

