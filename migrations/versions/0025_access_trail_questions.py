"""access trail that answers questions: readings of the trail recorded, filters by person, removal by age

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-01 11:40:00

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), 'postgresql')


def upgrade():
    with op.batch_alter_table('case_accesses', schema=None) as batch_op:
        batch_op.alter_column('case_id', existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(sa.Column('query', JSON, nullable=False, server_default='{}'))
        batch_op.create_index('ix_case_accesses_municipality_user_id', ['municipality_id', 'user_id', 'id'], unique=False)
        batch_op.create_index('ix_case_accesses_accessed_at', ['accessed_at'], unique=False)
    with op.batch_alter_table('case_accesses', schema=None) as batch_op:
        batch_op.alter_column('query', server_default=None)


def downgrade():
    op.execute("DELETE FROM case_accesses WHERE case_id IS NULL")
    with op.batch_alter_table('case_accesses', schema=None) as batch_op:
        batch_op.drop_index('ix_case_accesses_accessed_at')
        batch_op.drop_index('ix_case_accesses_municipality_user_id')
        batch_op.drop_column('query')
        batch_op.alter_column('case_id', existing_type=sa.Integer(), nullable=False)
