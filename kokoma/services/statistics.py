"""Statistics: where the cases a person may see stand and how they moved, as charts' numbers.

Every chart is a :class:`Chart` of rows (a label and one number per series) made by
:func:`chart`, whatever it counts. Counts by state, focus area and level come from the counters
(models.CaseCount); the months and durations from the case events; the measures from their
records (kind and effect), all within the user's scope.
"""
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from ..database import db, utcnow
from ..domain import CATEGORIES, LEVELS, MEASURE_EFFECTS, MEASURE_KINDS
from ..models import Case, CaseCount, CaseEvent, Measure
from ..runtime import kokoma
from . import permissions

MONTHS = 12


@dataclass
class Chart:
    key: str  # also the id of its elements on the page
    title: object
    series: tuple  # the name of each number of a row
    rows: list  # [(label, [number per series])]
    unit: object = None  # what the numbers count, when not cases
    note: object = None  # a sentence under the chart (what it does not show yet, say)
    months: bool = False  # the rows are months (labels are dates)

    @property
    def largest(self):
        return max([n for _label, numbers in self.rows for n in numbers] or [0])

    @property
    def empty(self) -> bool:
        return not any(n for _label, numbers in self.rows for n in numbers)


def chart(key, title, rows, *, series=(_l("Cases"),), **more) -> Chart:
    """A chart of ``rows`` (label, number) or (label, [numbers]) — the one way charts are made."""
    normalised = [(label, list(numbers) if isinstance(numbers, (list, tuple)) else [numbers]) for label, numbers in rows]
    return Chart(key, title, tuple(series), normalised, **more)


@dataclass
class Statistics:
    charts: list[Chart] = field(default_factory=list)
    total: int = 0


def statistics(user, municipality_id: int | None = None) -> Statistics:
    """The charts of the cases ``user`` sees, or of one of their municipalities."""
    permissions.require(user, "case.view")
    scope = permissions.case_scope(user)
    counters = permissions.visible(user, CaseCount)
    if municipality_id is not None:
        scope = scope & (Case.municipality_id == municipality_id)
        counters = counters & (CaseCount.municipality_id == municipality_id)
    by = {name: Counter() for name in ("state", "category", "escalation_level")}
    for state, category, level, n in db.session.execute(
        select(CaseCount.state, CaseCount.category, CaseCount.escalation_level, CaseCount.cases).where(counters)
    ):
        by["state"][state] += n
        by["category"][category] += n
        by["escalation_level"][level] += n
    workflow = kokoma().workflow
    months = _last_months()
    events = _events(scope, months[0])
    result = Statistics(total=sum(by["state"].values()))
    result.charts = [
        chart("by-state", _l("Cases by phase"), [(workflow.state_label(s), by["state"][s]) for s in workflow.definition.states]),
        chart("by-category", _l("Cases by focus area"), [(label, by["category"][key]) for key, label in CATEGORIES.items()]),
        chart("by-level", _l("Cases by escalation level"), [(label, by["escalation_level"][key]) for key, label in LEVELS.items()]),
        chart("per-month", _l("New and closed cases per month"),
              [(month, [events["new"][month], events["closed"][month]]) for month in months],
              series=(_l("new"), _l("closed")), months=True),
        chart("time-in-phase", _l("Average time spent in each phase"),
              [(workflow.state_label(s), events["days"].get(s, 0)) for s in workflow.definition.states
               if s not in workflow.definition.final_states],
              series=(_l("days"),), unit=_l("days")),
        chart("escalation", _l("Escalation over time: cases whose level rose, by the level reached"),
              [(month, [events["raised"][(month, level)] for level in ("elevated", "high", "critical")]) for month in months],
              series=tuple(LEVELS[level] for level in ("elevated", "high", "critical")), months=True),
        _measures_chart(scope),
    ]
    return result


def _measures_chart(scope) -> Chart:
    """The measures carried out (done) in the cases of ``scope``, by kind, one number per effect."""
    done = Counter()
    for kind, effect, n in db.session.execute(
        select(Measure.kind, Measure.effect, func.count()).join(Case, Case.id == Measure.case_id)
        .where(scope, Measure.status == "done").group_by(Measure.kind, Measure.effect)
    ):
        done[(kind, effect if effect in MEASURE_EFFECTS else None)] += n
    effects = [*MEASURE_EFFECTS, None]
    return chart("measures", _l("Measures carried out, by kind and effect"),
                 [(label, [done[(key, effect)] for effect in effects]) for key, label in MEASURE_KINDS.items()],
                 series=(*MEASURE_EFFECTS.values(), _l("not judged yet")), unit=_l("measures"))


def _last_months() -> list[date]:
    today = utcnow().date()
    first = date(today.year, today.month, 1)
    months = []
    for back in range(MONTHS - 1, -1, -1):
        year, month = divmod(first.year * 12 + first.month - 1 - back, 12)
        months.append(date(year, month + 1, 1))
    return months


def _events(scope, since: date) -> dict:
    """From the events of the cases in ``scope``: new and closed per month, rises of level per
    month, and the average days in each state (of the changes since ``since``
    and before: every state a case left or is in)."""
    final = set(kokoma().workflow.definition.final_states)
    new, closed, raised = Counter(), Counter(), Counter()
    spent = defaultdict(list)
    now = utcnow()
    rows = db.session.execute(
        select(CaseEvent.case_id, CaseEvent.kind, CaseEvent.to_state, CaseEvent.payload, CaseEvent.created_at)
        .join(Case, Case.id == CaseEvent.case_id)
        .where(scope, CaseEvent.kind.in_(("created", "transition", "escalation_raised")))
        .order_by(CaseEvent.case_id, CaseEvent.id)
    )
    current = None  # (case id, state, since when)
    for case_id, kind, to_state, payload, at in rows:
        month = date(at.year, at.month, 1)
        if kind == "escalation_raised":
            if month >= since:
                raised[(month, (payload or {}).get("to"))] += 1
            continue
        if current and current[0] == case_id:
            spent[current[1]].append((at - current[2]).total_seconds())
        elif current and current[1] not in final:
            spent[current[1]].append((now - current[2]).total_seconds())
        current = (case_id, to_state, at)
        if kind == "created" and month >= since:
            new[month] += 1
        if kind == "transition" and to_state in final and month >= since:
            closed[month] += 1
    if current and current[1] not in final:
        spent[current[1]].append((now - current[2]).total_seconds())
    days = {state: round(sum(seconds) / len(seconds) / 86400, 1) for state, seconds in spent.items() if seconds}
    return {"new": new, "closed": closed, "raised": raised, "days": days}
