from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..database import JSONType, UTCDateTime, db, utcnow


class PluginChoice(db.Model):
    """What a municipality's coordinator chose for one plugin: on or off, and its settings.

    Without a row a plugin is on or off as it declares (``Plugin.default_enabled``) and its settings
    are those of the instance config. Keyed by the plugin's stable name, so a re-installed plugin
    keeps the choice."""

    __tablename__ = "plugin_choices"
    __table_args__ = (UniqueConstraint("municipality_id", "plugin", name="uq_plugin_choices_municipality_plugin"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipalities.id"))
    plugin: Mapped[str] = mapped_column(String(100))
    enabled: Mapped[bool] = mapped_column(default=True)
    settings: Mapped[dict] = mapped_column(JSONType, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
