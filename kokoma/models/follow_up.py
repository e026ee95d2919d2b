from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import UTCDateTime, db, utcnow
from .case import Case
from .user import User


class FollowUp(db.Model):
    """A follow-up (Wiedervorlage): on a date, someone checks something on a case."""

    __tablename__ = "follow_ups"
    __table_args__ = (
        Index("ix_follow_ups_case_id_id", "case_id", "id"),
        Index("ix_follow_ups_assignee_status_due", "assignee_id", "status", "due_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipalities.id"), index=True)
    due_on: Mapped[date] = mapped_column(Date)
    what: Mapped[str] = mapped_column(Text)
    assignee_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(8), default="open")  # open, done
    note: Mapped[str] = mapped_column(Text, default="")  # what was found when it was done
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    case: Mapped[Case] = relationship(lazy="raise")
    assignee: Mapped[User] = relationship(foreign_keys=[assignee_id], lazy="raise")

    def overdue(self, today: date) -> bool:
        return self.status == "open" and self.due_on < today

    def __repr__(self) -> str:
        return f"<FollowUp {self.id} {self.due_on} {self.status}>"
