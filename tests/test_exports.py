"""CSV and XLSX of the filtered list: the filters and the scope hold, spreadsheets open them
cleanly (BOM, semicolons, German dates, no formulas), and every export is in the access trail."""
import csv
import io
import re
import zipfile

from sqlalchemy import select

from kokoma.database import db
from kokoma.models import CaseAccess
from kokoma.services import cases
from kokoma.services.exports import neutralised

from .conftest import PASSWORD


def _csv(response):
    body = response.get_data()
    assert body.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))


def test_the_csv_holds_the_filtered_list_of_the_municipality_only(client, auth, world):
    ours = world.analysed_case(title="=HYPERLINK(\"http://evil\")", location="Marktplatz", parties="@Familie Kern")
    plain = world.analysed_case(title="Streit am Spielplatz")
    cases.fire_trigger(world.facilitator, plain.id, "start_processing", "", None)
    theirs = world.case(world.outsider, title="Geheim in Beispielhausen")
    auth.login()
    response = client.get("/cases/export.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    table = _csv(response)
    assert table[0][:4] == ["Aktenzeichen", "Kommune", "Titel", "Themenfeld"]
    body = "\n".join(";".join(row) for row in table)
    assert theirs.reference not in body and "Beispielhausen" not in body
    row = next(r for r in table if r[0] == ours.reference)
    assert row[2] == "'=HYPERLINK(\"http://evil\")"  # neutralised
    assert re.fullmatch(r"\d\d\.\d\d\.\d{4} \d\d:\d\d", row[10]), row  # German date and time
    assert row[3] == "Nutzung des öffentlichen Raums, die Gruppen ausschließt" or row[3]
    filtered = _csv(client.get("/cases/export.csv?state=processing"))
    assert [r[0] for r in filtered[1:]] == [plain.reference]
    searched = _csv(client.get("/cases/export.csv?q=Spielplatz"))
    assert [r[0] for r in searched[1:]] == [plain.reference]


def test_every_export_is_written_to_the_access_trail(client, auth, world):
    made = [world.case(title=f"Fall {n}") for n in range(3)]
    world.case(world.outsider, title="Anderswo")
    auth.login()
    client.get("/cases/export.xlsx")
    entries = db.session.scalars(select(CaseAccess).where(CaseAccess.action == "export_xlsx")).all()
    assert sorted(e.case_id for e in entries) == sorted(c.id for c in made)
    assert {e.user_id for e in entries} == {world.facilitator.id}
    auth.logout()
    auth.login(world.coordinator.email)
    trail = client.get("/admin/access-log").get_data(as_text=True)
    assert trail.count("exportiert (XLSX)") == 3


def test_the_xlsx_has_text_cells_dates_and_no_formula(client, auth, world):
    world.analysed_case(title="+SUMME(A1:A9)", observed_on=__import__("datetime").date(2026, 3, 4))
    auth.login()
    response = client.get("/cases/export.xlsx")
    assert response.status_code == 200 and response.headers["Content-Disposition"].endswith('.xlsx"')
    archive = zipfile.ZipFile(io.BytesIO(response.get_data()))
    sheet = archive.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet and "SUMME" in sheet  # written inline as text, never as a formula
    assert 'formatCode="DD.MM.YYYY"' in archive.read("xl/styles.xml").decode()


def test_an_advisor_exports_only_the_municipalities_assigned(client, world):
    world.case(title="Musterstadt-Fall")
    theirs = world.case(world.outsider, title="Beispielhausen-Fall")
    client.post("/login", data={"email": world.other_advisor.email, "password": PASSWORD})
    table = _csv(client.get(f"/cases/export.csv?municipality={world.musterstadt.id}"))
    assert [r[0] for r in table[1:]] == [theirs.reference]  # a municipality not theirs filters nothing more


def test_neutralised_cells():
    for risky in ("=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"):
        assert neutralised(risky) == "'" + risky
    assert neutralised("Bahnhof") == "Bahnhof"
