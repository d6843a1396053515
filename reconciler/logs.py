"""Structured logs: one JSON object per line for the long-lived reconciler, readable text for a
person at a terminal, and secrets masked in both.

``koppel run`` calls ``configure_logging`` once at start; everything else logs through stdlib
``logging`` under the ``koppel`` logger tree and passes its structured fields as ``extra``
(``tenant``, ``flow``, ``key``, ``action``, ``outcome``, ``revision``, ``plan_id``, ``diff``,
``run_id``…). A log pipeline (Loki, Elasticsearch, CloudWatch) then filters on those fields
instead of parsing prose, which is what "every write is logged with the revision that asked for
it" needs in practice. ``log_action`` is that one event per action.

Masking goes through ``connectors.errors.SECRETS``, the one registry of secret values this
process knows: every string that reaches a line — message, exception text, and every key and
value of nested ``extra`` structures — is masked before it is written. It is applied to the
finished structure rather than to the serialised line, so a secret that JSON would escape (a quote,
a backslash, a non-ASCII character) is still found.

Exceptions become a short one-line ``error`` field (type and message). A traceback is added only
when the handler runs at DEBUG: in production it would split one event across many lines of a
collector that reads lines, and its frames' text is not needed to act on a koppel error (which
says what failed, where and what to do).
"""

from __future__ import annotations

import datetime as dt
import enum
import json
import logging
import math
import sys
import traceback
from collections.abc import Mapping
from typing import Any, Literal, TextIO

from connectors.errors import SECRETS

Format = Literal["json", "text"]

ERROR_LIMIT = 1000
"""Characters of an exception's message kept in the ``error`` field; a 2 MB body is no message."""

_MAX_DEPTH = 6
"""Nesting kept in ``extra`` values; deeper (or cyclic) structures are cut to their text."""

# The attributes every LogRecord has; anything else on a record came from ``extra``.
_STANDARD = frozenset(
    vars(logging.LogRecord("", logging.INFO, "", 0, "", None, None)).keys()
    | {"message", "asctime", "taskName"}
)

_HANDLER_NAME = "koppel"
"""The name of the handler ``configure_logging`` installs, so a second call can replace it."""

_NOISY = ("httpx", "httpcore", "uvicorn.access")
"""Loggers that log every request at INFO; kept at WARNING unless the level is DEBUG."""


def configure_logging(
    level: str | int = "info",
    fmt: Format = "json",
    *,
    stream: TextIO | None = None,
    static: Mapping[str, object] | None = None,
) -> logging.Handler:
    """Send every log record of the process to ``stream`` (stderr) in ``fmt``, at ``level``.

    ``static`` fields are added to every line (e.g. ``{"replica": pod_name}``, so lines from
    several replicas can be told apart). Calling it again replaces the handler it installed
    before, so tests and a reload do not duplicate lines. Returns the installed handler.
    Uvicorn should be started with ``log_config=None`` so its loggers propagate here.
    """
    numeric = _level(level)
    debug = numeric <= logging.DEBUG
    formatter: logging.Formatter
    if fmt == "json":
        formatter = JsonFormatter(static=static, tracebacks=debug)
    elif fmt == "text":
        formatter = TextFormatter(static=static, tracebacks=debug)
    else:
        raise ValueError(f"unknown log format {fmt!r}; use 'json' or 'text'")
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler.setFormatter(formatter)
    handler.set_name(_HANDLER_NAME)
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == _HANDLER_NAME]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(numeric)
    for name in _NOISY:
        logging.getLogger(name).setLevel(logging.DEBUG if debug else logging.WARNING)
    return handler


def _level(level: str | int) -> int:
    if isinstance(level, int):
        return level
    numeric = logging.getLevelName(level.upper())
    if not isinstance(numeric, int):
        raise ValueError(f"unknown log level {level!r}; use debug, info, warning or error")
    return numeric


def log_action(
    logger: logging.Logger,
    *,
    tenant: str,
    flow: str,
    key: str,
    action: str,
    outcome: str,
    diff: Mapping[str, Any] | None,
    revision: str | None,
    plan_id: str | None,
    message: str | None = None,
    **fields: object,
) -> None:
    """One event for one action on one record: what was done, the field diff, and the spec
    revision and plan that asked for it. A failed outcome is logged at WARNING so it stands out
    at the default level; further ``fields`` (``run_id``, ``target_id``, ``reason``) are added."""
    failed = outcome not in ("ok", "noop")
    text = message or f"{action} {tenant}/{flow} {key}: {outcome}"
    logger.log(
        logging.WARNING if failed else logging.INFO,
        text,
        extra={
            "event": "action",
            "tenant": tenant,
            "flow": flow,
            "key": key,
            "action": action,
            "outcome": outcome,
            "diff": dict(diff) if diff is not None else None,
            "revision": revision,
            "plan_id": plan_id,
            **fields,
        },
    )


class JsonFormatter(logging.Formatter):
    """One JSON object per record, on one line, with every string masked."""

    def __init__(
        self, *, static: Mapping[str, object] | None = None, tracebacks: bool = False
    ) -> None:
        super().__init__()
        self.static = dict(static or {})
        self.tracebacks = tracebacks

    def format(self, record: logging.LogRecord) -> str:
        return json.dumps(
            _masked(event_fields(record, static=self.static, tracebacks=self.tracebacks)),
            ensure_ascii=False,
            separators=(",", ":"),
            allow_nan=False,
        )


class TextFormatter(logging.Formatter):
    """``TIME LEVEL LOGGER message key=value…`` on one line (a traceback only at DEBUG)."""

    def __init__(
        self, *, static: Mapping[str, object] | None = None, tracebacks: bool = False
    ) -> None:
        super().__init__()
        self.static = dict(static or {})
        self.tracebacks = tracebacks

    def format(self, record: logging.LogRecord) -> str:
        fields = _masked(event_fields(record, static=self.static, tracebacks=self.tracebacks))
        head = f"{fields.pop('time')} {fields.pop('level').upper():<7} {fields.pop('logger')}"
        text = f"{head} {fields.pop('message')}"
        stack = fields.pop("traceback", None)
        for name, value in fields.items():
            if value is None:
                continue
            shown = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
            text += f" {name}={shown}"
        if stack:
            text += "\n" + str(stack).rstrip()
        return text


def event_fields(
    record: logging.LogRecord, *, static: Mapping[str, object], tracebacks: bool
) -> dict[str, Any]:
    """The structured content of a record, before masking: the fixed fields, then ``static``,
    then the record's ``extra`` fields, then the exception as ``error`` (and ``traceback``,
    which replace an ``extra`` of the same name: the exception is the better source)."""
    fields: dict[str, Any] = {
        "time": _utc(record.created),
        "level": record.levelname.lower(),
        "logger": record.name,
        "message": record.getMessage(),
    }
    # The fixed fields win over ``static`` and both over ``extra``: a stray ``extra={"time":
    # …}`` must not make a line unsortable or hide which logger wrote it.
    for name, value in static.items():
        fields.setdefault(name, value)
    for name, value in vars(record).items():
        if name not in _STANDARD and not name.startswith("_"):
            fields.setdefault(name, value)
    if record.exc_info and record.exc_info[1] is not None:
        fields["error"] = error_text(record.exc_info[1])
        if tracebacks:
            fields["traceback"] = "".join(traceback.format_exception(record.exc_info[1]))
    elif record.exc_text and tracebacks:
        fields["traceback"] = record.exc_text
    if record.stack_info and tracebacks:
        fields["stack"] = record.stack_info
    return fields


def error_text(exc: BaseException) -> str:
    """``Type: message`` on one line, cut to ``ERROR_LIMIT`` characters (masked by the caller)."""
    message = " ".join(str(exc).split())
    if len(message) > ERROR_LIMIT:
        message = message[:ERROR_LIMIT] + "…"
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


def _utc(created: float) -> str:
    moment = dt.datetime.fromtimestamp(created, dt.UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _masked(value: Any, depth: int = 0) -> Any:
    """``value`` as JSON-ready data with every string (keys included) masked."""
    if isinstance(value, str):
        # StrEnum members are str; their value is what a reader expects to see.
        return SECRETS.mask(value.value if isinstance(value, enum.Enum) else value)
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if depth >= _MAX_DEPTH:
        return SECRETS.mask(str(value))
    if isinstance(value, Mapping):
        return {_masked(str(k)): _masked(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = sorted(value, key=str) if isinstance(value, set | frozenset) else value
        return [_masked(v, depth + 1) for v in items]
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return _masked(value.value, depth + 1)
    if isinstance(value, BaseException):
        return SECRETS.mask(error_text(value))
    return SECRETS.mask(str(value))
