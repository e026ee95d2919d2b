"""The Alembic migrations build exactly the schema the models describe: a model change without
its migration (a column, an index) fails here, on SQLite and on PostgreSQL."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from kokoma.database import db


def test_the_migrations_build_the_schema_the_models_describe(app):
    with app.app_context(), db.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), db.metadata)
    assert differences == []
