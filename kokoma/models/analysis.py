"""The conflict analysis of a case: actors, relations, issues, history, affected groups heard,
resources, Glasl assessments; and the case's analysis record (plugin fields, text carried over).

Every row belongs to one case (``case_id``); services.permissions scopes them through it."""
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import JSONType, UTCDateTime, db, utcnow
from .user import User


class CaseAnalysis(db.Model):
    """One per case, made with its first analysis change: what is not a list."""

    __tablename__ = "case_analyses"

    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), primary_key=True)
    # Values of the fields plugins add to the analysis (kokoma_analysis_fields).
    extra: Mapped[dict] = mapped_column(JSONType, default=dict)
    # The free texts of the earlier case form ("Konfliktparteien", "Betroffenengruppen"), kept
    # word for word by migration 0011 when it made actors of them.
    carried_over_parties: Mapped[str] = mapped_column(Text, default="")
    carried_over_affected: Mapped[str] = mapped_column(Text, default="")


class AnalysisActor(db.Model):
    __tablename__ = "analysis_actors"
    __table_args__ = (Index("ix_analysis_actors_case_id_id", "case_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    name: Mapped[str] = mapped_column(String(200))  # a name or a pseudonym
    kind: Mapped[str] = mapped_column(String(20), default="group")  # domain.ACTOR_KINDS
    role: Mapped[str] = mapped_column(String(20), default="primary")  # domain.ACTOR_ROLES
    position: Mapped[str] = mapped_column(Text, default="")  # what they demand
    interests: Mapped[str] = mapped_column(Text, default="")  # interests and needs
    fears: Mapped[str] = mapped_column(Text, default="")
    influence: Mapped[str] = mapped_column(String(10), default="medium")  # domain.INFLUENCE
    affected: Mapped[bool] = mapped_column(default=False)  # an affected or marginalised group
    anti_democratic: Mapped[bool] = mapped_column(default=False)  # openly, and unwilling to talk
    # For an affected group not heard yet: why not (the analysis is complete with a reason).
    not_heard_reason: Mapped[str] = mapped_column(Text, default="")
    # A person's number within the case, given once when it first is a person: "Person B" stays
    # the same person whatever is removed before it (services.pseudonyms).
    pseudonym_number: Mapped[int | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ActorRelation(db.Model):
    __tablename__ = "analysis_relations"
    __table_args__ = (Index("ix_analysis_relations_case_id_id", "case_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    source_id: Mapped[int] = mapped_column(ForeignKey("analysis_actors.id", ondelete="CASCADE"))
    target_id: Mapped[int] = mapped_column(ForeignKey("analysis_actors.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))  # domain.RELATION_KINDS; "influence" runs source → target
    note: Mapped[str] = mapped_column(Text, default="")


class DisputeIssue(db.Model):
    __tablename__ = "analysis_issues"
    __table_args__ = (Index("ix_analysis_issues_case_id_id", "case_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    text: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(20))  # domain.ISSUE_KINDS


class HistoryEntry(db.Model):
    __tablename__ = "analysis_history"
    __table_args__ = (Index("ix_analysis_history_case_id_id", "case_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    happened_on: Mapped[date] = mapped_column(Date)
    text: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(300), default="")


class GroupHearing(db.Model):
    """An affected group heard (Betroffenenbeteiligung)."""

    __tablename__ = "analysis_hearings"
    __table_args__ = (Index("ix_analysis_hearings_case_id_id", "case_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    actor_id: Mapped[int] = mapped_column(ForeignKey("analysis_actors.id", ondelete="CASCADE"))
    format: Mapped[str] = mapped_column(String(20))  # domain.HEARING_FORMATS
    held_on: Mapped[date] = mapped_column(Date)
    consent: Mapped[bool] = mapped_column(default=False)  # to record a summary
    summary: Mapped[str] = mapped_column(Text, default="")  # stored only with consent
    threat: Mapped[str] = mapped_column(String(10), default="none")  # domain.THREAT_LEVELS


class AnalysisResource(db.Model):
    __tablename__ = "analysis_resources"
    __table_args__ = (Index("ix_analysis_resources_case_id_id", "case_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20), default="resource")  # domain.RESOURCE_KINDS
    note: Mapped[str] = mapped_column(Text, default="")


class GlaslAssessment(db.Model):
    """One judgement of the escalation stage; every one is kept. The case's stage is the latest
    of the process facilitation's side; the advisor's stand beside them."""

    __tablename__ = "glasl_assessments"
    __table_args__ = (Index("ix_glasl_assessments_case_id_id", "case_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    stage: Mapped[int]
    temperature: Mapped[str | None] = mapped_column(String(4))  # hot, cold; None where carried over
    rationale: Mapped[str] = mapped_column(Text, default="")
    side: Mapped[str] = mapped_column(String(12), default="facilitator")  # domain.TANDEM_SIDES
    assessed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    assessed_by: Mapped[User | None] = relationship(lazy="raise")
