"""The Alembic migrations build exactly the schema the models describe: a model change without
its migration (a column, an index) fails here, on SQLite and on PostgreSQL."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from kokoma.database import db
from kokoma.models.search import made_by_the_search_engine


def test_the_migrations_build_the_schema_the_models_describe(app):
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={
            "include_name": lambda name, type_, parents: not made_by_the_search_engine(name, type_, parents)})
        differences = compare_metadata(context, db.metadata)
    assert differences == []


def test_no_trigger_is_left_from_the_user_change_notifications(app):
    """Migration 0007 takes out what 0006 made for the per-process user copies (PostgreSQL)."""
    with app.app_context(), db.engine.connect() as connection:
        if connection.dialect.name != "postgresql":
            return
        # 0006's functions are named kokoma_*; 0001's append-only trigger of case_events stays.
        # (%% is a literal % for psycopg, which reads a lone % as a placeholder.)
        left = connection.exec_driver_sql(
            "SELECT t.tgname FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid "
            "WHERE NOT t.tgisinternal AND p.proname LIKE 'kokoma%%' UNION "
            "SELECT proname FROM pg_proc WHERE proname LIKE 'kokoma%%'"
        ).scalars().all()
    assert left == []
