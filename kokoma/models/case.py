from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import JSONType, UTCDateTime, db, utcnow
from .municipality import Municipality
from .user import User


class Case(db.Model):
    """A local conflict as the tandem works on it."""

    __tablename__ = "cases"
    __table_args__ = (
        UniqueConstraint("municipality_id", "reference", name="uq_cases_municipality_reference"),
        # The case list filters within a municipality and pages by id (keyset pagination).
        Index("ix_cases_municipality_id_id", "municipality_id", "id"),
        Index("ix_cases_municipality_state_id", "municipality_id", "state", "id"),
        Index("ix_cases_municipality_category_id", "municipality_id", "category", "id"),
        Index("ix_cases_municipality_level_id", "municipality_id", "escalation_level", "id"),
        # The overview counts by state and level from the index alone, and finds the
        # highest-scored open cases by walking the score index backwards.
        Index("ix_cases_municipality_state_level", "municipality_id", "state", "escalation_level"),
        Index("ix_cases_municipality_score_id", "municipality_id", "escalation_score", "id"),
        # The list sorted by last change pages along this index (keyset pagination).
        Index("ix_cases_municipality_updated_id", "municipality_id", "updated_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipalities.id"))
    reference: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[str] = mapped_column(String(40))
    location: Mapped[str] = mapped_column(String(200), default="")
    observed_on: Mapped[date | None] = mapped_column(Date)
    # The latest Glasl assessment of the process facilitation's side (models.analysis).
    glasl_stage: Mapped[int | None]
    violence_reported: Mapped[bool] = mapped_column(default=False)
    state: Mapped[str] = mapped_column(String(40))
    facilitator_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    advisor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    escalation_score: Mapped[int] = mapped_column(default=0)
    escalation_level: Mapped[str] = mapped_column(String(20), default="low")
    # The highest score the case ever had: a case that was once high needs a review to close.
    peak_escalation_score: Mapped[int] = mapped_column(default=0)
    # [{"key", "points", "reason", "plugin"}], as the plugins gave them at the last recompute.
    escalation_factors: Mapped[list] = mapped_column(JSONType, default=list)
    # Values of the fields that plugins add to the form (kokoma_case_form_fields).
    extra: Mapped[dict] = mapped_column(JSONType, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(default=1)
    # When retention anonymised the case (kokoma.services.retention): its personal fields are
    # empty, the title is its reference; it still counts in the statistics.
    anonymised_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    municipality: Mapped[Municipality] = relationship(lazy="raise")
    facilitator: Mapped[User | None] = relationship(foreign_keys=[facilitator_id], lazy="raise")
    advisor: Mapped[User | None] = relationship(foreign_keys=[advisor_id], lazy="raise")

    # Optimistic locking: every UPDATE says "WHERE version = <the version I read>".
    __mapper_args__ = {"version_id_col": version}

    def __repr__(self) -> str:
        return f"<Case {self.reference} {self.state}>"
