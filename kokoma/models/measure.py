from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import JSONType, UTCDateTime, db, utcnow
from .case import Case
from .partner import Partner
from .user import User


class Measure(db.Model):
    """A measure of the processing (Maßnahme): planned, then done or cancelled, with its outcome."""

    __tablename__ = "measures"
    __table_args__ = (
        Index("ix_measures_case_id_id", "case_id", "id"),
        # The day's work: a person's planned measures by date, within a municipality.
        Index("ix_measures_responsible_status_planned", "responsible_user_id", "status", "planned_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipalities.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))  # a key of domain.MEASURE_KINDS
    title: Mapped[str] = mapped_column(String(200))
    planned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    place: Mapped[str] = mapped_column(String(200), default="")
    # Responsible: a person of the municipality, or a partner of the registry (or neither yet).
    responsible_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    responsible_partner_id: Mapped[int | None] = mapped_column(ForeignKey("partners.id"))
    participants: Mapped[str] = mapped_column(Text, default="")  # free text
    # Ids of actors of the conflict analysis taking part (linked once the analysis has actors).
    participant_actor_ids: Mapped[list] = mapped_column(JSONType, default=list)
    status: Mapped[str] = mapped_column(String(12), default="planned")  # domain.MEASURE_STATUSES
    outcome: Mapped[str] = mapped_column(Text, default="")
    effect: Mapped[str | None] = mapped_column(String(20))  # a key of domain.MEASURE_EFFECTS
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    case: Mapped[Case] = relationship(lazy="raise")
    responsible_user: Mapped[User | None] = relationship(foreign_keys=[responsible_user_id], lazy="raise")
    responsible_partner: Mapped[Partner | None] = relationship(lazy="raise")

    def overdue(self, now: datetime) -> bool:
        return self.status == "planned" and self.planned_at is not None and self.planned_at < now

    def __repr__(self) -> str:
        return f"<Measure {self.id} {self.kind} {self.status}>"
