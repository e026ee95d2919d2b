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
    # Each person of a case keeps its number (its pseudonym) for good: today's persons numbered in
    # the order they were added.
    with op.batch_alter_table('analysis_actors') as batch_op:
        batch_op.add_column(sa.Column('pseudonym_number', sa.Integer(), nullable=True))
    # ... and every name a person has had, which texts may still hold (today's names).
    person_names = op.create_table(
        'person_names',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('pseudonym_number', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_person_names_case_id_cases')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_person_names')),
    )
    op.create_index('ix_person_names_case_id_pseudonym_number', 'person_names', ['case_id', 'pseudonym_number'])
    connection = op.get_bind()
    actors = sa.table('analysis_actors', sa.column('id', sa.Integer()), sa.column('case_id', sa.Integer()),
                      sa.column('kind', sa.String()), sa.column('name', sa.String()),
                      sa.column('pseudonym_number', sa.Integer()))
    numbers: dict[int, int] = {}
    for actor_id, case_id, name in connection.execute(
            sa.select(actors.c.id, actors.c.case_id, actors.c.name).where(actors.c.kind == 'person')
            .order_by(actors.c.id)).all():
        numbers[case_id] = numbers.get(case_id, 0) + 1
        connection.execute(actors.update().where(actors.c.id == actor_id).values(pseudonym_number=numbers[case_id]))
        connection.execute(person_names.insert().values(case_id=case_id, pseudonym_number=numbers[case_id], name=name))


def downgrade():
    op.drop_table('person_names')
    with op.batch_alter_table('analysis_actors') as batch_op:
        batch_op.drop_column('pseudonym_number')
    op.drop_table('pseudonym_lifts')
    op.drop_table('pseudonym_settings')
