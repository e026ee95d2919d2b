"""`flask --app kokoma privacy-report` fills the officer's documents (Art. 30, Art. 32) from the
instance's real settings: municipalities, roles, partners and what they receive, retention
periods, where the data lives."""
from kokoma.database import db
from kokoma.models import Partner
from kokoma.services import retention


def test_the_report_is_filled_from_the_instance(app, world, runner, tmp_path):
    retention.save_settings(world.coordinator, 180, 730)
    db.session.add_all([
        Partner(municipality_id=world.musterstadt.id, name="Jugendamt Musterstadt", kind="youth_welfare",
                email="ja@mst.example", categories=["public_space"], events=["escalation_raised"], min_level="high"),
        Partner(municipality_id=world.musterstadt.id, name="Runder Tisch Demokratie", webhook_url="https://rt.example/h",
                share_details=True),
        Partner(municipality_id=world.other.id, name="Polizei Beispielhausen", email="p@bhn.example", active=False),
    ])
    db.session.commit()
    world.case(title="Streit mit Herrn Brandtner", parties="Herr Brandtner")
    app.config.update(ACCESS_TRAIL_RETENTION_DAYS=90, MAIL_SERVER="mail.musterstadt.example")
    result = runner.invoke(args=["privacy-report", "--output", str(tmp_path / "report")])
    assert result.exit_code == 0, result.output
    record = (tmp_path / "report" / "verzeichnis-verarbeitungstaetigkeiten.md").read_text()
    measures = (tmp_path / "report" / "technische-organisatorische-massnahmen.md").read_text()
    assert "| Stadt Musterstadt | 180 Tage nach Abschluss | 730 Tage nach Abschluss | 1 (0) |" in record
    assert "| Gemeinde Beispielhausen | nicht festgelegt | nicht festgelegt | 0 (0) |" in record
    jugendamt = next(line for line in record.splitlines() if line.startswith("| Jugendamt Musterstadt"))
    assert "| E-Mail | Eskalationsstufe gestiegen | Nutzungskonflikte im öffentlichen Raum | hoch |" in jugendamt
    assert "Beschreibung" not in jugendamt  # no details shared with it
    assert "Beschreibung" in next(line for line in record.splitlines() if line.startswith("| Runder Tisch"))
    assert "Polizei Beispielhausen" not in record  # inactive: receives nothing
    assert "Lena Hoffmann" in record  # the advisor assigned to Musterstadt
    assert "Zugriffsprotokoll: Einträge werden nach 90 Tagen gelöscht" in record
    # The data categories of the conflict analysis and the measures, named from the vocabulary.
    assert "**Konfliktanalyse** (Akteur, Beziehung, Streitpunkt," in record and "Glasl-Einschätzungen" in record
    assert "**Maßnahmen** (" in record and "Runder Tisch" in record.split("**Maßnahmen** (")[1].split(")")[0]
    assert "**Wiedervorlagen**" in record and "„Akteur 1“" in record
    assert "Brandtner" not in record + measures  # no case content
    kind = "PostgreSQL" if db.engine.dialect.name == "postgresql" else "SQLite"
    assert f"- Datenbank: {kind}, " in measures and "mail.musterstadt.example:587" in measures
    assert "Kommunale Koordination" in measures
    assert f"verschlüsselt gespeichert (Fernet: AES-128-CBC mit HMAC-SHA256);\n  Schlüssel außerhalb der Datenbank " \
           f"und der Sicherungen: {app.instance_path}/attachment_keys" in measures
    assert "flask --app kokoma attachments rotate-key" in measures


def test_the_report_for_one_municipality(world, runner, tmp_path):
    result = runner.invoke(args=["privacy-report", "--output", str(tmp_path), "--municipality", "BHN"])
    assert result.exit_code == 0, result.output
    record = (tmp_path / "verzeichnis-verarbeitungstaetigkeiten.md").read_text()
    assert "Gemeinde Beispielhausen" in record and "Stadt Musterstadt" not in record
    assert runner.invoke(args=["privacy-report", "--municipality", "XXX"]).exit_code != 0
