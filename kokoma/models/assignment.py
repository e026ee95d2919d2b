from datetime import datetime

from sqlalchemy import ForeignKey, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..database import UTCDateTime, db, utcnow


class AdvisorAssignment(db.Model):
    """An external advisor accompanies a municipality: they see its cases, and only those."""

    __tablename__ = "advisor_assignments"
    __table_args__ = (UniqueConstraint("advisor_id", "municipality_id", name="uq_advisor_assignments_pair"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    advisor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipalities.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
