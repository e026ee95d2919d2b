"""conflict analysis: actors, relations, issues, history, hearings, resources, Glasl assessments,
referrals and the score's history; the parties and affected-groups texts become actors

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 11:40:00

Nothing typed so far is lost: each case's "parties" and "affected groups" texts are split into
actors (one per line, semicolon or comma, when every piece is short enough for a name) and kept
word for word in case_analyses; a Glasl stage becomes the case's first assessment. The downgrade
writes the texts back.
"""
import re
from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

NAME_LENGTH = 120  # a piece longer than this is prose, not a name: the text stays one actor


JSON = sa.JSON().with_variant(JSONB(), 'postgresql')


def _ids(name):
    return [
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f(f'fk_{name}_case_id_cases')),
        sa.PrimaryKeyConstraint('id', name=op.f(f'pk_{name}')),
    ]


def upgrade():
    op.create_table(
        'case_analyses',
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('extra', JSON, nullable=False),
        sa.Column('carried_over_parties', sa.Text(), nullable=False),
        sa.Column('carried_over_affected', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_analyses_case_id_cases')),
        sa.PrimaryKeyConstraint('case_id', name=op.f('pk_case_analyses')),
    )
    op.create_table(
        'analysis_actors', *_ids('analysis_actors'),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('role', sa.String(length=20), nullable=False),
        sa.Column('position', sa.Text(), nullable=False),
        sa.Column('interests', sa.Text(), nullable=False),
        sa.Column('fears', sa.Text(), nullable=False),
        sa.Column('influence', sa.String(length=10), nullable=False),
        sa.Column('affected', sa.Boolean(), nullable=False),
        sa.Column('anti_democratic', sa.Boolean(), nullable=False),
        sa.Column('not_heard_reason', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        'analysis_relations', *_ids('analysis_relations'),
        sa.Column('source_id', sa.Integer(), nullable=False),
        sa.Column('target_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('note', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['source_id'], ['analysis_actors.id'], ondelete='CASCADE',
                                name=op.f('fk_analysis_relations_source_id_analysis_actors')),
        sa.ForeignKeyConstraint(['target_id'], ['analysis_actors.id'], ondelete='CASCADE',
                                name=op.f('fk_analysis_relations_target_id_analysis_actors')),
    )
    op.create_table(
        'analysis_issues', *_ids('analysis_issues'),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
    )
    op.create_table(
        'analysis_history', *_ids('analysis_history'),
        sa.Column('happened_on', sa.Date(), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('source', sa.String(length=300), nullable=False),
    )
    op.create_table(
        'analysis_hearings', *_ids('analysis_hearings'),
        sa.Column('actor_id', sa.Integer(), nullable=False),
        sa.Column('format', sa.String(length=20), nullable=False),
        sa.Column('held_on', sa.Date(), nullable=False),
        sa.Column('consent', sa.Boolean(), nullable=False),
        sa.Column('summary', sa.Text(), nullable=False),
        sa.Column('threat', sa.String(length=10), nullable=False),
        sa.ForeignKeyConstraint(['actor_id'], ['analysis_actors.id'], ondelete='CASCADE',
                                name=op.f('fk_analysis_hearings_actor_id_analysis_actors')),
    )
    op.create_table(
        'analysis_resources', *_ids('analysis_resources'),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('note', sa.Text(), nullable=False),
    )
    op.create_table(
        'glasl_assessments', *_ids('glasl_assessments'),
        sa.Column('stage', sa.Integer(), nullable=False),
        sa.Column('temperature', sa.String(length=4), nullable=True),
        sa.Column('rationale', sa.Text(), nullable=False),
        sa.Column('side', sa.String(length=12), nullable=False),
        sa.Column('assessed_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['assessed_by_id'], ['users.id'], name=op.f('fk_glasl_assessments_assessed_by_id_users')),
    )
    op.create_table(
        'referrals', *_ids('referrals'),
        sa.Column('status', sa.String(length=12), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('partner_id', sa.Integer(), nullable=False),
        sa.Column('referred_on', sa.Date(), nullable=False),
        sa.Column('proposed_by_id', sa.Integer(), nullable=False),
        sa.Column('proposed_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('decided_by_id', sa.Integer(), nullable=True),
        sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('decision_note', sa.Text(), nullable=False),
        sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['partner_id'], ['partners.id'], name=op.f('fk_referrals_partner_id_partners')),
        sa.ForeignKeyConstraint(['proposed_by_id'], ['users.id'], name=op.f('fk_referrals_proposed_by_id_users')),
        sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_referrals_decided_by_id_users')),
    )
    op.create_table(
        'score_points', *_ids('score_points'),
        sa.Column('score', sa.Integer(), nullable=False),
        sa.Column('level', sa.String(length=20), nullable=False),
        sa.Column('factors', JSON, nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    )
    for table in ('analysis_actors', 'analysis_relations', 'analysis_issues', 'analysis_history',
                  'analysis_hearings', 'analysis_resources', 'glasl_assessments', 'score_points'):
        op.create_index(f'ix_{table}_case_id_id', table, ['case_id', 'id'])
    op.create_index('ix_referrals_case_id', 'referrals', ['case_id'])
    op.create_index('ix_referrals_status_case_id', 'referrals', ['status', 'case_id'])

    _carry_over_texts()
    op.drop_column('cases', 'parties')
    op.drop_column('cases', 'affected_groups')


def split_names(text: str) -> list[str]:
    """The names in a free text: its lines, semicolons or commas, when every piece is short
    enough to be a name; else the whole text as one (long texts are prose)."""
    text = (text or "").strip()
    if not text:
        return []
    pieces = [p.strip() for p in re.split(r"[\n;,]", text) if p.strip()]
    if all(len(p) <= NAME_LENGTH for p in pieces):
        return pieces
    return [text[:NAME_LENGTH].rstrip() + "…"]


def _carry_over_texts():
    connection = op.get_bind()
    cases = sa.table('cases', sa.column('id'), sa.column('parties'), sa.column('affected_groups'),
                     sa.column('glasl_stage'), sa.column('facilitator_id'), sa.column('created_at'))
    analyses = sa.table('case_analyses', sa.column('case_id'), sa.column('extra', JSON),
                        sa.column('carried_over_parties'), sa.column('carried_over_affected'))
    actors = sa.table('analysis_actors', *(sa.column(c) for c in (
        'case_id', 'name', 'kind', 'role', 'position', 'interests', 'fears', 'influence', 'affected',
        'anti_democratic', 'not_heard_reason', 'created_at')))
    assessments = sa.table('glasl_assessments', *(sa.column(c) for c in (
        'case_id', 'stage', 'temperature', 'rationale', 'side', 'assessed_by_id', 'created_at')))
    now = datetime.now(timezone.utc)
    rows = connection.execute(sa.select(cases)).all()
    for row in rows:
        parties, affected = (row.parties or "").strip(), (row.affected_groups or "").strip()
        if parties or affected:
            connection.execute(analyses.insert().values(
                case_id=row.id, extra={}, carried_over_parties=parties, carried_over_affected=affected))
        new_actors = [dict(name=name, affected=False) for name in split_names(parties)]
        new_actors += [dict(name=name, affected=True) for name in split_names(affected)]
        for actor in new_actors:
            connection.execute(actors.insert().values(
                case_id=row.id, name=actor["name"], kind="group", role="primary" if not actor["affected"] else "secondary",
                position="", interests="", fears="", influence="medium", affected=actor["affected"],
                anti_democratic=False, not_heard_reason="", created_at=now))
        if row.glasl_stage:
            connection.execute(assessments.insert().values(
                case_id=row.id, stage=row.glasl_stage, temperature=None, rationale="", side="facilitator",
                assessed_by_id=row.facilitator_id, created_at=row.created_at or now))


def downgrade():
    op.add_column('cases', sa.Column('parties', sa.Text(), nullable=False, server_default=''))
    op.add_column('cases', sa.Column('affected_groups', sa.Text(), nullable=False, server_default=''))
    connection = op.get_bind()
    cases = sa.table('cases', sa.column('id'), sa.column('parties'), sa.column('affected_groups'))
    actors = sa.table('analysis_actors', sa.column('case_id'), sa.column('name'), sa.column('affected'),
                      sa.column('id'))
    analyses = sa.table('case_analyses', sa.column('case_id'), sa.column('carried_over_parties'),
                        sa.column('carried_over_affected'))
    kept = {row.case_id: row for row in connection.execute(sa.select(analyses))}
    names: dict = {}
    for row in connection.execute(sa.select(actors).order_by(actors.c.id)):
        names.setdefault(row.case_id, ([], []))[1 if row.affected else 0].append(row.name)
    for case_id in set(kept) | set(names):
        parties, affected = names.get(case_id, ([], []))
        carried = kept.get(case_id)
        connection.execute(cases.update().where(cases.c.id == case_id).values(
            parties=(carried.carried_over_parties if carried and carried.carried_over_parties else ", ".join(parties)),
            affected_groups=(carried.carried_over_affected if carried and carried.carried_over_affected
                             else ", ".join(affected))))
    for table in ('score_points', 'referrals', 'glasl_assessments', 'analysis_resources', 'analysis_hearings',
                  'analysis_history', 'analysis_issues', 'analysis_relations', 'analysis_actors', 'case_analyses'):
        op.drop_table(table)
