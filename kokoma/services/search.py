"""Full-text search with the database's own engine: one search document per case.

:func:`searchable_text` gathers everything a case is found by; :func:`refresh_document` writes it
into ``case_search`` in the transaction of each change (services.changes). SQLite finds words
through FTS5 (a word as typed, or its German stem from ``snowballstemmer``), PostgreSQL through
its ``german`` and ``simple`` configurations (stemmed, and as typed up to a prefix).

A search lists the :data:`CANDIDATES` newest matching cases and ranks those: reading the newest
matches stops early in both engines, so a word that matches many cases costs what it costs at
1,000 cases, and a word that matches nothing costs one look into the index
(benchmarks/bench_search.py, docs/performance.md).
"""
import re
import unicodedata
from dataclasses import dataclass
from functools import cache

from markupsafe import Markup, escape
from sqlalchemy import column, exists, func, literal, literal_column, or_, select, table, tuple_, union_all

from ..database import db
from ..models import (
    ActorRelation, AnalysisActor, AnalysisResource, Case, CaseAnalysis, CaseEvent, CaseSearch, DisputeIssue, FollowUp,
    GlaslAssessment, GroupHearing, HistoryEntry, Measure,
)

CANDIDATES = 200  # the newest matches that are ranked
WINDOW = 2000  # the cases looked at in the list's order before the index gives all matches
FEW = 1000  # SQLite: a word matching fewer documents is sorted from all its matches (in_order)
MAX_WORDS = 8
# What marks a matching word in a passage; removed from every indexed text beforehand.
MARK_START, MARK_END = "\ue000", "\ue001"
WORD = re.compile(r"[^\W_]+")
# Events whose text a person searches for: comments, measures and the reasons of transitions.
SEARCHED_EVENTS = ("comment", "measure", "transition")

_fts = table("case_search_fts", column("rowid"), column("head"), column("body"))
_tsv = literal_column("case_search.tsv")


@dataclass
class SearchText:
    """What a case is found by: ``head`` (what it is called, ranked higher) and ``body``."""

    head: list[str]
    body: list[str]


def searchable_text(session, case: Case) -> SearchText:
    """Everything a case is found by: reference and title (``head``), and its description,
    location, the text of its comments, measures and transitions, its analysis and its measures
    and follow-ups (``body``, see :func:`body_texts`)."""
    return SearchText(
        head=[case.reference, case.title],
        body=[case.description, case.location, *body_texts(session, [case.id]).get(case.id, [])],
    )


def _searched_columns():
    """(model, columns) of the texts a case is found by beside its own columns: the events a
    person wrote, the conflict analysis (actors by name or pseudonym, their positions, interests
    and fears, relations, issues in dispute, history, hearings' summaries, resources, the reasons
    of the Glasl assessments, what migration 0011 carried over), measures and follow-ups."""
    return (
        (CaseEvent, (CaseEvent.comment,), CaseEvent.kind.in_(SEARCHED_EVENTS)),
        (CaseAnalysis, (CaseAnalysis.carried_over_parties, CaseAnalysis.carried_over_affected), None),
        (AnalysisActor, (AnalysisActor.name, AnalysisActor.position, AnalysisActor.interests, AnalysisActor.fears,
                         AnalysisActor.not_heard_reason), None),
        (ActorRelation, (ActorRelation.note,), None),
        (DisputeIssue, (DisputeIssue.text,), None),
        (HistoryEntry, (HistoryEntry.text, HistoryEntry.source), None),
        (GroupHearing, (GroupHearing.summary,), None),
        (AnalysisResource, (AnalysisResource.name, AnalysisResource.note), None),
        (GlaslAssessment, (GlaslAssessment.rationale,), None),
        (Measure, (Measure.title, Measure.place, Measure.participants, Measure.outcome), None),
        (FollowUp, (FollowUp.what, FollowUp.note), None),
    )


def body_texts(connection, case_ids: list[int]) -> dict[int, list[str]]:
    """case id -> the texts of its events, analysis, measures and follow-ups (not blank), in
    one statement (a UNION of each table's columns), in the order of :func:`_searched_columns`
    and, within a table, of the records. ``connection``: a session or a connection (migration
    0021 indexes the existing cases with it)."""
    if not case_ids:
        return {}
    parts = []
    for rank, (model, columns, condition) in enumerate(_searched_columns()):
        key = model.id if hasattr(model, "id") else model.case_id
        for offset, text in enumerate(columns):
            parts.append(
                select(model.case_id.label("case_id"), literal(rank).label("part"), key.label("item"),
                       literal(offset).label("field"), text.label("text"))
                .where(model.case_id.in_(case_ids), text != "", *(() if condition is None else (condition,)))
            )
    found = union_all(*parts).subquery("texts")
    texts: dict[int, list[str]] = {}
    for case_id, text in connection.execute(
        select(found.c.case_id, found.c.text).order_by(found.c.case_id, found.c.part, found.c.item, found.c.field)
    ):
        texts.setdefault(case_id, []).append(text)
    return texts


def refresh_document(session, case: Case) -> None:
    """Write the case's search document anew, in the caller's transaction."""
    found = searchable_text(session, case)
    row = document_row(case.id, found.head, found.body, stems=session.get_bind().dialect.name == "sqlite")
    document = session.get(CaseSearch, case.id)
    if document is None:
        session.add(CaseSearch(**row))
    else:
        document.head, document.body, document.stems = row["head"], row["body"], row["stems"]


def document_row(case_id: int, head: list[str], body: list[str], *, stems: bool) -> dict:
    """The row of ``case_search`` for these texts (also used by migration 0021). ``stems``: the
    German stems of all words for SQLite (FTS5 has no German stemmer); PostgreSQL, which stems
    itself, gets the words split at every other character instead, so that the parts of a
    reference (MST-2026-0007) are found as typed too."""
    head_text = _clean(" · ".join(part for part in head if part))
    body_text = _clean("\n".join(part for part in body if part))
    # Each distinct word stemmed once: a long trail repeats its words (the stemmer is PyStemmer's C
    # code; snowballstemmer's own Python took 40-75 µs a word, 90 ms a change for 1,200 transitions).
    words = set(WORD.findall(f"{head_text} {body_text}".lower()))
    return {
        "case_id": case_id, "head": head_text, "body": body_text,
        "stems": " ".join(sorted({german_stem(w) for w in words} if stems else words)),
    }


def _clean(text: str) -> str:
    return text.replace(MARK_START, "").replace(MARK_END, "")


@cache
def _stemmer():
    import snowballstemmer

    return snowballstemmer.stemmer("german")


def german_stem(word: str) -> str:
    return _stemmer().stemWord(word)


def word_forms(text: str) -> str:
    """The words of ``text`` and their German stems, lower case and without diacritics, each once,
    between spaces: what a short text searched without an index is matched by (the case study
    library, :func:`words_match`)."""
    words = set(WORD.findall((text or "").lower()))
    return f" {' '.join(sorted({_plain(form) for w in words for form in (w, german_stem(w))}))} "


def words_match(column, words: list[str]) -> list:
    """SQL conditions: ``column`` (written by :func:`word_forms`) holds a word beginning with each
    of ``words`` as typed or as its stem, in any case, with or without diacritics."""
    return [or_(column.contains(f" {_plain(w)}", autoescape=True), column.contains(f" {_plain(german_stem(w))}", autoescape=True))
            for w in words]


def _plain(word: str) -> str:
    """The word without diacritics (ö -> o, é -> e), as FTS5's remove_diacritics finds them."""
    return "".join(c for c in unicodedata.normalize("NFKD", word) if not unicodedata.combining(c))


def query_words(text: str) -> list[str]:
    """The words of what a person typed (letters and digits), lower case, at most MAX_WORDS."""
    return WORD.findall(text.lower())[:MAX_WORDS]


def candidates(words: list[str], *conditions, limit: int = CANDIDATES):
    """SELECT (id, score) of the CANDIDATES newest cases matching all ``words`` and
    ``conditions`` (scope and filters), the higher score the better match."""
    if db.engine.dialect.name == "postgresql":
        query = _tsquery(words)
        return (
            select(Case.id.label("id"), func.ts_rank(_tsv, query).label("score"))
            .select_from(CaseSearch).join(Case, Case.id == CaseSearch.case_id)
            .where(Case.id.in_(_postgresql_matches(query, conditions, limit)))
        )
    # Matches in reference and title count ten times a match elsewhere (highlight marks each).
    score = (
        (func.length(func.highlight(literal_column("case_search_fts"), 0, MARK_START, "")) - func.length(_fts.c.head)) * 10
        + func.length(func.highlight(literal_column("case_search_fts"), 1, MARK_START, "")) - func.length(_fts.c.body)
    )
    return (
        select(Case.id.label("id"), score.label("score"))
        .select_from(_fts).join(Case, Case.id == _fts.c.rowid)
        .where(literal_column("case_search_fts").op("MATCH")(_fts5_query(words)), *conditions)
        .order_by(_fts.c.rowid.desc()).limit(literal(limit, literal_execute=True))
    )


def _postgresql_matches(query, conditions, limit: int) -> list[int]:
    """The ``limit`` newest matching case ids, read the way that is cheap for the word: PostgreSQL
    cannot tell from its statistics whether a word matches almost every case or none (it guesses
    0.5 %), and walked the whole id index for a word that matches nothing. So first the newest
    WINDOW cases are looked at (a word that matches many has its matches there), and only when
    they hold too few, the GIN index gives all matches (few, since the newest cases had so few)."""
    newest = select(Case.id).where(*conditions).order_by(Case.id.desc()).limit(
        literal(WINDOW, literal_execute=True)).subquery("newest")
    ids = db.session.scalars(
        select(newest.c.id).join(CaseSearch, CaseSearch.case_id == newest.c.id).where(_tsv.op("@@")(query))
        .order_by(newest.c.id.desc()).limit(literal(limit, literal_execute=True))
    ).all()
    if len(ids) == limit:
        return ids
    matches = select(CaseSearch.case_id).where(_tsv.op("@@")(query)).cte("matches").prefix_with("MATERIALIZED")
    return db.session.scalars(
        select(Case.id).where(Case.id.in_(select(matches.c.case_id)), *conditions)
        .order_by(Case.id.desc()).limit(literal(limit, literal_execute=True))
    ).all()


def _fts5_query(words: list[str]) -> str:
    # Words are letters and digits only (WORD), so quoting them is all FTS5 needs.
    return " AND ".join(f'("{w}" OR stems:"{german_stem(w)}")' for w in words)


def _tsquery(words: list[str]):
    """Each word stemmed in German, or as typed up to a prefix (names), all words together."""
    parts = [
        func.to_tsquery(literal_column("'german'::regconfig"), w).op("||")(
            func.to_tsquery(literal_column("'simple'::regconfig"), f"{w}:*"))
        for w in words
    ]
    query = parts[0]
    for part in parts[1:]:
        query = query.op("&&")(part)
    return query


def passages(case_ids: list[int], words: list[str]) -> dict[int, Markup]:
    """The passage of each case's text where the words match, the words marked (<mark>)."""
    if not case_ids or not words:
        return {}
    if db.engine.dialect.name == "postgresql":
        options = f"StartSel={MARK_START}, StopSel={MARK_END}, MaxWords=25, MinWords=8, MaxFragments=2, FragmentDelimiter=\" … \""
        query = _tsquery(words)
        rows = db.session.execute(
            select(CaseSearch.case_id, func.ts_headline(literal_column("'german'::regconfig"),
                                                        CaseSearch.head + "\n" + CaseSearch.body, query, options))
            .where(CaseSearch.case_id.in_(case_ids))
        )
    else:
        # The body's passage, else the head's (never the stems column, which no one reads).
        rows = [
            (case_id, body if MARK_START in (body or "") else head)
            for case_id, body, head in db.session.execute(
                select(_fts.c.rowid, _snippet(1), _snippet(0))
                .where(literal_column("case_search_fts").op("MATCH")(_fts5_query(words)), _fts.c.rowid.in_(case_ids))
            )
        ]
    return {case_id: _marked(text) for case_id, text in rows if text and MARK_START in text}


def _snippet(column_number: int):
    return func.snippet(literal_column("case_search_fts"), column_number, MARK_START, MARK_END, " … ", 16)


def _marked(text: str) -> Markup:
    """Escape the passage, then turn the engine's marks into <mark> elements."""
    return Markup(str(escape(text)).replace(MARK_START, "<mark>").replace(MARK_END, "</mark>"))


def match_condition(words: list[str]):
    """SQL condition: the case matches all ``words``, read as the set of all matches (exports,
    and a sorted search whose matches are few: :func:`in_order`)."""
    if db.engine.dialect.name == "postgresql":
        matches = select(CaseSearch.case_id).where(_tsv.op("@@")(_tsquery(words))).cte("matches").prefix_with("MATERIALIZED")
        return Case.id.in_(select(matches.c.case_id))
    return Case.id.in_(select(_fts.c.rowid).where(literal_column("case_search_fts").op("MATCH")(_fts5_query(words))))


def _probe(words: list[str], case_id):
    """SQL condition: the case ``case_id`` matches all ``words``, looked up for the one case (its
    rowid in FTS5, its document's tsvector on PostgreSQL), for a walk along the list's order."""
    if db.engine.dialect.name == "postgresql":
        return exists().where(CaseSearch.case_id == case_id, _tsv.op("@@")(_tsquery(words)))
    return exists().where(literal_column("case_search_fts").op("MATCH")(_fts5_query(words)), _fts.c.rowid == case_id)


def in_order(words: list[str], conditions: list, keys: tuple, descending: bool, wanted: int) -> list[int]:
    """The ids of the first ``wanted`` cases matching ``words`` and ``conditions`` (the scope, the
    filters and the page's position) in the order of ``keys``, for a search sorted by other than
    relevance, read in the plan that is cheap for the word, since neither engine can tell from
    its statistics how many cases a word matches:

    - SQLite: FTS5 counts the matches up to FEW cheaply (its doclist, no table). Fewer: all
      matches are read and sorted (:func:`match_condition`).
    - Otherwise the list is walked in its order (its index) and each case looked up in the
      full-text index (:func:`_probe`), for at most WINDOW cases past the page's start.
      When those hold fewer than ``wanted`` matches, the word is rare among them, and all matches
      are read and sorted: at most about ``wanted`` / WINDOW of the cases.

    Only ids are read (along the index, without the rows): the caller reads the page's rows."""
    order = [key.desc() if descending else key.asc() for key in keys]

    def ids(*matched) -> list[int]:
        return db.session.scalars(select(Case.id).where(*conditions, *matched).order_by(*order).limit(
            literal(wanted, literal_execute=True))).all()

    if db.engine.dialect.name == "sqlite" and _fts5_count(words, FEW) < FEW:
        return ids(match_condition(words))
    bound = db.session.execute(
        select(*keys).where(*conditions).order_by(*order).offset(literal(WINDOW - 1, literal_execute=True)).limit(1)
    ).first()
    if bound is None:  # fewer than WINDOW cases left in the list: the walk ends with them
        return ids(_probe(words, Case.id))
    if db.engine.dialect.name == "postgresql":
        found = _postgresql_walk(words, conditions, keys, descending, wanted)
    else:  # SQLite stops at the bound and probes no further than the page (it would sort the window)
        found = ids(_probe(words, Case.id), tuple_(*keys) >= tuple_(*bound) if descending else tuple_(*keys) <= tuple_(*bound))
    return found if len(found) >= wanted else ids(match_condition(words))


def _postgresql_walk(words, conditions, keys, descending: bool, wanted: int) -> list[int]:
    """The walk of :func:`in_order` on PostgreSQL: the first ``wanted`` matches among the next
    WINDOW cases of the list, a LIMIT of WINDOW under the page's LIMIT. A bound on the keys,
    ``(score, id) >= (…)``, is no place for PostgreSQL 15 to stop its index scan when the first
    key ties (as the many cases of one escalation score do): it read the index to its end, 63 ms
    at 1M cases instead of 2.3 ms."""
    order = [key.desc() if descending else key.asc() for key in keys]
    window = select(*keys).where(*conditions).order_by(*order).limit(literal(WINDOW, literal_execute=True)).subquery("window")
    in_window = [window.c[key.name] for key in keys]
    return db.session.scalars(
        select(window.c.id).where(_probe(words, window.c.id))
        .order_by(*(key.desc() if descending else key.asc() for key in in_window)).limit(literal(wanted, literal_execute=True))
    ).all()


def _fts5_count(words: list[str], cap: int) -> int:
    """How many documents match (all municipalities), counted up to ``cap``."""
    found = select(_fts.c.rowid).where(literal_column("case_search_fts").op("MATCH")(_fts5_query(words))).limit(
        literal(cap, literal_execute=True)).subquery()
    return db.session.scalar(select(func.count()).select_from(found))
