"""login counts over a sliding window

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-02 19:00:00

Failed logins were counted per fixed window: at a window's edge, the limit could be used up twice
within a second. Now one row per limit and key holds this window's count and the one before
(kokoma.services.login_limits weights it by its overlap). The counts of the old shape are
dropped: they last a few minutes to an hour at most.
"""
import sqlalchemy as sa
from alembic import op

revision = '0030'
down_revision = '0029'
branch_labels = None
depends_on = None


def upgrade():
    _replace_table(
        sa.Column('key_hash', sa.String(length=64), nullable=False),
        sa.Column('window_start', sa.DateTime(timezone=True), nullable=False),
        sa.Column('count', sa.Integer(), nullable=False),
        sa.Column('previous_count', sa.Integer(), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('key_hash', name=op.f('pk_login_counts')),
    )


def downgrade():
    _replace_table(
        sa.Column('key_hash', sa.String(length=64), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('count', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('key_hash', 'expires_at', name=op.f('pk_login_counts')),
    )


def _replace_table(*columns):
    """login_counts dropped and created anew (its counts last an hour at most), with its index."""
    with op.batch_alter_table('login_counts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_login_counts_expires_at'))
    op.drop_table('login_counts')
    op.create_table('login_counts', *columns)
    with op.batch_alter_table('login_counts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_login_counts_expires_at'), ['expires_at'], unique=False)
