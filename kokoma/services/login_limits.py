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

An attempt takes its place in every count *before* the password is checked, in one transaction
(``INSERT … ON CONFLICT DO UPDATE … RETURNING``: on PostgreSQL the row stays locked until the
commit, on SQLite the write lock is held): of any number of parallel attempts, no more than the
limit get to the password check. An attempt over a limit counts nowhere and is answered 429 with
``Retry-After``; a successful login gives its place back, so logging in does not use up a limit.
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
class _Counter:
    key_hash: str
    expires_at: datetime
    allowed: int


@dataclass(frozen=True)
class Place:
    """The places one attempt took in the counts (given back by :func:`give_back`)."""

    counters: tuple[_Counter, ...]


def take_place(address: str | None, email: str) -> Place:
    """Count one login attempt from ``address`` for ``email``, or raise :class:`LoginLimited`
    (and count nothing) when any limit is used up."""
    now = utcnow()
    counters = sorted(_counters(address or "-", email.strip().lower(), now), key=lambda c: (c.key_hash, c.expires_at))
    with write_transaction() as session:  # past windows, with a margin: never a row in use
        session.execute(delete(LoginCount).where(LoginCount.expires_at <= now - timedelta(minutes=5)))
    with write_transaction() as session:
        waits = []
        for counter in counters:  # always in the same order: parallel attempts never deadlock
            count = session.execute(_count_one(counter)).scalar_one()
            if count > counter.allowed:
                waits.append(math.ceil((counter.expires_at - now).total_seconds()))
        if waits:
            raise LoginLimited(max(1, max(waits)))  # rolls the counting back
    return Place(tuple(counters))


def give_back(place: Place) -> None:
    """A successful login: its attempt does not count against the limits."""
    with write_transaction() as session:
        for counter in place.counters:
            session.execute(
                update(LoginCount)
                .where(LoginCount.key_hash == counter.key_hash, LoginCount.expires_at == counter.expires_at,
                       LoginCount.count > 0)
                .values(count=LoginCount.count - 1)
            )


def _counters(address: str, email: str, now: datetime):
    config = current_app.config
    values = {"pair": f"{address}\n{email}", "address": address, "account": email}
    for kind, setting in LIMITS:
        for item in parse_many(config[setting]) if config.get(setting) else ():
            seconds = item.get_expiry()
            start = math.floor(now.timestamp() / seconds) * seconds
            yield _Counter(
                key_hash=_key_hash(f"{kind}\n{seconds}\n{values[kind]}"),
                expires_at=datetime.fromtimestamp(start, timezone.utc) + timedelta(seconds=seconds),
                allowed=item.amount,
            )


def _key_hash(key: str) -> str:
    secret = current_app.config["SECRET_KEY"]
    return hmac.new(str(secret).encode(), key.encode(), hashlib.sha256).hexdigest()


def _count_one(counter: _Counter):
    insert = postgresql_insert if db.engine.dialect.name == "postgresql" else sqlite_insert
    statement = insert(LoginCount).values(key_hash=counter.key_hash, expires_at=counter.expires_at, count=1)
    return statement.on_conflict_do_update(
        index_elements=[LoginCount.key_hash, LoginCount.expires_at],
        set_={"count": LoginCount.count + 1},
    ).returning(LoginCount.count)
