"""pseudonyms: per-municipality setting that advisors and partners read persons as pseudonyms,
and the cases where a facilitator lifted it

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-01 15:00:00

"""
from alembic import op
import sqlalchemy as sa

revision = '0027'
down_revision = '0026'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'pseudonym_settings',
        sa.Column('municipality_id', sa.Integer(), nullable=False),
        sa.Column('enabled', sa.Boolean(), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['municipality_id'], ['municipalities.id'],
                                name=op.f('fk_pseudonym_settings_municipality_id_municipalities')),
        sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_pseudonym_settings_updated_by_id_users')),
        sa.PrimaryKeyConstraint('municipality_id', name=op.f('pk_pseudonym_settings')),
    )
    op.create_table(
        'pseudonym_lifts',
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('event_id', sa.Integer(), nullable=False),
        sa.Column('lifted_by_id', sa.Integer(), nullable=True),
        sa.Column('lifted_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_pseudonym_lifts_case_id_cases')),
        sa.ForeignKeyConstraint(['event_id'], ['case_events.id'], name=op.f('fk_pseudonym_lifts_event_id_case_events')),
        sa.ForeignKeyConstraint(['lifted_by_id'], ['users.id'], name=op.f('fk_pseudonym_lifts_lifted_by_id_users')),
        sa.PrimaryKeyConstraint('case_id', name=op.f('pk_pseudonym_lifts')),
    )


def downgrade():
    op.drop_table('pseudonym_lifts')
    op.drop_table('pseudonym_settings')
