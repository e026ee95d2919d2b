"""The SQLAlchemy handle, engine tuning per database, and the one way to write."""
import re
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime, timezone

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import JSON, DateTime, MetaData, String, event
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Engine
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement
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


# Inside write_transaction(): SQLite takes the write lock at BEGIN, PostgreSQL gets a real transaction.
_writing: ContextVar[bool] = ContextVar("kokoma_writing", default=False)
# While the app serves a request (hooks in configure_engine); not in commands, workers, test set-up.
_serving: ContextVar[bool] = ContextVar("kokoma_serving", default=False)

# expire_on_commit=False: objects read before a write (the current user, say) stay usable after it.
db = SQLAlchemy(model_class=Base, session_options={"expire_on_commit": False})

JSONType = JSON().with_variant(JSONB(), "postgresql")


def jsonable(value):
    """A value as a JSON column keeps it: dates and times as ISO text, anything else as it is."""
    return value.isoformat() if isinstance(value, date) else value


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


class lowered(FunctionElement):
    """``lower(text)`` for every letter on every database, to match without regard to case:
    PostgreSQL's ``lower`` knows them all, SQLite's only A-Z, so on SQLite it is the Python
    function :func:`sqlite_lower` registered with each connection."""

    type = String()
    name = "lowered"
    inherit_cache = True


@compiles(lowered)
def _lowered(element, compiler, **kw):
    return f"lower({compiler.process(element.clauses, **kw)})"


@compiles(lowered, "sqlite")
def _lowered_on_sqlite(element, compiler, **kw):
    return f"kokoma_lower({compiler.process(element.clauses, **kw)})"


_JSON_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")


def sqlite_lower(text):
    """Every letter lowered, with JSON's ``\\uXXXX`` read as the letter it stands for (SQLite keeps
    JSON columns ASCII-escaped, PostgreSQL's jsonb as text does not)."""
    if not isinstance(text, str):
        return text
    if "\\u" in text:
        text = _JSON_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text)
        # JSON writes a character beyond the BMP (an emoji) as two escapes, a surrogate pair: joined
        # again here, and a lone one replaced, so that SQLite gets text it can store.
        text = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return text.lower()


class WriteOutsideTransaction(RuntimeError):
    """A request wrote to the database other than through :func:`write_transaction`."""


# What a request may run outside write_transaction(): reads (and SQLite's BEGIN of a read).
_READING = ("SELECT", "WITH", "BEGIN", "SHOW", "EXPLAIN", "VALUES")


def configure_engine(app, engine: Engine) -> None:
    """Every database: in a request, only :func:`write_transaction` writes. SQLite: foreign keys,
    WAL, a busy timeout and real BEGIN statements (so SAVEPOINTs and ``BEGIN IMMEDIATE`` work)."""

    def _serving_starts() -> None:
        _serving.set(True)

    def _serving_ends(exc) -> None:
        _serving.set(False)
        session = db.session()
        if exc is None and session.in_transaction() and not (session.new or session.dirty or session.deleted):
            # What the request read ends with COMMIT, not the ROLLBACK of closing the session:
            # psycopg forgets the statements it prepared on a connection at every ROLLBACK, and
            # PostgreSQL would parse and plan every page's queries anew (docs/performance.md).
            session.commit()

    # First of the before-request hooks: a request is served from its first hook on.
    app.before_request_funcs.setdefault(None, []).insert(0, _serving_starts)
    app.teardown_request(_serving_ends)

    @event.listens_for(engine, "before_cursor_execute")
    def _refuse_stray_writes(_connection, _cursor, statement, _parameters, _context, _executemany):
        if _serving.get() and not _writing.get() and not statement.lstrip()[:7].upper().startswith(_READING):
            raise WriteOutsideTransaction(f"written outside write_transaction(): {statement[:60]}")

    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # SQLAlchemy's "begin" event below opens transactions
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=15000")
        dbapi_connection.create_function("kokoma_lower", 1, sqlite_lower, deterministic=True)
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        connection.exec_driver_sql("BEGIN IMMEDIATE" if _writing.get() else "BEGIN")


def writing() -> bool:
    """Whether the caller runs inside :func:`write_transaction`."""
    return _writing.get()


@contextmanager
def write_transaction():
    """One database transaction for a change, committed at the end or rolled back on error.

    On SQLite it takes the write lock at its start (``BEGIN IMMEDIATE``), so two writers queue
    instead of one failing with "database is locked"; on PostgreSQL the service locks the rows it
    changes (``SELECT ... FOR UPDATE``).
    """
    session = db.session()  # the request's Session behind the scoped_session proxy
    if session.in_transaction():
        session.commit()  # ends the request's reading (its connection); nothing is pending here
    token = _writing.set(True)
    try:
        with session.begin():
            yield session
    finally:
        _writing.reset(token)
