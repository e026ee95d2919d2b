"""drop user change notifications

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 09:00:00

PostgreSQL only: removes the NOTIFY triggers of 0006. Signed-in users are no longer kept per
process between requests; every request loads its user, so nobody needs to hear of changes.
"""
import importlib.util
from pathlib import Path

from alembic import op


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP FUNCTION IF EXISTS kokoma_notify_user_change() CASCADE")  # with its triggers


def downgrade():
    """Back to 0006: its triggers again, made by 0006's own upgrade."""
    path = Path(__file__).with_name("0006_notify_user_changes.py")
    spec = importlib.util.spec_from_file_location("kokoma_migration_0006", path)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    migration.upgrade()
