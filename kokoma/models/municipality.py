from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from ..database import UTCDateTime, db, utcnow


class Municipality(db.Model):
    """The tenant: every case, partner and facilitator belongs to exactly one."""

    __tablename__ = "municipalities"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(8), unique=True)  # prefix of case references, e.g. COE
    name: Mapped[str] = mapped_column(String(200))
    # Counter behind the case references; reset each year (see services.cases.next_reference).
    case_seq: Mapped[int] = mapped_column(default=0)
    case_seq_year: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"<Municipality {self.code}>"
