"""The SQLAlchemy handle, engine tuning per database, and the one way to write."""
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timezone

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import JSON, DateTime, MetaData, event
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


# expire_on_commit=False: objects read before a write (the current user, say) stay usable after it.
db = SQLAlchemy(model_class=Base, session_options={"expire_on_commit": False})

JSONType = JSON().with_variant(JSONB(), "postgresql")


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on every backend (SQLite keeps no offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime given; use kokoma.database.utcnow()")
        return value

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value


_begin_immediate: ContextVar[bool] = ContextVar("kokoma_begin_immediate", default=False)


def configure_engine(engine: Engine) -> None:
    """SQLite: foreign keys, WAL, a busy timeout and real BEGIN statements (so SAVEPOINTs and
    ``BEGIN IMMEDIATE`` work). Other databases need nothing here."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # SQLAlchemy's "begin" event below opens transactions
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=15000")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        connection.exec_driver_sql("BEGIN IMMEDIATE" if _begin_immediate.get() else "BEGIN")


def end_request_transactions(app) -> None:
    """End the read transaction a request leaves open with COMMIT where it only read.

    To the database, COMMIT and ROLLBACK of a transaction that only read are the same. But
    psycopg forgets its prepared statements at every ROLLBACK and keeps them across a COMMIT, so
    with COMMIT the statements every page runs (the user, the case list) are planned once per
    connection instead of on every request. Anything else is rolled back as before: a request
    that failed, or one that left changes in the session (changes are written only inside
    :func:`write_transaction`, which commits on its own).
    """

    @app.teardown_request  # gets the request's error; Flask-SQLAlchemy closes the session after it
    def _end_read_transaction(exc):
        session = db.session()
        if exc is not None or not session.in_transaction():
            return
        if session.new or session.dirty or session.deleted:
            session.rollback()
            return
        try:
            session.commit()
        except Exception:  # e.g. a transaction the database already aborted
            session.rollback()


@contextmanager
def write_transaction():
    """One database transaction for a change, committed at the end or rolled back on error.

    On SQLite it takes the write lock at its start (``BEGIN IMMEDIATE``), so two writers queue
    instead of one failing with "database is locked"; on PostgreSQL the service locks the rows it
    changes (``SELECT ... FOR UPDATE``).
    """
    session = db.session()  # the request's Session behind the scoped_session proxy
    if session.in_transaction():
        session.commit()  # ends the read snapshot of the request; nothing is pending here
    token = _begin_immediate.set(True)
    try:
        with session.begin():
            yield session
    finally:
        _begin_immediate.reset(token)
