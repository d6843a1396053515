"""Types of the compiled decoder (``_soap_decoder.pyx``), for mypy."""

from collections.abc import Callable
from typing import Any

from lxml import etree

COMPLEX: int
TEXT: int
NUMBER: int
BOOLEAN: int
OTHER: int

class Plan:
    def __init__(
        self,
        type_name: str,
        fields: list[tuple[str, int, bool, Any]],
        required: tuple[str, ...],
        read_value: Callable[[str, str, Any, str | None], Any],
        absent: Callable[[str, str], None],
    ) -> None: ...

def decode(element: etree._Element, plan: Plan) -> dict[str, Any]: ...
