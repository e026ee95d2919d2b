"""notify user changes

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27 16:00:00

PostgreSQL only: a change to a user, or to a municipality's code or name, sends ``NOTIFY
kokoma_users`` when its transaction commits, whichever process or host made it (the app, a
command, plain SQL). Each app process listens, so that the signed-in users it keeps between
requests follow every change (kokoma.services.user_cache). Updates that change nothing, and a
municipality's case counter (moved by every new case), notify nobody. SQLite keeps no users
between requests and needs nothing.
"""
from alembic import op


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

# The payload names what changed: "u<id>" a user, "m<id>" a municipality, "all" after TRUNCATE.
NOTIFY_FUNCTION = """
CREATE FUNCTION kokoma_notify_user_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_LEVEL = 'ROW' THEN
        PERFORM pg_notify('kokoma_users', TG_ARGV[0] || OLD.id);
    ELSE
        PERFORM pg_notify('kokoma_users', 'all');
    END IF;
    RETURN NULL;
END
$$
"""
NOTIFY = "EXECUTE FUNCTION kokoma_notify_user_change"
TRIGGERS = (  # (name, table, when it fires)
    ("users_notify_update", "users", f"AFTER UPDATE ON users FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*) {NOTIFY}('u')"),
    ("users_notify_delete", "users", f"AFTER DELETE ON users FOR EACH ROW {NOTIFY}('u')"),
    ("users_notify_truncate", "users", f"AFTER TRUNCATE ON users FOR EACH STATEMENT {NOTIFY}()"),
    ("municipalities_notify_update", "municipalities",
     "AFTER UPDATE OF code, name ON municipalities FOR EACH ROW"
     f" WHEN (OLD.code IS DISTINCT FROM NEW.code OR OLD.name IS DISTINCT FROM NEW.name) {NOTIFY}('m')"),
    ("municipalities_notify_delete", "municipalities", f"AFTER DELETE ON municipalities FOR EACH ROW {NOTIFY}('m')"),
)


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(NOTIFY_FUNCTION)
    for name, _table, definition in TRIGGERS:
        op.execute(f"CREATE TRIGGER {name} {definition}")


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for name, table, _definition in TRIGGERS:
        op.execute(f"DROP TRIGGER {name} ON {table}")
    op.execute("DROP FUNCTION kokoma_notify_user_change()")
