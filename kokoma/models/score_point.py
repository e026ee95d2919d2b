from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from ..database import JSONType, UTCDateTime, db, utcnow


class ScorePoint(db.Model):
    """The escalation score after a change that moved it or its factors: the score's history."""

    __tablename__ = "score_points"
    __table_args__ = (Index("ix_score_points_case_id_id", "case_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    score: Mapped[int]
    level: Mapped[str] = mapped_column(String(20))
    # The case's escalation_factors as they were after the change (the same records).
    factors: Mapped[list] = mapped_column(JSONType, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
