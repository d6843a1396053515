"""Record state: fingerprints, failures with backoff, quarantine, per-tenant isolation."""

from __future__ import annotations

import datetime as dt
import threading

from reconciler.state import Action, Outcome, StateStore
from tests.unit.state.conftest import FakeClock


def test_fingerprints_answer_a_page_of_keys_at_once(store: StateStore) -> None:
    """A page of 1,100 keys (more than one SQL chunk) gets the fingerprint of every applied key;
    unknown keys and keys that never applied successfully are absent."""
    keys = [f"sku-{n:04d}" for n in range(1100)]
    applied = {n for n in range(1100) if n % 97 == 1}  # spread over every chunk
    with store.transaction() as tx:
        for n, key in enumerate(keys):
            if n in applied:
                tx.record_applied("t1", "products", key, fingerprint=f"fp{n}", action=Action.create)
    store.record_failed("t1", "products", "sku-0000", action=Action.create, reason="rejected")
    assert len(applied) > 10

    found = store.fingerprints("t1", "products", [*keys, "never-seen"])

    assert found == {key: f"fp{n}" for n, key in enumerate(keys) if n in applied}
    assert store.fingerprints("t1", "products", []) == {}


def test_applied_record_keeps_target_id_revision_and_resets_failures(
    store: StateStore, clock: FakeClock
) -> None:
    """Applying stores fingerprint, target id, action and revision; a later update without a
    target id keeps the created one, and success clears earlier failures."""
    store.record_applied(
        "t1",
        "customers",
        "a@x.nl",
        fingerprint="f1",
        action=Action.create,
        target_id="D100",
        revision="rev1",
    )
    store.record_failed("t1", "customers", "a@x.nl", action=Action.update, reason="timeout")
    clock.advance(minutes=5)

    state = store.record_applied(
        "t1", "customers", "a@x.nl", fingerprint="f2", action=Action.update, revision="rev2"
    )

    assert state == store.get_record("t1", "customers", "a@x.nl")
    assert (state.fingerprint, state.target_id, state.revision) == ("f2", "D100", "rev2")
    assert (state.last_action, state.last_outcome) == (Action.update, Outcome.ok)
    assert (state.attempts, state.next_attempt_at, state.reason) == (0, None, None)
    assert state.updated_at == clock.now
    assert state.updated_at.tzinfo is not None


def test_failures_back_off_exponentially_and_keep_the_last_applied_fingerprint(
    store: StateStore, clock: FakeClock
) -> None:
    """Each failure counts; the wait doubles (60 s, 120 s) unless the caller says how long; the
    fingerprint of the last good write stays so the record is not mistaken for up to date."""
    store.record_applied("t1", "stock", "sku-1", fingerprint="good", action=Action.create)
    start = clock.now

    first = store.record_failed("t1", "stock", "sku-1", action=Action.update, reason="503")
    assert (first.attempts, first.next_attempt_at) == (1, start + dt.timedelta(seconds=60))
    assert first.fingerprint == "good"
    assert first.reason == "503"
    assert not first.is_due(clock.now)

    second = store.record_failed("t1", "stock", "sku-1", action=Action.update, reason="503")
    assert second.next_attempt_at == start + dt.timedelta(seconds=120)

    store.record_applied("t1", "stock", "sku-2", fingerprint="g2", action=Action.create)
    told = store.record_failed(
        "t1",
        "stock",
        "sku-2",
        action=Action.update,
        reason="429",
        retry_after=dt.timedelta(seconds=7),
    )
    assert told.next_attempt_at == start + dt.timedelta(seconds=7)
    assert store.fingerprints("t1", "stock", ["sku-1"]) == {"sku-1": "good"}


def test_due_lists_failed_records_once_their_wait_is_over(
    store: StateStore, clock: FakeClock
) -> None:
    """A failed record is not retried during its backoff, and is listed by ``due`` after it,
    oldest failure first; succeeded records are never due."""
    store.record_failed("t1", "orders", "A", action=Action.create, reason="x")
    clock.advance(seconds=10)
    store.record_failed("t1", "orders", "B", action=Action.create, reason="y")
    store.record_applied("t1", "orders", "C", fingerprint="c", action=Action.create)

    assert store.due("t1", "orders") == []
    clock.advance(seconds=55)
    assert [s.key for s in store.due("t1", "orders")] == ["A"]
    clock.advance(seconds=10)
    assert [s.key for s in store.due("t1", "orders")] == ["A", "B"]
    assert [s.key for s in store.due("t1", "orders", limit=1)] == ["A"]
    assert store.due("t1", "customers") == []


def test_records_returns_full_state_for_a_page(store: StateStore) -> None:
    """``records`` gives the whole state of each known key, for backoff decisions in a pass."""
    store.record_applied("t1", "orders", "A", fingerprint="a", action=Action.create)
    store.record_failed("t1", "orders", "B", action=Action.create, reason="no debtor")

    found = store.records("t1", "orders", ["A", "B", "Z"])

    assert set(found) == {"A", "B"}
    assert found["B"].last_outcome is Outcome.failed
    assert found["B"].fingerprint is None


def test_tenants_and_flows_are_isolated(store: StateStore) -> None:
    """The same flow and key in another tenant (or another flow) is another record."""
    store.record_applied("t1", "customers", "k", fingerprint="one", action=Action.create)
    store.record_applied("t2", "customers", "k", fingerprint="two", action=Action.create)
    for _ in range(3):
        store.record_failed("t2", "products", "k", action=Action.create, reason="bad")

    assert store.fingerprints("t1", "customers", ["k"]) == {"k": "one"}
    assert store.fingerprints("t2", "customers", ["k"]) == {"k": "two"}
    assert store.fingerprints("t1", "products", ["k"]) == {}
    assert store.quarantine_counts(tenant="t1") == {}
    assert store.quarantine_counts() == {("t2", "products"): 1}


def test_concurrent_failures_of_one_record_are_all_counted(store: StateStore) -> None:
    """Threads of one process (bounded apply concurrency) failing the same record at once lose
    no count: the read-modify-write of the attempt counter is serialised on every backend."""

    def fail_ten_times() -> None:
        for _ in range(10):
            store.record_failed("t1", "orders", "SO-1", action=Action.create, reason="503")

    threads = [threading.Thread(target=fail_ten_times) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    state = store.get_record("t1", "orders", "SO-1")
    assert state is not None
    assert state.attempts == 40
    assert state.quarantined
