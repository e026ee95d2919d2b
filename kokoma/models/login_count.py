from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from ..database import UTCDateTime, db


class LoginCount(db.Model):
    """Failed logins counted in one fixed window of one limit (kokoma.services.login_limits):
    per client address, per address and account, per account. Kept in the database, so that
    every worker process and every app host counts together; rows of past windows are deleted.

    ``key_hash`` is an HMAC of the limit's kind, window and address or e-mail address under the
    secret key: no address is stored in the clear."""

    __tablename__ = "login_counts"

    key_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True, index=True)
    count: Mapped[int] = mapped_column(default=0)
