"""Logging, editing, moving and reading cases."""
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import case as sql_case
from sqlalchemy import Integer, Row, and_, false, func, literal, select, tuple_, update
from ..i18n import Label as _l
from sqlalchemy.orm import joinedload

from ..database import db, jsonable, utcnow
from .. import plugin_choices
from ..domain import CATEGORIES, LEVELS
from ..models import Case, CaseEvent, Municipality, Partner, User
from ..runtime import kokoma
from ..workflow import TransitionRequest
from . import analysis, follow_ups, permissions, pseudonyms, search
from .permissions import is_case_worker_of
from .changes import CaseChange, changing_case, creating_case
from .submissions import Once
from .errors import ValidationError
from .escalation import rescore

# The fields of a case a person edits in the form, in the order of the form.
# (The parties, affected groups and the Glasl stage are the analysis's: services.analysis.)
EDITABLE_FIELDS = (
    "title", "description", "category", "location", "observed_on", "violence_reported", "facilitator_id",
)


@dataclass
class CaseInput:
    title: str
    category: str
    description: str = ""
    location: str = ""
    observed_on: date | None = None
    # A stage known when the case is logged or edited through the service (the demo data, an
    # import) is recorded as a Glasl assessment of the person acting; None records none.
    glasl_stage: int | None = None
    violence_reported: bool = False
    facilitator_id: int | None = None
    extra: dict = field(default_factory=dict)


def _validate(data: CaseInput, municipality_id: int) -> None:
    errors = {}
    if not data.title.strip():
        errors["title"] = _l("Please enter a title.")
    if data.category not in CATEGORIES:
        errors["category"] = _l("Please choose one of the categories.")
    if data.glasl_stage is not None and not 1 <= data.glasl_stage <= 9:
        errors["glasl_stage"] = _l("The Glasl stage lies between 1 and 9.")
    if data.observed_on and data.observed_on > utcnow().date():
        errors["observed_on"] = _l("The date lies in the future.")
    if data.facilitator_id is not None and not is_case_worker_of(data.facilitator_id, municipality_id):
        errors["facilitator_id"] = _l("Please choose a facilitator of this municipality.")
    if errors:
        raise ValidationError(errors)


def _apply(case: Case, data: CaseInput) -> dict:
    """Copy the input onto the case; returns {field: [old, new]} of what changed."""
    changes = {}
    for name in EDITABLE_FIELDS:
        new = getattr(data, name)
        if isinstance(new, str):
            new = new.strip()
        old = getattr(case, name)
        if old != new:
            changes[name] = [jsonable(old), jsonable(new)]
            setattr(case, name, new)
    extra = {**(case.extra or {}), **data.extra}
    if extra != (case.extra or {}):
        changes["extra"] = [case.extra or {}, extra]
        case.extra = extra
    return changes


def next_reference(session, municipality_id: int, year: int) -> str:
    """The next human reference, e.g. COE-2026-0007; atomic under concurrent writers."""
    seq, code = session.execute(
        update(Municipality)
        .where(Municipality.id == municipality_id)
        .values(
            case_seq=sql_case((Municipality.case_seq_year == year, Municipality.case_seq + 1), else_=1),
            case_seq_year=year,
        )
        .returning(Municipality.case_seq, Municipality.code)
        .execution_options(synchronize_session=False)
    ).one()
    return reference(code, year, seq)


def reference(code: str, year: int, number: int) -> str:
    """A case's reference: the municipality's code, the year, the number within it."""
    return f"{code}-{year}-{number:04d}"


def create_case(user, data: CaseInput, once: Once | None = None) -> CaseChange:
    permissions.require(user, "case.create")
    data.facilitator_id = data.facilitator_id or user.id
    _validate(data, user.municipality_id)
    case = Case(municipality_id=user.municipality_id, state=kokoma().workflow.initial, extra={})
    with creating_case(user, case, once) as change:
        case.reference = next_reference(change.session, user.municipality_id, utcnow().year)
        _apply(case, data)
        case.glasl_stage = data.glasl_stage  # the first assessment's, kept below
        change.plugin_failures += rescore(case)
        change.session.add(case)
        change.session.flush()
        if data.glasl_stage:
            analysis.keep_assessment(change, data.glasl_stage, None, "")
        change.record("created", to_state=case.state, payload=_score_payload(case))
    return change


def update_case(user, case_id: int, expected_version: int, data: CaseInput, once: Once | None = None) -> CaseChange:
    with changing_case(user, case_id, "case.edit", expected_version, once) as change:
        _validate(data, change.case.municipality_id)
        changes = _apply(change.case, data)
        if data.glasl_stage is not None and data.glasl_stage != change.case.glasl_stage:
            changes["glasl_stage"] = [change.case.glasl_stage, data.glasl_stage]
            analysis.keep_assessment(change, data.glasl_stage, None, "")
        if changes:
            change.plugin_failures += rescore(change.case)
            change.session.flush()
            change.record("edited", payload={"changes": changes, **_score_payload(change.case)})
    return change


def fire_trigger(user, case_id: int, trigger: str, comment: str, expected_version: int | None,
                 once: Once | None = None, first_follow_up: "follow_ups.FollowUpInput | None" = None) -> CaseChange:
    """Fire a workflow trigger: guards, state, event, score and notifications in one transaction.

    Raises TransitionBlocked with the reasons when a guard or the workflow says no. A case that
    enters prevention needs ``first_follow_up``, its first monitoring date (ValidationError).
    """
    with changing_case(user, case_id, "case.transition", expected_version, once) as change:
        source = change.case.state
        fire_in(change, trigger, comment)
        if change.case.state == follow_ups.MONITORED_STATE and source != follow_ups.MONITORED_STATE:
            if first_follow_up is None or first_follow_up.due_on is None:
                raise ValidationError({"follow_up_on": _l("Please give the date of the first monitoring.")})
            follow_ups.schedule(change, first_follow_up, prefix="follow_up_")
    return change


def fire_in(change: CaseChange, trigger: str, comment: str, **payload) -> None:
    """Fire ``trigger`` inside ``change`` as its user: guards, state, score and the event."""
    workflow = kokoma().workflow
    if workflow.switchable_plugin_of(trigger, change.case.state):
        plugin_choices.hold(change.session, change.case.municipality_id)  # not switched off meanwhile
    request = TransitionRequest(change.case, trigger, change.user, comment.strip())
    source = workflow.fire(request)
    change.plugin_failures += request.plugin_failures
    change.plugin_failures += rescore(change.case)
    change.session.flush()
    change.record(
        "transition", from_state=source, to_state=change.case.state, trigger=trigger,
        comment=request.comment, payload={**_score_payload(change.case), **payload},
    )


def assign_case(user, case_id: int, expected_version: int | None, facilitator_id: int | None,
                advisor_id: int | None, once: Once | None = None) -> CaseChange:
    """Make a facilitator and an advisor responsible for a case."""
    with changing_case(user, case_id, "case.assign", expected_version, once) as change:
        case = change.case
        errors = {}
        if facilitator_id is not None and not is_case_worker_of(facilitator_id, case.municipality_id):
            errors["facilitator_id"] = _l("Please choose a facilitator of this municipality.")
        if advisor_id is not None and not permissions.accompanies(advisor_id, case.municipality_id):
            errors["advisor_id"] = _l("Please choose an advisor who accompanies this municipality.")
        if errors:
            raise ValidationError(errors)
        before = {"facilitator_id": case.facilitator_id, "advisor_id": case.advisor_id}
        case.facilitator_id, case.advisor_id = facilitator_id, advisor_id
        after = {"facilitator_id": facilitator_id, "advisor_id": advisor_id}
        if before != after:
            change.session.flush()
            change.record("assigned", payload={"before": before, "after": after})
    return change


def add_comment(user, case_id: int, text: str, once: Once | None = None) -> CaseChange:
    if not text.strip():
        raise ValidationError({"text": _l("Please write a comment.")})
    with changing_case(user, case_id, "case.comment", once=once) as change:
        change.record("comment", comment=text.strip())
    return change


def _score_payload(case: Case) -> dict:
    return {"score": case.escalation_score, "level": case.escalation_level}


# --- reading -------------------------------------------------------------------------------


def get_case(user, case_id: int, action: str = "case.view") -> Case:
    """A case the user may see, for ``action``: out of scope is not found, a role without the
    right is refused."""
    return permissions.get(user, action, Case, case_id, options=(
        joinedload(Case.facilitator), joinedload(Case.advisor), joinedload(Case.municipality),
    ))


@dataclass
class TimelinePage:
    events: list  # newest first
    older_than: int | None  # the id to continue before (older events), None on the last page
    first_page: bool
    # ("user" | "partner", id) -> name, of everyone the page's events name (assignments, measures)
    names: dict = field(default_factory=dict)


TIMELINE_PER_PAGE = 20


def timeline(case: Case, *, before: int | None = None, per_page: int = TIMELINE_PER_PAGE) -> TimelinePage:
    """The trail of a case, newest first, paged by id (keyset): a page costs the same however
    long the trail. Names of people and partners the events refer to come in one query each."""
    query = (select(CaseEvent).options(joinedload(CaseEvent.actor))
             .where(CaseEvent.case_id == case.id).order_by(CaseEvent.id.desc())
             .limit(literal(per_page + 1, Integer, literal_execute=True)))
    if before is not None:
        query = query.where(CaseEvent.id < before)
    rows = db.session.scalars(query).all()
    events = rows[:per_page]
    user_ids, partner_ids = _named_in(events)
    names = {}
    if user_ids:
        names.update({("user", i): n for i, n in db.session.execute(select(User.id, User.name).where(User.id.in_(user_ids)))})
    if partner_ids:
        names.update({("partner", i): n for i, n in db.session.execute(
            select(Partner.id, Partner.name).where(Partner.id.in_(partner_ids), Partner.municipality_id == case.municipality_id))})
    return TimelinePage(events, events[-1].id if len(rows) > per_page else None, before is None, names)


def _named_in(events) -> tuple[set[int], set[int]]:
    """Ids of the people and partners that events of assignments, edits and measures name."""
    users, partners = set(), set()
    for event in events:
        payload = event.payload or {}
        for side in ("before", "after"):
            users.update(v for v in (payload.get(side) or {}).values() if isinstance(v, int))
        changes = payload.get("changes") or {}
        users.update(v for v in changes.get("facilitator_id", ()) if isinstance(v, int))
        for key in changes.get("responsible", ()):
            kind, _sep, ident = str(key or "").partition(":")
            if ident.isdigit():
                (users if kind == "user" else partners).add(int(ident))
        if isinstance(payload.get("assignee_id"), int):
            users.add(payload["assignee_id"])
    return users, partners


@dataclass(frozen=True)
class CaseFilters:
    state: str | None = None
    category: str | None = None
    level: str | None = None
    mine: bool = False  # only cases the user is responsible for (as facilitator or advisor)
    text: str = ""  # words searched in the case's text (services.search)
    municipality: int | None = None  # for those who see several municipalities: only this one
    sort: str = ""  # a key of SORTS; blank: by relevance when searching, else newest first


# sort -> the columns the list is ordered by, all descending or all ascending, the last one
# unique (the keyset a page continues after); "relevance" is the search's score.
SORTS = {
    "newest": ((Case.id,), True),
    "reference": ((Case.reference, Case.id), False),
    "updated": ((Case.updated_at, Case.id), True),
    "escalation": ((Case.escalation_score, Case.id), True),
    "relevance": None,
}
SORT_LABELS = {
    "relevance": _l("Relevance"),
    "newest": _l("Newest first"),
    "reference": _l("Reference"),
    "updated": _l("Last change"),
    "escalation": _l("Escalation, highest first"),
}


# What a row of the case list shows: plain columns, not whole cases. Reading 50 rows this way
# skips the identity map, the JSON columns and the description, which a list never shows. The
# table (templates/cases/_table.html) unpacks each row in this order.
LIST_COLUMNS = (
    Case.id, Case.reference, Case.title, Case.category, Case.state, Case.escalation_level,
    Case.escalation_score, Case.updated_at, User.name.label("facilitator_name"),
    Municipality.name.label("municipality_name"),
)


def list_query(scope):
    """SELECT of list rows for the cases matching ``scope`` (a condition from services.permissions)."""
    return (
        select(*LIST_COLUMNS).select_from(Case)
        .join(Municipality, Municipality.id == Case.municipality_id)
        .outerjoin(User, User.id == Case.facilitator_id).where(scope)
    )


def list_rows(query) -> list[Row]:
    """The rows of a list query (see LIST_COLUMNS), noted for the pseudonyms of a page: rows of
    columns, unlike loaded cases, raise no ``load`` event."""
    rows = db.session.execute(query).all()
    pseudonyms.note_read(row.id for row in rows)
    return rows


@dataclass
class CasePage:
    cases: list  # list rows (see LIST_COLUMNS)
    per_page: int
    next_after: int | None  # id to continue after (further down the order)
    prev_before: int | None  # id to go back before (further up the order)
    sort: str = "newest"
    passages: dict = field(default_factory=dict)  # case id -> the matching passage (searching)
    more_matches: bool = False  # a relevance search ranked only the newest search.CANDIDATES


def filter_conditions(user, filters: CaseFilters, *, words_matched: bool = True) -> list:
    """SQL conditions of the list filters, within the user's scope (every export and chart of
    "the filtered list" uses these too). ``words_matched=False``: without the condition that the
    case matches the searched words (the list finds them its own way: search.in_order)."""
    conditions = [permissions.case_scope(user)]
    if filters.state:
        conditions.append(Case.state == filters.state)
    if filters.category in CATEGORIES:
        conditions.append(Case.category == filters.category)
    if filters.level in LEVELS:
        conditions.append(Case.escalation_level == filters.level)
    if filters.mine:
        conditions.append((Case.facilitator_id == user.id) | (Case.advisor_id == user.id))
    if filters.municipality is not None:
        conditions.append(Case.municipality_id == filters.municipality)
    words = search.query_words(filters.text)
    if words:
        conditions.append(pseudonyms.not_found_by_names(user, words))
    if words and words_matched and chosen_sort(filters) != "relevance":
        conditions.append(search.match_condition(words))
    elif filters.text.strip() and not words:
        conditions.append(false())  # only signs typed ("%", "_"): no word matches them
    return conditions


def chosen_sort(filters: CaseFilters) -> str:
    searching = bool(search.query_words(filters.text))
    if filters.sort in SORTS and (filters.sort != "relevance" or searching):
        return filters.sort
    return "relevance" if searching else "newest"


def list_cases(
    user, filters: CaseFilters, *, per_page: int, after: int | None = None, before: int | None = None
) -> CasePage:
    """The filtered list in the chosen order, paged by keyset (the case a page continues after):
    the cost stays flat however many cases. A search by relevance ranks the newest
    search.CANDIDATES matches."""
    permissions.require(user, "case.view")
    sort = chosen_sort(filters)
    conditions = filter_conditions(user, filters, words_matched=False)
    words = search.query_words(filters.text)
    # The LIMIT is written into the SQL: as a parameter, PostgreSQL cannot tell how few rows a
    # prepared statement's generic plan needs, and plans every request anew (docs/performance.md).
    limit = literal(per_page + 1, Integer, literal_execute=True)
    if sort == "relevance":
        found = search.candidates(words, *conditions).subquery("found")
        keys, descending = (found.c.score, Case.id), True
        query = list_query(Case.id == found.c.id)  # ordered by the score, which the rows need not carry
        cursor = lambda case_id: select(found.c.score).where(found.c.id == case_id).scalar_subquery()  # noqa: E731
    else:
        keys, descending = SORTS[sort]
        query = list_query(and_(*conditions))
        cursor = lambda case_id: (  # noqa: E731
            select(keys[0]).where(Case.id == case_id, permissions.case_scope(user)).scalar_subquery()
        )

    def position(case_id):
        return tuple_(*keys), tuple_(*(cursor(case_id) if key is not Case.id else literal(case_id) for key in keys))

    def read(positioned: list, reading_descending: bool) -> list[Row]:
        """The next rows from the page's position, in the reading direction."""
        order = [key.desc() if reading_descending else key.asc() for key in keys]
        positioned_query = query.where(*positioned)
        if not words or sort == "relevance":
            return list_rows(positioned_query.order_by(*order).limit(limit))
        found = search.in_order(words, [*conditions, *positioned], keys, reading_descending, per_page + 1)
        return list_rows(positioned_query.where(Case.id.in_(found)).order_by(*order)) if found else []

    if before is not None:  # the page before: read upwards, show in the list's order
        mine, cursor_value = position(before)
        ahead = mine > cursor_value if descending else mine < cursor_value
        rows = read([ahead], not descending)
        has_newer = len(rows) > per_page
        shown = list(reversed(rows[:per_page]))
        page = CasePage(shown, per_page, shown[-1].id if shown else None, shown[0].id if has_newer else None, sort)
    else:
        positioned = []
        if after is not None:
            mine, cursor_value = position(after)
            positioned.append(mine < cursor_value if descending else mine > cursor_value)
        rows = read(positioned, descending)
        shown = rows[:per_page]
        page = CasePage(shown, per_page, shown[-1].id if len(rows) > per_page else None,
                        shown[0].id if after is not None and shown else None, sort)
    if words:
        page.passages = search.passages([row.id for row in page.cases], words)
        if sort == "relevance":
            page.more_matches = _ranked_all(words, conditions)
    return page


def _ranked_all(words, conditions) -> bool:
    """Whether more cases match than a relevance search ranks (one look past the candidates)."""
    looked_at = search.candidates(words, *conditions, limit=search.CANDIDATES + 1).subquery()
    return db.session.scalar(select(func.count()).select_from(looked_at)) > search.CANDIDATES


def list_municipalities(user) -> list[Municipality]:
    """The municipalities whose cases ``user`` sees (an advisor's, to filter and label the list)."""
    if permissions.sole_municipality_id(user) is not None:
        return [user.municipality]  # a case worker's own, loaded with the user: no query
    return db.session.scalars(
        select(Municipality).where(permissions.visible_municipalities(user)).order_by(Municipality.name)
    ).all()


def case_workers(municipality_id: int) -> list[User]:
    """Who can be made responsible for a case of this municipality."""
    return db.session.scalars(select(User).where(permissions.case_workers_of(municipality_id)).order_by(User.name)).all()


