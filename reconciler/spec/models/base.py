"""Building blocks shared by every spec kind: the model base, names, codes, durations, countries
and secret references.

Secrets are references, never values: ``{env: NAME}`` or ``{file: PATH}``. The schema marks them
with ``x-koppel-secret`` so that an inline value is reported as such (and never echoed back).
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema
from pydantic.alias_generators import to_camel

API_VERSION = "koppel/v1"

NAME_PATTERN = r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$"
DURATION_PATTERN = r"^([0-9]+(ms|s|m|h|d))+$"
_DURATION_PART = re.compile(r"([0-9]+)(ms|s|m|h|d)")
_UNIT_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}


class SpecModel(BaseModel):
    """Base of every spec model: immutable, camelCase in YAML, unknown fields are errors, and
    each field's docstring becomes its schema description."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        alias_generator=to_camel,
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
        use_attribute_docstrings=True,
    )


def _text(value: object) -> object:
    # Codes such as ledger accounts are often written unquoted (1300); keep them as text.
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


Name = Annotated[
    str, Field(pattern=NAME_PATTERN, max_length=63, examples=["bakkerij-jansen", "pos-orders"])
]
"""A DNS-label-like name: lowercase letters, digits and dashes."""

Code = Annotated[
    str,
    BeforeValidator(_text),
    WithJsonSchema({"type": ["string", "integer"], "minLength": 1}),
]
"""A code in a target system (ledger account, tax code, debtor number); numbers are accepted."""

Country = Annotated[str, Field(pattern=r"^[A-Z]{2}$", examples=["NL", "BE", "DE"])]
"""An ISO 3166-1 alpha-2 country code."""

Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$", examples=["EUR"])]

Duration = Annotated[str, Field(pattern=DURATION_PATTERN, examples=["5m", "1h30m", "24h"])]
"""A duration such as ``30s``, ``5m``, ``1h30m`` or ``1d``."""

Environment = Literal["production", "test", "accept"]


def duration_seconds(text: str) -> float:
    """Seconds in a duration string (``1h30m`` -> 5400.0); the pattern is checked beforehand."""
    return float(sum(int(n) * _UNIT_SECONDS[unit] for n, unit in _DURATION_PART.findall(text)))


class SecretRef(SpecModel):
    """A reference to a secret: exactly one of ``env`` (an environment variable) or ``file``
    (a file whose content is the secret, e.g. a Kubernetes secret mount)."""

    model_config = ConfigDict(
        json_schema_extra={
            "x-koppel-secret": True,
            "minProperties": 1,
            "maxProperties": 1,
            "examples": [{"env": "AFAS_TOKEN"}, {"file": "/run/secrets/afas-token"}],
        }
    )

    env: Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")] | None = None
    """Name of the environment variable that holds the secret."""
    file: Annotated[str, Field(min_length=1)] | None = None
    """Path of the file that holds the secret (trailing newline ignored)."""

    def describe(self) -> str:
        """Where the secret comes from, for messages (never the value)."""
        return f"environment variable {self.env}" if self.env else f"file {self.file}"
