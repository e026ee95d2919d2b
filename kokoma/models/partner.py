import secrets

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from ..database import JSONType, db


class Partner(db.Model):
    """A local partner of one municipality (youth welfare, police prevention, civil society, ...)
    and what it wants to hear of."""

    __tablename__ = "partners"

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipalities.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(40), default="other")  # a key of domain.PARTNER_KINDS
    contact: Mapped[str] = mapped_column(String(200), default="")  # a person to call
    email: Mapped[str] = mapped_column(String(254), default="")
    webhook_url: Mapped[str] = mapped_column(String(500), default="")
    # Key of the HMAC-SHA256 signature of webhook calls; shown to the coordinator to pass on.
    webhook_secret: Mapped[str] = mapped_column(String(64), default=lambda: secrets.token_hex(32))
    # Subscriptions: empty lists mean "all".
    categories: Mapped[list] = mapped_column(JSONType, default=list)
    events: Mapped[list] = mapped_column(JSONType, default=list)  # keys of domain.SUBSCRIBABLE_EVENTS
    min_level: Mapped[str] = mapped_column(String(20), default="low")
    # Data minimisation: only reference, category, state and level, unless the coordinator allows more.
    share_details: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)
    # Values of the fields that channel plugins add to the partner form (kokoma_partner_fields).
    extra: Mapped[dict] = mapped_column(JSONType, default=dict)

    def __repr__(self) -> str:
        return f"<Partner {self.name}>"
