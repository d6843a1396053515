"""The in-memory store used by engine tests behaves exactly like the SQL store.

Hypothesis plays random sequences of record outcomes, operator actions, lease moves and clock
advances against ``MemoryStore`` and a SQLite ``SqlStore`` side by side and compares every answer.
Each example runs in a tenant of its own on one SQLite file, which also exercises isolation.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.state import Action, Lease, StateStore, open_store
from reconciler.testing.memory_store import MemoryStore
from tests.unit.state.conftest import POLICY, FakeClock

START = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)
KEYS = st.sampled_from(["A", "B"])  # few keys, so records fail often enough to quarantine
HOLDERS = st.sampled_from(["replica-a", "replica-b"])
STEPS = st.lists(
    st.one_of(
        st.tuples(st.just("applied"), KEYS, st.sampled_from(["f1", "f2"]), st.none() | KEYS),
        st.tuples(st.just("failed"), KEYS, st.none() | st.integers(1, 600)),
        st.tuples(st.just("failed"), KEYS, st.none()),
        st.tuples(st.just("failed"), KEYS, st.none()),
        st.tuples(st.just("retry"), KEYS),
        st.tuples(st.just("drop"), KEYS),
        st.tuples(st.just("advance"), st.integers(0, 400)),
        st.tuples(st.just("acquire"), HOLDERS, st.integers(10, 300)),
        st.tuples(st.just("renew"), HOLDERS),
        st.tuples(st.just("release"), HOLDERS),
        st.tuples(st.just("cursor"), HOLDERS, st.sampled_from(["c1", "c2"])),
    ),
    min_size=10,
    max_size=30,
)


@pytest.fixture(scope="module")
def sqlite_side(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[StateStore, FakeClock]]:
    clock = FakeClock()
    path: Path = tmp_path_factory.mktemp("equivalence") / "state.db"
    with open_store(f"sqlite:///{path}", clock=clock, backoff=POLICY) as store:
        yield store, clock


def _step(store: StateStore, tenant: str, step: tuple[Any, ...], leases: dict[str, Lease]) -> Any:
    """Plays one step on one store and returns what the store answered (or the error text)."""
    kind, *args = step
    try:
        if kind == "applied":
            key, fingerprint, target = args
            return store.record_applied(
                tenant,
                "orders",
                key,
                fingerprint=fingerprint,
                action=Action.update,
                target_id=target,
            )
        if kind == "failed":
            key, seconds = args
            wait = None if seconds is None else dt.timedelta(seconds=seconds)
            return store.record_failed(
                tenant, "orders", key, action=Action.create, reason="rejected", retry_after=wait
            )
        if kind == "retry":
            return store.retry(tenant, "orders", args[0], by="ops")
        if kind == "drop":
            return store.drop(tenant, "orders", args[0], by="ops")
        holder = args[0]
        if kind == "acquire":
            lease = store.acquire(
                tenant, "orders", holder=holder, ttl=dt.timedelta(seconds=args[1])
            )
            if lease is not None:
                leases[holder] = lease
            return lease
        if holder not in leases:
            return "no lease"
        if kind == "renew":
            leases[holder] = store.renew(leases[holder], ttl=dt.timedelta(seconds=60))
            return leases[holder]
        if kind == "release":
            return store.release(leases[holder])
        with store.transaction(lease=leases[holder]) as tx:  # kind == "cursor"
            tx.set_cursor(tenant, "orders", args[1])
        return store.get_cursor(tenant, "orders")
    except Exception as error:  # the same error on both sides is the same behaviour
        return f"{type(error).__name__}: {error}"


def _observe(store: StateStore, tenant: str) -> Any:
    return (
        store.records(tenant, "orders", ["A", "B"]),
        store.due(tenant, "orders"),
        store.quarantined(tenant=tenant),
        store.quarantine_counts(tenant=tenant),
        store.get_cursor(tenant, "orders"),
        [(e.key, e.action, e.outcome, e.at, e.message) for e in store.activity(tenant=tenant)],
    )


@settings(max_examples=25, deadline=None, derandomize=True)
@given(steps=STEPS)
def test_memory_store_answers_like_the_sqlite_store(
    sqlite_side: tuple[StateStore, FakeClock], steps: list[tuple[Any, ...]]
) -> None:
    """Every answer and the final state agree between MemoryStore and the SQLite store."""
    sql, clock = sqlite_side
    clock.now = START
    memory = MemoryStore(clock=clock, backoff=POLICY)
    tenant = f"tenant-{uuid.uuid4().hex}"
    memory_leases: dict[str, Lease] = {}
    sql_leases: dict[str, Lease] = {}
    for step in steps:
        if step[0] == "advance":
            clock.advance(seconds=step[1])
            continue
        assert _step(memory, tenant, step, memory_leases) == _step(sql, tenant, step, sql_leases)
    # Observing after every step would find a difference sooner but costs six queries a step.
    assert _observe(memory, tenant) == _observe(sql, tenant)
