from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..database import UTCDateTime, db, utcnow


class Submission(db.Model):
    """A form that created something, by its one-time token, and where its result is: the same
    form sent again is answered with that address (kokoma.services.submissions)."""

    __tablename__ = "submissions"
    # One record per token and person; a second transaction with the same pair waits for the first.
    __table_args__ = (UniqueConstraint("user_id", "token", name="uq_submissions_user_token"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    token: Mapped[str] = mapped_column(String(64))
    url: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
