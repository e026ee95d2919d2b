from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import JSONType, UTCDateTime, db, utcnow
from .municipality import Municipality


class CaseStudy(db.Model):
    """An anonymised case study prepared from a closed case, for other municipalities to learn
    from (services.studies). It holds no names: the facts are taken from the case as categories
    and numbers, the free text is released only once no name of the case is found in it and a
    person confirmed that it names no one."""

    __tablename__ = "case_studies"
    __table_args__ = (Index("ix_case_studies_released_at", "released_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # The case it came from; a released study outlives the case's deletion (it holds nothing of
    # it), a draft is deleted with the case (services.retention).
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id", ondelete="SET NULL"), unique=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipalities.id"))
    category: Mapped[str] = mapped_column(String(40))
    glasl_start: Mapped[int | None]
    glasl_end: Mapped[int | None]
    duration_days: Mapped[int]
    # [{"kind": a key of domain.MEASURE_KINDS, "count": n, "effect": None}]: the effect joins
    # when measures record one.
    measures: Mapped[list] = mapped_column(JSONType, default=list)
    lessons: Mapped[str] = mapped_column(Text, default="")
    prepared_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Each time the study was taken out of the library: [{"at": ISO time, "by": user id,
    # "reason": text}], oldest first (services.studies.withdraw).
    withdrawals: Mapped[list] = mapped_column(JSONType, default=list)
    # The words of the lessons and their German stems, lower case and without diacritics, that
    # the library is searched by (services.search.word_forms).
    search_words: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    municipality: Mapped[Municipality] = relationship(lazy="raise")
