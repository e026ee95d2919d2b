"""case_search: one search document per case, indexed by the database's own full-text engine

Revision ID: 0021
Revises: 0019
Create Date: 2026-12-01 11:50:00

SQLite: an FTS5 table over case_search (external content, kept by triggers; unicode61 without
diacritics; German stems in their own column). PostgreSQL: a generated tsvector of the German and
the simple configuration (stemmed words and names as typed), reference and title weighted A, with
a GIN index. The list sorted by last change gets its index. Existing cases are indexed here.
"""
from alembic import op
import sqlalchemy as sa


revision = '0021'
down_revision = '0019'
branch_labels = None
depends_on = None

TSV = (
    "setweight(to_tsvector('german'::regconfig, head), 'A') || setweight(to_tsvector('simple'::regconfig, head), 'A')"
    " || setweight(to_tsvector('german'::regconfig, body), 'B') || setweight(to_tsvector('simple'::regconfig, body), 'B')"
    " || setweight(to_tsvector('simple'::regconfig, stems), 'D')"
)


def upgrade():
    op.create_table(
        'case_search',
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('head', sa.Text(), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('stems', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_search_case_id_cases'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('case_id', name=op.f('pk_case_search')),
    )
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.create_index('ix_cases_municipality_updated_id', ['municipality_id', 'updated_at', 'id'], unique=False)
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(f"ALTER TABLE case_search ADD COLUMN tsv tsvector GENERATED ALWAYS AS ({TSV}) STORED")
        op.execute("CREATE INDEX ix_case_search_tsv ON case_search USING gin (tsv)")
    else:
        op.execute(
            "CREATE VIRTUAL TABLE case_search_fts USING fts5(head, body, stems, content='case_search',"
            " content_rowid='case_id', tokenize='unicode61 remove_diacritics 2')"
        )
        op.execute(
            "CREATE TRIGGER case_search_fts_insert AFTER INSERT ON case_search BEGIN"
            " INSERT INTO case_search_fts(rowid, head, body, stems) VALUES (new.case_id, new.head, new.body, new.stems); END"
        )
        op.execute(
            "CREATE TRIGGER case_search_fts_delete AFTER DELETE ON case_search BEGIN"
            " INSERT INTO case_search_fts(case_search_fts, rowid, head, body, stems)"
            " VALUES ('delete', old.case_id, old.head, old.body, old.stems); END"
        )
        op.execute(
            "CREATE TRIGGER case_search_fts_update AFTER UPDATE ON case_search BEGIN"
            " INSERT INTO case_search_fts(case_search_fts, rowid, head, body, stems)"
            " VALUES ('delete', old.case_id, old.head, old.body, old.stems);"
            " INSERT INTO case_search_fts(rowid, head, body, stems) VALUES (new.case_id, new.head, new.body, new.stems); END"
        )
    _index_existing_cases()


def _index_existing_cases():
    """Each existing case's search document, as services.search writes it on every change: its
    own text and that of its events, analysis (migration 0011), measures and follow-ups (0015)."""
    from kokoma.services.search import body_texts, document_row

    connection = op.get_bind()
    cases = connection.execute(sa.text(
        "SELECT id, reference, title, description, location FROM cases ORDER BY id"
    )).mappings().all()
    stems = connection.dialect.name == 'sqlite'
    for start in range(0, len(cases), 500):
        batch = cases[start:start + 500]
        texts = body_texts(connection, [case["id"] for case in batch])
        connection.execute(sa.text(
            "INSERT INTO case_search (case_id, head, body, stems) VALUES (:case_id, :head, :body, :stems)"
        ), [document_row(
            case["id"], [case["reference"], case["title"]],
            [case["description"], case["location"], *texts.get(case["id"], [])], stems=stems,
        ) for case in batch])


def downgrade():
    if op.get_bind().dialect.name != 'postgresql':
        for trigger in ('insert', 'delete', 'update'):
            op.execute(f"DROP TRIGGER case_search_fts_{trigger}")
        op.execute("DROP TABLE case_search_fts")
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index('ix_cases_municipality_updated_id')
    op.drop_table('case_search')
