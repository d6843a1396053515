"""The activity log (audit trail) and the intent journal (no duplicate creates after a crash)."""

from __future__ import annotations

import datetime as dt

import pytest

from reconciler.errors import StateError
from reconciler.state import Action, Outcome, StateStore
from tests.unit.state.conftest import FakeClock


def test_activity_rows_keep_diff_revision_plan_and_explanation(
    store: StateStore, clock: FakeClock
) -> None:
    """A logged action comes back with its run, JSON field diff (nested, non-ASCII, numbers),
    revision, plan id, time and message."""
    run = store.start_run("t1", "orders", revision="abc123", plan_id="plan-9")
    diff = {"debtor": {"old": None, "new": "D10"}, "lines": [1, 2.5, "€"], "naam": "Jansen BV"}
    entry_id = store.log_activity(
        "t1",
        "orders",
        "SO-1",
        action=Action.create,
        outcome=Outcome.ok,
        run_id=run,
        diff=diff,
        revision="abc123",
        plan_id="plan-9",
        message="debtor matched by e-mail a@x.nl",
    )

    (entry,) = store.activity(tenant="t1")
    assert entry.id == entry_id
    assert (entry.run_id, entry.tenant, entry.flow, entry.key) == (run, "t1", "orders", "SO-1")
    assert (entry.action, entry.outcome) == (Action.create, Outcome.ok)
    assert entry.diff == diff
    assert (entry.revision, entry.plan_id) == ("abc123", "plan-9")
    assert entry.at == clock.now
    assert entry.message == "debtor matched by e-mail a@x.nl"


def test_activity_filters_combine_and_list_newest_first(
    store: StateStore, clock: FakeClock
) -> None:
    """Each filter (tenant, flow, key, outcome, action, since) narrows the list, results are
    newest first, and the limit keeps the newest."""
    rows = [
        ("t1", "orders", "A", Action.create, Outcome.ok),
        ("t1", "orders", "B", Action.fail, Outcome.failed),
        ("t1", "customers", "A", Action.update, Outcome.ok),
        ("t2", "orders", "A", Action.create, Outcome.ok),
        ("t1", "orders", "A", Action.update, Outcome.failed),
    ]
    ids = []
    for tenant, flow, key, action, outcome in rows:
        ids.append(store.log_activity(tenant, flow, key, action=action, outcome=outcome))
        clock.advance(minutes=1)

    def found(**filters: object) -> list[int]:
        return [e.id for e in store.activity(**filters)]  # type: ignore[arg-type]

    assert found() == ids[::-1]
    assert found(tenant="t1") == [ids[4], ids[2], ids[1], ids[0]]
    assert found(tenant="t1", flow="orders") == [ids[4], ids[1], ids[0]]
    assert found(tenant="t1", flow="orders", key="A") == [ids[4], ids[0]]
    assert found(outcome=Outcome.failed) == [ids[4], ids[1]]
    assert found(action=Action.create) == [ids[3], ids[0]]
    start = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)
    assert found(since=start + dt.timedelta(minutes=3)) == [ids[4], ids[3]]
    assert found(limit=2) == [ids[4], ids[3]]
    assert found(tenant="t3") == []


def test_iterating_activity_walks_every_page_once(store: StateStore) -> None:
    """``iter_activity`` reads page by page (keyset on id) and yields every matching entry once,
    newest first, also when the total is an exact multiple of the page size."""
    ids = [
        store.log_activity("t1", "stock", f"sku-{n}", action=Action.update, outcome=Outcome.ok)
        for n in range(9)
    ]
    store.log_activity("t2", "stock", "sku-x", action=Action.update, outcome=Outcome.ok)

    assert [e.id for e in store.iter_activity(tenant="t1", page_size=3)] == ids[::-1]
    assert [e.id for e in store.iter_activity(tenant="t1", page_size=4)] == ids[::-1]
    page = store.activity(tenant="t1", limit=3)
    assert [e.id for e in store.activity(tenant="t1", before_id=page[-1].id, limit=3)] == ids[
        5:2:-1
    ]


def test_intents_stay_pending_until_their_result_is_journalled(store: StateStore) -> None:
    """An intent journalled before a create is pending (what a restart resolves by look-up)
    until its result is journalled with the target id; pending lists oldest first per flow."""
    first = store.journal_intent(
        "t1",
        "customers",
        "a@x.nl",
        action=Action.create,
        idempotency_key="idem-1",
        payload_fingerprint="fp1",
    )
    second = store.journal_intent(
        "t1",
        "customers",
        "b@x.nl",
        action=Action.create,
        idempotency_key="idem-2",
        payload_fingerprint="fp2",
    )
    store.journal_intent(
        "t2",
        "customers",
        "a@x.nl",
        action=Action.create,
        idempotency_key="idem-3",
        payload_fingerprint="fp3",
    )

    pending = store.pending_intents("t1", "customers")
    assert [i.id for i in pending] == [first, second]
    assert (pending[0].key, pending[0].idempotency_key, pending[0].payload_fingerprint) == (
        "a@x.nl",
        "idem-1",
        "fp1",
    )
    assert pending[0].outcome is None

    resolved = store.journal_result(first, outcome=Outcome.ok, target_id="D100")
    assert (resolved.outcome, resolved.target_id) == (Outcome.ok, "D100")
    assert resolved.resolved_at is not None
    assert [i.id for i in store.pending_intents("t1", "customers")] == [second]
    assert store.pending_intents("t1", "orders") == []


def test_an_intent_is_resolved_once(store: StateStore) -> None:
    """Resolving an intent twice, or one that never existed, is a StateError naming it."""
    intent = store.journal_intent(
        "t1",
        "customers",
        "a@x.nl",
        action=Action.create,
        idempotency_key="k",
        payload_fingerprint="fp",
    )
    store.journal_result(intent, outcome=Outcome.failed)
    with pytest.raises(StateError, match=f"intent {intent} .* already resolved"):
        store.journal_result(intent, outcome=Outcome.ok, target_id="D1")
    with pytest.raises(StateError, match="intent 987654 does not exist"):
        store.journal_result(987654, outcome=Outcome.ok)


def test_times_without_a_zone_are_refused(store: StateStore) -> None:
    """A naive ``since`` is a StateError on every backend, not a silent guess of its zone."""
    with pytest.raises(StateError, match="has no time zone"):
        store.activity(since=dt.datetime(2026, 3, 1, 9, 0))
