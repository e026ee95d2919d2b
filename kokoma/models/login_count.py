from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from ..database import UTCDateTime, db


class LoginCount(db.Model):
    """Failed logins counted for one limit (kokoma.services.login_limits): per client address,
    per address and account, per account, each over its window length. Kept in the database, so
    that every worker process and every app host counts together.

    One row per limit and key: the count of the window that starts at ``window_start`` and of
    the window before it (the limit is checked over a sliding window, weighting the window before
    by how much of it is still inside). The row is deleted once ``expires_at`` has passed, when
    neither count matters any more.

    ``key_hash`` is an HMAC of the limit's kind, window length and address or e-mail address
    under the secret key: no address is stored in the clear."""

    __tablename__ = "login_counts"

    key_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    window_start: Mapped[datetime] = mapped_column(UTCDateTime)
    count: Mapped[int] = mapped_column(default=0)
    previous_count: Mapped[int] = mapped_column(default=0)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
