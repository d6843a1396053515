"""Turning what a target said into koppel's error classes, once, for every system; and masking
secrets so that no error message, log line or repr ever carries one.

Each system's client supplies a ``Classifier``: it reads an unsuccessful response in the system's
own error shape (AFAS ``externalMessage``/``profitLogReference``, e-conomic ``message``/``logId``,
a SOAP fault...) and returns the error to raise. ``classify_status`` is the shared fallback by
HTTP status. Bodies are truncated: a 2 MB HTML error page is no message.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import httpx

from reconciler.errors import (
    AuthenticationError,
    ConnectorError,
    NotFoundError,
    RateLimitedError,
    RejectedError,
    UnavailableError,
)

BODY_LIMIT = 500
"""Characters of a response body kept in an error message."""


def require_currency(
    record: Mapping[str, Any],
    expected: str,
    *,
    subject: str,
    keeps: str,
    system: str,
    operation: str,
) -> None:
    """Refuse a record priced in another currency than the one the target keeps prices in.

    ``subject`` names the record (``SKU '1001'``), ``keeps`` says where the target's currency
    comes from (``this till sells in``); the message reads "SKU '1001' is priced in DKK; this
    till sells in EUR". The record's prices are not converted: that is the mapping's to do."""
    currency = record.get("currency")
    if currency and str(currency).strip().upper() != expected.upper():
        raise RejectedError(
            f"{subject} is priced in {currency}; {keeps} {expected}",
            system=system,
            operation=operation,
            hint="convert the prices in the mapping, or leave currency unmapped",
        )


MASK = "***"

Classifier = Callable[[httpx.Response, str], ConnectorError | None]
"""(response, operation) -> the error to raise, or None when the response is a success."""


class SecretRegistry:
    """The secret values this process knows, so they can be masked wherever text leaves it.

    Values shorter than four characters are not registered: masking them would garble ordinary
    text and they protect nothing.
    """

    def __init__(self) -> None:
        self._values: set[str] = set()
        self._lock = threading.Lock()
        self._pattern: re.Pattern[str] | None = None

    def add(self, *values: str) -> None:
        with self._lock:
            for value in values:
                if value and len(value) >= 4:
                    self._values.add(value)
            self._pattern = None

    def discard(self, *values: str) -> None:
        """Forget values that can no longer be used (a replaced OAuth2 token), so a long-lived
        process that rotates tokens does not mask against an ever longer list."""
        with self._lock:
            self._values.difference_update(values)
            self._pattern = None

    def mask(self, text: str) -> str:
        """``text`` with every known secret value replaced by ``***``."""
        pattern = self._pattern
        if pattern is None:
            with self._lock:
                if not self._values:
                    return text
                # Longest first, so a secret that contains another is masked whole.
                alternatives = sorted(self._values, key=len, reverse=True)
                pattern = self._pattern = re.compile("|".join(map(re.escape, alternatives)))
        return pattern.sub(MASK, text)


SECRETS = SecretRegistry()
"""The process-wide registry; clients register their credentials here when they are built."""


class RedactingFilter(logging.Filter):
    """A logging filter that masks registered secrets in every record that passes it."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = SECRETS.mask(message)
        if masked != message:
            record.msg = masked
            record.args = None
        return True


def install_log_redaction(logger_names: Iterable[str] = ("httpx", "httpcore", "koppel")) -> None:
    """Mask secrets in the loggers that can see URLs (MplusKASSA sends credentials in the query)."""
    for name in logger_names:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactingFilter) for f in logger.filters):
            logger.addFilter(RedactingFilter())


def body_excerpt(response: httpx.Response) -> str:
    """The start of a response body, masked, on one line."""
    try:
        text = response.text
    except (httpx.ResponseNotRead, UnicodeDecodeError):
        return ""
    text = " ".join(text.split())
    if len(text) > BODY_LIMIT:
        text = text[:BODY_LIMIT] + "…"
    return SECRETS.mask(text)


def json_object(response: httpx.Response) -> dict[str, Any] | None:
    """The response body when it is a JSON object, else None (no body, not JSON, a list)."""
    try:
        data = response.json()
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def retry_after(response: httpx.Response) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds form), if present and sane."""
    value = response.headers.get("retry-after")
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        return None
    return max(0.0, min(seconds, 3600.0))


def classify_status(
    response: httpx.Response,
    *,
    system: str,
    operation: str,
    message: str | None = None,
    reference: str | None = None,
) -> ConnectorError | None:
    """The shared status -> error mapping; ``message`` is the system's own text when parsed."""
    status = response.status_code
    if status < 400:
        return None
    reason = (
        SECRETS.mask(message) if message else (body_excerpt(response) or response.reason_phrase)
    )
    where: dict[str, Any] = {
        "system": system,
        "operation": operation,
        "status": status,
        "reference": reference,
    }
    if status in (401, 403):
        return AuthenticationError(
            reason,
            **where,
            hint="check the credential reference in the tenant's connection and the rights "
            "granted to it in the target",
        )
    if status == 404:
        return NotFoundError(reason, **where)
    if status == 429:
        return RateLimitedError(reason, **where, delay=retry_after(response))
    if status >= 500 or status in (408, 409, 423):
        return UnavailableError(reason, **where, delay=retry_after(response))
    return RejectedError(reason, **where)
