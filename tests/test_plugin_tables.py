"""A plugin keeps data of its own: its tables, its migrations (the example in docs/plugins.md)."""
import re
import sys
from pathlib import Path

from sqlalchemy import inspect, text

from kokoma.database import db

from .conftest import World

DOCS = (Path(__file__).resolve().parent.parent / "docs" / "plugins.md").read_text()


def test_the_documented_plugin_keeps_its_own_table_with_its_own_migrations(make_app, tmp_path):
    section = DOCS.split("## Keeping data of your own", 1)[1]
    example = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    package = tmp_path / "plugins" / "hotline_calls"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text(example)
    app = make_app(PLUGINS_DIR=str(tmp_path / "plugins"))
    runner = app.test_cli_runner()
    try:
        result = runner.invoke(args=["plugin", "revision", "hotline_calls", "-m", "hotline calls"])
        assert result.exit_code == 0, result.output
        (revision,) = (package / "migrations").glob("*.py")
        assert "hotline_calls" in revision.read_text() and "cases" not in revision.read_text()
        result = runner.invoke(args=["plugin", "upgrade"])
        assert result.exit_code == 0 and "hotline_calls" in result.output, result.output
        with app.test_request_context():
            case = World().case(title="Anruf wegen Bolzplatz")
            rows = db.session.execute(text("SELECT case_id, summary FROM hotline_calls")).all()
            assert [tuple(r) for r in rows] == [(case.id, "Anruf wegen Bolzplatz")]
            assert db.session.execute(text("SELECT count(*) FROM alembic_version_hotline_calls")).scalar() == 1
    finally:
        with app.app_context():
            tables = inspect(db.engine).get_table_names()
            with db.engine.begin() as connection:
                for table in ("hotline_calls", "alembic_version_hotline_calls"):
                    if table in tables:
                        connection.execute(text(f"DROP TABLE {table}"))
        sys.modules.pop("kokoma_local_plugins.hotline_calls", None)
