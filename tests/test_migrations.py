"""The Alembic migrations build exactly the schema the models describe: a model change without
its migration (a column, an index) fails here, on SQLite and on PostgreSQL."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from kokoma.database import db


def test_the_migrations_build_the_schema_the_models_describe(app):
    with app.app_context(), db.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), db.metadata)
    assert differences == []


def test_no_trigger_is_left_from_the_user_change_notifications(app):
    """Migration 0007 takes out what 0006 made for the per-process user copies (PostgreSQL)."""
    with app.app_context(), db.engine.connect() as connection:
        if connection.dialect.name != "postgresql":
            return
        left = connection.execute(text(  # text(): the % reaches psycopg escaped
            "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal AND tgname LIKE '%_notify_%' UNION "
            "SELECT proname FROM pg_proc WHERE proname LIKE 'kokoma_%'"
        )).scalars().all()
    assert left == []
