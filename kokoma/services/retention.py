"""Retention: closed cases are anonymised, then deleted, after the periods their municipality set.

A case counts as closed from the event that brought it into its current, final state (a reopened
and again closed case from its last closing). Anonymising keeps what the statistics count (focus
area, state, Glasl stage, escalation, dates, the responsible staff) and empties what names or
places people; deleting removes the case with everything that hangs on it.

Each kind of record has its own function, in :data:`ANONYMISERS` and :data:`DELETERS`, called
with the session and the ids of the cases: a new kind of record (attachments, say) adds its pair
there. The conflict analysis keeps its structure (how many actors, their roles, kinds and
influence, the relations' kinds, the Glasl stages, the hearings' dates and threat levels), so
the statistics still count it; its actors are renamed "Akteur 1", "Akteur 2"… and its free
texts emptied, as are measures' titles (their kind stays), places, participants and outcomes,
follow-ups' texts, the lessons of a case study not released and the reasons a study was withdrawn
for. A released case study outlives its case; a draft is deleted with it.
"""
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.orm import Session

from ..database import db, utcnow, write_transaction
from ..models import (
    ActorRelation, AnalysisActor, AnalysisResource, Case, CaseAccess, CaseAnalysis, CaseEvent, Delivery,
    DisputeIssue, FollowUp, GlaslAssessment, GroupHearing, HistoryEntry, Measure, Referral, RetentionRun,
    RetentionSetting, Review, ScorePoint, Attachment, CaseSearch, CaseStudy, PersonName, PseudonymLift,
)
from ..runtime import kokoma
from . import attachments, permissions, search
from .errors import ValidationError

MAX_DAYS = 36500
# What an event's payload may keep once redacted: keys, levels, scores and ids, never free text
# (an edit's "changes" hold the old and new texts of the case's fields).
NEUTRAL_PAYLOAD_KEYS = frozenset({"level", "score", "from", "to", "measure", "review_id", "recommendation",
                                  "plugin", "hook", "before", "after", "part", "action", "measure_id",
                                  "follow_up_id", "status", "due_on", "referral_id"})
# The neutral name an anonymised actor takes, numbered within its case.
ACTOR_LABEL = "Akteur {number}"


def _anonymise_case_fields(session: Session, case_ids: list[int], now: datetime) -> None:
    """The case's own text: the title becomes the reference; description, location (finer than
    the municipality) and plugin fields are emptied."""
    session.execute(
        update(Case).where(Case.id.in_(case_ids)).values(
            title=Case.reference, description="", location="", extra={},
            anonymised_at=now, version=Case.version + 1, updated_at=now,
        ).execution_options(synchronize_session=False)
    )


def _anonymise_events(session: Session, case_ids: list[int], now: datetime) -> None:
    """Comments (reasons, measures' notes, review questions) and the free text of payloads, each
    event redacted once (the one update the database lets through, migration 0026)."""
    events = session.execute(
        select(CaseEvent.id, CaseEvent.payload).where(CaseEvent.case_id.in_(case_ids), CaseEvent.redacted_at.is_(None))
    ).all()
    if events:
        session.connection().execute(
            update(CaseEvent.__table__).where(CaseEvent.__table__.c.id == bindparam("event_id")).values(
                comment="", payload=bindparam("neutral", type_=CaseEvent.__table__.c.payload.type), redacted_at=now),
            [{"event_id": event_id, "neutral": redacted_payload(payload)} for event_id, payload in events],
        )


def redacted_payload(payload: dict) -> dict:
    return {key: value for key, value in (payload or {}).items() if key in NEUTRAL_PAYLOAD_KEYS}


def _anonymise_reviews(session: Session, case_ids: list[int], _now: datetime) -> None:
    session.execute(update(Review).where(Review.case_id.in_(case_ids)).values(question="", text="")
                    .execution_options(synchronize_session=False))


def _emptied(model, **values) -> Callable[[Session, list[int], datetime], None]:
    """An anonymiser that sets the free texts of a kind of record (by ``case_id``) to ``values``."""

    def anonymise(session: Session, case_ids: list[int], _now: datetime) -> None:
        session.execute(update(model).where(model.case_id.in_(case_ids)).values(**values)
                        .execution_options(synchronize_session=False))

    anonymise.__name__ = f"anonymise_{model.__tablename__}"
    return anonymise


def _anonymise_actors(session: Session, case_ids: list[int], _now: datetime) -> None:
    """Actors keep kind, role, influence and their flags; the name becomes "Akteur n"."""
    rows = session.execute(select(AnalysisActor.id, AnalysisActor.case_id).where(AnalysisActor.case_id.in_(case_ids))
                           .order_by(AnalysisActor.case_id, AnalysisActor.id)).all()
    numbers: dict[int, int] = {}
    values = []
    for actor_id, case_id in rows:
        numbers[case_id] = numbers.get(case_id, 0) + 1
        values.append({"actor_id": actor_id, "neutral": ACTOR_LABEL.format(number=numbers[case_id])})
    if values:
        table = AnalysisActor.__table__
        session.connection().execute(
            update(table).where(table.c.id == bindparam("actor_id")).values(
                name=bindparam("neutral"), position="", interests="", fears="", not_heard_reason=""),
            values,
        )


def _delete_rows(model, column) -> Callable[[Session, list[int]], None]:
    def remove(session: Session, case_ids: list[int]) -> None:
        # Bulk DELETEs: the append-only guards stop the application's single changes, not retention.
        session.execute(delete(model).where(column.in_(case_ids)).execution_options(synchronize_session=False))

    remove.__name__ = f"delete_{model.__tablename__}"
    return remove


def _remove_attachments(session: Session, case_ids: list[int], _now: datetime | None = None) -> None:
    """Attachments go with anonymisation (minutes and photos name people); files once it commits."""
    attachments.remove_case_attachments(session, None, only=session.scalars(
        select(Attachment).where(Attachment.case_id.in_(case_ids))).all())


def _refresh_search(session: Session, case_ids: list[int], _now: datetime) -> None:
    """The search documents anew from the anonymised texts (last: after every other anonymiser)."""
    # (the anonymisers were bulk updates: the cases are read anew)
    for case in session.scalars(select(Case).where(Case.id.in_(case_ids)).execution_options(populate_existing=True)):
        search.refresh_document(session, case)


def _anonymise_studies(session: Session, case_ids: list[int], _now: datetime | None = None) -> None:
    """A draft of the case's study (never released, or withdrawn since) has not passed the check
    of the names: its lessons go like the case's texts. The reasons a study was withdrawn for go
    from every study of the case; who withdrew it, and when, stay."""
    for study in session.scalars(select(CaseStudy).where(CaseStudy.case_id.in_(case_ids))):
        if study.released_at is None:
            study.lessons, study.search_words = "", search.word_forms("")
        if study.withdrawals:
            study.withdrawals = [{**withdrawal, "reason": ""} for withdrawal in study.withdrawals]


def _keep_released_studies(session: Session, case_ids: list[int]) -> None:
    """A released case study outlives its case (it names no one): it lets go of the case, without
    the reasons it was once withdrawn for. A draft goes with the case: nobody could open it again."""
    session.execute(delete(CaseStudy).where(CaseStudy.case_id.in_(case_ids), CaseStudy.released_at.is_(None))
                    .execution_options(synchronize_session=False))
    _anonymise_studies(session, case_ids)
    session.execute(update(CaseStudy).where(CaseStudy.case_id.in_(case_ids)).values(case_id=None)
                    .execution_options(synchronize_session=False))


def _forget_person_names(session: Session, case_ids: list[int], _now: datetime) -> None:
    """The names the persons had (services.pseudonyms) go with the texts that held them."""
    _delete_rows(PersonName, PersonName.case_id)(session, case_ids)


ANONYMISERS: list[Callable[[Session, list[int], datetime], None]] = [
    _anonymise_case_fields, _anonymise_events, _anonymise_reviews, _anonymise_actors, _forget_person_names,
    _emptied(CaseAnalysis, carried_over_parties="", carried_over_affected="", extra={}),
    _emptied(ActorRelation, note=""),
    _emptied(DisputeIssue, text=""),
    _emptied(HistoryEntry, text="", source=""),
    _emptied(GroupHearing, summary=""),
    _emptied(AnalysisResource, name="", note=""),
    _emptied(GlaslAssessment, rationale=""),
    _emptied(Referral, reason="", decision_note=""),
    _emptied(Measure, title="", place="", participants="", outcome=""),
    _emptied(FollowUp, what="", note=""),
    _anonymise_studies,
    _remove_attachments,
    _refresh_search,
]
# In the order the foreign keys need: what refers to events, actors and cases first, the cases
# last (bulk deletes: no ORM cascade, and SQLite's ON DELETE CASCADE is not relied on).
DELETERS: list[Callable[[Session, list[int]], None]] = [
    _delete_rows(PseudonymLift, PseudonymLift.case_id),
    _delete_rows(PersonName, PersonName.case_id),
    _delete_rows(Delivery, Delivery.case_id),
    _delete_rows(CaseEvent, CaseEvent.case_id),
    _delete_rows(Review, Review.case_id),
    _delete_rows(CaseAccess, CaseAccess.case_id),
    _delete_rows(GroupHearing, GroupHearing.case_id),
    _delete_rows(ActorRelation, ActorRelation.case_id),
    _delete_rows(AnalysisActor, AnalysisActor.case_id),
    _delete_rows(DisputeIssue, DisputeIssue.case_id),
    _delete_rows(HistoryEntry, HistoryEntry.case_id),
    _delete_rows(AnalysisResource, AnalysisResource.case_id),
    _delete_rows(GlaslAssessment, GlaslAssessment.case_id),
    _delete_rows(CaseAnalysis, CaseAnalysis.case_id),
    _delete_rows(Referral, Referral.case_id),
    _delete_rows(FollowUp, FollowUp.case_id),
    _delete_rows(Measure, Measure.case_id),
    _delete_rows(ScorePoint, ScorePoint.case_id),
    _remove_attachments,
    _delete_rows(CaseSearch, CaseSearch.case_id),
    _keep_released_studies,
    _delete_rows(Case, Case.id),
]


@dataclass
class Policy:
    anonymise_after_days: int | None = None
    delete_after_days: int | None = None


def policy_of(municipality_id: int) -> Policy:
    setting = db.session.get(RetentionSetting, municipality_id)
    return Policy(setting.anonymise_after_days, setting.delete_after_days) if setting else Policy()


def settings(coordinator) -> Policy:
    permissions.require(coordinator, "retention.manage")
    return policy_of(coordinator.municipality_id)


def save_settings(coordinator, anonymise_after_days: int | None, delete_after_days: int | None) -> Policy:
    permissions.require(coordinator, "retention.manage")
    errors = {}
    for name, days in (("anonymise_after_days", anonymise_after_days), ("delete_after_days", delete_after_days)):
        if days is not None and not 1 <= days <= MAX_DAYS:
            errors[name] = _l("Please enter a number of days from 1 to 36500.")
    if not errors and anonymise_after_days and delete_after_days and delete_after_days < anonymise_after_days:
        errors["delete_after_days"] = _l("Deletion cannot come before anonymisation: enter at least as many days.")
    if errors:
        raise ValidationError(errors)
    with write_transaction() as session:
        setting = session.get(RetentionSetting, coordinator.municipality_id, with_for_update=True)
        if setting is None:
            setting = RetentionSetting(municipality_id=coordinator.municipality_id)
            session.add(setting)
        setting.anonymise_after_days = anonymise_after_days
        setting.delete_after_days = delete_after_days
        setting.updated_by_id = coordinator.id
    return Policy(anonymise_after_days, delete_after_days)


def _closed_at():
    """When the case entered its current state: the latest event that brought it there."""
    return (
        select(func.max(CaseEvent.created_at))
        .where(CaseEvent.case_id == Case.id, CaseEvent.to_state == Case.state)
        .correlate(Case)
        .scalar_subquery()
    )


@dataclass
class Due:
    case_id: int
    reference: str
    closed_at: datetime


@dataclass
class Plan:
    anonymise: list[Due]
    delete: list[Due]


def plan_for(municipality_id: int, now: datetime | None = None) -> Plan:
    """What the municipality's policy would anonymise and delete at ``now``."""
    now = now or utcnow()
    policy = policy_of(municipality_id)
    closed_at = _closed_at().label("closed_at")
    closed = (Case.municipality_id == municipality_id) & Case.state.in_(kokoma().workflow.definition.final_states)

    def due(days: int | None, *conditions) -> list[Due]:
        if days is None:
            return []
        rows = db.session.execute(
            select(Case.id, Case.reference, closed_at).where(closed, closed_at < now - timedelta(days=days), *conditions)
            .order_by(Case.id)
        ).all()
        return [Due(*row) for row in rows]

    deleting = due(policy.delete_after_days)
    gone = {d.case_id for d in deleting}
    anonymising = [d for d in due(policy.anonymise_after_days, Case.anonymised_at.is_(None)) if d.case_id not in gone]
    return Plan(anonymising, deleting)


def dry_run(coordinator, now: datetime | None = None) -> Plan:
    """What would go today in the coordinator's municipality (nothing is changed)."""
    permissions.require(coordinator, "retention.manage")
    return plan_for(coordinator.municipality_id, now)


def apply(municipality_id: int, now: datetime | None = None, *, trail_removed: int = 0) -> RetentionRun:
    """Anonymise and delete what the policy says is due, in one transaction, and record the run."""
    now = now or utcnow()
    with write_transaction() as session:
        due = plan_for(municipality_id, now)
        anonymise = [d.case_id for d in due.anonymise]
        remove = [d.case_id for d in due.delete]
        if anonymise:
            for anonymiser in ANONYMISERS:
                anonymiser(session, anonymise, now)
        if remove:
            for deleter in DELETERS:
                deleter(session, remove)
        run = RetentionRun(municipality_id=municipality_id, ran_at=now, anonymised_cases=len(anonymise),
                           deleted_cases=len(remove), trail_entries_removed=trail_removed)
        session.add(run)
    return run


def recent_runs(coordinator, limit: int = 10) -> list[RetentionRun]:
    permissions.require(coordinator, "retention.manage")
    return list(db.session.scalars(
        select(RetentionRun).where(permissions.visible(coordinator, RetentionRun))
        .order_by(RetentionRun.id.desc()).limit(limit)
    ))


def latest_run_of(municipality_id: int) -> RetentionRun | None:
    """The municipality's latest run (for the command line, which acts for the instance)."""
    return db.session.scalars(select(RetentionRun).where(RetentionRun.municipality_id == municipality_id)
                              .order_by(RetentionRun.id.desc()).limit(1)).first()
