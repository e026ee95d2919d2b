from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import JSONType, UTCDateTime, db, utcnow
from .case import Case
from .user import User


class CaseEvent(db.Model):
    """Append-only trail of a case: written once, never updated or deleted by the application."""

    __tablename__ = "case_events"
    __table_args__ = (Index("ix_case_events_case_id_id", "case_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(30))  # a key of kokoma.domain.EVENT_KINDS
    from_state: Mapped[str | None] = mapped_column(String(40))
    to_state: Mapped[str | None] = mapped_column(String(40))
    trigger: Mapped[str | None] = mapped_column(String(60))
    comment: Mapped[str] = mapped_column(Text, default="")
    payload: Mapped[dict] = mapped_column(JSONType, default=dict)
    # The case as it was when the event was written: state, escalation_level, escalation_score,
    # category. A channel delivering later reads this, not the case as it is by then.
    snapshot: Mapped[dict] = mapped_column(JSONType, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The one change an event may see: a redaction of its comment and payload by retention or a
    # person's erasure, which moves this time forward; the database refuses any other update
    # (migration 0026).
    redacted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    case: Mapped[Case] = relationship(lazy="raise")
    actor: Mapped[User | None] = relationship(lazy="raise")

    def __repr__(self) -> str:
        return f"<CaseEvent {self.kind} case={self.case_id}>"


class AppendOnlyError(RuntimeError):
    pass


@event.listens_for(CaseEvent, "before_update")
def _refuse_update(_mapper, _connection, target):
    raise AppendOnlyError(f"case events are append-only (event {target.id})")


@event.listens_for(CaseEvent, "before_delete")
def _refuse_delete(_mapper, _connection, target):
    raise AppendOnlyError(f"case events are append-only (event {target.id})")
