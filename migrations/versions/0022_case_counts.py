"""case_counts: cases per municipality, state, focus area and level, kept by triggers

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-01 12:05:00

The overview and the statistics read these few rows instead of counting the cases (their cost no
longer grows with the cases). Database triggers keep them in the transaction of every insert,
change and deletion of a case, whoever writes it. PostgreSQL: statement triggers with transition
tables (a bulk insert adds its counts at once); the changes of one statement are applied in key
order, so two changes crossing each other lock the counters in the same order (no deadlock).
SQLite takes one write lock for the whole database anyway.
"""
from alembic import op
import sqlalchemy as sa


revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None

KEY = "municipality_id, state, category, escalation_level"

PG_FUNCTION = f"""
CREATE FUNCTION case_counts_follow() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO case_counts ({KEY}, cases)
        SELECT {KEY}, count(*) FROM new_rows GROUP BY {KEY} ORDER BY {KEY}
        ON CONFLICT ({KEY}) DO UPDATE SET cases = case_counts.cases + excluded.cases;
    ELSIF TG_OP = 'DELETE' THEN
        UPDATE case_counts c SET cases = c.cases - gone.n
        FROM (SELECT {KEY}, count(*) AS n FROM old_rows GROUP BY {KEY}) gone
        WHERE (c.municipality_id, c.state, c.category, c.escalation_level)
            = (gone.municipality_id, gone.state, gone.category, gone.escalation_level);
    ELSE
        INSERT INTO case_counts ({KEY}, cases)
        SELECT {KEY}, sum(delta) FROM (
            SELECT {KEY}, -1 AS delta FROM old_rows UNION ALL SELECT {KEY}, 1 FROM new_rows
        ) moved GROUP BY {KEY} HAVING sum(delta) <> 0 ORDER BY {KEY}
        ON CONFLICT ({KEY}) DO UPDATE SET cases = case_counts.cases + excluded.cases;
    END IF;
    RETURN NULL;
END $$
"""

SQLITE_TRIGGERS = (
    f"""CREATE TRIGGER case_counts_insert AFTER INSERT ON cases BEGIN
        INSERT INTO case_counts ({KEY}, cases)
        VALUES (new.municipality_id, new.state, new.category, new.escalation_level, 1)
        ON CONFLICT ({KEY}) DO UPDATE SET cases = cases + 1; END""",
    f"""CREATE TRIGGER case_counts_delete AFTER DELETE ON cases BEGIN
        UPDATE case_counts SET cases = cases - 1 WHERE municipality_id = old.municipality_id
        AND state = old.state AND category = old.category AND escalation_level = old.escalation_level; END""",
    f"""CREATE TRIGGER case_counts_update AFTER UPDATE OF {KEY} ON cases
        WHEN old.municipality_id <> new.municipality_id OR old.state <> new.state
          OR old.category <> new.category OR old.escalation_level <> new.escalation_level BEGIN
        UPDATE case_counts SET cases = cases - 1 WHERE municipality_id = old.municipality_id
        AND state = old.state AND category = old.category AND escalation_level = old.escalation_level;
        INSERT INTO case_counts ({KEY}, cases)
        VALUES (new.municipality_id, new.state, new.category, new.escalation_level, 1)
        ON CONFLICT ({KEY}) DO UPDATE SET cases = cases + 1; END""",
)


def upgrade():
    op.create_table(
        'case_counts',
        sa.Column('municipality_id', sa.Integer(), nullable=False),
        sa.Column('state', sa.String(length=40), nullable=False),
        sa.Column('category', sa.String(length=40), nullable=False),
        sa.Column('escalation_level', sa.String(length=20), nullable=False),
        sa.Column('cases', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['municipality_id'], ['municipalities.id'],
                                name=op.f('fk_case_counts_municipality_id_municipalities'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('municipality_id', 'state', 'category', 'escalation_level', name=op.f('pk_case_counts')),
    )
    op.execute(f"INSERT INTO case_counts ({KEY}, cases) SELECT {KEY}, count(*) FROM cases GROUP BY {KEY}")
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(PG_FUNCTION)
        op.execute("CREATE TRIGGER case_counts_insert AFTER INSERT ON cases REFERENCING NEW TABLE AS new_rows"
                   " FOR EACH STATEMENT EXECUTE FUNCTION case_counts_follow()")
        op.execute("CREATE TRIGGER case_counts_update AFTER UPDATE ON cases REFERENCING OLD TABLE AS old_rows"
                   " NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION case_counts_follow()")
        op.execute("CREATE TRIGGER case_counts_delete AFTER DELETE ON cases REFERENCING OLD TABLE AS old_rows"
                   " FOR EACH STATEMENT EXECUTE FUNCTION case_counts_follow()")
    else:
        for trigger in SQLITE_TRIGGERS:
            op.execute(trigger)


def downgrade():
    for trigger in ('insert', 'update', 'delete'):
        # IF EXISTS: on SQLite a later downgrade that rebuilds the cases table (batch mode) drops them
        op.execute(f"DROP TRIGGER IF EXISTS case_counts_{trigger}" + (" ON cases" if op.get_bind().dialect.name == "postgresql" else ""))
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("DROP FUNCTION case_counts_follow()")
    op.drop_table('case_counts')
