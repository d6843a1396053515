"""What only the SQL store has: migrations, URL handling, the SQLite process lock, and leases
shared by several connections on PostgreSQL (row locks with SKIP LOCKED)."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from setuptools import find_namespace_packages

from reconciler.errors import StateError
from reconciler.state import Action, Lease, StateStore, open_store, tables
from reconciler.state.migrate import head_revision
from tests.unit.state.conftest import FakeClock, StoreFactory

ROOT = Path(__file__).resolve().parents[3]
TTL = dt.timedelta(seconds=30)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def fresh_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database: a new SQLite file, or a new PostgreSQL schema."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/fresh.db"
    url: str = request.getfixturevalue("pg_url")
    return url


def _alembic_versions(url: str) -> list[str]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return list(conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalars())
    finally:
        engine.dispose()


def test_opening_migrates_a_fresh_database_and_is_idempotent(fresh_url: str) -> None:
    """The first open creates every table at the newest revision; opening again changes
    nothing and keeps the data."""
    store = open_store(fresh_url)
    store.set_cursor("t1", "orders", "kept")
    store.close()
    assert _alembic_versions(fresh_url) == [head_revision()]

    with open_store(fresh_url) as again:
        assert again.get_cursor("t1", "orders") == "kept"
    assert _alembic_versions(fresh_url) == [head_revision()]


def test_migrations_create_exactly_the_schema_the_queries_use(fresh_url: str) -> None:
    """The frozen migrations and the table metadata the code queries agree column by column
    (Alembic's autogenerate comparison finds nothing to change)."""
    open_store(fresh_url).close()
    engine = sa.create_engine(fresh_url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            assert compare_metadata(context, tables.metadata) == []
    finally:
        engine.dispose()


def test_a_database_from_a_newer_koppel_is_refused(fresh_url: str) -> None:
    """A database at a schema revision this koppel does not know is not touched: opening it
    fails with a StateError that says a newer koppel migrated it."""
    open_store(fresh_url).close()
    engine = sa.create_engine(fresh_url)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '9999_future'"))
    engine.dispose()

    with pytest.raises(StateError, match="'9999_future', which this koppel does not know") as e:
        open_store(fresh_url)
    assert e.value.hint is not None
    assert "newer koppel" in e.value.hint
    assert _alembic_versions(fresh_url) == ["9999_future"]


def _open_in_subprocess(url: str) -> subprocess.CompletedProcess[str]:
    script = (
        "import sys\n"
        "from reconciler.errors import StateError\n"
        "from reconciler.state import open_store\n"
        "try:\n"
        f"    open_store({url!r}).close()\n"
        "except StateError as error:\n"
        "    print(error, file=sys.stderr)\n"
        "    sys.exit(3)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-c", script],
        check=False,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )


def test_a_second_process_is_refused_a_sqlite_store(tmp_path: Path) -> None:
    """While one process has the SQLite store open, another koppel process is refused with a
    message naming the file and pointing at PostgreSQL; after close the store can be opened."""
    url = f"sqlite:///{tmp_path}/state.db"
    store = open_store(url)
    try:
        refused = _open_in_subprocess(url)
    finally:
        store.close()
    assert refused.returncode == 3, refused.stderr
    assert f"another koppel process (pid {os.getpid()}) uses {tmp_path}/state.db" in refused.stderr
    assert "SQLite allows one replica" in refused.stderr
    assert "PostgreSQL" in refused.stderr

    # The lock went with close: the next opener (a process restarting) gets the store.
    open_store(url).close()


def test_the_default_store_is_a_sqlite_file_under_dot_koppel(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without a URL the store is ``.koppel/state.db`` in the working directory, created with
    its directory."""
    monkeypatch.chdir(tmp_path)
    with open_store(None) as store:
        store.set_cursor("t1", "orders", "c")
    assert (tmp_path / ".koppel" / "state.db").is_file()


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("mysql://koppel:s3cret@db/koppel", "unsupported scheme 'mysql'"),
        ("sqlite://", "in-memory SQLite"),
        ("sqlite:///:memory:", "in-memory SQLite"),
        ("not a url", "cannot be read"),
    ],
)
def test_unusable_urls_are_refused_with_the_password_masked(url: str, message: str) -> None:
    """Unsupported schemes, in-memory SQLite and unreadable URLs are StateErrors that never
    show the password."""
    with pytest.raises(StateError, match=message) as refused:
        open_store(url)
    assert "s3cret" not in str(refused.value)


def test_an_unreachable_postgresql_names_the_url_without_its_password() -> None:
    """A connection failure says which (masked) URL failed and what to check."""
    with pytest.raises(StateError, match=r"cannot open the state store at .*koppel:\*\*\*@") as e:
        open_store("postgresql://koppel:s3cret@127.0.0.1:1/koppel?connect_timeout=2")
    assert "s3cret" not in str(e.value)
    assert e.value.hint is not None


def test_migrations_ship_as_packages_setuptools_finds() -> None:
    """An installed koppel has its migrations: setuptools' discovery (as configured in
    pyproject.toml) includes the migration packages, and the template is package data."""
    found = find_namespace_packages(where=str(ROOT), include=["reconciler*", "connectors*"])
    assert "reconciler.state.migrations" in found
    assert "reconciler.state.migrations.versions" in found
    assert '"*.mako"' in (ROOT / "pyproject.toml").read_text()


# -- several replicas on PostgreSQL ------------------------------------------------------------


@pytest.fixture
def pg_stores(pg_url: str, clock: FakeClock) -> Iterator[StoreFactory]:
    """Opens stores (own engine and connections each, like replicas) on one fresh schema."""
    opened: list[StateStore] = []

    def factory() -> StateStore:
        store = open_store(pg_url, clock=clock)
        opened.append(store)
        return store

    yield factory
    for store in opened:
        store.close()


@pytest.mark.postgres
def test_replicas_agree_on_the_holder(pg_stores: StoreFactory) -> None:
    """Two replicas (stores with their own connections) see the same lease."""
    first, second = pg_stores(), pg_stores()
    lease = first.acquire("t1", "orders", holder="replica-a", ttl=TTL)
    assert lease is not None
    assert second.acquire("t1", "orders", holder="replica-b", ttl=TTL) is None
    assert second.is_current(lease)


@pytest.mark.postgres
def test_acquire_skips_a_lease_row_another_replica_has_locked(
    pg_stores: StoreFactory, clock: FakeClock
) -> None:
    """While a fenced unit of work runs, its lease row is locked: another replica's acquire
    returns None at once (SKIP LOCKED) instead of waiting or taking the flow, even when the
    lease's time has run out meanwhile."""
    first, second = pg_stores(), pg_stores()
    lease = first.acquire("t1", "orders", holder="replica-a", ttl=TTL)
    assert lease is not None
    answers: list[Lease | None] = []
    with first.transaction(lease=lease) as tx:
        tx.set_cursor("t1", "orders", "mid-pass")
        clock.advance(minutes=5)
        thread = threading.Thread(
            target=lambda: answers.append(
                second.acquire("t1", "orders", holder="replica-b", ttl=TTL)
            )
        )
        thread.start()
        thread.join(timeout=10)
        assert not thread.is_alive(), "acquire waited for the locked row"
    assert answers == [None]
    taken = second.acquire("t1", "orders", holder="replica-b", ttl=TTL)
    assert taken is not None
    assert taken.generation == 2


@pytest.mark.postgres
def test_concurrent_acquisition_gives_each_flow_to_exactly_one_replica(
    pg_stores: StoreFactory,
) -> None:
    """Four replicas race for twelve flows from four threads at once: every flow ends up with
    exactly one holder, at generation 1, and nobody's acquire fails."""
    stores = [pg_stores() for _ in range(4)]
    flows = [f"flow-{n}" for n in range(12)]
    start = threading.Barrier(len(stores))
    won: dict[str, list[str]] = {flow: [] for flow in flows}
    errors: list[BaseException] = []
    guard = threading.Lock()

    def replica(number: int, store: StateStore) -> None:
        try:
            start.wait()
            # Two replicas walk the flows in the same order (they collide on every row), two
            # from the middle (they collide with the others half-way).
            offset = (number % 2) * 6
            for flow in flows[offset:] + flows[:offset]:
                lease = store.acquire("t1", flow, holder=f"replica-{number}", ttl=TTL)
                if lease is not None:
                    assert lease.generation == 1
                    with guard:
                        won[flow].append(lease.holder)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=replica, args=pair) for pair in enumerate(stores)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert all(len(holders) == 1 for holders in won.values()), won


def test_database_failures_are_state_errors_saying_where(fresh_url: str) -> None:
    """When the database fails under the store (here: a table dropped behind its back), callers
    get a StateError naming the store's (masked) URL with a hint, inside a unit of work too."""
    store = open_store(fresh_url)
    engine = sa.create_engine(fresh_url)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE koppel_cursors"))
    engine.dispose()
    try:
        with pytest.raises(StateError, match=r"the state store at .* failed: ") as failed:
            store.get_cursor("t1", "orders")
        assert failed.value.hint is not None

        def inside_a_unit_of_work() -> None:
            with store.transaction() as tx:
                tx.record_applied("t1", "orders", "A", fingerprint="f", action=Action.create)
                tx.set_cursor("t1", "orders", "c")

        with pytest.raises(StateError, match="koppel_cursors"):
            inside_a_unit_of_work()
        assert store.fingerprints("t1", "orders", ["A"]) == {}
    finally:
        store.close()


@pytest.mark.postgres
def test_replicas_starting_together_migrate_once(pg_url: str) -> None:
    """Four replicas opening one fresh database at the same moment all succeed: the advisory
    lock lets one migrate while the others wait, then find the schema at its newest revision."""
    start = threading.Barrier(4)
    opened: list[StateStore] = []
    errors: list[BaseException] = []

    def replica() -> None:
        try:
            start.wait()
            opened.append(open_store(pg_url))
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=replica) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    for store in opened:
        store.close()
    assert errors == []
    assert len(opened) == 4
    assert _alembic_versions(pg_url) == [head_revision()]
