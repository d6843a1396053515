"""One refusal for a record priced in another currency than the target keeps (four connectors)."""

from __future__ import annotations

import pytest

from connectors.errors import require_currency
from reconciler.errors import RejectedError


def _check(record: dict[str, object]) -> None:
    require_currency(
        record,
        "EUR",
        subject="SKU '1001'",
        keeps="this till sells in",
        system="mpluskassa",
        operation="createProduct",
    )


@pytest.mark.parametrize("currency", [None, "", "EUR", "eur", " EUR "])
def test_the_targets_own_currency_or_none_passes(currency: str | None) -> None:
    _check({"sku": "1001", "currency": currency})


def test_another_currency_is_refused_with_what_to_do() -> None:
    with pytest.raises(RejectedError) as refused:
        _check({"sku": "1001", "currency": "DKK"})
    error = refused.value
    assert "SKU '1001' is priced in DKK; this till sells in EUR" in str(error)
    assert "convert the prices in the mapping" in str(error.hint)
    assert error.system == "mpluskassa"
