from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import UTCDateTime, db, utcnow
from .user import User


class CaseAccess(db.Model):
    """Access trail (GDPR accountability): who opened which case, when. Append-only."""

    __tablename__ = "case_accesses"
    __table_args__ = (Index("ix_case_accesses_municipality_id_id", "municipality_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipalities.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(20), default="view")
    accessed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship(lazy="raise")


@event.listens_for(CaseAccess, "before_update")
@event.listens_for(CaseAccess, "before_delete")
def _refuse_change(_mapper, _connection, target):
    from .event import AppendOnlyError

    raise AppendOnlyError(f"the access trail is append-only (entry {target.id})")
