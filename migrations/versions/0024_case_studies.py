"""case_studies: anonymised case studies from closed cases, the library of released ones

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-01 12:10:00

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None


def upgrade():
    json = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')
    op.create_table(
        'case_studies',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=True),
        sa.Column('municipality_id', sa.Integer(), nullable=False),
        sa.Column('category', sa.String(length=40), nullable=False),
        sa.Column('glasl_start', sa.Integer(), nullable=True),
        sa.Column('glasl_end', sa.Integer(), nullable=True),
        sa.Column('duration_days', sa.Integer(), nullable=False),
        sa.Column('measures', json, nullable=False),
        sa.Column('lessons', sa.Text(), nullable=False),
        sa.Column('prepared_by_id', sa.Integer(), nullable=True),
        sa.Column('confirmed_by_id', sa.Integer(), nullable=True),
        sa.Column('released_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_studies_case_id_cases'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['confirmed_by_id'], ['users.id'], name=op.f('fk_case_studies_confirmed_by_id_users')),
        sa.ForeignKeyConstraint(['municipality_id'], ['municipalities.id'], name=op.f('fk_case_studies_municipality_id_municipalities')),
        sa.ForeignKeyConstraint(['prepared_by_id'], ['users.id'], name=op.f('fk_case_studies_prepared_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_case_studies')),
        sa.UniqueConstraint('case_id', name=op.f('uq_case_studies_case_id')),
    )
    with op.batch_alter_table('case_studies', schema=None) as batch_op:
        batch_op.create_index('ix_case_studies_released_at', ['released_at'], unique=False)


def downgrade():
    with op.batch_alter_table('case_studies', schema=None) as batch_op:
        batch_op.drop_index('ix_case_studies_released_at')
    op.drop_table('case_studies')
