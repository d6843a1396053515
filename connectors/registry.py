"""System name -> connector package: capability tables now, connector factories as they land.

Third parties plug in a system through the ``koppel.connectors`` entry-point group; an entry point
names a module exposing ``CAPABILITIES``.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable, Mapping
from functools import cache
from importlib.metadata import entry_points
from types import ModuleType

from connectors.base import Connector
from reconciler.canonical import Entity
from reconciler.capabilities import Capabilities
from reconciler.errors import NotFoundError
from reconciler.spec.models.base import SecretRef

SecretLookup = Callable[[SecretRef, str], str]
"""(reference, whose secret) -> value."""
SecretKeeper = Callable[[SecretRef, str, str], None]
"""(reference, new value, whose secret): store a rotated secret where the reference points."""

BUILTIN: Mapping[str, str] = {
    "afas-profit": "connectors.afas",
    "mpluskassa": "connectors.mpluskassa",
    "aspos": "connectors.aspos",
    "twinfield": "connectors.twinfield",
    "eaccounting": "connectors.eaccounting",
    "e-conomic": "connectors.economic",
    "visma-net": "connectors.vismanet",
}
"""The systems koppel ships, by the name specs use in ``connections.<name>.system``."""


def _module(system: str) -> ModuleType:
    if system in BUILTIN:
        return importlib.import_module(BUILTIN[system])
    for ep in entry_points(group="koppel.connectors"):
        if ep.name == system:
            module = ep.load()
            if not isinstance(module, ModuleType):
                raise TypeError(f"entry point {ep.value!r} must name a module")
            return module
    raise KeyError(system)


@cache
def capabilities() -> Mapping[str, Capabilities]:
    """Every known system's capability table, by system name."""
    names = set(BUILTIN) | {ep.name for ep in entry_points(group="koppel.connectors")}
    tables: dict[str, Capabilities] = {}
    for name in sorted(names):
        table = _module(name).CAPABILITIES
        if not isinstance(table, Capabilities):
            raise TypeError(f"connector {name!r} exposes no Capabilities")
        tables[name] = table
    return tables


def default_mapping(system: str) -> Mapping[Entity, Mapping[str, str]]:
    """The system's default mapping (target field -> JMESPath per entity) as a target.

    A connector package ships it as ``DEFAULT_MAPPING`` in its ``mapping`` module; a system
    without one maps nothing by default, so only the spec's own rules apply.
    """
    try:
        module = importlib.import_module(f"{_module(system).__name__}.mapping")
    except ModuleNotFoundError:
        return {}
    table = getattr(module, "DEFAULT_MAPPING", {})
    return table if isinstance(table, Mapping) else {}


def connect(
    connection: object, *, secret: SecretLookup, keep: SecretKeeper | None = None
) -> Connector:
    """A connector for one tenant connection (a spec model of that system's connection).

    ``secret(ref, what)`` resolves a secret reference; the connector package's ``connect``
    function builds its client from the connection's settings and the resolved secrets.
    """
    system = str(getattr(connection, "system", ""))
    try:
        factory = getattr(_module(system), "connect", None)
    except KeyError:
        factory = None
    if factory is None:
        # Permanent: waiting does not install a connector.
        raise NotFoundError(
            "no connector client is installed for this system yet",
            system=system or "unknown",
            operation="connect",
            hint="the system's capability table exists, but koppel cannot talk to it yet",
        )
    # Only OAuth2 systems whose refresh tokens rotate take ``keep``.
    takes_keep = keep is not None and "keep" in inspect.signature(factory).parameters
    built = factory(connection, secret=secret, **({"keep": keep} if takes_keep else {}))
    if not isinstance(built, Connector):
        raise TypeError(f"{system}: connect() returned {type(built).__name__}")
    return built
