"""Backends for the state store suite: one suite, run on memory, a SQLite file and PostgreSQL.

PostgreSQL runs when ``KOPPEL_TEST_DATABASE_URL`` is set (CI sets it) and is skipped with the
reason otherwise. Each test session gets a PostgreSQL schema of its own (``search_path`` in the
URL), emptied before each test and dropped at the end, so parallel and earlier runs cannot see
each other's rows; tests of migrations get a fresh schema each.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from reconciler.state import BackoffPolicy, StateStore, open_store, tables
from reconciler.testing.memory_store import MemoryStore

PG_URL = os.environ.get("KOPPEL_TEST_DATABASE_URL")
PG_SKIP_REASON = (
    "KOPPEL_TEST_DATABASE_URL is not set; PostgreSQL tests need a database (CI sets it)"
)

StoreFactory = Callable[[], StateStore]


class FakeClock:
    """Virtual time: tests move it on instead of sleeping."""

    def __init__(self) -> None:
        self.now = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> dt.datetime:
        self.now += dt.timedelta(**delta)
        return self.now


# Short, round numbers so tests can state exact times.
POLICY = BackoffPolicy(
    base=dt.timedelta(seconds=60),
    factor=2,
    cap=dt.timedelta(minutes=10),
    quarantine_after=3,
)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def _fresh_schema_url(admin: sa.Engine) -> tuple[str, str]:
    assert PG_URL
    schema = f"koppel_test_{uuid.uuid4().hex[:12]}"
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    # lock_timeout: a test whose locking is broken fails within seconds instead of hanging.
    options = f"-csearch_path={schema} -clock_timeout=5s"
    url = make_url(PG_URL).update_query_dict({"options": options})
    return schema, url.render_as_string(hide_password=False)


@contextmanager
def _schema() -> Iterator[str]:
    if not PG_URL:
        pytest.skip(PG_SKIP_REASON)
    admin = sa.create_engine(make_url(PG_URL).set(drivername="postgresql+psycopg"))
    schema, url = _fresh_schema_url(admin)
    try:
        yield url
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A PostgreSQL URL whose search_path is a fresh, empty schema, dropped after the test."""
    with _schema() as url:
        yield url


@pytest.fixture(scope="session")
def pg_migrated_url() -> Iterator[str]:
    """A schema migrated once per session; ``open_backend`` empties its tables before each
    test, which is much faster than migrating a schema per test."""
    with _schema() as url:
        open_store(url).close()
        yield url
        if url in _engines:
            _engines.pop(url).dispose()


def _empty_tables(url: str) -> None:
    # DELETE, not TRUNCATE: on a handful of rows it is several times faster.
    if url not in _engines:
        _engines[url] = sa.create_engine(url)
    engine = _engines[url]
    with engine.begin() as conn:
        for table in reversed(tables.metadata.sorted_tables):
            conn.execute(table.delete())


_engines: dict[str, sa.Engine] = {}


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite state database at the newest revision, for tests to copy."""
    path = tmp_path_factory.mktemp("template") / "state.db"
    open_store(f"sqlite:///{path}").close()
    return path


BACKENDS = [
    "memory",
    "sqlite",
    pytest.param("postgresql", marks=pytest.mark.postgres),
]


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


@pytest.fixture
def open_backend(
    backend: str, tmp_path: os.PathLike[str], clock: FakeClock, request: pytest.FixtureRequest
) -> Iterator[StoreFactory]:
    """Opens stores on the test's backend (several for PostgreSQL: separate engines, as
    replicas have), all closed after the test."""
    opened: list[StateStore] = []
    url: str | None = None
    if backend == "sqlite":
        # A copy of a database migrated once per session: opening it only checks the revision.
        template: Path = request.getfixturevalue("sqlite_template")
        shutil.copyfile(template, Path(tmp_path) / "state.db")
        url = f"sqlite:///{tmp_path}/state.db"
    elif backend == "postgresql":
        url = request.getfixturevalue("pg_migrated_url")
        _empty_tables(url)

    def factory() -> StateStore:
        store: StateStore
        if backend == "memory":
            store = MemoryStore(clock=clock, backoff=POLICY)
        else:
            store = open_store(url, clock=clock, backoff=POLICY)
        opened.append(store)
        return store

    yield factory
    for store in opened:
        store.close()


@pytest.fixture
def store(open_backend: StoreFactory) -> StateStore:
    return open_backend()
