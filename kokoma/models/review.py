from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import UTCDateTime, db, utcnow
from .user import User


class Review(db.Model):
    """An external advisor's review of a case, requested by the facilitator's side of the tandem."""

    __tablename__ = "reviews"
    __table_args__ = (
        Index("ix_reviews_status_advisor", "status", "advisor_id"),
        # The day's work: the reviews given since a person last looked (the current one per case).
        Index("ix_reviews_status_given_at", "status", "given_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    # The advisor asked; None means any advisor assigned to the municipality may answer.
    advisor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    given_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(12), default="requested")  # requested, given, superseded
    question: Mapped[str] = mapped_column(Text, default="")
    recommendation: Mapped[str | None] = mapped_column(String(30))  # a key of domain.RECOMMENDATIONS
    text: Mapped[str] = mapped_column(Text, default="")
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    given_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    requested_by: Mapped[User] = relationship(foreign_keys=[requested_by_id], lazy="raise")
    given_by: Mapped[User | None] = relationship(foreign_keys=[given_by_id], lazy="raise")
