"""Alembic environment of a plugin's own migrations (kokoma.plugin_tables): its MetaData, its
version table, and no table but its own."""
from alembic import context

from kokoma.database import db
from kokoma.plugin_tables import version_table

plugin = context.config.attributes["plugin"]
metadata = plugin.declaration.metadata


def include_name(name, type_, parent_names):
    return type_ != "table" or (metadata is not None and name in metadata.tables)


with db.engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        version_table=version_table(plugin.name),
        include_name=include_name,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
