"""The case list reads through its indexes, on PostgreSQL and SQLite alike (the benchmark shows
the same at 100k cases: flat cost)."""
import pytest
from sqlalchemy import text

from kokoma.database import db
from kokoma.services import cases
from kokoma.services.cases import CaseFilters


def list_sql(world, filters, after=None):
    """The SQL the list page runs, with its parameters, captured from the service itself."""
    captured = []
    from sqlalchemy import event

    def grab(_conn, _cursor, statement, parameters, _context, _many):
        if "FROM cases" in statement and "ORDER BY cases.id DESC" in statement:
            captured.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", grab)
    try:
        cases.list_cases(world.facilitator, filters, per_page=50, after=after)
    finally:
        event.remove(db.engine, "before_cursor_execute", grab)
    return captured[-1]


def plan(statement, parameters) -> str:
    connection = db.session.connection()
    if db.engine.dialect.name == "postgresql":
        connection.exec_driver_sql("SET enable_seqscan = off")  # a tiny table would be scanned anyway
        rows = connection.exec_driver_sql("EXPLAIN " + statement, parameters).all()
        connection.exec_driver_sql("SET enable_seqscan = on")
    else:
        rows = connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all()
    return "\n".join(str(r[-1]) for r in rows)


@pytest.mark.parametrize(
    "filters, index",
    [
        (CaseFilters(), "ix_cases_municipality_id_id"),
        (CaseFilters(state="processing"), "ix_cases_municipality_state_id"),
        (CaseFilters(category="polarisation"), "ix_cases_municipality_category_id"),
        (CaseFilters(level="high"), "ix_cases_municipality_level_id"),
    ],
)
def test_the_list_uses_an_index_and_no_sort(world, filters, index):
    seed(world, 6000)  # one municipality among twenty, as in a state-wide programme
    statement, parameters = list_sql(world, filters)
    shown = plan(statement, parameters)
    assert index in shown, shown
    # SQLite reads the rows in index order; PostgreSQL may still sort a handful of matches.
    assert "TEMP B-TREE" not in shown.upper(), shown
    offset = parameters[-1] if isinstance(parameters, (list, tuple)) else parameters.get("param_2", 0)
    assert offset == 0  # keyset pagination: SQLite always spells LIMIT ? OFFSET ?, with 0


def seed(world, count):
    """Many cases over two municipalities, quickly, so that the planner sees a real table."""
    from sqlalchemy import insert

    from kokoma.database import utcnow
    from kokoma.domain import CATEGORIES
    from kokoma.models import Case

    now = utcnow()
    states, levels, categories = ("analysis", "processing", "prevention", "closed"), ("low", "elevated", "high", "critical"), list(CATEGORIES)
    rows = [{
        "municipality_id": (world.musterstadt if n % 20 == 0 else world.other).id, "reference": f"X-{n}",
        "title": f"Fall {n}", "description": "", "category": categories[n % 7], "location": "",
        "state": states[n % 4], "escalation_score": 0, "escalation_level": levels[n % 4],
        "peak_escalation_score": 0, "escalation_factors": [], "extra": {}, "created_at": now, "updated_at": now,
        "version": 1, "violence_reported": False,
    } for n in range(count)]
    db.session.execute(insert(Case), rows)
    db.session.commit()
    db.session.execute(text("ANALYZE"))
    db.session.commit()
