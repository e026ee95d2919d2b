"""notify user changes

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27 16:00:00

PostgreSQL only: every change to a user or a municipality sends ``NOTIFY kokoma_users`` when its
transaction commits, whichever process or host made it (the app, a command, plain SQL). Each app
process listens, so that the signed-in users it keeps between requests are never out of date
(kokoma.services.user_cache). SQLite keeps no users between requests and needs nothing.
"""
from alembic import op



revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


# The payload names what changed: "u<id>" a user, "m<id>" a municipality (its users show its name).
NOTIFY_FUNCTION = """
CREATE FUNCTION kokoma_notify_user_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('kokoma_users', TG_ARGV[0] || OLD.id);
    RETURN NULL;
END
$$
"""


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(NOTIFY_FUNCTION)
    for table, prefix in (("users", "u"), ("municipalities", "m")):
        op.execute(f"CREATE TRIGGER {table}_notify_change AFTER UPDATE OR DELETE ON {table} "
                   f"FOR EACH ROW EXECUTE FUNCTION kokoma_notify_user_change('{prefix}')")


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in ("users", "municipalities"):
        op.execute(f"DROP TRIGGER {table}_notify_change ON {table}")
    op.execute("DROP FUNCTION kokoma_notify_user_change()")
