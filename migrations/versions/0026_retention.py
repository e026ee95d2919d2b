"""retention: per-municipality settings, recorded runs, daily job claims, anonymised cases and redacted events

The append-only trigger of case_events now lets one kind of update through: a redaction by
retention or a person's erasure, which moves redacted_at forward and may change only the
comment and the payload.

Also: person_requests, what a person's request (Art. 15/17) changed (counts and the reason,
never the name).

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

UNCHANGED = ("id", "case_id", "actor_id", "kind", "from_state", "to_state", "trigger", "snapshot", "created_at")
# A redaction sets redacted_at to a later time than before (each one recorded by its time).
ONE_REDACTION = (
    "NEW.redacted_at IS NOT NULL AND (OLD.redacted_at IS NULL OR NEW.redacted_at > OLD.redacted_at) AND "
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
    op.create_table(
        'person_requests',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('municipality_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('mode', sa.String(length=20), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('cases_changed', sa.Integer(), nullable=False),
        sa.Column('records_changed', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['municipality_id'], ['municipalities.id'],
                                name=op.f('fk_person_requests_municipality_id_municipalities')),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_person_requests_user_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_person_requests')),
    )
    op.create_index(op.f('ix_person_requests_municipality_id'), 'person_requests', ['municipality_id'], unique=False)
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
    op.drop_index(op.f('ix_person_requests_municipality_id'), table_name='person_requests')
    op.drop_table('person_requests')
    op.drop_index(op.f('ix_retention_runs_municipality_id'), table_name='retention_runs')
    op.drop_table('retention_runs')
    op.drop_table('retention_settings')
