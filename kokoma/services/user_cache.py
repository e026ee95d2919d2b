"""Signed-in users kept in each process between their requests (PostgreSQL only).

Every page starts by loading the person signed in: one round trip to the database and the ORM's
whole loading machinery for the same row, again and again. A reading page (GET, HEAD) takes the
user from here instead; a change (POST) always loads the row as it is now, so that every change
is checked against the user's current role, scope and status.

Kept users are never out of date: a trigger (migration 0006) sends ``NOTIFY kokoma_users`` with
every change to a user or municipality, from whatever process or host, when its transaction
commits. Each process listens on a connection of its own and reads what has arrived, without
waiting (under a microsecond), before it hands out a kept user. A change the process commits
itself is forgotten there at once, before its NOTIFY comes back (the next request on a
kept-alive connection comes to the same process). While the listening connection is down,
nothing is kept; it is opened again on a later request. Entries also expire after
``USER_CACHE_SECONDS``, in case a connection dies without a word (a network cut).
"""
import logging
import os
import threading
import time
from itertools import chain

from flask import current_app, has_app_context
from sqlalchemy import event, inspect
from sqlalchemy.engine import Engine
from sqlalchemy.orm import make_transient_to_detached

from ..database import Session
from ..models import Municipality, User

log = logging.getLogger(__name__)

CHANNEL = "kokoma_users"  # the trigger of migration 0006 notifies here
RECONNECT_SECONDS = 5.0  # how long to wait before opening a lost listening connection again


class UserCache:
    """Users by id, each a copy in no session, for as long as nothing about them changed."""

    def __init__(self, engine: Engine, seconds: float):
        self._engine = engine
        self._seconds = seconds
        self._entries: dict[int, tuple[User, float]] = {}  # id -> (detached copy, expiry)
        self._lock = threading.Lock()
        self._listener = None  # psycopg connection that LISTENs, owned by process self._pid
        self._pid = os.getpid()
        self._retry_at = 0.0
        self.generation = 0  # counts what was forgotten; see keep()
        event.listen(engine, "engine_disposed", lambda _engine: self.close())

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
        """Forget what changed: ``"u<id>"`` a user, ``"m<id>"`` a municipality."""
        with self._lock:
            for payload in payloads:
                self._forget(payload)

    def close(self) -> None:
        """Stop listening (the engine was disposed). In a forked child the connection is the
        parent's: it is let go, not closed, which would end it for the parent too."""
        with self._lock:
            self._drop_listener(close=self._pid == os.getpid())

    # --- listening ---------------------------------------------------------------------------

    def _hear_changes(self) -> bool:
        """Read the notifications that have arrived; False while they cannot be received."""
        with self._lock:
            if self._pid != os.getpid():  # a forked child: the parent's connection is not ours
                self._pid = os.getpid()
                self._drop_listener(close=False)
            if self._listener is None and not self._listen():
                return False
            pgconn = self._listener.pgconn
            try:
                # Twice: a closed connection shows only on the read after its last message.
                pgconn.consume_input()
                pgconn.consume_input()
                while (notification := pgconn.notifies()) is not None:
                    self._forget(notification.extra.decode())
            except Exception as exc:  # noqa: BLE001 - any failure means: changes cannot be heard
                log.warning("user cache: lost the connection that hears changes: %s", exc)
                self._drop_listener(close=True)
                return False
            return True

    def _listen(self) -> bool:
        if time.monotonic() < self._retry_at:
            return False
        try:
            dialect = self._engine.dialect
            args, kwargs = dialect.create_connect_args(self._engine.url)
            kwargs.setdefault("connect_timeout", 5)  # a request waits for this at most
            connection = dialect.loaded_dbapi.connect(*args, **{**kwargs, "autocommit": True})
            connection.execute(f"LISTEN {CHANNEL}")
        except Exception as exc:  # noqa: BLE001 - the database is down: no users kept meanwhile
            log.warning("user cache: cannot listen for changes: %s", exc)
            self._retry_at = time.monotonic() + RECONNECT_SECONDS
            return False
        self._listener = connection
        self._entries.clear()  # changes made while nobody listened were not heard
        self.generation += 1
        return True

    def _drop_listener(self, close: bool) -> None:
        if self._listener is not None and close:
            try:
                self._listener.close()
            except Exception:  # noqa: BLE001 - already broken
                pass
        self._listener = None
        self._entries.clear()
        self.generation += 1

    def _forget(self, payload: str) -> None:
        kind, ident = payload[:1], payload[1:]
        if kind == "u" and ident.isdigit():
            self._entries.pop(int(ident), None)
        else:  # a municipality (its name shows with each of its users): rare, forget everyone
            self._entries.clear()
        self.generation += 1


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


def _detached_copy(user: User) -> User:
    """A copy of a loaded user, and of its municipality, that belongs to no session: what
    ``Session.merge(copy, load=False)`` takes into a request's session without a query."""
    municipality = user.municipality  # loaded with the user (lazy="joined")
    if municipality is not None:
        municipality = _copy_columns(municipality)
        make_transient_to_detached(municipality)
    copy = _copy_columns(user)
    copy.municipality = municipality
    make_transient_to_detached(copy)
    return copy


def _copy_columns(instance):
    state = inspect(instance)
    copy = state.mapper.class_manager.new_instance()
    for attribute in state.mapper.column_attrs:
        setattr(copy, attribute.key, state.dict[attribute.key])
    return copy
