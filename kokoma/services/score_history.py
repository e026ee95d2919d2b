"""The escalation score's history: a point after each change that moved the score or its
factors, each with the factors of that change ("why did it rise"), and what a page shows of it."""
import copy
from dataclasses import dataclass

from sqlalchemy import select

from ..database import db
from ..models import ScorePoint


def score_of(case) -> tuple:
    """What a point remembers of a case: its score and (a copy of) its factors."""
    return case.escalation_score, copy.deepcopy(case.escalation_factors or [])


def note(change) -> None:
    """Add a point when ``change`` moved the score or its factors (every new case gets its first)."""
    case = change.case
    now = score_of(case)
    if change.score_before is not None and now == change.score_before:
        return
    change.session.add(ScorePoint(case_id=case.id, score=now[0], level=case.escalation_level, factors=now[1]))


@dataclass
class ShownPoint:
    point: ScorePoint
    change: int  # points up (+) or down (-) against the point before
    changed_factors: list  # the factors that are new or gave other points than before
    dropped_factors: list  # the factors of the point before that no longer count


def history(case) -> list[ShownPoint]:
    """Every point of ``case``, oldest first, with what changed against the point before."""
    points = db.session.scalars(
        select(ScorePoint).where(ScorePoint.case_id == case.id).order_by(ScorePoint.id)
    ).all()
    shown, before = [], []
    for index, point in enumerate(points):
        earlier = {f.get("key"): f.get("points") for f in before}
        keys = {f.get("key") for f in point.factors}
        shown.append(ShownPoint(
            point,
            point.score - (points[index - 1].score if index else 0),
            [f for f in point.factors if earlier.get(f.get("key"), object()) != f.get("points")],
            [f for f in before if f.get("key") not in keys],
        ))
        before = point.factors
    return shown
