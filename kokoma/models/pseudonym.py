from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from ..database import UTCDateTime, db, utcnow


class PseudonymSetting(db.Model):
    """Whether a municipality's advisors and partners read the persons of its cases as pseudonyms
    (kokoma.services.pseudonyms). No row: real names."""

    __tablename__ = "pseudonym_settings"

    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipalities.id"), primary_key=True)
    enabled: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class PseudonymLift(db.Model):
    """A case whose persons its advisors and partners read by their names, though the municipality
    pseudonymises: lifted by a facilitator with a reason (the event ``pseudonyms_lifted`` holds it),
    removed again when revoked (``pseudonyms_restored``)."""

    __tablename__ = "pseudonym_lifts"

    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("case_events.id"))
    lifted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    lifted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PersonName(db.Model):
    """Every name a person of a case has had (services.pseudonyms): the texts written while it
    was a person's name, or before the person was removed from the analysis, still name them, so a
    pseudonym reader reads them as the person's pseudonym too."""

    __tablename__ = "person_names"
    __table_args__ = (Index("ix_person_names_case_id_pseudonym_number", "case_id", "pseudonym_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    pseudonym_number: Mapped[int]
    name: Mapped[str] = mapped_column(String(200))
