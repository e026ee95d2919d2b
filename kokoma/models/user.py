from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import UTCDateTime, db, utcnow
from .municipality import Municipality


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)  # stored lower-case
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20))  # a key of kokoma.domain.ROLES
    municipality_id: Mapped[int | None] = mapped_column(ForeignKey("municipalities.id"), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    # The language the person chose (de, en); None follows the browser.
    locale: Mapped[str | None] = mapped_column(String(8))
    # An invitation to set a password: the SHA-256 of the token in the link, and until when it works.
    invitation_hash: Mapped[str | None] = mapped_column(String(64))
    invitation_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The day's work: a digest e-mail each morning (switchable off), a calendar feed behind a
    # secret address (the SHA-256 of its token), and when "Meine Aufgaben" was last looked at.
    digest_enabled: Mapped[bool] = mapped_column(default=True)
    calendar_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    tasks_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    municipality: Mapped[Municipality | None] = relationship(lazy="joined")

    # The token of the login session this object was loaded for (kokoma.models.LoginSession);
    # not a column: set by kokoma.services.accounts when a session starts or is found.
    login_token = None

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    def get_id(self) -> str | None:
        """What Flask-Login keeps in the session cookie: the token of this login session."""
        return self.login_token

    def __repr__(self) -> str:
        return f"<User {self.email}>"
