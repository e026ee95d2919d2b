"""The access trail: who opened which case, when (GDPR accountability), and the questions a
coordinator asks of it: by person, case and period, as CSV, "who saw this case". Every reading of
the trail is itself an entry of the trail."""
import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import delete, func, select
from sqlalchemy.orm import joinedload

from ..database import db, utcnow, write_transaction
from ..domain import ACCESS_ACTIONS, ROLES
from ..i18n import Label as _l
from ..i18n import translate
from ..models import Case, CaseAccess, User
from . import permissions
from .exports import neutralised

VIEW, TRAIL_READ, TRAIL_EXPORT, CASE_TRAIL = "view", "trail_read", "trail_export", "case_trail"
PERSON_SEARCH, PERSON_EXPORT = "person_search", "person_export"
ACTIONS = ACCESS_ACTIONS  # one label per kind of entry (kokoma.domain)
CSV_HEADER = (_l("When (UTC)"), _l("Person"), _l("Role"), _l("What"), _l("Case"), _l("Filters"))
EXPORT_BATCH = 1000


def record_view(user, case: Case, action: str = "view") -> None:
    """Write to the trail that ``user`` opened ``case`` (or took it out: ``action``, a key of
    domain.ACCESS_ACTIONS)."""
    with write_transaction() as session:
        session.add(CaseAccess(case_id=case.id, municipality_id=case.municipality_id, user_id=user.id,
                               action=action))


@dataclass(frozen=True)
class TrailFilters:
    """What the trail is asked: one person, one case, a period (whole days in the app's time zone)."""

    user_id: int | None = None
    case_id: int | None = None
    since: date | None = None
    until: date | None = None

    def recorded(self) -> dict:
        """The filters as the reading's entry keeps them: ids and dates, never free text."""
        return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in self.__dict__.items() if v is not None}


@dataclass
class AccessPage:
    rows: list[tuple[CaseAccess, str | None]]  # (entry, case reference)
    next_after: int | None


def _record_reading(coordinator, action: str, filters: TrailFilters, case_id: int | None = None) -> None:
    with write_transaction() as session:
        session.add(CaseAccess(case_id=case_id, municipality_id=coordinator.municipality_id, user_id=coordinator.id,
                               action=action, query=filters.recorded()))


def record_person_search(coordinator, action: str, passages: int) -> None:
    """A search of all cases for a person (kokoma.services.person_requests): recorded with the
    number of passages found, never the name."""
    with write_transaction() as session:
        session.add(CaseAccess(case_id=None, municipality_id=coordinator.municipality_id, user_id=coordinator.id,
                               action=action, query={"passages": passages}))


def _start_of(day: date) -> datetime:
    """Midnight at the start of ``day`` in the app's time zone."""
    return datetime.combine(day, time.min, ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"]))


def _query(coordinator, filters: TrailFilters):
    query = (
        select(CaseAccess, Case.reference)
        .outerjoin(Case, Case.id == CaseAccess.case_id)
        .options(joinedload(CaseAccess.user))
        .where(permissions.visible(coordinator, CaseAccess))
        .order_by(CaseAccess.id.desc())
    )
    if filters.user_id is not None:
        query = query.where(CaseAccess.user_id == filters.user_id)
    if filters.case_id is not None:
        query = query.where(CaseAccess.case_id == filters.case_id)
    if filters.since is not None:
        query = query.where(CaseAccess.accessed_at >= _start_of(filters.since))
    if filters.until is not None and filters.until < date.max:  # (until the last day there is: no end)
        query = query.where(CaseAccess.accessed_at < _start_of(filters.until + timedelta(days=1)))
    return query


def trail(coordinator, filters: TrailFilters = TrailFilters(), *, after: int | None = None,
          per_page: int = 50) -> AccessPage:
    """The trail of the coordinator's municipality as filtered, newest first, paged by id; the
    reading is recorded first (so it is the newest entry of an unfiltered first page)."""
    permissions.require(coordinator, "access_log.view")
    _record_reading(coordinator, TRAIL_READ, filters)
    query = _query(coordinator, filters).limit(per_page + 1)
    if after is not None:
        query = query.where(CaseAccess.id < after)
    rows = db.session.execute(query).all()
    more = len(rows) > per_page
    rows = rows[:per_page]
    return AccessPage([(entry, reference) for entry, reference in rows], rows[-1][0].id if more else None)


def case_of_reference(coordinator, reference: str) -> int | None:
    """The id of the case with ``reference`` that the coordinator sees, if any."""
    return db.session.scalar(
        select(Case.id).where(Case.reference == reference.strip().upper(), permissions.visible(coordinator, Case))
    )


def people_in_trail(coordinator) -> list[User]:
    """The people the municipality's trail names, by name: what the person filter offers."""
    permissions.require(coordinator, "access_log.view")
    in_trail = select(CaseAccess.user_id).where(permissions.visible(coordinator, CaseAccess)).distinct()
    return list(db.session.scalars(select(User).where(User.id.in_(in_trail)).order_by(User.name, User.id)))


@dataclass
class Viewer:
    user: User
    views: int
    last_seen: datetime


def who_saw(coordinator, case: Case) -> list[Viewer]:
    """Who opened ``case``, how often and when last, for the coordinator (recorded as a reading)."""
    permissions.require(coordinator, "access_log.view")
    _record_reading(coordinator, CASE_TRAIL, TrailFilters(case_id=case.id), case_id=case.id)
    counted = (
        select(CaseAccess.user_id, func.count().label("views"), func.max(CaseAccess.accessed_at).label("last_seen"))
        .where(permissions.visible(coordinator, CaseAccess), CaseAccess.case_id == case.id,
               CaseAccess.action == VIEW)
        .group_by(CaseAccess.user_id)
        .subquery()
    )
    rows = db.session.execute(
        select(User, counted.c.views, counted.c.last_seen).join(counted, counted.c.user_id == User.id)
        .order_by(counted.c.last_seen.desc())
    ).all()
    return [Viewer(user, views, _aware(last_seen)) for user, views, last_seen in rows]


def _aware(value: datetime) -> datetime:
    """An aggregate comes back without the column's type: SQLite's is naive UTC."""
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value


def export_csv(coordinator, filters: TrailFilters, catalogue) -> Iterator[str]:
    """The filtered trail as CSV lines (UTF-8 with BOM for spreadsheets), read in batches by id.
    The export is checked and recorded at once, before the first line is asked for."""
    permissions.require(coordinator, "access_log.view")
    _record_reading(coordinator, TRAIL_EXPORT, filters)
    return _csv_lines(coordinator, filters, catalogue)


def _csv_lines(coordinator, filters: TrailFilters, catalogue) -> Iterator[str]:
    yield "\ufeff" + _csv_line(translate(label, catalogue) for label in CSV_HEADER)
    after = None
    while True:
        query = _query(coordinator, filters).limit(EXPORT_BATCH)
        if after is not None:
            query = query.where(CaseAccess.id < after)
        rows = db.session.execute(query).all()
        for entry, reference in rows:
            yield _csv_line([
                entry.accessed_at.isoformat(timespec="seconds"), entry.user.name,
                translate(ROLES.get(entry.user.role, entry.user.role), catalogue),
                translate(ACTIONS.get(entry.action, entry.action), catalogue), reference or "",
                " ".join(f"{k}={v}" for k, v in sorted(entry.query.items())),
            ])
        if len(rows) < EXPORT_BATCH:
            return
        after = rows[-1][0].id


def _csv_line(cells) -> str:
    out = io.StringIO()
    csv.writer(out).writerow([neutralised(str(cell)) for cell in cells])  # no cell runs as a formula
    return out.getvalue()


def remove_expired(now: datetime | None = None) -> dict[int, int]:
    """Remove the entries older than ACCESS_TRAIL_RETENTION_DAYS; how many per municipality.
    (A bulk DELETE: the append-only guard stops the application's single changes, not this.)"""
    cutoff = (now or utcnow()) - timedelta(days=current_app.config["ACCESS_TRAIL_RETENTION_DAYS"])
    old = CaseAccess.accessed_at < cutoff
    with write_transaction() as session:
        counts = dict(session.execute(
            select(CaseAccess.municipality_id, func.count()).where(old).group_by(CaseAccess.municipality_id)
        ).all())
        if counts:
            session.execute(delete(CaseAccess).where(old).execution_options(synchronize_session=False))
    return counts
