"""Follow-ups (Wiedervorlage): on a date someone checks something on a case; done with a note,
and the next one set at once."""
from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..database import db, utcnow
from ..models import Case, FollowUp
from . import permissions
from .changes import CaseChange, changing_case
from .errors import NotFound, ValidationError
from .submissions import Once


@dataclass
class FollowUpInput:
    due_on: date | None
    what: str
    assignee_id: int | None


# A case entering this state gets its first monitoring date at once (services.cases.fire_trigger).
MONITORED_STATE = "prevention"


def _validate(data: FollowUpInput, case: Case, prefix: str = "") -> None:
    errors = {}
    if data.due_on is None:
        errors[prefix + "due_on"] = _l("Please give the date of the follow-up.")
    if not data.what.strip():
        errors[prefix + "what"] = _l("Please say what is to be checked.")
    if not permissions.is_case_worker_of(data.assignee_id, case.municipality_id):
        errors[prefix + "assignee_id"] = _l("Please choose a person of this municipality.")
    if errors:
        raise ValidationError(errors)


def schedule(change: CaseChange, data: FollowUpInput, prefix: str = "") -> FollowUp:
    """Set a follow-up inside a change of the case (also when it enters prevention)."""
    _validate(data, change.case, prefix)
    follow_up = FollowUp(case_id=change.case.id, municipality_id=change.case.municipality_id, due_on=data.due_on,
                         what=data.what.strip(), assignee_id=data.assignee_id,
                         created_by_id=change.user.id if change.user else None)
    change.session.add(follow_up)
    change.session.flush()
    change.follow_up = follow_up
    change.record("follow_up_set", payload={"follow_up_id": follow_up.id, "due_on": data.due_on.isoformat(),
                                            "what": follow_up.what, "assignee_id": follow_up.assignee_id})
    return follow_up


def add_follow_up(user, case_id: int, data: FollowUpInput, once: Once | None = None) -> CaseChange:
    with changing_case(user, case_id, "case.follow_up", once=once) as change:
        schedule(change, data)
    return change


def complete_follow_up(user, case_id: int, follow_up_id: int, note: str, following: FollowUpInput | None = None,
                       once: Once | None = None) -> CaseChange:
    """Mark a follow-up done with what was found; ``following``, when given, is set at once."""
    with changing_case(user, case_id, "case.follow_up", once=once) as change:
        follow_up = permissions.get(user, "case.follow_up", FollowUp, follow_up_id, lock=True)
        if follow_up.case_id != change.case.id or follow_up.status != "open":
            raise NotFound()
        if not note.strip():
            raise ValidationError({"note": _l("Please note what the check found.")})
        follow_up.status, follow_up.note = "done", note.strip()
        follow_up.done_at, follow_up.done_by_id = utcnow(), user.id
        change.session.flush()
        change.record("follow_up_done", comment=follow_up.note,
                      payload={"follow_up_id": follow_up.id, "what": follow_up.what})
        if following is not None:
            schedule(change, following, prefix="next_")
    return change


def get_follow_up(user, case: Case, follow_up_id: int) -> FollowUp:
    follow_up = permissions.get(user, "case.follow_up", FollowUp, follow_up_id)
    if follow_up.case_id != case.id:
        raise NotFound()
    return follow_up


def follow_ups_of(case: Case) -> list[FollowUp]:
    """Open ones by date first, then those done, newest first."""
    return db.session.scalars(
        select(FollowUp).options(joinedload(FollowUp.assignee))
        .where(FollowUp.case_id == case.id)
        .order_by(FollowUp.status != "open", FollowUp.due_on, FollowUp.id)
    ).all()
