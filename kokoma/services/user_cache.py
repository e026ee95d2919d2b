"""Signed-in users kept in each process between their requests (PostgreSQL only).

Every page starts by loading the person signed in: one round trip to the database and the ORM's
whole loading machinery for the same row, again and again. A reading page (GET, HEAD) takes the
user from here instead; a change (POST) always loads the row as it is now, so that every change
is checked against the user's current role, scope and status.

How kept users follow changes:

- A trigger (migration 0006) sends ``NOTIFY kokoma_users`` with every change to a user, or to a
  municipality's code or name, when its transaction commits, whichever process or host made it
  (the app, a command, plain SQL). Each process listens on a connection of its own and reads
  what has arrived, without waiting (under a microsecond), before it hands out a kept user. A
  notification is readable there within milliseconds of the commit.
- A change the process commits itself is forgotten there at once, before its NOTIFY comes back
  (the next request on a kept-alive connection comes to the same process).
- The listening connection proves itself alive: every ``PROOF_SECONDS / 2`` it sends a NOTIFY to
  itself (a channel only it listens to). Kept users are handed out only while the last answer is
  at most ``PROOF_SECONDS`` old; a connection that stays silent longer than that (a network cut
  that closes nothing) is dropped with everything kept.
- While the connection is down, nothing is kept; it is opened again on a later request.
- Every entry expires after ``USER_CACHE_SECONDS`` in any case.
"""
import logging
import os
import threading
import time
import weakref
from functools import partial
from itertools import chain

from flask import current_app, has_app_context
from sqlalchemy import event, inspect
from sqlalchemy.engine import Engine
from sqlalchemy.orm import make_transient_to_detached

from ..database import Session
from ..models import Municipality, User

log = logging.getLogger(__name__)

CHANNEL = "kokoma_users"  # the trigger of migration 0006 notifies here
RECONNECT_SECONDS = 5.0  # how long to wait before trying again to open a listening connection
PROOF_SECONDS = 5.0  # how old the listening connection's last sign of life may be


class ListenerSilent(Exception):
    """The listening connection did not answer its own NOTIFY in time."""


class UserCache:
    """Users by id, each a copy in no session, for as long as nothing about them changed."""

    def __init__(self, engine: Engine, seconds: float, proof_seconds: float = PROOF_SECONDS):
        self._engine = engine
        self._seconds = seconds
        self.proof_seconds = proof_seconds
        self._entries: dict[int, tuple[User, float]] = {}  # id -> (detached copy, expiry)
        self._lock = threading.Lock()
        self._listener = None  # the psycopg connection that LISTENs
        self._connecting = False
        self._retry_at = 0.0
        self._alive_channel = b""  # the channel only the listener listens to, for its pings
        self._proven_at = 0.0  # when the listener last answered
        self._ping_sent_at: float | None = None  # an unanswered ping
        self._ping_in_flight = False  # the ping's NOTIFY command has not returned yet
        self.generation = 0  # counts what was forgotten; see keep()
        event.listen(engine, "engine_disposed", lambda _engine: self.close())
        os.register_at_fork(after_in_child=partial(_forget_parent, weakref.ref(self)))

    @property
    def listener_pid(self) -> int | None:
        """The database's process id for the listening connection (None while there is none)."""
        listener = self._listener
        return listener.info.backend_pid if listener is not None else None

    def get(self, user_id: int) -> tuple[User | None, int]:
        """A kept copy of the user, or None (not kept, expired, or changes cannot be heard); and
        the generation to pass to :meth:`keep` if the caller loads the user instead."""
        if not self._hear_changes():
            return None, -1
        generation = self.generation
        entry = self._entries.get(user_id)
        if entry is None or entry[1] < time.monotonic():
            return None, generation
        return entry[0], generation

    def keep(self, user: User, generation: int) -> None:
        """Keep a user loaded after :meth:`get` returned ``generation``, unless something was
        forgotten since: a change may have come in between the load and now."""
        copy = _detached_copy(user)
        with self._lock:
            if generation == self.generation and self._listener is not None:
                self._entries[user.id] = (copy, time.monotonic() + self._seconds)

    def forget(self, payloads) -> None:
        """Forget what changed: ``"u<id>"`` a user; anything else (a municipality) everyone."""
        with self._lock:
            for payload in payloads:
                self._forget(payload)

    def close(self) -> None:
        """Stop listening (the engine was disposed)."""
        with self._lock:
            self._drop_listener()

    # --- listening ---------------------------------------------------------------------------

    def _hear_changes(self) -> bool:
        """Read what has arrived; True if kept users may be handed out."""
        with self._lock:
            if self._listener is not None:
                return self._poll()
            if self._connecting or time.monotonic() < self._retry_at:
                return False
            self._connecting = True  # one thread connects, outside the lock; the others go on
        connection = self._connect()
        with self._lock:
            self._connecting = False
            if connection is None:
                self._retry_at = time.monotonic() + RECONNECT_SECONDS
                return False
            self._listener = connection
            self._alive_channel = _alive_channel(connection).encode()
            self._proven_at, self._ping_sent_at, self._ping_in_flight = time.monotonic(), None, False
            self._forget_everyone()  # changes made while nobody listened were not heard
            return True

    def _connect(self):
        """A connection of the engine's own making (its URL, connect_args, events), taken out of
        its pool, listening; None if the database cannot be reached."""
        connection = None
        try:
            pooled = self._engine.raw_connection()
            connection = pooled.driver_connection
            pooled.detach()  # the pool forgets it: never handed out, nor closed by dispose()
            connection.autocommit = True
            connection.execute("SET application_name = 'kokoma user cache'")  # for pg_stat_activity
            connection.execute(f"LISTEN {CHANNEL}")
            connection.execute(f"LISTEN {_alive_channel(connection)}")
            return connection
        except Exception as exc:  # noqa: BLE001 - the database is down: no users kept meanwhile
            log.warning("user cache: cannot listen for changes: %s", exc)
            if connection is not None:
                connection.close()
            return None

    def _poll(self) -> bool:
        pgconn = self._listener.pgconn
        now = time.monotonic()
        try:
            # Twice: a closed connection shows only on the read after its last message.
            pgconn.consume_input()
            pgconn.consume_input()
            while self._ping_in_flight and not pgconn.is_busy():  # the ping command's results
                self._ping_in_flight = pgconn.get_result() is not None
            while (notification := pgconn.notifies()) is not None:
                if notification.relname == self._alive_channel:
                    self._proven_at, self._ping_sent_at = now, None
                else:
                    self._forget(notification.extra.decode())
            if self._ping_sent_at is not None and now - self._ping_sent_at > self.proof_seconds:
                raise ListenerSilent(f"no answer for {now - self._ping_sent_at:.1f} s")
            if self._ping_sent_at is None and not self._ping_in_flight and now - self._proven_at > self.proof_seconds / 2:
                pgconn.send_query(b"NOTIFY " + self._alive_channel)
                pgconn.flush()
                self._ping_sent_at, self._ping_in_flight = now, True
        except Exception as exc:  # noqa: BLE001 - any failure means: changes cannot be heard
            log.warning("user cache: lost the connection that hears changes: %s", exc)
            self._drop_listener()
            return False
        return now - self._proven_at <= self.proof_seconds

    def _drop_listener(self) -> None:
        if self._listener is not None:
            try:
                self._listener.close()
            except Exception:  # noqa: BLE001 - already broken
                pass
        self._listener = None
        self._forget_everyone()

    def _forget(self, payload: str) -> None:
        kind, ident = payload[:1], payload[1:]
        if kind == "u" and ident.isdigit():
            self._entries.pop(int(ident), None)
            self.generation += 1
        else:  # a municipality (its name shows with each of its users), or all: rare
            self._forget_everyone()

    def _forget_everyone(self) -> None:
        self._entries.clear()
        self.generation += 1


def _alive_channel(connection) -> str:
    """The channel only this listening connection listens to, for its proofs of life."""
    return f"kokoma_alive_{connection.info.backend_pid}"


def _forget_parent(cache_ref) -> None:
    """In a forked child: the parent's listening connection and lock are not the child's. The
    connection is let go, not closed, which would end it for the parent too."""
    cache = cache_ref()
    if cache is not None:
        cache._lock = threading.Lock()
        cache._listener, cache._connecting = None, False
        cache._forget_everyone()


_CHANGED = "kokoma_changed_users"  # key in Session.info: what this transaction's flushes changed


@event.listens_for(Session, "after_flush")
def _note_changes(session, _flush_context):
    changed = [f"u{o.id}" if isinstance(o, User) else f"m{o.id}"
               for o in chain(session.dirty, session.deleted) if isinstance(o, (User, Municipality))]
    if changed:
        session.info.setdefault(_CHANGED, set()).update(changed)


@event.listens_for(Session, "after_commit")
def _forget_committed_changes(session):
    changed = session.info.pop(_CHANGED, None)
    cache = current_app.extensions.get("kokoma_user_cache") if changed and has_app_context() else None
    if cache is not None:
        cache.forget(changed)


@event.listens_for(Session, "after_rollback")
def _drop_noted_changes(session):
    session.info.pop(_CHANGED, None)


# What a copy holds. Left out, unloaded, and read from the database if ever asked for: the
# user's password and invitation hashes (no secrets kept longer than a request needs them; login
# and password changes are POSTs, which load the user anew) and, of the municipality, all but
# what the trigger watches (the case counter moves with every new case).
USER_KEPT = tuple(
    attribute.key for attribute in inspect(User).column_attrs if attribute.key not in ("password_hash", "invitation_hash")
)
MUNICIPALITY_KEPT = ("id", "code", "name")


def _detached_copy(user: User) -> User:
    """A copy of a loaded user, and of its municipality, that belongs to no session: what
    ``Session.merge(copy, load=False)`` takes into a request's session without a query."""
    municipality = user.municipality  # loaded with the user (lazy="joined")
    if municipality is not None:
        municipality = _copy(municipality, MUNICIPALITY_KEPT)
        make_transient_to_detached(municipality)
    copy = _copy(user, USER_KEPT)
    copy.municipality = municipality
    make_transient_to_detached(copy)
    return copy


def _copy(instance, keys):
    state = inspect(instance)
    copy = state.mapper.class_manager.new_instance()
    for key in keys:
        setattr(copy, key, state.dict[key])
    return copy
