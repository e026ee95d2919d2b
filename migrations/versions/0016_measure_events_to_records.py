"""today's measure events become measure records (status done), nothing lost

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-01 11:45:00

Each event of kind "measure" (a kind and a sentence, recorded after the fact) becomes a measure
that was done: its kind, the first line of the sentence as title, the whole sentence as outcome,
the person who recorded it as responsible, the time it was recorded as its date. The events stay
in the (append-only) trail.
"""
import json

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

KINDS = {"dialogue", "mediation", "round_table", "public_event", "training", "counselling", "referral", "other"}


def measure_from_event(row) -> dict:
    payload = row.payload if isinstance(row.payload, dict) else json.loads(row.payload or "{}")
    kind = payload.get("measure")
    text = (row.comment or "").strip()
    first_line = text.splitlines()[0].strip() if text else ""
    title = first_line if len(first_line) <= 200 else first_line[:199] + "…"
    return {
        "case_id": row.case_id, "municipality_id": row.municipality_id,
        "kind": kind if kind in KINDS else "other", "title": title or "–",
        "planned_at": row.created_at, "place": "", "responsible_user_id": row.actor_id,
        "participants": "", "participant_actor_ids": [], "status": "done", "outcome": text,
        "created_by_id": row.actor_id, "created_at": row.created_at, "updated_at": row.created_at,
    }


def upgrade():
    connection = op.get_bind()
    events = connection.execute(sa.text(
        "SELECT e.case_id, e.actor_id, e.comment, e.payload, e.created_at, c.municipality_id "
        "FROM case_events e JOIN cases c ON c.id = e.case_id WHERE e.kind = 'measure' ORDER BY e.id"
    )).all()
    if not events:
        return
    measures = sa.table(
        "measures", *(sa.column(name) for name in (
            # untyped: the times go back as the database gave them (text on SQLite)
            "case_id", "municipality_id", "kind", "title", "planned_at", "place", "responsible_user_id",
            "participants", "status", "outcome", "created_by_id", "created_at", "updated_at",
        )),
        sa.column("participant_actor_ids", sa.JSON().with_variant(postgresql.JSONB(), "postgresql")),
    )
    op.bulk_insert(measures, [measure_from_event(row) for row in events])


def downgrade():
    # The measures made from events are those that a measure event of the same case and time
    # stands for; measures made afterwards are lost with the table in 0015's downgrade anyway.
    pass
