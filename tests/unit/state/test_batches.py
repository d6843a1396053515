"""A page's state written in batches: the same rows, and the same refusals, as one call each."""

from __future__ import annotations

import pytest

from reconciler.errors import StateError
from reconciler.state import Action, Outcome, StateStore
from reconciler.state.rows import Applied, NewActivity, NewIntent, Resolution


def _intent(store: StateStore, key: str) -> int:
    return store.journal_intent(
        "t1", "orders", key, action=Action.create, idempotency_key=key, payload_fingerprint="f"
    )


def test_applied_records_in_a_batch_are_upserted_like_one_at_a_time(store: StateStore) -> None:
    """New keys are inserted, known ones updated (failures reset); a batch row without a target
    id keeps the one a create stored."""
    store.record_applied(
        "t1", "orders", "A", fingerprint="old", action=Action.create, target_id="9"
    )
    store.record_failed("t1", "orders", "B", action=Action.fail, reason="500")
    store.record_applied_many(
        "t1",
        "orders",
        [Applied("A", "new", Action.update), Applied("B", "fb", Action.create, "7")],
        revision="r2",
    )
    states = store.records("t1", "orders", ["A", "B"])
    assert (states["A"].fingerprint, states["A"].target_id) == ("new", "9")
    assert (states["A"].last_action, states["A"].revision) == (Action.update, "r2")
    assert (states["B"].fingerprint, states["B"].target_id, states["B"].attempts) == ("fb", "7", 0)
    assert states["B"].last_outcome is Outcome.ok
    store.record_applied_many("t1", "orders", [])  # nothing to write is no error


def test_activity_in_a_batch_keeps_order_and_details(store: StateStore) -> None:
    run = store.start_run("t1", "orders", revision="r1")
    store.log_activities(
        "t1",
        "orders",
        [
            NewActivity("A", Action.create, Outcome.ok, {"created": {"x": "€ 1"}}, "debtor D1"),
            NewActivity("B", Action.skip, Outcome.ok, None, "exists"),
        ],
        run_id=run,
        revision="r1",
        plan_id="p1",
    )
    newest, oldest = store.activity(tenant="t1")
    assert (oldest.key, oldest.diff, oldest.message) == (
        "A",
        {"created": {"x": "€ 1"}},
        "debtor D1",
    )
    assert (newest.key, newest.action, newest.diff) == ("B", Action.skip, None)
    assert {e.run_id for e in (newest, oldest)} == {run}
    assert {(e.revision, e.plan_id) for e in (newest, oldest)} == {("r1", "p1")}


def test_intents_resolved_in_a_batch(store: StateStore) -> None:
    first, second = _intent(store, "A"), _intent(store, "B")
    store.journal_results([Resolution(first, Outcome.ok, "D1"), Resolution(second, Outcome.failed)])
    assert store.pending_intents("t1", "orders") == []
    with pytest.raises(StateError, match="already resolved"):
        store.journal_results([Resolution(first, Outcome.ok, "D1")])


@pytest.mark.parametrize("bad", ["unknown", "resolved", "twice"])
def test_a_bad_intent_in_a_batch_resolves_none_of_them(store: StateStore, bad: str) -> None:
    """An unknown, already resolved or repeated intent is refused with its own error; inside a
    unit of work the others stay pending too."""
    good, other = _intent(store, "A"), _intent(store, "B")
    if bad == "resolved":
        store.journal_result(other, outcome=Outcome.ok)
    wrong = {"unknown": 10_000, "resolved": other, "twice": good}[bad]
    with pytest.raises(StateError), store.transaction() as tx:
        tx.journal_results([Resolution(good, Outcome.ok), Resolution(wrong, Outcome.ok)])
    pending = {intent.id for intent in store.pending_intents("t1", "orders")}
    assert good in pending


def test_intents_journalled_in_a_batch_get_their_ids_in_order(store: StateStore) -> None:
    ids = store.journal_intents(
        "t1",
        "orders",
        [NewIntent(f"K{n}", Action.create, f"ref-{n}", f"f{n}") for n in range(5)],
    )
    assert len(set(ids)) == 5
    pending = {intent.id: intent for intent in store.pending_intents("t1", "orders")}
    for n, intent_id in enumerate(ids):
        intent = pending[intent_id]
        assert (intent.key, intent.idempotency_key, intent.payload_fingerprint) == (
            f"K{n}",
            f"ref-{n}",
            f"f{n}",
        )
    assert store.journal_intents("t1", "orders", []) == []
