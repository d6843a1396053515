"""Leases: one holder per flow, hand-over on expiry with a higher generation, fenced writes."""

from __future__ import annotations

import datetime as dt

import pytest

from reconciler.errors import StateError
from reconciler.state import Action, StateStore
from tests.unit.state.conftest import FakeClock

TTL = dt.timedelta(seconds=30)


def test_of_two_holders_one_wins(store: StateStore, clock: FakeClock) -> None:
    """The first holder gets the lease (generation 1, expiring after the TTL); the second gets
    None while it is held; the holder acquiring again extends it under the same generation."""
    lease = store.acquire("t1", "orders", holder="replica-a", ttl=TTL)
    assert lease is not None
    assert (lease.holder, lease.generation, lease.expires_at) == ("replica-a", 1, clock.now + TTL)
    assert store.acquire("t1", "orders", holder="replica-b", ttl=TTL) is None

    clock.advance(seconds=10)
    again = store.acquire("t1", "orders", holder="replica-a", ttl=TTL)
    assert again is not None
    assert (again.generation, again.expires_at) == (1, clock.now + TTL)
    assert store.is_current(lease)
    assert store.is_current(again)


def test_leases_are_per_tenant_and_flow(store: StateStore) -> None:
    """Holding one flow of one tenant does not block another flow or another tenant."""
    assert store.acquire("t1", "orders", holder="a", ttl=TTL) is not None
    assert store.acquire("t1", "customers", holder="b", ttl=TTL) is not None
    assert store.acquire("t2", "orders", holder="b", ttl=TTL) is not None


def test_expiry_hands_the_flow_over_with_a_higher_generation(
    store: StateStore, clock: FakeClock
) -> None:
    """After the TTL passes without renewal another holder takes the flow with generation 2;
    the old lease is no longer current and cannot be renewed."""
    old = store.acquire("t1", "orders", holder="replica-a", ttl=TTL)
    assert old is not None
    clock.advance(seconds=31)
    assert not store.is_current(old)

    new = store.acquire("t1", "orders", holder="replica-b", ttl=TTL)

    assert new is not None
    assert (new.holder, new.generation) == ("replica-b", 2)
    assert not store.is_current(old)
    with pytest.raises(StateError, match="renewing the lease refused"):
        store.renew(old, ttl=TTL)


def test_the_old_holders_fenced_write_is_refused(store: StateStore, clock: FakeClock) -> None:
    """A replica that paused past its lease wakes up with an old generation: its fenced unit of
    work is refused with a StateError saying so, and nothing of it is written."""
    old = store.acquire("t1", "orders", holder="replica-a", ttl=TTL)
    assert old is not None
    with store.transaction(lease=old) as tx:
        tx.set_cursor("t1", "orders", "written-while-current")
    clock.advance(minutes=5)
    new = store.acquire("t1", "orders", holder="replica-b", ttl=TTL)
    assert new is not None

    def stale_write() -> None:
        with store.transaction(lease=old) as tx:
            tx.set_cursor("t1", "orders", "stale")
            tx.record_applied("t1", "orders", "A", fingerprint="stale", action=Action.create)

    with pytest.raises(StateError, match=r"generation 1.*no longer current") as refused:
        stale_write()
    assert refused.value.hint is not None
    assert store.get_cursor("t1", "orders") == "written-while-current"
    assert store.fingerprints("t1", "orders", ["A"]) == {}
    with store.transaction(lease=new) as tx:
        tx.set_cursor("t1", "orders", "new-holder")
    assert store.get_cursor("t1", "orders") == "new-holder"


def test_an_expired_lease_fences_even_before_anyone_takes_over(
    store: StateStore, clock: FakeClock
) -> None:
    """Expiry alone ends the right to write: the holder must renew or acquire again."""
    lease = store.acquire("t1", "orders", holder="replica-a", ttl=TTL)
    assert lease is not None
    clock.advance(seconds=30)
    with pytest.raises(StateError, match="no longer current"), store.transaction(lease=lease):
        pass
    again = store.acquire("t1", "orders", holder="replica-a", ttl=TTL)
    assert again is not None
    assert again.generation == 2


def test_renewal_keeps_the_flow_past_the_first_expiry(store: StateStore, clock: FakeClock) -> None:
    """Renewing moves the expiry on under the same generation, so nobody else takes the flow
    when the original TTL would have run out."""
    lease = store.acquire("t1", "orders", holder="replica-a", ttl=TTL)
    assert lease is not None
    clock.advance(seconds=20)
    renewed = store.renew(lease, ttl=TTL)
    assert (renewed.generation, renewed.expires_at) == (1, clock.now + TTL)
    clock.advance(seconds=20)
    assert store.acquire("t1", "orders", holder="replica-b", ttl=TTL) is None
    assert store.is_current(renewed)


def test_release_lets_another_holder_take_over_at_once(store: StateStore) -> None:
    """Releasing (graceful shutdown) hands the flow on without waiting for expiry; the next
    holder's generation is higher; releasing a lease that is no longer current is a no-op."""
    lease = store.acquire("t1", "orders", holder="replica-a", ttl=TTL)
    assert lease is not None
    assert store.release(lease)
    assert not store.is_current(lease)

    new = store.acquire("t1", "orders", holder="replica-b", ttl=TTL)
    assert new is not None
    assert new.generation == 2
    assert not store.release(lease)
    assert store.is_current(new)
