"""The overview (dashboard): where the cases a person may see stand, and what needs attention.
A fixed number of queries, whatever the number of cases."""
from dataclasses import dataclass

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

    def total(self, state: str | None = None, level: str | None = None) -> int:
        return sum(n for (s, lv), n in self.counts.items() if state in (None, s) and level in (None, lv))


def overview(user) -> Overview:
    permissions.require(user, "case.view")
    scope = permissions.case_scope(user)
    # The counters kept with every change (models.CaseCount): a few rows, however many cases.
    counts = {
        (state, level): int(n)
        for state, level, n in db.session.execute(
            select(CaseCount.state, CaseCount.escalation_level, func.sum(CaseCount.cases))
            .where(permissions.visible(user, CaseCount), CaseCount.cases > 0)
            .group_by(CaseCount.state, CaseCount.escalation_level)
        )
    }
    attention = list_rows(
        list_query(scope)
        .where(Case.state.not_in(kokoma().workflow.definition.final_states), Case.escalation_level.in_(ATTENTION_LEVELS))
        .order_by(Case.escalation_score.desc(), Case.id.desc())
        .limit(ATTENTION_ROWS + 1)
    )
    failed = partners.count_failed_deliveries(user) if permissions.can(user, "partners.manage") else None
    return Overview(counts, tuple(attention[:ATTENTION_ROWS]), len(attention) > ATTENTION_ROWS,
                    reviews.count_waiting(user), failed)
