from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import JSONType, UTCDateTime, db, utcnow
from .user import User


class CaseAccess(db.Model):
    """Access trail (GDPR accountability): who opened which case, and who read the trail itself,
    when. Append-only for the application; removed in bulk after ACCESS_TRAIL_RETENTION_DAYS
    (kokoma.privacy.daily) and with its case when retention deletes the case."""

    __tablename__ = "case_accesses"
    __table_args__ = (
        Index("ix_case_accesses_municipality_id_id", "municipality_id", "id"),
        # The trail filtered by person, and the removal of old entries.
        Index("ix_case_accesses_municipality_user_id", "municipality_id", "user_id", "id"),
        Index("ix_case_accesses_accessed_at", "accessed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The case opened, or the case whose trail was read; None for a reading of the whole trail.
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipalities.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    # A key of kokoma.services.access_trail.ACTIONS: view, trail_read, trail_export, case_trail.
    action: Mapped[str] = mapped_column(String(20), default="view")
    # For a reading of the trail: the filters it was read with (ids and dates, no free text).
    query: Mapped[dict] = mapped_column(JSONType, default=dict)
    accessed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship(lazy="raise")


@event.listens_for(CaseAccess, "before_update")
@event.listens_for(CaseAccess, "before_delete")
def _refuse_change(_mapper, _connection, target):
    from .event import AppendOnlyError

    raise AppendOnlyError(f"the access trail is append-only (entry {target.id})")
