"""deliveries: a claimed delivery is "sending" under a lease with a token of its own

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-03 09:20:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0031'
down_revision = '0030'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lease_token', sa.String(length=32), nullable=True))


def downgrade():
    deliveries = sa.table('deliveries', sa.column('status', sa.String))
    op.execute(deliveries.update().where(deliveries.c.status == 'sending').values(status='pending'))
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.drop_column('lease_token')
