"""indexes for the overview

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 07:30:00

The overview counts cases by state and level from an index alone (no table rows read), and
finds the highest-scored cases by walking an index backwards instead of sorting them all.
"""
from alembic import op


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.create_index('ix_cases_municipality_state_level', ['municipality_id', 'state', 'escalation_level'], unique=False)
        batch_op.create_index('ix_cases_municipality_score_id', ['municipality_id', 'escalation_score', 'id'], unique=False)


def downgrade():
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index('ix_cases_municipality_score_id')
        batch_op.drop_index('ix_cases_municipality_state_level')
