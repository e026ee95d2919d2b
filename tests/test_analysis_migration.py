"""Migration 0011 moves the parties and affected-groups texts of existing cases into the
analysis (actors, the texts word for word, the Glasl stage as an assessment), and its
downgrade writes them back: nothing typed so far is lost. On a database file of its own."""
from datetime import datetime, timezone

from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from kokoma import create_app
from kokoma.database import db

from .conftest import _test_config

# prose, not names: one piece is longer than a name
LONG = ("Die Initiative und der Bürgerverein stehen sich seit dem Antrag im Ortsbeirat unversöhnlich gegenüber "
        "und beide werfen sich in den sozialen Medien Geschichtsvergessenheit vor, der Ortsbeirat schweigt")


def test_migration_0011_turns_the_texts_into_actors_and_back(tmp_path):
    check_migration("sqlite:///" + str(tmp_path / "old.sqlite"), tmp_path)


def check_migration(url, instance):
    """Also run by hand on an empty PostgreSQL database (it builds the schema from nothing)."""
    app = create_app(_test_config(url, instance))
    now = datetime(2026, 5, 1, tzinfo=timezone.utc)
    with app.app_context():
        upgrade(revision="0010")
        run = lambda sql, **values: db.session.execute(text(sql), values)  # noqa: E731
        run("INSERT INTO municipalities (id, code, name, case_seq, case_seq_year, created_at) "
            "VALUES (1, 'MST', 'Musterstadt', 2, 2026, :now)", now=now)
        run("INSERT INTO users (id, email, name, password_hash, role, municipality_id, active, created_at) "
            "VALUES (1, 'f@mst.example', 'Jonas', 'x', 'facilitator', 1, true, :now)", now=now)
        for case_id, parties, affected, stage in (
            (1, "Anwohnende, Sportverein;\nJugendliche", "Kinder im Quartier", 3),
            (2, LONG, "", None),
            (3, "", "", None),
        ):
            run("INSERT INTO cases (id, municipality_id, reference, title, description, category, location, parties, "
                "affected_groups, glasl_stage, violence_reported, state, facilitator_id, escalation_score, "
                "escalation_level, escalation_factors, extra, created_at, updated_at, version) VALUES "
                "(:id, 1, :ref, 'Fall', '', 'other', '', :parties, :affected, :stage, false, 'analysis', 1, 0, 'low', "
                "'[]', '{}', :now, :now, 1)", id=case_id, ref=f"MST-2026-000{case_id}", parties=parties,
                affected=affected, stage=stage, now=now)
        db.session.commit()

        upgrade(revision="0011")
        actors = db.session.execute(text(
            "SELECT case_id, name, affected FROM analysis_actors ORDER BY id")).all()
        assert [(a.case_id, a.name, bool(a.affected)) for a in actors] == [
            (1, "Anwohnende", False), (1, "Sportverein", False), (1, "Jugendliche", False),
            (1, "Kinder im Quartier", True), (2, LONG[:120].rstrip() + "…", False),
        ]
        kept = db.session.execute(text(
            "SELECT case_id, carried_over_parties, carried_over_affected FROM case_analyses ORDER BY case_id")).all()
        assert [tuple(row) for row in kept] == [
            (1, "Anwohnende, Sportverein;\nJugendliche", "Kinder im Quartier"), (2, LONG.strip(), "")]
        assert db.session.execute(text("SELECT case_id, stage, side, assessed_by_id FROM glasl_assessments")).all() == [
            (1, 3, "facilitator", 1)]
        db.session.commit()

        downgrade(revision="0010")
        back = db.session.execute(text("SELECT id, parties, affected_groups FROM cases ORDER BY id")).all()
        assert [tuple(row) for row in back] == [
            (1, "Anwohnende, Sportverein;\nJugendliche", "Kinder im Quartier"), (2, LONG.strip(), ""), (3, "", "")]
        db.session.commit()
        db.engine.dispose()
