"""``open_store``: a state store chosen by the URL's scheme, migrated and locked, ready to use.

``sqlite:///path`` (the default, ``.koppel/state.db``) is for one replica: opening it takes an
exclusive lock on ``<db>.lock`` for the life of the store, so a second koppel process on the same
file is refused with a clear message instead of corrupting passes. ``postgresql://`` is for
several replicas, which share flows through leases. Passwords in URLs never reach a message.
"""

from __future__ import annotations

import fcntl
import os
import re
from pathlib import Path
from typing import IO, Any

import sqlalchemy as sa
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, SQLAlchemyError

from reconciler.errors import StateError
from reconciler.state.migrate import migrate
from reconciler.state.rows import BackoffPolicy, Clock, utc_now
from reconciler.state.sql import SqlStore
from reconciler.state.store import StateStore

DEFAULT_URL = "sqlite:///.koppel/state.db"

# How long a SQLite statement waits for the write lock held by another thread of this process.
_SQLITE_BUSY_SECONDS = 30


def mask_url(url: str | URL) -> str:
    """The URL with its password replaced by ``***``, even when the URL cannot be parsed."""
    if isinstance(url, URL):
        return url.render_as_string(hide_password=True)
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", url)


def open_store(
    url: str | None = None,
    *,
    clock: Clock = utc_now,
    backoff: BackoffPolicy | None = None,
) -> StateStore:
    """Open (creating and migrating as needed) the state store at ``url``."""
    raw = url or DEFAULT_URL
    try:
        parsed = make_url(raw)
    except ArgumentError as error:
        raise StateError(
            f"the state store URL {mask_url(raw)} cannot be read",
            hint="use sqlite:///path/to/state.db or postgresql://user@host/database",
        ) from error
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return _open_sqlite(parsed, clock=clock, backoff=backoff)
    if backend in ("postgresql", "postgres"):
        if "+" not in parsed.drivername:  # psycopg 3 is the driver koppel ships with
            parsed = parsed.set(drivername="postgresql+psycopg")
        return _open_postgres(parsed, clock=clock, backoff=backoff)
    raise StateError(
        f"the state store URL {mask_url(parsed)} has an unsupported scheme {parsed.drivername!r}",
        hint="use sqlite:///path/to/state.db (one replica) or postgresql://… (several replicas)",
    )


def _open_postgres(url: URL, *, clock: Clock, backoff: BackoffPolicy | None) -> StateStore:
    where = mask_url(url)
    engine = sa.create_engine(url, pool_pre_ping=True)
    _migrate_or_dispose(engine, where=where, password=url.password)
    return SqlStore(engine, where=where, clock=clock, backoff=backoff)


def _open_sqlite(url: URL, *, clock: Clock, backoff: BackoffPolicy | None) -> StateStore:
    database = url.database
    if not database or database == ":memory:" or url.query.get("mode") == "memory":
        raise StateError(
            f"the state store URL {mask_url(url)} names an in-memory SQLite database, which "
            "would forget everything when koppel stops",
            hint="use a file (sqlite:///.koppel/state.db); tests use "
            "reconciler.testing.memory_store.MemoryStore",
        )
    path = Path(database)
    path.parent.mkdir(parents=True, exist_ok=True)
    lock = ProcessLock(path.with_name(path.name + ".lock"), database=database)
    engine = sa.create_engine(url, connect_args={"timeout": _SQLITE_BUSY_SECONDS})
    _serialise_sqlite_transactions(engine)
    try:
        _migrate_or_dispose(engine, where=mask_url(url), password=None)
    except BaseException:
        lock.release()
        raise
    return SqlStore(
        engine, where=mask_url(url), clock=clock, backoff=backoff, on_close=lock.release
    )


def _migrate_or_dispose(engine: Engine, *, where: str, password: str | None) -> None:
    try:
        migrate(engine, where=where)
    except SQLAlchemyError as error:
        engine.dispose()
        cause = error.orig if isinstance(error, DBAPIError) else error
        detail = str(cause).strip().splitlines()[0] if str(cause).strip() else repr(cause)
        if password:
            detail = detail.replace(password, "***")
        raise StateError(
            f"cannot open the state store at {where}: {detail}",
            hint="check the URL, that the database server runs, and that the user may connect "
            "and create tables",
        ) from error
    except BaseException:
        engine.dispose()
        raise


def _serialise_sqlite_transactions(engine: Engine) -> None:
    """Make every SQLite transaction take the write lock at BEGIN.

    Python's sqlite3 module starts transactions lazily at the first write, so a read-then-write
    (acquire a lease, count a failure) could interleave with another thread's. ``BEGIN
    IMMEDIATE`` serialises units of work instead; this is SQLAlchemy's documented recipe.
    """

    @sa.event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves
        # Write-ahead log: the status page can read while a pass writes, and a commit costs one
        # fsync instead of several. synchronous stays FULL: an intent journalled before a create
        # must survive a power cut, or the create could be repeated.
        dbapi_connection.execute("PRAGMA journal_mode=WAL")
        dbapi_connection.execute("PRAGMA synchronous=FULL")

    @sa.event.listens_for(engine, "begin")
    def _begin(connection: sa.Connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


class ProcessLock:
    """An exclusive ``flock`` on a file beside the SQLite database, held while the store is open.

    SQLite's own locking keeps the file consistent, but two koppel processes would both run every
    flow: leases need PostgreSQL's row locks across processes. The OS drops the lock when the
    process dies, so a crash never leaves a stale lock behind.
    """

    def __init__(self, path: Path, *, database: str) -> None:
        self._file: IO[str] | None = path.open("a+")
        try:
            fcntl.flock(self._file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as error:
            self._file.seek(0)
            owner = self._file.read().strip()
            self._file.close()
            self._file = None
            raise StateError(
                f"another koppel process{f' (pid {owner})' if owner else ''} uses {database}; "
                "SQLite allows one replica",
                hint="stop the other process, or use PostgreSQL for several replicas",
            ) from error
        self._file.seek(0)
        self._file.truncate()
        self._file.write(str(os.getpid()))
        self._file.flush()

    def release(self) -> None:
        """Let the next process open the database."""
        if self._file is not None:
            fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None
