"""Changing a case's conflict analysis: its parts, the Glasl assessments, the plugins' fields.

Each change is one case change (services.changes): the case is locked, the score recomputed
(the default factors read the analysis) and, once the case has left the analysis phase, the
trail says what changed ("analysis_changed", with the part, the item and old → new). In the
analysis phase editing is free and leaves no trail entry.
"""
from dataclasses import dataclass
from datetime import date
from typing import Callable

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select

from ..database import jsonable, utcnow
from ..domain import (
    ACTOR_KINDS, ACTOR_ROLES, CONFLICT_TEMPERATURES, GLASL_STAGES, HEARING_FORMATS, INFLUENCE, ISSUE_KINDS,
    RELATION_KINDS, RESOURCE_KINDS, THREAT_LEVELS,
)
from ..models import (
    ActorRelation, AnalysisActor, AnalysisResource, CaseAnalysis, DisputeIssue, GlaslAssessment, GroupHearing,
    HistoryEntry, PersonName,
)
from ..runtime import kokoma
from . import permissions
from .analysis_snapshot import Analysis
from .changes import CaseChange, changing_case, require_unchanged
from .errors import NotFound, ValidationError
from .escalation import rescore
from .submissions import Once


def _required(data, name, message, errors):
    if not data.get(name):
        errors[name] = message


def _choice(data, name, vocabulary, errors):
    if data.get(name) not in vocabulary:
        errors[name] = _l("Please choose from the list.")


def _not_future(data, name, errors):
    if isinstance(data.get(name), date) and data[name] > utcnow().date():
        errors[name] = _l("The date lies in the future.")


def _check_actor(data, analysis, errors):
    _required(data, "name", _l("Please enter a name or a pseudonym."), errors)
    for name, vocabulary in (("kind", ACTOR_KINDS), ("role", ACTOR_ROLES), ("influence", INFLUENCE)):
        _choice(data, name, vocabulary, errors)
    if not data.get("affected"):
        data["not_heard_reason"] = ""  # only an affected group is heard


def _check_relation(data, analysis, errors):
    for name in ("source_id", "target_id"):
        if data.get(name) not in analysis.actor_names:
            errors[name] = _l("Please choose an actor of this analysis.")
    if not errors and data["source_id"] == data["target_id"]:
        errors["target_id"] = _l("A relation joins two different actors.")
    _choice(data, "kind", RELATION_KINDS, errors)


def _check_issue(data, analysis, errors):
    _required(data, "text", _l("Please describe the issue in dispute."), errors)
    _choice(data, "kind", ISSUE_KINDS, errors)


def _check_history(data, analysis, errors):
    _required(data, "happened_on", _l("Please enter the date (YYYY-MM-DD)."), errors)
    _not_future(data, "happened_on", errors)
    _required(data, "text", _l("Please say what happened."), errors)


def _check_hearing(data, analysis, errors):
    if data.get("actor_id") not in {actor.id for actor in analysis.affected_groups}:
        errors["actor_id"] = _l("Please choose an actor flagged as an affected group.")
    _choice(data, "format", HEARING_FORMATS, errors)
    _required(data, "held_on", _l("Please enter the date (YYYY-MM-DD)."), errors)
    _not_future(data, "held_on", errors)
    _choice(data, "threat", THREAT_LEVELS, errors)
    if data.get("summary") and not data.get("consent"):
        errors["summary"] = _l("A summary is stored only with the group's consent: tick the consent, or leave the summary empty.")


def _check_resource(data, analysis, errors):
    _required(data, "name", _l("Please name the resource or ally."), errors)
    _choice(data, "kind", RESOURCE_KINDS, errors)


@dataclass(frozen=True)
class Part:
    """A list of the analysis that a person adds to, edits and removes from."""

    key: str  # a key of domain.ANALYSIS_PARTS
    model: type
    fields: tuple[str, ...]
    check: Callable  # (data, analysis, errors): adds messages by field; may tidy data
    title: Callable  # how the trail and the page name one item: (item, analysis) -> str


PARTS = {part.key: part for part in (
    Part("actor", AnalysisActor,
         ("name", "kind", "role", "influence", "position", "interests", "fears", "affected", "anti_democratic",
          "not_heard_reason"),
         _check_actor, lambda item, _a: item.name),
    Part("relation", ActorRelation, ("source_id", "target_id", "kind", "note"), _check_relation,
         lambda item, a: f"{a.actor_names.get(item.source_id, '?')} – {a.actor_names.get(item.target_id, '?')}"),
    Part("issue", DisputeIssue, ("text", "kind"), _check_issue, lambda item, _a: item.text[:80]),
    Part("history", HistoryEntry, ("happened_on", "text", "source"), _check_history,
         lambda item, _a: f"{item.happened_on.isoformat()}: {item.text[:60]}"),
    Part("hearing", GroupHearing, ("actor_id", "format", "held_on", "consent", "summary", "threat"), _check_hearing,
         lambda item, a: f"{a.actor_names.get(item.actor_id, '?')}, {item.held_on.isoformat()}"),
    Part("resource", AnalysisResource, ("name", "kind", "note"), _check_resource, lambda item, _a: item.name),
)}


def _checked(part: Part, data: dict, analysis: Analysis) -> dict:
    """The part's fields from ``data``, stripped, a field not given as its column's default."""
    values = {name: data.get(name) if data.get(name) is not None else _default(part.model, name) for name in part.fields}
    values = {name: value.strip() if isinstance(value, str) else value for name, value in values.items()}
    errors = {}
    part.check(values, analysis, errors)
    if errors:
        raise ValidationError(errors)
    return values


def _default(model, name):
    default = model.__table__.c[name].default
    return default.arg if default is not None and default.is_scalar else None


def get_item(user, case_id: int, part_key: str, item_id, *, lock: bool = False):
    """An item of a part of the case's analysis, for a change: another case's is not found."""
    part = PARTS[part_key]
    item = permissions.get(user, "analysis.edit", part.model, item_id, lock=lock)
    if item.case_id != case_id:
        raise NotFound()
    return item


def _changed(change: CaseChange, version: int, part_key: str, action: str, title: str, changes: dict) -> None:
    """What every analysis change does after it: rescore, and the trail.

    In the analysis phase editing is free: a change is in the trail only where it moved the
    case itself (its stage or score). After it, every change is, and touches the case. Either
    way the case's version moves exactly when an event says why (``version`` is the one the
    change began with)."""
    if change.case.state != kokoma().workflow.initial:
        change.case.updated_at = utcnow()
    change.plugin_failures += rescore(change.case)
    change.session.flush()
    if change.case.version != version:
        change.record("analysis_changed", notify=False,
                      payload={"part": part_key, "action": action, "item": title, "changes": changes,
                               "score": change.case.escalation_score, "level": change.case.escalation_level})


def add_item(user, case_id: int, part_key: str, data: dict, once: Once | None = None) -> CaseChange:
    part = PARTS[part_key]
    with changing_case(user, case_id, "analysis.edit", once=once) as change:
        version, analysis = change.case.version, Analysis(change.case)
        item = part.model(case_id=change.case.id, **_checked(part, data, analysis))
        change.session.add(item)
        _number_person(change, item)
        change.session.flush()
        _changed(change, version, part.key, "added", part.title(item, analysis), {})
    return change


def update_item(user, case_id: int, part_key: str, item_id: int, data: dict, once: Once | None = None,
                seen: str | None = None) -> CaseChange:
    """Change an item; ``seen``: its state the person's form showed (changes.require_unchanged)."""
    part = PARTS[part_key]
    with changing_case(user, case_id, "analysis.edit", once=once) as change:
        item = get_item(user, change.case.id, part.key, item_id, lock=True)
        require_unchanged(item, seen)
        version, analysis = change.case.version, Analysis(change.case)
        changes = {}
        for name, new in _checked(part, data, analysis).items():
            old = getattr(item, name)
            if old != new:
                changes[name] = [jsonable(old), jsonable(new)]
                setattr(item, name, new)
        _number_person(change, item)
        if changes:
            change.session.flush()
            _changed(change, version, part.key, "changed", part.title(item, analysis), changes)
    return change


def _number_person(change, item) -> None:
    """An actor that is a person for the first time gets the case's next person number (its
    pseudonym, services.pseudonyms; the case's row lock keeps two of them apart), and each name it
    has as a person is kept with that number: texts written meanwhile still name the person after
    a rename or its removal."""
    if not (isinstance(item, AnalysisActor) and item.kind == "person"):
        return
    if item.pseudonym_number is None:
        highest = change.session.scalar(select(func.max(PersonName.pseudonym_number))
                                        .where(PersonName.case_id == change.case.id))
        item.pseudonym_number = (highest or 0) + 1
    known = change.session.scalar(select(PersonName.id).where(
        PersonName.case_id == change.case.id, PersonName.pseudonym_number == item.pseudonym_number,
        PersonName.name == item.name))
    if known is None:
        change.session.add(PersonName(case_id=change.case.id, pseudonym_number=item.pseudonym_number, name=item.name))


def remove_item(user, case_id: int, part_key: str, item_id: int) -> CaseChange:
    """Remove an item; an actor takes its relations and hearings with it."""
    part = PARTS[part_key]
    with changing_case(user, case_id, "analysis.edit") as change:
        item = get_item(user, change.case.id, part.key, item_id)
        version, title = change.case.version, part.title(item, Analysis(change.case))
        if part.model is AnalysisActor:  # the database cascades too; said here for the session
            change.session.execute(delete(GroupHearing).where(GroupHearing.actor_id == item.id))
            change.session.execute(delete(ActorRelation).where(
                (ActorRelation.source_id == item.id) | (ActorRelation.target_id == item.id)))
        change.session.delete(item)
        change.session.flush()
        _changed(change, version, part.key, "removed", title, {})
    return change


# --- Glasl ---------------------------------------------------------------------------------


def assess(user, case_id: int, stage, temperature: str | None, rationale: str, once: Once | None = None) -> CaseChange:
    """Record a Glasl assessment from the user's side of the tandem; every assessment is kept."""
    errors = {}
    if stage not in GLASL_STAGES:
        errors["stage"] = _l("Please choose a stage.")
    if temperature not in CONFLICT_TEMPERATURES:
        errors["temperature"] = _l("Please say whether the conflict is hot or cold.")
    if not (rationale or "").strip():
        errors["rationale"] = _l("Please give the reasons for your assessment.")
    if errors:
        raise ValidationError(errors)
    with changing_case(user, case_id, "analysis.assess", once=once) as change:
        record_assessment(change, stage, temperature, rationale.strip())
    return change


def record_assessment(change: CaseChange, stage: int, temperature: str | None, rationale: str) -> None:
    """Add an assessment inside ``change``, rescore, and trail it (see _changed)."""
    version, before, side = change.case.version, change.case.glasl_stage, permissions.tandem_side(change.user)
    keep_assessment(change, stage, temperature, rationale)
    _changed(change, version, "glasl", "added", str(stage),
             {"stage": [before, stage]} if side == "facilitator" else {"advisor_stage": [None, stage]})


def keep_assessment(change: CaseChange, stage: int, temperature: str | None, rationale: str) -> None:
    """Add the assessment only (the caller rescores): the process facilitation's sets the
    case's stage, the advisor's stands beside it (the score reads the pending assessment)."""
    side = permissions.tandem_side(change.user)
    change.session.add(GlaslAssessment(case_id=change.case.id, stage=stage, temperature=temperature,
                                       rationale=rationale, side=side, assessed_by_id=change.user.id))
    if side == "facilitator":
        change.case.glasl_stage = stage


# --- the plugins' fields -------------------------------------------------------------------


def save_fields(user, case_id: int, values: dict, once: Once | None = None) -> CaseChange:
    """Store the values of the analysis fields plugins add (kokoma_analysis_fields)."""
    with changing_case(user, case_id, "analysis.edit", once=once) as change:
        version, record = change.case.version, change.session.get(CaseAnalysis, change.case.id)
        if record is None:
            record = CaseAnalysis(case_id=change.case.id, extra={}, carried_over_parties="",
                                  carried_over_affected="")
            change.session.add(record)
        before = dict(record.extra or {})
        after = {**before, **{name: jsonable(value) for name, value in values.items()}}
        changes = {name: [before.get(name), value] for name, value in after.items() if before.get(name) != value}
        if changes:
            record.extra = after
            change.session.flush()
            _changed(change, version, "fields", "changed", "", changes)
    return change
