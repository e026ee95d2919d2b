from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import UTCDateTime, db, utcnow
from .user import User


class Attachment(db.Model):
    """A file on a case (minutes, a letter, a photo). The file lives under
    ``ATTACHMENTS_PATH``/<municipality id>/<stored_name>, outside the web root; it is served only
    through the case's scope and access trail (services.attachments)."""

    __tablename__ = "attachments"
    __table_args__ = (Index("ix_attachments_case_id_id", "case_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipalities.id"))
    filename: Mapped[str] = mapped_column(String(200))  # as the person named it, cleaned
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)  # random, never from the person
    content_type: Mapped[str] = mapped_column(String(120))  # sniffed from the content
    size: Mapped[int]
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    uploaded_by: Mapped[User | None] = relationship(lazy="raise")
