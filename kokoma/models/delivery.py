from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import UTCDateTime, db, utcnow
from .event import CaseEvent
from .partner import Partner


class Delivery(db.Model):
    """Outbox row: one event to one partner over one channel (a notify plugin).

    Written in the transaction of its event; delivered after commit by a worker, at least once,
    under its idempotency key, retried with a growing delay until it succeeds or gives up.
    """

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("event_id", "partner_id", "channel", name="uq_deliveries_event_partner_channel"),
        Index("ix_deliveries_status_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("case_events.id"))
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipalities.id"), index=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"), index=True)
    channel: Mapped[str] = mapped_column(String(100))  # the name of the plugin that delivers
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    # pending (waiting for its first try or a retry), sending (a worker holds it), sent, skipped, failed
    status: Mapped[str] = mapped_column(String(12), default="pending")
    lease_token: Mapped[str | None] = mapped_column(String(32))  # the holding worker's, while "sending"
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    event: Mapped[CaseEvent] = relationship(lazy="raise")
    partner: Mapped[Partner] = relationship(lazy="raise")
