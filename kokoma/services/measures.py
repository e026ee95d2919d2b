"""Measures of a case (Maßnahmen): plan, change, complete; each change an event saying what changed."""
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..database import db, jsonable
from ..domain import MEASURE_EFFECTS, MEASURE_KINDS, MEASURE_STATUSES
from ..models import Case, Measure, Partner, User
from . import permissions
from .analysis_snapshot import Analysis
from .changes import CaseChange, changing_case, require_unchanged
from .errors import NotFound, ValidationError
from .referral_rules import measure_refusal
from .submissions import Once

# The fields a person edits, as the event of a change names them (domain.MEASURE_FIELDS).
EDITABLE_FIELDS = ("kind", "title", "planned_at", "place", "responsible", "participants", "status", "outcome",
                   "effect")


@dataclass
class MeasureInput:
    kind: str
    title: str
    planned_at: datetime | None = None  # aware (UTC) or None
    place: str = ""
    # "user:<id>" (a person of the municipality), "partner:<id>" (a partner of its registry) or "".
    responsible: str = ""
    participants: str = ""  # free text
    participant_actor_ids: list[int] = field(default_factory=list)  # actors of the analysis
    status: str = "planned"
    outcome: str = ""
    effect: str | None = None


def responsible_key(measure: Measure) -> str:
    if measure.responsible_user_id:
        return f"user:{measure.responsible_user_id}"
    if measure.responsible_partner_id:
        return f"partner:{measure.responsible_partner_id}"
    return ""


def responsible_choices(municipality_id: int) -> list[tuple[str, str, str]]:
    """(key, name, group) of who can be responsible: the people, then the active partners."""
    people = db.session.execute(
        select(User.id, User.name).where(permissions.case_workers_of(municipality_id)).order_by(User.name)
    ).all()
    partners = db.session.execute(
        select(Partner.id, Partner.name)
        .where(Partner.municipality_id == municipality_id, Partner.active.is_(True)).order_by(Partner.name)
    ).all()
    return [(f"user:{i}", n, "people") for i, n in people] + [(f"partner:{i}", n, "partners") for i, n in partners]


def _validate(data: MeasureInput, case: Case) -> None:
    errors = {}
    if data.kind not in MEASURE_KINDS:
        errors["kind"] = _l("Please choose a kind of measure.")
    if not data.title.strip():
        errors["title"] = _l("Please give the measure a title.")
    if data.status not in MEASURE_STATUSES:
        errors["status"] = _l("Please choose a status.")
    elif data.status == "planned" and data.planned_at is None:
        errors["planned_at"] = _l("Please give the date and time it is planned for.")
    if data.effect is not None and data.effect not in MEASURE_EFFECTS:
        errors["effect"] = _l("Please choose an effect.")
    elif data.effect is not None and data.status != "done":
        errors["effect"] = _l("An effect can only be told of a measure that was done.")
    if data.participant_actor_ids and not set(data.participant_actor_ids) <= {
            actor_id for actor_id, _name in participant_choices(case)}:
        errors["participant_actors"] = _l("Please choose actors of this case's analysis.")
    if data.responsible and data.responsible not in {key for key, _n, _g in responsible_choices(case.municipality_id)}:
        errors["responsible"] = _l("Please choose a person of this municipality or one of its partners.")
    if errors:
        raise ValidationError(errors)


def participant_choices(case: Case, analysis: Analysis | None = None) -> list[tuple[int, str]]:
    """(id, name) of the actors of ``case``'s analysis, who can take part in its measures (from
    ``analysis``, when the page has read it already)."""
    return list((analysis or Analysis(case)).actor_names.items())


def _apply(measure: Measure, data: MeasureInput) -> dict:
    """Copy the input onto the measure; returns {field: [old, new]} of what changed."""
    changes = {}
    values = {
        "kind": data.kind, "title": data.title.strip(), "planned_at": data.planned_at, "place": data.place.strip(),
        "participants": data.participants.strip(), "status": data.status, "outcome": data.outcome.strip(),
        "effect": data.effect,
    }
    for name, new in values.items():
        old = getattr(measure, name)
        if old != new:
            changes[name] = [jsonable(old), jsonable(new)]
            setattr(measure, name, new)
    old_responsible = responsible_key(measure)
    if old_responsible != data.responsible:
        changes["responsible"] = [old_responsible, data.responsible]
        kind, _sep, ident = data.responsible.partition(":")
        measure.responsible_user_id = int(ident) if kind == "user" else None
        measure.responsible_partner_id = int(ident) if kind == "partner" else None
    if list(measure.participant_actor_ids or []) != list(data.participant_actor_ids):
        changes["participant_actor_ids"] = [list(measure.participant_actor_ids or []), list(data.participant_actor_ids)]
        measure.participant_actor_ids = list(data.participant_actor_ids)
    return changes


def _check_allowed(change: CaseChange, data: MeasureInput) -> None:
    """Rules on which measures a case allows at all (a dialogue with an actor the analysis
    flagged, say, while the case is referred): raise ValidationError at the field concerned.
    Every new or changed measure passes here."""
    refused = measure_refusal(change.case, data.kind, actor_ids=data.participant_actor_ids or None)
    if refused:
        raise ValidationError({"kind": refused})


def add_measure(user, case_id: int, data: MeasureInput, once: Once | None = None) -> CaseChange:
    """Plan (or record) a measure on a case: the one way a measure is made."""
    with changing_case(user, case_id, "case.measure", once=once) as change:
        _validate(data, change.case)
        _check_allowed(change, data)
        measure = Measure(case_id=change.case.id, municipality_id=change.case.municipality_id,
                          created_by_id=user.id, participant_actor_ids=[], status="planned")
        _apply(measure, data)
        change.session.add(measure)
        change.session.flush()
        change.measure = measure
        change.record("measure_added", payload={"measure_id": measure.id, "title": measure.title,
                                                "measure": measure.kind, "status": measure.status})
    return change


def update_measure(user, case_id: int, measure_id: int, data: MeasureInput, once: Once | None = None,
                   seen: str | None = None) -> CaseChange:
    """Change a measure (complete it with its outcome, say); the event names each changed field.
    ``seen``: the measure's state the person's form showed (services.changes.require_unchanged)."""
    with changing_case(user, case_id, "case.measure", once=once) as change:
        measure = permissions.get(user, "case.measure", Measure, measure_id, lock=True)
        if measure.case_id != change.case.id:
            raise NotFound()
        require_unchanged(measure, seen)
        _validate(data, change.case)
        if (data.kind, list(data.participant_actor_ids)) != (measure.kind, list(measure.participant_actor_ids or [])):
            _check_allowed(change, data)
        changes = _apply(measure, data)
        change.measure = measure
        if changes:
            change.session.flush()
            change.record("measure_changed", payload={"measure_id": measure.id, "title": measure.title,
                                                      "changes": changes})
    return change


def get_measure(user, case: Case, measure_id: int) -> Measure:
    measure = permissions.get(user, "case.measure", Measure, measure_id)
    if measure.case_id != case.id:
        raise NotFound()
    return measure


def measures_of(case: Case) -> list[Measure]:
    """The measures of a case, by planned date (undated last), with who is responsible."""
    return db.session.scalars(
        select(Measure)
        .options(joinedload(Measure.responsible_user), joinedload(Measure.responsible_partner))
        .where(Measure.case_id == case.id)
        .order_by(Measure.planned_at.is_(None), Measure.planned_at, Measure.id)
    ).all()


def has_done_measure(case_id: int) -> bool:
    return db.session.scalar(
        select(Measure.id).where(Measure.case_id == case_id, Measure.status == "done").limit(1)
    ) is not None
