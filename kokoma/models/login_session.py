from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from ..database import UTCDateTime, db, utcnow


class LoginSession(db.Model):
    """One login: the session cookie carries a random token, this row its SHA-256. Logging out
    deletes the row, so a copy of the cookie is useless afterwards on every worker; deactivating
    an account, changing its role or setting its password deletes all of the account's rows."""

    __tablename__ = "login_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Written at most every few minutes (accounts.SESSION_TOUCH_INTERVAL), not on every request.
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
