"""Migration 0029 gives the case studies already there the words and stems the library is
searched by, and a list of withdrawals; its downgrade takes both away. On a file of its own."""
from datetime import datetime, timezone

from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from kokoma import create_app
from kokoma.database import db
from kokoma.models import User
from kokoma.services import studies

from .conftest import _test_config


def test_migration_0029_makes_existing_studies_searchable(tmp_path):
    app = create_app(_test_config("sqlite:///" + str(tmp_path / "old.sqlite"), tmp_path))
    now = datetime(2026, 11, 1, tzinfo=timezone.utc)
    with app.test_request_context():
        upgrade(revision="0026")
        run = lambda sql, **values: db.session.execute(text(sql), values)  # noqa: E731
        run("INSERT INTO municipalities (id, code, name, case_seq, case_seq_year, created_at) "
            "VALUES (1, 'MST', 'Musterstadt', 0, 2026, :now)", now=now)
        run("INSERT INTO users (id, email, name, password_hash, role, municipality_id, active, created_at) "
            "VALUES (1, 'f@mst.example', 'Jonas', 'x', 'facilitator', 1, true, :now)", now=now)
        run("INSERT INTO case_studies (id, municipality_id, category, duration_days, measures, lessons, released_at, "
            "created_at, updated_at) VALUES (1, 1, 'other', 30, '[]', 'Die Straßenfeste halfen den Jugendlichen.', "
            ":now, :now, :now)", now=now)
        db.session.commit()
        upgrade()
        user = db.session.get(User, 1)
        assert [s.id for s in studies.library(user, words="strassenfest jugendliche")] == [1]
        assert db.session.execute(text("SELECT withdrawals FROM case_studies")).scalar() == "[]"
        db.session.commit()
        downgrade(revision="0026")
        columns = {c["name"] for c in inspect(db.engine).get_columns("case_studies")}
        assert "search_words" not in columns and "withdrawals" not in columns
