"""Quarantine: records that keep failing are set aside, listed, counted, released or dropped."""

from __future__ import annotations

from reconciler.state import Action, Outcome, StateStore
from tests.unit.state.conftest import FakeClock


def _fail(store: StateStore, key: str, times: int, tenant: str = "t1") -> None:
    for n in range(times):
        store.record_failed(tenant, "orders", key, action=Action.create, reason=f"rejected #{n}")


def test_record_is_quarantined_after_the_policy_limit(store: StateStore, clock: FakeClock) -> None:
    """The third consecutive failure (policy limit 3) quarantines the record: it is listed with
    its last reason, counted, and never due, however much time passes."""
    _fail(store, "A", 2)
    assert store.quarantined() == []

    state = store.record_failed("t1", "orders", "A", action=Action.create, reason="no debtor")

    assert state.quarantined
    assert state.next_attempt_at is None
    assert store.quarantined(tenant="t1") == [state]
    assert store.quarantined(tenant="t1", flow="orders")[0].reason == "no debtor"
    assert store.quarantined(tenant="t2") == []
    assert store.quarantine_counts() == {("t1", "orders"): 1}
    clock.advance(days=30)
    assert store.due("t1", "orders") == []


def test_quarantine_lists_most_recent_first_with_a_limit(
    store: StateStore, clock: FakeClock
) -> None:
    """The list shows the most recently failed records first, and honours its limit."""
    _fail(store, "old", 3)
    clock.advance(minutes=1)
    _fail(store, "new", 3)
    _fail(store, "other-tenant", 3, tenant="t2")

    assert [s.key for s in store.quarantined(tenant="t1")] == ["new", "old"]
    assert [s.key for s in store.quarantined(tenant="t1", limit=1)] == ["new"]
    assert store.quarantine_counts() == {("t1", "orders"): 2, ("t2", "orders"): 1}


def test_retry_releases_a_record_for_the_next_pass_and_is_logged(store: StateStore) -> None:
    """Retry resets attempts and makes the record due now; the release is in the activity log
    with who asked. Retrying a record that is not quarantined does nothing."""
    _fail(store, "A", 3)

    assert store.retry("t1", "orders", "A", by="ops@shop.nl")

    state = store.get_record("t1", "orders", "A")
    assert state is not None
    assert (state.quarantined, state.attempts) == (False, 0)
    assert [s.key for s in store.due("t1", "orders")] == ["A"]
    (entry,) = store.activity(tenant="t1", key="A")
    assert (entry.action, entry.outcome) == (Action.retry, Outcome.ok)
    assert entry.message is not None
    assert "ops@shop.nl" in entry.message
    assert not store.retry("t1", "orders", "A", by="ops@shop.nl")
    assert not store.retry("t1", "orders", "missing", by="ops@shop.nl")
    assert store.quarantine_counts() == {}


def test_drop_forgets_a_record_and_is_logged(store: StateStore) -> None:
    """Drop removes the record's state (the next full pass sees it as new) and logs who did it;
    dropping an unknown record is a no-op that logs nothing."""
    _fail(store, "A", 3)

    assert store.drop("t1", "orders", "A", by="ops@shop.nl")

    assert store.get_record("t1", "orders", "A") is None
    assert store.quarantined() == []
    assert [e.action for e in store.activity(tenant="t1")] == [Action.drop]
    assert not store.drop("t1", "orders", "A", by="ops@shop.nl")
    assert len(store.activity()) == 1
