from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import UTCDateTime, db, utcnow
from .partner import Partner
from .user import User


class Referral(db.Model):
    """A referral (Verweisung) where multi-partiality ends: proposed by the process facilitation,
    confirmed or declined by the advisor (four eyes). A confirmed one moves the case to the state
    ``referral``; ``ended_at`` is set when the case leaves it."""

    __tablename__ = "referrals"
    __table_args__ = (Index("ix_referrals_status_case_id", "status", "case_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    status: Mapped[str] = mapped_column(String(12), default="proposed")  # domain.REFERRAL_STATUSES
    reason: Mapped[str] = mapped_column(Text)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"))  # to whom (the registry)
    referred_on: Mapped[date] = mapped_column(Date)  # when
    proposed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    proposed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_note: Mapped[str] = mapped_column(Text, default="")
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    partner: Mapped[Partner] = relationship(lazy="raise")
    proposed_by: Mapped[User] = relationship(foreign_keys=[proposed_by_id], lazy="raise")
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id], lazy="raise")
