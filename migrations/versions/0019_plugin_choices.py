"""plugins: per-municipality choices and settings, partner fields of channels, event snapshots,
stable channel names of the default channels

Revision ID: 0019
Revises: 0016
Create Date: 2026-12-01 12:00:00

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0019'
down_revision = '0016'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), 'postgresql')
OLD_CHANNELS = {'kokoma.defaults.email': 'email', 'kokoma.defaults.webhook': 'webhook'}


def upgrade():
    op.create_table(
        'plugin_choices',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('municipality_id', sa.Integer(), nullable=False),
        sa.Column('plugin', sa.String(length=100), nullable=False),
        sa.Column('enabled', sa.Boolean(), nullable=False),
        sa.Column('settings', JSON, nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['municipality_id'], ['municipalities.id'],
                                name=op.f('fk_plugin_choices_municipality_id_municipalities')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_plugin_choices')),
        sa.UniqueConstraint('municipality_id', 'plugin', name='uq_plugin_choices_municipality_plugin'),
    )
    # Added in place (no table rebuild): case_events keeps its append-only trigger.
    op.add_column('partners', sa.Column('extra', JSON, nullable=False, server_default=sa.text("'{}'")))
    op.add_column('case_events', sa.Column('snapshot', JSON, nullable=False, server_default=sa.text("'{}'")))
    # Deliveries name the channel by its stable name now, not by the plugin's module path.
    for old, new in OLD_CHANNELS.items():
        op.execute(sa.text('UPDATE deliveries SET channel = :new WHERE channel = :old').bindparams(new=new, old=old))


def downgrade():
    for old, new in OLD_CHANNELS.items():
        op.execute(sa.text('UPDATE deliveries SET channel = :old WHERE channel = :new').bindparams(new=new, old=old))
    with op.batch_alter_table('partners') as batch_op:
        batch_op.drop_column('extra')
    op.drop_column('case_events', 'snapshot')
    op.drop_table('plugin_choices')
