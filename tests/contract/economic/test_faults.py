"""The e-conomic sandbox's fault knobs over HTTP, and injected errors in e-conomic's shape."""

from __future__ import annotations

import httpx
import pytest

from connectors.economic.client import classify
from reconciler.errors import AuthenticationError, UnavailableError

from .conftest import APP, GRANT, Economic

HEADERS = {"X-AppSecretToken": APP, "X-AgreementGrantToken": GRANT}


def test_faults_set_over_http_use_e_conomics_error_body(economic: Economic) -> None:
    """``POST /_sandbox/faults`` makes the next call fail; the body is e-conomic's error shape
    (message, logId, httpStatusCode) and a 503 carries Retry-After."""
    answer = httpx.post(
        f"{economic.url}/_sandbox/faults", json={"fail_next": 1, "fail_status": 503}
    )
    assert answer.status_code == 200
    failed = httpx.get(f"{economic.url}/customers", headers=HEADERS)
    assert failed.status_code == 503
    assert failed.headers["retry-after"] == "1"
    body = failed.json()
    assert body["httpStatusCode"] == 503
    assert set(body) >= {"message", "logId", "httpStatusCode"}
    error = classify(failed, "list customers")
    assert isinstance(error, UnavailableError)
    assert error.reference == body["logId"]
    assert httpx.get(f"{economic.url}/customers", headers=HEADERS).status_code == 200


def test_an_injected_401_is_an_authentication_error(economic: Economic) -> None:
    """An injected 401 reads as the real one: AuthenticationError, not retried."""
    economic.app.fail_next(1, status=401)
    with pytest.raises(AuthenticationError):
        economic.run(lambda c: c.page("customers"))
    assert economic.sleep.delays == []


def test_reset_forgets_writes_and_faults(economic: Economic) -> None:
    """``POST /_sandbox/reset`` restores the seed and clears the fault plan."""
    body = {
        "name": "Tmp", "currency": "DKK", "customerGroup": {"customerGroupNumber": 1},
        "paymentTerms": {"paymentTermsNumber": 1}, "vatZone": {"vatZoneNumber": 1},
    }  # fmt: skip
    assert httpx.post(f"{economic.url}/customers", json=body, headers=HEADERS).status_code == 201
    economic.app.rate_limit(after=100)
    assert httpx.post(f"{economic.url}/_sandbox/reset").status_code == 200
    assert 104 not in economic.store.tables["customers"]
    assert economic.app.plan.rate_limit_after is None
    stats = httpx.get(f"{economic.url}/_sandbox/stats").json()
    assert stats["requests"] == 0
