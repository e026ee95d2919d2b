"""login counts

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 10:30:00

Failed logins are counted in the database (kokoma.services.login_limits), one row per limit
and fixed window, so that several worker processes and app hosts share one count without Redis.
"""
import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'login_counts',
        sa.Column('key_hash', sa.String(length=64), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('count', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('key_hash', 'expires_at', name=op.f('pk_login_counts')),
    )
    with op.batch_alter_table('login_counts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_login_counts_expires_at'), ['expires_at'], unique=False)


def downgrade():
    with op.batch_alter_table('login_counts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_login_counts_expires_at'))
    op.drop_table('login_counts')
