"""Structured logs: one JSON object per line, the fields the operators filter on, and no secret
value in any line whatever path it took into the record."""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest

from connectors.errors import SECRETS
from reconciler.errors import UnavailableError
from reconciler.logs import configure_logging, log_action
from reconciler.state.rows import Action, Outcome

# Distinct values: the registry is process-wide, so these must not occur in other tests' text.
SECRET = "tok-9f8e7d6c5b4a-logs"
# A quote, a backslash and a non-ASCII letter: JSON escapes each of them, so masking the
# serialised line instead of the values would miss this one.
AWKWARD = 'pa"ss\\wörd-logs-31337'


@pytest.fixture(autouse=True)
def _root_logging() -> Iterator[None]:
    """Leave the root logger, and the noisy loggers configure_logging quiets, as the test
    found them (a later test reading httpx's DEBUG lines depends on it)."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    quieted = {
        name: logging.getLogger(name).level for name in ("httpx", "httpcore", "uvicorn.access")
    }
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    for name, old in quieted.items():
        logging.getLogger(name).setLevel(old)


def _capture(level: str = "info", fmt: Any = "json", **kwargs: Any) -> io.StringIO:
    stream = io.StringIO()
    configure_logging(level, fmt, stream=stream, **kwargs)
    return stream


def _lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_action_event_is_one_json_line_with_its_fields() -> None:
    """log_action writes one JSON object carrying the record, the diff, the revision and plan."""
    stream = _capture()
    log_action(
        logging.getLogger("koppel.apply"),
        tenant="bakkerij-jansen",
        flow="pos-orders",
        key="order-1001",
        action="update",
        outcome="ok",
        diff={"price": {"old": 1.5, "new": 1.75}},
        revision="abc1234",
        plan_id="p-42",
        run_id=7,
    )
    (line,) = _lines(stream)
    assert line["level"] == "info"
    assert line["logger"] == "koppel.apply"
    assert line["event"] == "action"
    assert line["message"] == "update bakkerij-jansen/pos-orders order-1001: ok"
    assert line["tenant"] == "bakkerij-jansen"
    assert line["flow"] == "pos-orders"
    assert line["key"] == "order-1001"
    assert line["action"] == "update"
    assert line["outcome"] == "ok"
    assert line["diff"] == {"price": {"old": 1.5, "new": 1.75}}
    assert line["revision"] == "abc1234"
    assert line["plan_id"] == "p-42"
    assert line["run_id"] == 7
    assert line["time"].endswith("Z")
    moment = dt.datetime.fromisoformat(line["time"])
    assert moment.utcoffset() == dt.timedelta(0)


def test_failed_action_is_a_warning() -> None:
    """A failed action stands out at the default level: it is logged at WARNING; the state
    store's Action/Outcome enums are written as their plain values."""
    stream = _capture(level="warning")
    logger = logging.getLogger("koppel.apply")
    common: dict[str, Any] = {"tenant": "t", "flow": "f", "diff": None, "revision": None}
    log_action(logger, key="k1", action=Action.create, outcome=Outcome.ok, plan_id="p", **common)
    log_action(
        logger, key="k2", action=Action.create, outcome=Outcome.failed, plan_id="p", **common
    )
    (line,) = _lines(stream)
    assert (line["key"], line["level"]) == ("k2", "warning")
    assert (line["action"], line["outcome"]) == ("create", "failed")


def test_every_record_is_exactly_one_parseable_line() -> None:
    """Multi-line messages, odd values and exceptions still give one JSON object per record."""
    stream = _capture()
    logger = logging.getLogger("koppel.test")
    logger.info("first\nsecond line", extra={"when": dt.datetime(2026, 1, 2, tzinfo=dt.UTC)})
    logger.info("odd values", extra={"ratio": float("nan"), "tags": {"b", "a"}, "obj": object()})
    try:
        raise RuntimeError("multi\nline\nfailure")
    except RuntimeError:
        logger.exception("it broke")
    lines = _lines(stream)
    assert len(lines) == 3
    assert lines[0]["message"] == "first\nsecond line"
    assert lines[0]["when"] == "2026-01-02T00:00:00+00:00"
    assert lines[1]["ratio"] == "nan"
    assert lines[1]["tags"] == ["a", "b"]
    assert lines[2]["error"] == "RuntimeError: multi line failure"


def test_exception_is_a_short_error_field_without_traceback() -> None:
    """At INFO an exception is ``Type: message`` in ``error``; no traceback reaches the line."""
    stream = _capture()
    try:
        raise UnavailableError("timed out", system="afas-profit", operation="GetConnector")
    except UnavailableError:
        logging.getLogger("koppel.loop").exception("pass failed", extra={"flow": "stock"})
    (line,) = _lines(stream)
    assert line["error"] == "UnavailableError: afas-profit GetConnector: timed out"
    assert "traceback" not in line
    assert "Traceback" not in stream.getvalue()


def test_debug_adds_the_traceback_inside_the_one_line() -> None:
    """At DEBUG the traceback is kept, as a field, so the record is still one line."""
    stream = _capture(level="debug")
    try:
        raise KeyError("missing")
    except KeyError:
        logging.getLogger("koppel.loop").exception("lookup failed")
    (line,) = _lines(stream)
    assert "Traceback (most recent call last)" in line["traceback"]
    assert len(stream.getvalue().splitlines()) == 1


def test_registered_secrets_never_appear_in_any_field() -> None:
    """Secrets are masked in the message, its arguments, nested extras (keys and values), lists,
    exception messages and exceptions passed as fields, in JSON and in the traceback."""
    SECRETS.add(SECRET, AWKWARD)
    stream = _capture(level="debug")
    logger = logging.getLogger("koppel.connectors")
    logger.info("calling with token %s", SECRET)
    logger.info(
        "nested",
        extra={
            "request": {"headers": {"Authorization": f"Bearer {SECRET}"}, SECRET: "as a key"},
            "attempts": [{"url": f"https://x.test/?token={AWKWARD}"}],
            "cause": ValueError(f"bad {AWKWARD}"),
        },
    )
    try:
        raise PermissionError(f"refused {SECRET} and {AWKWARD}")
    except PermissionError:
        logger.exception("auth failed")
    text = stream.getvalue()
    lines = _lines(stream)
    assert len(lines) == 3
    for value in (SECRET, AWKWARD, json.dumps(AWKWARD)[1:-1]):
        assert value not in text
    assert lines[0]["message"] == "calling with token ***"
    assert lines[1]["request"] == {"headers": {"Authorization": "Bearer ***"}, "***": "as a key"}
    assert lines[1]["attempts"] == [{"url": "https://x.test/?token=***"}]
    assert lines[1]["cause"] == "ValueError: bad ***"
    assert lines[2]["error"] == "PermissionError: refused *** and ***"


def test_static_fields_are_on_every_line() -> None:
    """``static`` (e.g. the replica's name) tags every line so replicas can be told apart."""
    stream = _capture(static={"replica": "koppel-7f9c-x2"})
    logging.getLogger("koppel").info("one")
    logging.getLogger("koppel.server").warning("two")
    assert [line["replica"] for line in _lines(stream)] == ["koppel-7f9c-x2"] * 2


def test_fixed_fields_cannot_be_overwritten_by_extras() -> None:
    """An ``extra`` or ``static`` field named like a fixed one does not replace it."""
    stream = _capture(static={"logger": "spoofed", "replica": "r1"})
    logging.getLogger("koppel.loop").warning("real", extra={"level": "debug", "time": "0"})
    (line,) = _lines(stream)
    assert (line["logger"], line["level"], line["replica"]) == ("koppel.loop", "warning", "r1")
    assert line["time"].endswith("Z")


def test_configuring_again_replaces_the_handler() -> None:
    """A second configure_logging does not duplicate every line."""
    _capture()
    stream = _capture()
    logging.getLogger("koppel").info("once")
    assert len(stream.getvalue().splitlines()) == 1


def test_level_filters_records() -> None:
    """Records below the configured level are not written."""
    stream = _capture(level="warning")
    logger = logging.getLogger("koppel")
    logger.info("hidden")
    logger.warning("shown")
    assert [line["message"] for line in _lines(stream)] == ["shown"]


def test_text_mode_is_one_readable_line_and_masked() -> None:
    """Text mode reads as ``TIME LEVEL LOGGER message key=value``, masked, no traceback at INFO."""
    SECRETS.add(SECRET)
    stream = _capture(fmt="text")
    try:
        raise ValueError(f"no {SECRET}")
    except ValueError:
        logging.getLogger("koppel.loop").exception(
            "pass failed", extra={"tenant": "jansen", "diff": {"qty": [1, 2]}}
        )
    (line,) = stream.getvalue().splitlines()
    time, level, logger, rest = line.split(None, 3)
    assert time.endswith("Z")
    assert (level, logger) == ("ERROR", "koppel.loop")
    assert rest == 'pass failed tenant=jansen diff={"qty": [1, 2]} error=ValueError: no ***'


def test_unknown_level_or_format_is_refused() -> None:
    """A typo in the level or format fails at start instead of logging nothing."""
    with pytest.raises(ValueError, match="log level"):
        configure_logging("loud")
    with pytest.raises(ValueError, match="log format"):
        configure_logging("info", "xml")  # type: ignore[arg-type]
