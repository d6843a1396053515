"""A whole pass against in-memory systems and state: plan, apply, no-op second pass, orders with
their customers and products, failures, the circuit breaker and crash recovery."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from collections.abc import AsyncIterator, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from connectors.base import Page
from connectors.registry import capabilities
from reconciler.canonical import (
    Address,
    CanonicalRecord,
    Customer,
    Entity,
    Order,
    OrderLine,
    OrderStatus,
    Product,
)
from reconciler.errors import RejectedError, UnavailableError
from reconciler.flows.program import compile_program
from reconciler.passes.context import FlowContext
from reconciler.passes.runner import plan_pass, run_pass
from reconciler.spec.models.flow import Safety
from reconciler.spec.specset import SpecSet
from reconciler.spec.validate import validate_tree
from reconciler.state.rows import Action, BackoffPolicy, Intent, Lease, Outcome, RecordState
from reconciler.state.store import StateStore
from reconciler.testing.fake_connector import FakeConnector
from reconciler.testing.memory_store import MemoryStore

ROOT = Path(__file__).resolve().parents[3]
DEFAULTS = {
    Entity.orders: {
        "reference": "number",
        "debtorId": "debtorId",
        "paymentMethod": "paymentMethodCode",
        "lines": "lines[].{sku: sku, quantity: quantity}",
    },
    Entity.customers: {"email": "email", "name": "companyName || lastName"},
    Entity.products: {"sku": "sku", "name": "name", "longDescription": "longDescription"},
}
NOW = dt.datetime(2026, 11, 22, 12, 0, tzinfo=dt.UTC)


class VirtualClock:
    """The store's clock in step with the ``now`` each pass is given: backoff is counted from
    the store's time, so a wall clock would make these tests depend on today's date."""

    def __init__(self, start: dt.datetime = NOW) -> None:
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now

    def at(self, moment: dt.datetime) -> dt.datetime:
        self.now = moment
        return moment


@pytest.fixture(scope="module")
def specs() -> SpecSet:
    result = validate_tree(ROOT / "specs", capabilities=capabilities())
    assert result.valid
    return result.specs


def _ctx(
    specs: SpecSet,
    flow_name: str,
    source: FakeConnector,
    target: FakeConnector,
    store: MemoryStore,
    **changes: object,
) -> FlowContext:
    flow = next(f for f in specs.flows("bakkerij-jansen") if f.name == flow_name)
    program = compile_program(specs, flow, target=capabilities()["afas-profit"], defaults=DEFAULTS)
    ctx = FlowContext(
        tenant="bakkerij-jansen",
        flow=flow_name,
        program=program,
        source=source,
        target=target,
        store=store,
        safety=flow.model.spec.safety,
        revision="abc123",
    )
    for name, value in changes.items():
        setattr(ctx, name, value)
    return ctx


def _product(sku: str, name: str = "Brood", long: str = "Vers") -> Product:
    return Product(sku=sku, name=name, long_description=long, custom_fields={"webshop": True})


def _order(number: str, **changes: object) -> Order:
    base: dict[str, object] = {
        "number": number,
        "status": OrderStatus.paid,
        "payment_method": "pin",
        "shipping_address": Address(country="NL"),
        "customer": Customer(email="inkoop@dam.test", company_name="Dam BV"),
        "lines": [OrderLine(sku="1006", quantity=Decimal(1), tax_rate=Decimal(9))],
    }
    base.update(changes)
    return Order.model_validate(base)


def test_first_pass_creates_second_pass_reads_nothing_from_the_target(specs: SpecSet) -> None:
    """Products are created; a second pass over unchanged data plans only no-ops and makes no
    target reads (fingerprints); the counts add up."""
    source, target, store = FakeConnector(), FakeConnector(), MemoryStore()
    source.source[Entity.products] = [_product(str(100 + i)) for i in range(5)]
    ctx = _ctx(specs, "products", source, target, store)
    first = asyncio.run(run_pass(ctx, now=NOW))
    assert first.counts is not None
    assert first.counts.created == 5
    assert len(target.target[Entity.products]) == 5
    lookups = target.calls["lookup"]
    second = asyncio.run(run_pass(ctx, full=False, now=NOW))
    assert second.counts is not None
    assert second.counts.unchanged == 0  # the cursor moved on: nothing new to read
    assert target.calls["lookup"] == lookups
    rescan = asyncio.run(run_pass(_ctx(specs, "products", source, target, store), now=NOW))
    assert rescan.counts is not None
    for report in (first, second, rescan):
        counts = report.counts
        assert counts is not None
        assert (
            counts.read
            == counts.created + counts.updated + counts.unchanged + counts.skipped + counts.failed
        )


def test_unchanged_records_cost_no_target_reads_on_reread(specs: SpecSet) -> None:
    """Re-reading unchanged records (cursor reset) is answered from fingerprints alone."""
    source, target, store = FakeConnector(), FakeConnector(), MemoryStore()
    source.source[Entity.products] = [_product(str(100 + i)) for i in range(4)]
    ctx = _ctx(specs, "products", source, target, store)
    asyncio.run(run_pass(ctx, now=NOW))
    store.set_cursor("bakkerij-jansen", "products", None)
    lookups = target.calls["lookup"]
    again = asyncio.run(run_pass(ctx, now=NOW))
    assert again.counts is not None
    assert again.counts.unchanged == 4
    assert target.calls["lookup"] == lookups
    assert target.writes() == 4


def test_drift_scan_finds_a_manual_edit_and_respects_create_only(specs: SpecSet) -> None:
    """A full pass compares with the live target: a changed name is updated back with its diff
    in the activity log; an enriched long description (create_only) is left alone."""
    source, target, store = FakeConnector(), FakeConnector(), MemoryStore()
    source.source[Entity.products] = [_product("100")]
    ctx = _ctx(specs, "products", source, target, store)
    asyncio.run(run_pass(ctx, now=NOW))
    target.target[Entity.products]["100"].update(name="Changed in POS", longDescription="Rich")
    report = asyncio.run(run_pass(ctx, full=True, now=NOW))
    assert report.counts is not None
    assert report.counts.updated == 1
    stored = target.target[Entity.products]["100"]
    assert stored["name"] == "Brood"
    assert stored["longDescription"] == "Rich"
    (entry,) = store.activity(action=Action.update)
    assert entry.revision == "abc123"
    assert entry.diff == {
        "changes": [{"path": "name", "before": "Changed in POS", "after": "Brood"}]
    }


def test_plan_writes_nothing(specs: SpecSet) -> None:
    """`plan` lists the creates and touches neither the target nor the state."""
    source, target, store = FakeConnector(), FakeConnector(), MemoryStore()
    source.source[Entity.products] = [_product("100"), _product("A-1")]
    report = asyncio.run(plan_pass(_ctx(specs, "products", source, target, store), now=NOW))
    assert report.tally.create == 2  # the AFAS target takes alphanumeric item codes
    assert target.writes() == 0
    assert store.runs("bakkerij-jansen") == []


def test_orders_with_customers_default_debtor_and_existing_orders(specs: SpecSet) -> None:
    """Two orders of one new company customer create it once; an anonymous order goes to the
    default debtor; an order already in the target is skipped and never changed; the activity
    row explains the debtor decision."""
    source, target, store = FakeConnector(), FakeConnector(), MemoryStore()
    target.target[Entity.products]["1006"] = {"sku": "1006"}
    target.target[Entity.orders]["POS-3"] = {"reference": "POS-3", "debtorId": "1"}
    source.source[Entity.orders] = [
        _order("1"),
        _order("2"),
        _order("3"),
        _order("4", customer=None),
    ]
    ctx = _ctx(specs, "pos-orders", source, target, store)
    report = asyncio.run(run_pass(ctx, now=NOW))
    assert report.counts is not None
    assert (report.counts.created, report.counts.skipped) == (3, 1)
    customers = target.target[Entity.customers]
    assert list(customers) == ["inkoop@dam.test"]
    debtor = customers["inkoop@dam.test"]["debtorId"]
    orders = target.target[Entity.orders]
    assert orders["POS-1"]["debtorId"] == orders["POS-2"]["debtorId"] == debtor
    assert orders["POS-4"]["debtorId"] == "10000"
    assert orders["POS-3"] == {"reference": "POS-3", "debtorId": "1"}
    (row,) = store.activity(key="4", action=Action.create)
    assert "DefaultDebtor 'anonymous-sales' gives 10000" in str(row.message)
    (row1,) = store.activity(key="1", action=Action.create)
    assert "matched by e-mail inkoop@dam.test (company debtor" in str(row1.message)


def test_missing_product_fails_and_is_retried_later(specs: SpecSet) -> None:
    """An order for a product missing in the target fails naming the SKU, the cursor holds,
    and once the product exists a later pass creates the order."""
    source, target = FakeConnector(), FakeConnector()
    clock = VirtualClock()
    store = MemoryStore(clock=clock, backoff=BackoffPolicy(base=dt.timedelta(seconds=0)))
    source.source[Entity.orders] = [_order("1", customer=None)]
    ctx = _ctx(specs, "pos-orders", source, target, store)
    first = asyncio.run(run_pass(ctx, now=NOW))
    assert first.counts is not None
    assert first.counts.failed == 1
    assert "products missing in the target: 1006" in first.counts.failures[0][1]
    assert store.get_cursor("bakkerij-jansen", "pos-orders") is None
    target.target[Entity.products]["1006"] = {"sku": "1006"}
    later = asyncio.run(run_pass(ctx, now=clock.at(NOW + dt.timedelta(minutes=5))))
    assert later.counts is not None
    assert later.counts.created == 1
    assert store.get_cursor("bakkerij-jansen", "pos-orders") == "1"


def test_a_rejected_record_is_isolated_and_quarantined(specs: SpecSet) -> None:
    """A record the target rejects fails alone; after N attempts it is quarantined and the
    cursor moves on."""
    source, target = FakeConnector(page_size=10), FakeConnector()
    clock = VirtualClock()
    store = MemoryStore(
        clock=clock, backoff=BackoffPolicy(base=dt.timedelta(0), quarantine_after=2)
    )
    source.source[Entity.products] = [_product("100"), _product("101")]
    rejected = RejectedError("Artikelgroep bestaat niet", system="fake", operation="create")
    ctx = _ctx(specs, "products", source, target, store)
    target.fail_next(rejected)
    first = asyncio.run(run_pass(ctx, now=NOW))
    assert first.counts is not None
    assert (first.counts.created, first.counts.failed) == (1, 1)
    target.fail_next(rejected)
    second = asyncio.run(run_pass(ctx, now=clock.at(NOW + dt.timedelta(minutes=1))))
    assert second.counts is not None
    assert second.counts.quarantined == 1
    assert store.get_cursor("bakkerij-jansen", "products") == "2"
    (record,) = store.quarantined()
    assert "Artikelgroep bestaat niet" in str(record.reason)


def test_circuit_breaker_stops_before_writing(specs: SpecSet) -> None:
    """A pass over the change limit stops before any write; --confirm applies it."""
    source, target, store = FakeConnector(), FakeConnector(), MemoryStore()
    source.source[Entity.products] = [_product(str(100 + i)) for i in range(5)]
    ctx = _ctx(specs, "products", source, target, store, safety=Safety(max_changes=3))
    stopped = asyncio.run(run_pass(ctx, now=NOW))
    assert stopped.stopped is not None
    assert "more than safety.maxChanges (3)" in stopped.stopped
    assert target.writes() == 0
    confirmed = asyncio.run(run_pass(ctx, confirm=True, now=NOW))
    assert confirmed.counts is not None
    assert confirmed.counts.created == 5


def test_lost_answer_is_settled_by_lookup_without_a_duplicate(specs: SpecSet) -> None:
    """A create whose answer is lost (it did happen) is settled by a natural-key look-up: the
    record is recorded as applied and never written twice."""
    source, target, store = FakeConnector(), FakeConnector(), MemoryStore()
    source.source[Entity.products] = [_product("100")]
    target.lose_answer()
    ctx = _ctx(specs, "products", source, target, store)
    report = asyncio.run(run_pass(ctx, now=NOW))
    assert report.counts is not None
    assert report.counts.created == 1
    assert target.calls["create"] == 1
    store.set_cursor("bakkerij-jansen", "products", None)
    asyncio.run(run_pass(ctx, full=True, now=NOW))
    assert target.calls["create"] == 1


def test_pending_intent_from_a_crash_is_recovered(specs: SpecSet) -> None:
    """An intent left pending by a crash is resolved at the next start by looking the key up:
    found means applied (no second write)."""
    source, target, store = FakeConnector(), FakeConnector(), MemoryStore()
    source.source[Entity.products] = [_product("100")]
    ctx = _ctx(specs, "products", source, target, store)
    plan = asyncio.run(plan_pass(ctx, now=NOW)).planned[0].action
    store.journal_intent(
        "bakkerij-jansen",
        "products",
        "100",
        action=Action.create,
        idempotency_key="100",
        payload_fingerprint=plan.fingerprint or "",
    )
    target.target[Entity.products]["100"] = dict(plan.record)  # the write had happened
    report = asyncio.run(run_pass(ctx, now=NOW))
    assert report.recovered == 1
    assert target.calls["create"] == 0
    assert report.counts is not None
    assert report.counts.unchanged == 1
    assert store.pending_intents("bakkerij-jansen", "products") == []
    (row,) = store.activity(outcome=Outcome.ok, action=Action.create)
    assert "interrupted pass" in str(row.message)


def test_fenced_pass_on_sqlite_under_a_lease(specs: SpecSet, tmp_path: Path) -> None:
    """With a lease, every state write of a pass goes through the lease-fenced unit of work of
    a real SQLite store (one connection at a time: no self-deadlock), and a lost lease stops
    the pass before its next record."""
    from reconciler.state.factory import open_store

    source, target = FakeConnector(), FakeConnector()
    target.target[Entity.products]["1006"] = {"sku": "1006"}
    source.source[Entity.orders] = [_order("1"), _order("2"), _order("4", customer=None)]
    with open_store(f"sqlite:///{tmp_path / 'state.db'}") as store:
        lease = store.acquire(
            "bakkerij-jansen", "pos-orders", holder="r1", ttl=dt.timedelta(minutes=5)
        )
        assert lease is not None
        ctx = _ctx(specs, "pos-orders", source, target, store, lease=lease, concurrency=4)
        report = asyncio.run(run_pass(ctx))
        assert report.counts is not None
        assert report.counts.created == 3
        assert store.get_cursor("bakkerij-jansen", "pos-orders") is not None
        store.release(lease)
        source.source[Entity.orders].append(_order("5"))
        stale = asyncio.run(run_pass(ctx))
        assert stale.counts is not None
        assert stale.counts.interrupted == 1
        assert "POS-5" not in target.target[Entity.orders]


def _fail_settling_lookup(target: FakeConnector) -> None:
    """The target's next look-up after its next create fails (a dropped connection): the
    look-up that settles a create whose answer was lost. Look-ups before that create answer."""
    lookup, creates = target.lookup, target.calls["create"]
    left = [1]

    async def flaky_lookup(entity: Entity, key: str) -> dict[str, object] | None:
        if left[0] and target.calls["create"] > creates:
            left[0] -= 1
            raise UnavailableError("connection dropped", system="fake", operation="lookup")
        return await lookup(entity, key)

    target.lookup = flaky_lookup  # type: ignore[method-assign]


def test_lost_answer_with_a_failing_look_up_leaves_the_intent_pending(specs: SpecSet) -> None:
    """A create whose answer is lost while the settling look-up fails too has an unknown
    outcome: the intent stays pending (not journalled as failed, which would claim the write
    did not happen), and the next pass's recovery finds the record: applied, never written
    twice. (Found while writing the reliability tests.)"""
    source, target, store = FakeConnector(), FakeConnector(), MemoryStore()
    source.source[Entity.products] = [_product("100")]
    target.lose_answer()
    _fail_settling_lookup(target)
    ctx = _ctx(specs, "products", source, target, store)
    first = asyncio.run(run_pass(ctx, now=NOW))
    assert first.counts is not None
    assert first.counts.failed == 1
    (pending,) = store.pending_intents("bakkerij-jansen", "products")
    assert pending.idempotency_key == "100"
    second = asyncio.run(run_pass(ctx, now=NOW + dt.timedelta(hours=1)))
    assert second.recovered == 1
    assert store.pending_intents("bakkerij-jansen", "products") == []
    assert target.calls["create"] == 1


def test_an_order_is_settled_by_its_reference_in_the_target(specs: SpecSet) -> None:
    """An order's key in the target (its reference: POS-<number> in the example tenant) is not
    its key in the source. The intent journals the target's key, so a create whose answer is lost
    is found by it (created, not failed), and so is one whose settling look-up failed too, by the
    next pass's recovery: never written twice. (Found by the SIGKILL test: recovery looked for
    the source's number and never found an order.)"""
    source, target, store = FakeConnector(), FakeConnector(), MemoryStore()
    target.target[Entity.products]["1006"] = {"sku": "1006"}
    source.source[Entity.orders] = [_order("1", customer=None), _order("2", customer=None)]
    target.lose_answer()
    ctx = _ctx(specs, "pos-orders", source, target, store)
    first = asyncio.run(run_pass(ctx, now=NOW))
    assert first.counts is not None
    assert (first.counts.created, first.counts.failed) == (2, 0)
    assert sorted(target.target[Entity.orders]) == ["POS-1", "POS-2"]
    assert target.calls["create"] == 2

    source.source[Entity.orders].append(_order("3", customer=None))
    target.lose_answer()
    _fail_settling_lookup(target)
    second = asyncio.run(run_pass(ctx, now=NOW + dt.timedelta(minutes=1)))
    assert second.counts is not None
    assert second.counts.failed == 1
    (pending,) = store.pending_intents("bakkerij-jansen", "pos-orders")
    assert (pending.key, pending.idempotency_key) == ("3", "POS-3")
    third = asyncio.run(run_pass(ctx, now=NOW + dt.timedelta(hours=1)))
    assert third.recovered == 1
    assert store.pending_intents("bakkerij-jansen", "pos-orders") == []
    assert target.calls["create"] == 3
    assert sorted(target.target[Entity.orders]) == ["POS-1", "POS-2", "POS-3"]


def test_a_customer_whose_create_failed_is_not_created_again_in_the_same_pass(
    specs: SpecSet,
) -> None:
    """Two orders of one new customer: the customer's create loses its answer and the look-up
    settling it fails too, so whether it exists is unknown. The second order must not create
    it again (in AFAS that is a second debtor with the same e-mail): both orders fail this pass
    and the next pass finds the customer and writes both orders on it. (Found while writing
    the reliability tests.)"""
    clock = VirtualClock()
    source, target, store = FakeConnector(), FakeConnector(), MemoryStore(clock=clock)
    target.target[Entity.products]["1006"] = {"sku": "1006"}
    source.source[Entity.orders] = [_order("1"), _order("2")]
    target.lose_answer()
    lookup = target.lookup
    failing = {"left": 1}

    async def flaky_lookup(entity: Entity, key: str) -> dict[str, object] | None:
        if target.calls["create"] and failing["left"]:
            failing["left"] -= 1
            raise UnavailableError("connection dropped", system="fake", operation="lookup")
        return await lookup(entity, key)

    target.lookup = flaky_lookup  # type: ignore[method-assign]
    ctx = _ctx(specs, "pos-orders", source, target, store, concurrency=1)
    first = asyncio.run(run_pass(ctx, now=NOW))
    assert first.counts is not None
    assert first.counts.failed == 2
    assert target.calls["create"] == 1  # the customer, once
    second = asyncio.run(run_pass(ctx, now=clock.at(NOW + dt.timedelta(hours=1))))
    assert second.counts is not None
    assert second.counts.created == 2
    debtor = target.target[Entity.customers]["inkoop@dam.test"]["debtorId"]
    assert {o["debtorId"] for o in target.target[Entity.orders].values()} == {debtor}


def test_written_orders_need_no_lookup_when_their_desire_changes(specs: SpecSet) -> None:
    """An order once written is never looked up again on incremental passes, even when its
    desired content changed (the customer's details were synced since): orders never change."""
    source, target, store = FakeConnector(), FakeConnector(), MemoryStore()
    target.target[Entity.products]["1006"] = {"sku": "1006"}
    source.source[Entity.orders] = [_order("1")]
    ctx = _ctx(specs, "pos-orders", source, target, store)
    asyncio.run(run_pass(ctx, now=NOW))
    source.source[Entity.orders] = [
        _order("1", customer=Customer(email="inkoop@dam.test", company_name="Dam Groep BV"))
    ]
    lookups = target.calls["lookup"]
    again = asyncio.run(run_pass(ctx, reread=True, now=NOW))
    assert again.counts is not None
    assert again.counts.unchanged == 1
    assert target.calls["lookup"] == lookups
    assert target.writes() == 2  # the customer and the order, once


def test_a_page_of_creates_costs_two_units_of_work(specs: SpecSet) -> None:
    """A page of creates commits twice, whatever its size: its intents before any write, then
    every intent's result, the records' states and activity entries, and the cursor (each
    table's rows together, so a store writes them in one statement)."""
    units: list[list[str]] = []

    class CountingStore(MemoryStore):
        @contextlib.contextmanager
        def transaction(self, *, lease: Lease | None = None) -> Iterator[StateStore]:
            units.append([])
            with super().transaction(lease=lease) as store:
                yield store

        def journal_intent(self, *args: Any, **kwargs: Any) -> int:
            units[-1].append("intent")
            return super().journal_intent(*args, **kwargs)

        def set_cursor(self, *args: Any, **kwargs: Any) -> None:
            units[-1].append("cursor")
            super().set_cursor(*args, **kwargs)

        def journal_result(self, *args: Any, **kwargs: Any) -> Intent:
            units[-1].append("result")
            return super().journal_result(*args, **kwargs)

        def record_applied(self, *args: Any, **kwargs: Any) -> RecordState:
            units[-1].append("state")
            return super().record_applied(*args, **kwargs)

        def log_activity(self, *args: Any, **kwargs: Any) -> int:
            units[-1].append("activity")
            return super().log_activity(*args, **kwargs)

    source, target, store = FakeConnector(page_size=10), FakeConnector(), CountingStore()
    source.source[Entity.products] = [_product(str(100 + i)) for i in range(3)]
    report = asyncio.run(run_pass(_ctx(specs, "products", source, target, store), now=NOW))
    assert report.counts is not None
    assert report.counts.created == 3
    assert units == [
        ["intent"] * 3,
        ["result"] * 3 + ["state"] * 3 + ["activity"] * 3 + ["cursor"],
    ]
    assert store.records("bakkerij-jansen", "products", ["100"])["100"].fingerprint
    assert len(store.activity(tenant="bakkerij-jansen", flow="products")) == 3


class _WatchingTarget(FakeConnector):
    """A target that notes, at each create, how many pages the source had been asked for."""

    def __init__(self, source: FakeConnector, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.watched = source
        self.pages_read_at_create: list[int] = []
        self.after_create: Any = None

    async def create(self, entity: Entity, record: Any) -> Any:
        self.pages_read_at_create.append(self.watched.calls["read"])
        result = await super().create(entity, record)
        if self.after_create is not None:
            self.after_create()
        return result


def test_a_confirmed_pass_applies_each_page_while_the_next_is_planned(specs: SpecSet) -> None:
    """Nothing waits for the whole plan once a person confirmed the pass: its first write
    happens before the source is read to its end (an unconfirmed pass plans everything first,
    for the circuit breaker). Both end with the same records, counts and cursor."""
    reports = {}
    for confirm in (False, True):
        source = FakeConnector(page_size=2)
        source.source[Entity.products] = [_product(str(100 + i)) for i in range(10)]
        target, store = _WatchingTarget(source), MemoryStore()
        safety = Safety(max_changes=100, max_change_share=1)
        ctx = _ctx(specs, "products", source, target, store, safety=safety)
        reports[confirm] = report = asyncio.run(run_pass(ctx, confirm=confirm, now=NOW))
        assert report.counts is not None
        assert report.counts.created == 10
        assert report.tally.create == 10
        assert report.tally.adds_up()
        assert sorted(target.target[Entity.products]) == [str(100 + i) for i in range(10)]
        assert store.get_cursor("bakkerij-jansen", "products") == "10"
        first_write = target.pages_read_at_create[0]
        if confirm:
            assert first_write < 5  # page 1 (and the page read ahead), not all five
        else:
            assert first_write == 5
    assert reports[True].tally == reports[False].tally


def test_a_stopped_confirmed_pass_reads_no_further_and_the_next_one_goes_on(
    specs: SpecSet,
) -> None:
    """Stopping a streaming pass (shutdown) ends its reading too: the cursor stays after the
    last page applied, and the next pass writes the rest, nothing twice."""
    source = FakeConnector(page_size=2)
    source.source[Entity.products] = [_product(str(100 + i)) for i in range(10)]
    target, store = _WatchingTarget(source), MemoryStore()
    stopping = asyncio.Event()
    target.after_create = stopping.set
    ctx = _ctx(specs, "products", source, target, store, stopping=stopping)
    stopped = asyncio.run(run_pass(ctx, confirm=True, now=NOW))
    assert stopped.counts is not None
    assert stopped.counts.created == 1
    assert source.calls["read"] < 5
    cursor = store.get_cursor("bakkerij-jansen", "products")
    assert cursor is None  # the first page holds: one of its records was not attempted
    target.after_create = None
    again = asyncio.run(
        run_pass(_ctx(specs, "products", source, target, store), confirm=True, now=NOW)
    )
    assert again.counts is not None
    assert target.calls["create"] == 10
    assert sorted(target.target[Entity.products]) == [str(100 + i) for i in range(10)]


def test_a_confirmed_pass_whose_source_fails_keeps_what_it_applied(specs: SpecSet) -> None:
    """A source that fails on page 3 ends a streaming pass with an error after pages 1 and 2
    were applied: the run is recorded as failed with what it did, the cursor stands after
    page 2, and the next pass goes on from there."""

    class FailingSource(FakeConnector):
        broken = True

        async def read(
            self, entity: Entity, *, cursor: str | None = None, full: bool = False
        ) -> AsyncIterator[Page[CanonicalRecord]]:
            async for page in super().read(entity, cursor=cursor, full=full):
                if self.broken and page.cursor == "6":
                    raise UnavailableError("the source broke off", system="fake", operation="read")
                yield page

    source = FailingSource(page_size=2)
    source.source[Entity.products] = [_product(str(100 + i)) for i in range(10)]
    target, store = FakeConnector(), MemoryStore()
    ctx = _ctx(specs, "products", source, target, store)
    with pytest.raises(UnavailableError):
        asyncio.run(run_pass(ctx, confirm=True, now=NOW))
    assert target.calls["create"] == 4
    assert store.get_cursor("bakkerij-jansen", "products") == "4"
    [run] = store.runs("bakkerij-jansen", "products")
    assert run.status.value == "failed"
    assert run.counts.created == 4
    assert "the source broke off" in (run.message or "")
    source.broken = False
    asyncio.run(run_pass(_ctx(specs, "products", source, target, store), confirm=True, now=NOW))
    assert target.calls["create"] == 10
