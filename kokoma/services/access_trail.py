"""The access trail: who opened which case, when (GDPR accountability)."""
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..database import db, write_transaction
from ..models import Case, CaseAccess
from . import permissions


def record_view(user, case: Case, action: str = "view") -> None:
    """Write to the trail that ``user`` opened ``case`` (or took it out: ``action``, a key of
    domain.ACCESS_ACTIONS)."""
    with write_transaction() as session:
        session.add(CaseAccess(case_id=case.id, municipality_id=case.municipality_id, user_id=user.id,
                               action=action))


@dataclass
class AccessPage:
    rows: list[tuple[CaseAccess, str]]  # (entry, case reference)
    next_after: int | None


def trail(coordinator, *, after: int | None = None, per_page: int = 50) -> AccessPage:
    """The trail of the coordinator's municipality, newest first, paged by id."""
    permissions.require(coordinator, "access_log.view")
    query = (
        select(CaseAccess, Case.reference)
        .join(Case, Case.id == CaseAccess.case_id)
        .options(joinedload(CaseAccess.user))
        .where(permissions.visible(coordinator, CaseAccess))
        .order_by(CaseAccess.id.desc())
        .limit(per_page + 1)
    )
    if after is not None:
        query = query.where(CaseAccess.id < after)
    rows = db.session.execute(query).all()
    more = len(rows) > per_page
    rows = rows[:per_page]
    return AccessPage([(entry, reference) for entry, reference in rows], rows[-1][0].id if more else None)
