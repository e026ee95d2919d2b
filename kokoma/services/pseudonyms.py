"""Pseudonyms: where a municipality says so, its advisors and partners read the persons of its
cases (actors of kind "person") as "Person A", "Person B"… — by the number each person got
within the case when it was added (``AnalysisActor.pseudonym_number``, so that a pseudonym never
moves to another person) — and a facilitator may lift that for one case, with a reason that the
timeline keeps.

Two questions, each answered here once:

- who reads pseudonyms for which case: :func:`hidden_cases` (the municipality's setting is on,
  the reader's role is one of ``permissions.PSEUDONYM_READERS`` or the reader is a partner, and
  the case is not lifted); :func:`hidden_condition` is the same rule as SQL (the search);
- what a name becomes: :class:`Pseudonyms` (``name`` for an actor, ``text`` for any text that
  may name a person: each person's name and each of its words that names someone, found as the
  case-study check finds names, ``names.name_parts``, is replaced); :func:`legend` tells a
  reader of names whom each pseudonym stands for.

Pages get this without asking for it: every template output goes through :func:`finalize`
(Jinja's ``finalize``), which replaces the persons of the cases the request has read
(:class:`ReadingNames` collects them as they are loaded). Exports, partner notifications and the
daily digest, written outside a page, call :func:`for_cases` themselves.
"""
import re
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from markupsafe import Markup, escape
from sqlalchemy import event, exists, or_, select, true

from ..database import db, lowered, write_transaction
from ..models import AnalysisActor, Case, PersonName, PseudonymLift, PseudonymSetting
from . import permissions
from .errors import PermissionDenied
from .search import german_stem
from .names import name_parts

LABEL = "Person {letters}"
HIDDEN = "[…]"  # a match whose lower case differs from the name's (never expected)
SHARED = "Person ?"
GENITIVE = re.compile(r"['’]?s$")  # a name word two persons share: naming either would name the wrong one
# Markup is replaced in its text and in the values of the attributes that hold text a person
# reads, never in markup itself (a person called "Hidden Post" must not turn type="hidden" or
# method="post" into a pseudonym), nor in what an input holds: there it is what the reader typed
# (a search), and "Person A" in its place would confirm a guessed name.
MARKUP_PARTS = re.compile(r'(<[^>]*>)')
ATTRIBUTE_VALUE = re.compile(r'(?<![\w-])(?:title|alt|aria-label|aria-description|placeholder|content)="[^"]*"')


def letters(number: int) -> str:
    """A, B, … Z, AA, AB, … for 1, 2, …"""
    out = ""
    while number:
        number, rest = divmod(number - 1, 26)
        out = chr(ord("A") + rest) + out
    return out


# --- the municipality's setting -------------------------------------------------------------


def enabled_for(municipality_id: int) -> bool:
    setting = db.session.get(PseudonymSetting, municipality_id)
    return bool(setting and setting.enabled)


def settings(coordinator) -> bool:
    permissions.require(coordinator, "pseudonyms.manage")
    return enabled_for(coordinator.municipality_id)


def save_settings(coordinator, enabled: bool) -> bool:
    permissions.require(coordinator, "pseudonyms.manage")
    with write_transaction() as session:
        setting = session.get(PseudonymSetting, coordinator.municipality_id, with_for_update=True)
        if setting is None:
            setting = PseudonymSetting(municipality_id=coordinator.municipality_id)
            session.add(setting)
        setting.enabled = bool(enabled)
        setting.updated_by_id = coordinator.id
    return bool(enabled)


# --- lifting for one case -------------------------------------------------------------------


def lift_of(case) -> PseudonymLift | None:
    return db.session.get(PseudonymLift, case.id)


# --- who reads pseudonyms -------------------------------------------------------------------


def hidden_condition():
    """SQL condition on ``Case``: its persons are pseudonyms for a pseudonym reader."""
    return (Case.municipality_id.in_(select(PseudonymSetting.municipality_id).where(PseudonymSetting.enabled.is_(True)))
            & ~exists().where(PseudonymLift.case_id == Case.id))


def not_found_by_names(reader, words: list[str]):
    """SQL condition on ``Case`` for a search of ``words``: a pseudonym reader does not find a case
    by a name it hides from them (a word, or its stem, within the name of one of its persons). The
    search document is the one everybody searches; this leaves out the cases it would betray."""
    if not words or not permissions.reads_pseudonyms(reader):
        return true()
    named = exists().where(PersonName.case_id == Case.id, or_(*(
        lowered(PersonName.name).contains(form, autoescape=True)
        for word in words for form in {word, german_stem(word)}
    )))
    return ~(hidden_condition() & named)


def hidden_cases(reader, case_ids) -> set[int]:
    """Which of ``case_ids`` ``reader`` reads with pseudonyms (``reader`` None: a partner)."""
    ids = {i for i in case_ids if i is not None}
    if not ids or (reader is not None and not permissions.reads_pseudonyms(reader)):
        return set()
    return set(db.session.scalars(select(Case.id).where(Case.id.in_(ids), hidden_condition())))


def _the_person_now():
    """Join condition: the actor a name of ``PersonName`` belongs to now (none: a removed person)."""
    return ((AnalysisActor.case_id == PersonName.case_id) & (AnalysisActor.kind == "person")
            & (AnalysisActor.pseudonym_number == PersonName.pseudonym_number))


def legend(case) -> list[tuple[str, str]]:
    """The pseudonyms the case's persons have and whom each stands for, ("Person A", "Karla
    Brandtner"), in their order: what a reader of names needs to follow an advisor who wrote
    "Person A". A person removed from the analysis keeps the last name it had. Only for a reader
    of the case's names (:func:`sees_real_names`)."""
    names: dict[int, str] = {}
    for number, former, current in db.session.execute(
        select(PersonName.pseudonym_number, PersonName.name, AnalysisActor.name)
        .outerjoin(AnalysisActor, _the_person_now())
        .where(PersonName.case_id == case.id).order_by(PersonName.pseudonym_number, PersonName.id)
    ):
        names[number] = current or former
    return [(LABEL.format(letters=letters(number)), name) for number, name in names.items()]


def sees_real_names(reader, case) -> bool:
    return case.id not in hidden_cases(reader, [case.id])


def require_real_names(reader, case) -> None:
    """Refuse (403) what cannot be pseudonymised (an attachment's content) to a pseudonym reader."""
    if not sees_real_names(reader, case):
        raise PermissionDenied("pseudonyms")


# --- what a name becomes --------------------------------------------------------------------


@dataclass
class Pseudonyms:
    """The persons of some cases and their pseudonyms (none: every text stays as it is)."""

    by_actor: dict[int, str] = field(default_factory=dict)  # actor id -> "Person A"
    replacements: dict[str, str] = field(default_factory=dict)  # lowercased name or name word -> pseudonym
    _pattern: re.Pattern | None = None
    _escaped: re.Pattern | None = None

    def add(self, persons) -> None:
        """Names of persons: (actor id or None, name, the person's number in its case)."""
        for actor_id, name, number in persons:
            label = LABEL.format(letters=letters(number))
            if actor_id is not None:  # (None: a name the person no longer has, or a removed person)
                self.by_actor[actor_id] = label
            for part in name_parts([name], [name.strip()], min_word=3):
                self.replace(part.lower(), label)
        self._pattern = self._escaped = None

    def take_in(self, other: "Pseudonyms") -> None:
        """The persons of ``other`` (further cases) as well."""
        self.by_actor.update(other.by_actor)
        for name, label in other.replacements.items():
            self.replace(name, label)
        self._pattern = self._escaped = None

    def replace(self, name: str, label: str) -> None:
        """``name`` becomes ``label``, or SHARED where it already names another person."""
        self.replacements[name] = label if self.replacements.get(name, label) == label else SHARED

    def current(self) -> "Pseudonyms":
        return self

    def saw(self, _case_id) -> None:
        """Fixed names (a message, a digest) take in no further cases."""

    def name(self, actor) -> str:
        """How an actor is named to the reader."""
        return self.by_actor.get(actor.id, actor.name)

    def text(self, value):
        """``value`` (text or Markup) with every person's name replaced."""
        if not self.replacements or not value:
            return value
        if isinstance(value, Markup):
            if self._escaped is None:
                self._escaped = self._compile({str(escape(name)) for name in self.replacements})
            return Markup("".join(self._markup_part(part) for part in MARKUP_PARTS.split(value)))
        if self._pattern is None:
            self._pattern = self._compile(self.replacements)
        return self._pattern.sub(lambda m: self._label(m.group(0)), value)

    def _markup_part(self, part: str) -> str:
        if not part.startswith("<"):
            return self._escaped.sub(self._replace_escaped, part)
        return ATTRIBUTE_VALUE.sub(lambda value: self._escaped.sub(self._replace_escaped, value.group(0)), part)

    def _replace_escaped(self, match) -> str:
        return self._label(Markup(match.group(0)).unescape())

    def _label(self, found: str) -> str:
        key = found.lower()
        if key not in self.replacements:
            key = GENITIVE.sub("", key)  # "Müllers", "Ott's"
        return self.replacements.get(key, HIDDEN)

    @staticmethod
    def _compile(names) -> re.Pattern:
        alternatives = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))  # longest first
        # whole words (not an &entity;), with a German genitive's s
        return re.compile(r"(?<![\w&#])(?:" + alternatives + r")(?:['’]?s)?(?!\w)", re.IGNORECASE)


def for_cases(reader, case_ids) -> Pseudonyms:
    """The pseudonyms ``reader`` (None: a partner) reads in the cases ``case_ids``."""
    names = Pseudonyms()
    ids = {i for i in case_ids if i is not None}
    if ids and (reader is None or permissions.reads_pseudonyms(reader)):
        names.add(db.session.execute(  # one statement: every name the persons of those cases had, and who is it now
            select(AnalysisActor.id, PersonName.name, PersonName.pseudonym_number)
            .join(Case, Case.id == PersonName.case_id)
            .outerjoin(AnalysisActor, _the_person_now())
            .where(PersonName.case_id.in_(ids), hidden_condition())
            .order_by(PersonName.case_id, PersonName.pseudonym_number, PersonName.id)
        ).all())
    return names


# --- pages: what the request read -----------------------------------------------------------


class ReadingNames:
    """The cases a page's reader has read so far (every loaded row that belongs to a case), and
    their pseudonyms, looked up once for each new batch of cases."""

    def __init__(self, reader):
        self.reader = reader
        self.seen: set[int] = set()
        self.pending: set[int] = set()
        self.names = Pseudonyms()

    def saw(self, case_id) -> None:
        if case_id is not None and case_id not in self.seen:
            self.seen.add(case_id)
            self.pending.add(case_id)

    def current(self) -> Pseudonyms:
        if self.pending:
            pending, self.pending = self.pending, set()
            self.names.take_in(for_cases(self.reader, pending))
        return self.names


# What the current context reads as: a ReadingNames (a request of a pseudonym reader), fixed
# Pseudonyms (a message, a digest) or None. A ContextVar of its own rather than flask.g: every value
# a template outputs asks, and g's proxy costs about 1 µs a look (docs/performance.md).
_reading: ContextVar = ContextVar("kokoma_pseudonyms", default=None)


def reading_as(reader) -> None:
    """From now on in this context (a request), what is loaded and shown is for ``reader``."""
    _reading.set(ReadingNames(reader) if permissions.reads_pseudonyms(reader) else None)


def stop_reading(_error=None) -> None:
    """The request is over (``teardown_appcontext``): nothing is read as anybody any more."""
    _reading.set(None)


@contextmanager
def shown_with(names: Pseudonyms):
    """Templates rendered inside show ``names`` (a partner's message, a person's digest)."""
    token = _reading.set(names)
    try:
        yield names
    finally:
        _reading.reset(token)


def note_read(case_ids) -> None:
    """Cases read as rows of columns (which no ``load`` event reports) that a page will show."""
    reading = _reading.get()
    if reading is not None:
        for case_id in case_ids:
            reading.saw(case_id)


def note_loaded(target, _context) -> None:
    """ORM ``load`` event: a row of a case (or the case) was read while a pseudonym reader reads."""
    reading = _reading.get()
    if reading is not None:
        reading.saw(target.id if isinstance(target, Case) else getattr(target, "case_id", None))


def shown_name(actor) -> str:
    """``actor``'s name as the current reader reads it (a pseudonym or the name)."""
    reading = _reading.get()
    return reading.current().name(actor) if reading is not None else actor.name


def finalize(_eval_context, value):
    """Jinja's ``finalize``: every value a template outputs, with the persons' names replaced for
    a pseudonym reader."""
    reading = _reading.get()
    if reading is None or not isinstance(value, str):
        return value
    return reading.current().text(value)


event.listen(db.Model, "load", note_loaded, propagate=True)
