"""The overview (dashboard): where the cases a person may see stand, and what needs attention.
A fixed number of queries, whatever the number of cases."""
from collections import Counter
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l

from sqlalchemy import func, select

from ..database import db
from ..models import Case, CaseCount
from ..runtime import kokoma
from . import permissions, partners, reviews
from .cases import list_query, list_rows

ATTENTION_LEVELS = ("high", "critical")
ATTENTION_ROWS = 10


@dataclass
class Overview:
    counts: dict[tuple[str, str], int]  # (state, escalation level) -> cases
    attention: tuple  # open cases at a high or critical level, highest score first (list rows)
    more_attention: bool  # there are more such cases than shown
    reviews_waiting: int  # review requests not yet answered: for an advisor, those meant for them
    failed_deliveries: int | None  # for those who manage partners; None for everyone else
    by_category: dict[str, int] = field(default_factory=dict)  # focus area -> cases

    def charts(self) -> list:
        """The overview's charts (services.statistics.chart): cases by focus area and by level."""
        from ..domain import CATEGORIES, LEVELS
        from .statistics import chart

        return [
            chart("overview-by-category", _l("Cases by focus area"),
                  [(label, self.by_category.get(key, 0)) for key, label in CATEGORIES.items()]),
            chart("overview-by-level", _l("Cases by escalation level"),
                  [(label, self.total(level=key)) for key, label in LEVELS.items()]),
        ]

    def total(self, state: str | None = None, level: str | None = None) -> int:
        return sum(n for (s, lv), n in self.counts.items() if state in (None, s) and level in (None, lv))


def overview(user) -> Overview:
    permissions.require(user, "case.view")
    scope = permissions.case_scope(user)
    # The counters kept with every change (models.CaseCount): a few rows, however many cases.
    counts, by_category = Counter(), Counter()
    for state, category, level, n in db.session.execute(
        select(CaseCount.state, CaseCount.category, CaseCount.escalation_level, func.sum(CaseCount.cases))
        .where(permissions.visible(user, CaseCount), CaseCount.cases > 0)
        .group_by(CaseCount.state, CaseCount.category, CaseCount.escalation_level)
    ):
        counts[(state, level)] += int(n)
        by_category[category] += int(n)
    attention = list_rows(
        list_query(scope)
        .where(Case.state.not_in(kokoma().workflow.definition.final_states), Case.escalation_level.in_(ATTENTION_LEVELS))
        .order_by(Case.escalation_score.desc(), Case.id.desc())
        .limit(ATTENTION_ROWS + 1)
    )
    failed = partners.count_failed_deliveries(user) if permissions.can(user, "partners.manage") else None
    return Overview(dict(counts), tuple(attention[:ATTENTION_ROWS]), len(attention) > ATTENTION_ROWS,
                    reviews.count_waiting(user), failed, dict(by_category))
