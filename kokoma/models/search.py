from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..database import db


class CaseSearch(db.Model):
    """The search document of a case: the text it is found by, kept in the same transaction as
    each change (kokoma.services.search). The database indexes it with its own engine: on
    SQLite the FTS5 table ``case_search_fts`` (external content, kept by triggers), on
    PostgreSQL the generated ``tsv`` column (German and simple configurations) with a GIN index;
    both are made by migration 0021 and are not part of this model."""

    __tablename__ = "case_search"

    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True)
    head: Mapped[str] = mapped_column(Text, default="")  # reference and title: weighted higher
    body: Mapped[str] = mapped_column(Text, default="")  # all else a person searches for
    # SQLite: German word stems of head and body (FTS5 has no German stemmer); PostgreSQL: the
    # words split at every other character (services.search.document_row).
    stems: Mapped[str] = mapped_column(Text, default="")


class CaseCount(db.Model):
    """How many cases of a municipality are in a state, focus area and level: the overview and
    the statistics read these few rows instead of counting the cases. Kept by database triggers on
    ``cases`` (migration 0022), in the same transaction as every insert, change and deletion."""

    __tablename__ = "case_counts"

    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipalities.id", ondelete="CASCADE"), primary_key=True)
    state: Mapped[str] = mapped_column(String(40), primary_key=True)
    category: Mapped[str] = mapped_column(String(40), primary_key=True)
    escalation_level: Mapped[str] = mapped_column(String(20), primary_key=True)
    cases: Mapped[int] = mapped_column(default=0)


def made_by_the_search_engine(name, type_, _parent_names=None) -> bool:
    """Whether a schema object is one the full-text engine keeps beside the models (the FTS5
    table and its shadow tables, PostgreSQL's tsv column and its index): Alembic's comparison
    of models and schema leaves them out (``include_name``)."""
    if type_ == "table":
        return bool(name) and name.startswith("case_search_fts")
    return name in ("tsv", "ix_case_search_tsv")
