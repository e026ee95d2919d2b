"""How many failed logins are allowed: counted in the database, so that the limit holds across
threads, worker processes and app hosts with nothing but the database they share.

Three limits apply to every login attempt, each with one or more windows
(``"10 per minute; 50 per hour"``, parsed by the ``limits`` library):

- ``LOGIN_RATE_LIMIT`` per client address *and* account: an attacker guessing one account's
  password from one address is stopped here, while the account's owner, from any other
  address, still logs in;
- ``LOGIN_ADDRESS_RATE_LIMIT`` per client address, whatever the accounts: one address trying
  many accounts;
- ``LOGIN_ACCOUNT_RATE_LIMIT`` per account, from all addresses together: many addresses trying
  one account. Set wider than the first, so that a single address never reaches it; while it
  holds, the owner is refused too (that is what stops a guess spread over many addresses).

Each limit is checked over a sliding window: the count of the current window plus the count of
the window before, weighted by how much of it still lies within the last window length (as the
``limits`` library's sliding window counter does). So a limit of 5 per minute never lets 10
attempts through at the edge of a minute.

An attempt takes its place in every count *before* the password is checked, in one transaction
that first locks the row of every count (``INSERT … ON CONFLICT``, in one order, so parallel
attempts never deadlock), and only then reads the clock: the attempts' times follow the order in
which they count, and of any number of parallel attempts no more than the limit get to the
password check. An attempt over a limit counts nowhere and is answered 429 with ``Retry-After``;
a successful login gives its place back, so logging in does not use up a limit.
"""
import hashlib
import hmac
import math
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from flask import current_app
from limits import parse_many
from sqlalchemy import delete, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from ..database import db, utcnow, write_transaction
from ..models import LoginCount

LIMITS = (
    ("pair", "LOGIN_RATE_LIMIT"),
    ("address", "LOGIN_ADDRESS_RATE_LIMIT"),
    ("account", "LOGIN_ACCOUNT_RATE_LIMIT"),
)


class LoginLimited(Exception):
    """Too many failed logins: no attempt before ``retry_after`` seconds have passed."""

    def __init__(self, retry_after: int):
        super().__init__(f"too many failed logins; retry after {retry_after} s")
        self.retry_after = retry_after


@dataclass(frozen=True)
class _Limit:
    key_hash: str
    seconds: int
    allowed: int


@dataclass(frozen=True)
class _Taken:
    limit: _Limit
    window_start: datetime


@dataclass(frozen=True)
class Place:
    """The places one attempt took in the counts (given back by :func:`give_back`)."""

    taken: tuple[_Taken, ...]


def take_place(address: str | None, email: str) -> Place:
    """Count one login attempt from ``address`` for ``email``, or raise :class:`LoginLimited`
    (and count nothing) when any limit is used up."""
    limits = sorted(_limits(address or "-", email.strip().lower()), key=lambda limit: limit.key_hash)
    with write_transaction() as session:
        session.execute(delete(LoginCount).where(LoginCount.expires_at <= utcnow()))
    with write_transaction() as session:
        rows = [_locked_row(session, limit) for limit in limits]  # always in the same order
        now = utcnow()  # read after the locks: a later attempt never counts before an earlier one
        waits, taken = [], []
        for limit, row in zip(limits, rows):
            start, count, previous = _current(row, limit.seconds, now)
            weight = 1 - min(1.0, max(0.0, (now - start).total_seconds() / limit.seconds))
            if previous * weight + count + 1 > limit.allowed:
                waits.append(_seconds_to_wait(limit, count, previous, weight))
                continue
            session.execute(
                update(LoginCount).where(LoginCount.key_hash == limit.key_hash).values(
                    window_start=start, count=count + 1, previous_count=previous,
                    expires_at=start + timedelta(seconds=2 * limit.seconds))
            )
            taken.append(_Taken(limit, start))
        if waits:
            raise LoginLimited(max(waits))  # rolls the counting back
    return Place(tuple(taken))


def give_back(place: Place) -> None:
    """A successful login: its attempt does not count against the limits (also when its window
    has become the window before in the meantime)."""
    with write_transaction() as session:
        for item in place.taken:
            row = LoginCount.key_hash == item.limit.key_hash
            session.execute(
                update(LoginCount).where(row, LoginCount.window_start == item.window_start, LoginCount.count > 0)
                .values(count=LoginCount.count - 1)
            )
            session.execute(
                update(LoginCount)
                .where(row, LoginCount.window_start == item.window_start + timedelta(seconds=item.limit.seconds),
                       LoginCount.previous_count > 0)
                .values(previous_count=LoginCount.previous_count - 1)
            )


def _limits(address: str, email: str):
    config = current_app.config
    values = {"pair": f"{address}\n{email}", "address": address, "account": email}
    for kind, setting in LIMITS:
        for item in parse_many(config[setting]) if config.get(setting) else ():
            seconds = item.get_expiry()
            yield _Limit(_key_hash(f"{kind}\n{seconds}\n{values[kind]}"), seconds, item.amount)


def _key_hash(key: str) -> str:
    secret = current_app.config["SECRET_KEY"]
    return hmac.new(str(secret).encode(), key.encode(), hashlib.sha256).hexdigest()


def _locked_row(session, limit: _Limit):
    """The row of ``limit``'s count, created if new, locked until the commit (on PostgreSQL by the
    upsert itself; on SQLite the upsert takes the database's write lock)."""
    insert = postgresql_insert if db.engine.dialect.name == "postgresql" else sqlite_insert
    start = _window_start(utcnow(), limit.seconds)
    statement = insert(LoginCount).values(
        key_hash=limit.key_hash, window_start=start, count=0, previous_count=0,
        expires_at=start + timedelta(seconds=2 * limit.seconds),
    )
    statement = statement.on_conflict_do_update(
        index_elements=[LoginCount.key_hash], set_={"count": LoginCount.count}
    ).returning(LoginCount.window_start, LoginCount.count, LoginCount.previous_count)
    return session.execute(statement).one()


def _window_start(now: datetime, seconds: int) -> datetime:
    return datetime.fromtimestamp(math.floor(now.timestamp() / seconds) * seconds, timezone.utc)


def _current(row, seconds: int, now: datetime) -> tuple[datetime, int, int]:
    """This window's start, its count and the window before's count at ``now``, from the row."""
    start = _window_start(now, seconds)
    if start <= row.window_start:  # the same window (or a clock a little behind another host's)
        return row.window_start, row.count, row.previous_count
    if start == row.window_start + timedelta(seconds=seconds):
        return start, 0, row.count
    return start, 0, 0


def _seconds_to_wait(limit: _Limit, count: int, previous: int, weight: float) -> int:
    """Seconds until one more attempt fits: while the window before weighs less and less, or, when
    this window's count alone is used up, into the next window (where it becomes the one before)."""
    seconds, allowed = limit.seconds, limit.allowed
    if count + 1 <= allowed:
        wait = seconds * (weight - (allowed - count - 1) / previous)
    else:
        wait = seconds * weight + (seconds * (1 - (allowed - 1) / count) if count else 0)
    return max(1, math.ceil(round(wait, 6)))  # rounded: 14.000000000000002 s is 14 s
