"""retention: per-municipality settings, recorded runs, daily job claims, anonymised cases and redacted events

The append-only trigger of case_events now lets exactly one update through: the redaction that
retention (or a person's erasure) makes once, which sets redacted_at and may change only the
comment and the payload.

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-01 11:50:00

"""
from alembic import op
import sqlalchemy as sa

revision = '0026'
down_revision = '0025'
branch_labels = None
depends_on = None

UNCHANGED = ("id", "case_id", "actor_id", "kind", "from_state", "to_state", "trigger", "created_at")
ONE_REDACTION = (
    "OLD.redacted_at IS NULL AND NEW.redacted_at IS NOT NULL AND "
    + " AND ".join(f"NEW.{c} IS NOT DISTINCT FROM OLD.{c}" for c in UNCHANGED)
)
SQLITE_ONE_REDACTION = ONE_REDACTION.replace("IS NOT DISTINCT FROM", "IS")

APPEND_ONLY_SQLITE = '''
CREATE TRIGGER case_events_append_only BEFORE UPDATE ON case_events
WHEN NOT ({condition})
BEGIN SELECT RAISE(ABORT, 'case events are append-only'); END;
'''
APPEND_ONLY_POSTGRESQL = '''
CREATE OR REPLACE FUNCTION case_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF {condition} THEN RETURN NEW; END IF;
  RAISE EXCEPTION 'case events are append-only';
END; $$;
'''
ORIGINAL_SQLITE = '''
CREATE TRIGGER case_events_append_only BEFORE UPDATE ON case_events
BEGIN SELECT RAISE(ABORT, 'case events are append-only'); END;
'''
ORIGINAL_POSTGRESQL = '''
CREATE OR REPLACE FUNCTION case_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'case events are append-only'; END; $$;
'''


def upgrade():
    op.create_table(
        'retention_settings',
        sa.Column('municipality_id', sa.Integer(), nullable=False),
        sa.Column('anonymise_after_days', sa.Integer(), nullable=True),
        sa.Column('delete_after_days', sa.Integer(), nullable=True),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['municipality_id'], ['municipalities.id'],
                                name=op.f('fk_retention_settings_municipality_id_municipalities')),
        sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_retention_settings_updated_by_id_users')),
        sa.PrimaryKeyConstraint('municipality_id', name=op.f('pk_retention_settings')),
    )
    op.create_table(
        'retention_runs',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('municipality_id', sa.Integer(), nullable=False),
        sa.Column('ran_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('anonymised_cases', sa.Integer(), nullable=False),
        sa.Column('deleted_cases', sa.Integer(), nullable=False),
        sa.Column('trail_entries_removed', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['municipality_id'], ['municipalities.id'],
                                name=op.f('fk_retention_runs_municipality_id_municipalities')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_retention_runs')),
    )
    op.create_index(op.f('ix_retention_runs_municipality_id'), 'retention_runs', ['municipality_id'], unique=False)
    op.create_table(
        'daily_jobs',
        sa.Column('name', sa.String(length=40), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('name', 'day', name=op.f('pk_daily_jobs')),
    )
    # Plain ADD COLUMN (no batch copy of the tables): the trigger of case_events stays attached.
    op.add_column('cases', sa.Column('anonymised_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('case_events', sa.Column('redacted_at', sa.DateTime(timezone=True), nullable=True))
    if op.get_bind().dialect.name == 'sqlite':
        op.execute('DROP TRIGGER case_events_append_only')
        op.execute(APPEND_ONLY_SQLITE.format(condition=SQLITE_ONE_REDACTION))
    else:
        op.execute(APPEND_ONLY_POSTGRESQL.format(condition=ONE_REDACTION))


def downgrade():
    if op.get_bind().dialect.name == 'sqlite':
        op.execute('DROP TRIGGER case_events_append_only')
    else:
        op.execute(ORIGINAL_POSTGRESQL)
    with op.batch_alter_table('case_events', schema=None) as batch_op:
        batch_op.drop_column('redacted_at')
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_column('anonymised_at')
    if op.get_bind().dialect.name == 'sqlite':
        op.execute(ORIGINAL_SQLITE)  # after the batch copy of case_events, which drops its triggers
    op.drop_table('daily_jobs')
    op.drop_index(op.f('ix_retention_runs_municipality_id'), table_name='retention_runs')
    op.drop_table('retention_runs')
    op.drop_table('retention_settings')
