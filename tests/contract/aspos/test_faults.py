"""Retries, rate limits, dropped connections and secret masking of the AsPos client."""

from __future__ import annotations

import logging
from decimal import Decimal

import pytest

from reconciler.errors import RateLimitedError, RejectedError, UnavailableError

from .conftest import API_KEY, Harness
from .test_client import ORDER


def test_server_errors_on_reads_are_retried_with_backoff(aspos: Harness) -> None:
    aspos.app.fail_next(2, status=503)
    stores = aspos.run(lambda c: c.stores())
    assert len(stores) == 2
    assert len(aspos.sleep.delays) == 2
    assert aspos.app.stats.injected == {"503": 2}


def test_a_rate_limit_waits_at_least_retry_after(aspos: Harness) -> None:
    aspos.app.rate_limit(after=0, retry_after=3)
    with pytest.raises(RateLimitedError, match="rate_limited: injected HTTP 429") as caught:
        aspos.run(lambda c: c.stores(), attempts=3)
    assert caught.value.delay == 3
    assert len(aspos.sleep.delays) == 2
    assert all(delay >= 3 for delay in aspos.sleep.delays)


def test_a_dropped_connection_on_a_read_is_retried(aspos: Harness) -> None:
    aspos.app.drop_next(1)
    assert aspos.run(lambda c: c.find_customer("max.mustermann@example.test")) is not None
    assert len(aspos.sleep.delays) == 1


def test_a_500_on_a_create_is_not_retried_because_it_may_have_happened(aspos: Harness) -> None:
    aspos.app.fail_next(1, status=500)
    with pytest.raises(UnavailableError) as caught:
        aspos.run(lambda c: c.create_order(ORDER))
    assert caught.value.maybe_applied
    assert aspos.sleep.delays == []


def test_a_503_on_a_create_is_retried_because_it_never_happened(aspos: Harness) -> None:
    aspos.app.fail_next(1, status=503)
    created = aspos.run(lambda c: c.create_order(ORDER))
    assert created["externalReference"] == "AFAS-60000001"
    assert len(aspos.sleep.delays) == 1
    references = [o.get("externalReference") for o in aspos.store.orders.values()]
    assert references.count("AFAS-60000001") == 1


def test_set_stock_is_a_put_and_retried_after_a_dropped_answer(aspos: Harness) -> None:
    aspos.app.drop_next(1)
    row = aspos.run(lambda c: c.set_stock("100-01", {"available": Decimal(4)}))
    assert row["available"] == 4
    assert len(aspos.sleep.delays) == 1


def test_validation_errors_are_never_retried(aspos: Harness) -> None:
    with pytest.raises(RejectedError):
        aspos.run(lambda c: c.create_article({"priceInclTax": Decimal(-1)}))
    assert aspos.sleep.delays == []


def test_the_api_key_is_in_no_log_line_error_or_repr(
    aspos: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    aspos.app.fail_next(1, status=503)
    client = aspos.client()
    assert API_KEY not in repr(client)
    aspos.run(lambda c: c.stores())
    aspos.app.fail_next(5, status=500)
    with pytest.raises(UnavailableError) as caught:
        aspos.run(lambda c: c.stores(), attempts=2)
    assert API_KEY not in str(caught.value)
    assert caplog.records, "the client logs its calls"
    for record in caplog.records:
        assert API_KEY not in record.getMessage()
