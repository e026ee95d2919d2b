"""case_studies: withdrawals from the library, and the words and stems the library is searched by

Revision ID: 0029
Revises: 0027
Create Date: 2026-12-01 15:10:00

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


revision = '0029'
down_revision = '0027'
branch_labels = None
depends_on = None


def upgrade():
    from kokoma.services.search import word_forms

    json = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')
    with op.batch_alter_table('case_studies', schema=None) as batch_op:
        batch_op.add_column(sa.Column('withdrawals', json, nullable=False, server_default=sa.text("'[]'")))
        batch_op.add_column(sa.Column('search_words', sa.Text(), nullable=False, server_default=''))
    studies = sa.table('case_studies', sa.column('id', sa.Integer), sa.column('lessons', sa.Text),
                       sa.column('search_words', sa.Text))
    connection = op.get_bind()
    for study_id, lessons in connection.execute(sa.select(studies.c.id, studies.c.lessons)).all():
        connection.execute(studies.update().where(studies.c.id == study_id).values(search_words=word_forms(lessons)))


def downgrade():
    with op.batch_alter_table('case_studies', schema=None) as batch_op:
        batch_op.drop_column('search_words')
        batch_op.drop_column('withdrawals')
