"""The SpecSet: every valid document of a spec repository as typed models, by tenant, kind and
name, each still knowing the file and position it came from.

Building it is the bridge between the two validation layers: documents that passed the structure
check become models here; names that clash and tenants that do not exist are reported here.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from pydantic import ValidationError

from reconciler.spec.diagnostics import Code, Diagnostic
from reconciler.spec.loader import RawDocument
from reconciler.spec.models import KINDS, Document, Flow, Tenant
from reconciler.spec.structure import dotted

D_co = TypeVar("D_co", bound=Document, covariant=True)
D = TypeVar("D", bound=Document)


@dataclass(frozen=True)
class Loaded(Generic[D_co]):
    """A model and the raw document (file, positions) it was built from."""

    model: D_co
    doc: RawDocument

    @property
    def name(self) -> str:
        return self.model.metadata.name

    def where(self, *path: str | int, key: bool = False) -> tuple[str, int, int]:
        return self.doc.where(tuple(path), key=key)

    def diag(self, path: tuple[str | int, ...], code: Code, message: str) -> Diagnostic:
        file, line, column = self.doc.where(path)
        return Diagnostic(file, line, column, code, message)

    @property
    def location(self) -> str:
        file, line, _ = self.doc.where(("metadata", "name"))
        return f"{file}:{line}"


@dataclass
class SpecSet:
    """All documents, indexed: ``tenants[name]`` and ``items[(tenant, kind)][name]``."""

    tenants: dict[str, Loaded[Tenant]] = field(default_factory=dict)
    items: dict[tuple[str, str], dict[str, Loaded[Document]]] = field(default_factory=dict)
    revision: str | None = None
    invalid: set[tuple[str, str, str]] = field(default_factory=set)
    """(tenant, kind, name) of documents that exist but failed the structure check: references
    to them are not reported again as unresolved (their own diagnostics say what is wrong)."""

    def declared(self, tenant: str, kind: str, name: str) -> bool:
        """True when such a document exists, valid or not."""
        return self.get(tenant, kind, name) is not None or (tenant, kind, name) in self.invalid

    def get(self, tenant: str, kind: str, name: str) -> Loaded[Document] | None:
        return self.items.get((tenant, kind), {}).get(name)

    def find(self, tenant: str, cls: type[D], name: str) -> Loaded[D] | None:
        """The document of type ``cls`` named ``name`` in ``tenant``, if there is one."""
        loaded = self.get(tenant, cls.__name__, name)
        if loaded is None or not isinstance(loaded.model, cls):
            return None
        return Loaded(loaded.model, loaded.doc)

    def of_type(self, cls: type[D], tenant: str | None = None) -> Iterator[Loaded[D]]:
        for loaded in self.of_kind(cls.__name__, tenant):
            if isinstance(loaded.model, cls):
                yield Loaded(loaded.model, loaded.doc)

    def of_kind(self, kind: str, tenant: str | None = None) -> Iterator[Loaded[Document]]:
        for (item_tenant, item_kind), named in sorted(self.items.items()):
            if item_kind == kind and (tenant is None or item_tenant == tenant):
                yield from named.values()

    def flows(self, tenant: str | None = None) -> Iterator[Loaded[Flow]]:
        return self.of_type(Flow, tenant)

    def count(self) -> dict[str, int]:
        counts = {"Tenant": len(self.tenants)}
        for (_, kind), named in self.items.items():
            counts[kind] = counts.get(kind, 0) + len(named)
        return counts


def build(
    documents: list[RawDocument], *, invalid: Sequence[RawDocument] = ()
) -> tuple[SpecSet, list[Diagnostic]]:
    """Models for documents that passed the structure check, plus naming problems.

    ``invalid`` are the documents that did not pass: only their kind, tenant and name are kept,
    so that documents referring to them are not reported as referring to nothing.
    """
    specs = SpecSet(invalid={key for doc in invalid if (key := declaration(doc)) is not None})
    problems: list[Diagnostic] = []
    pending: list[Loaded[Document]] = []
    for doc in documents:
        model = _model(doc, problems)
        if model is None:
            if (key := declaration(doc)) is not None:
                specs.invalid.add(key)
            continue
        loaded: Loaded[Document] = Loaded(model, doc)
        if isinstance(model, Tenant):
            if model.metadata.tenant not in (None, model.metadata.name):
                problems.append(
                    loaded.diag(
                        ("metadata", "tenant"),
                        Code.unknown_tenant,
                        "a Tenant's metadata.tenant must be left out or equal its own name",
                    )
                )
            first = specs.tenants.get(loaded.name)
            if first is not None:
                problems.append(_duplicate(loaded, first, "Tenant"))
                continue
            specs.tenants[loaded.name] = Loaded(model, doc)
        else:
            pending.append(loaded)
    for loaded in pending:
        kind = type(loaded.model).__name__
        tenant = loaded.model.metadata.tenant
        if tenant is None:
            problems.append(
                loaded.diag(
                    ("metadata",),
                    Code.schema_required,
                    f"a {kind} must name its tenant in metadata.tenant",
                )
            )
            continue
        if tenant not in specs.tenants:
            if (tenant, "Tenant", tenant) in specs.invalid:
                continue  # the Tenant exists but is invalid; its diagnostics say why
            hint = _known(specs.tenants)
            problems.append(
                loaded.diag(
                    ("metadata", "tenant"),
                    Code.unknown_tenant,
                    f"tenant {tenant!r} is not defined by any Tenant document{hint}",
                )
            )
            continue
        named = specs.items.setdefault((tenant, kind), {})
        first_item = named.get(loaded.name)
        if first_item is not None:
            problems.append(_duplicate(loaded, first_item, kind))
            continue
        named[loaded.name] = loaded
    return specs, problems


def declaration(doc: RawDocument) -> tuple[str, str, str] | None:
    """(tenant, kind, name) a document declares, as far as it can be read; None if it cannot."""
    data = doc.data
    kind = data.get("kind") if isinstance(data, dict) else None
    if not isinstance(kind, str) or kind not in KINDS:
        return None
    metadata = data.get("metadata")
    if not isinstance(metadata, dict) or not isinstance(metadata.get("name"), str):
        return None
    name = str(metadata["name"])
    tenant = name if kind == "Tenant" else metadata.get("tenant")
    return (tenant, kind, name) if isinstance(tenant, str) else None


def _known(names: Mapping[str, object]) -> str:
    if not names:
        return "; add a Tenant document"
    return f"; known tenants: {', '.join(sorted(names))}"


def _duplicate(second: Loaded[Document], first: Loaded[Document], kind: str) -> Diagnostic:
    scope = "" if kind == "Tenant" else f" in tenant {second.model.metadata.tenant!r}"
    return second.diag(
        ("metadata", "name"),
        Code.duplicate_name,
        f"a {kind} named {second.name!r} already exists{scope} "
        f"(first defined at {first.location}); names are unique per tenant "
        "and kind",
    )


def _model(doc: RawDocument, problems: list[Diagnostic]) -> Document | None:
    cls = KINDS[doc.data["kind"]]
    try:
        return cls.model_validate(doc.data)
    except ValidationError as exc:
        # The schema accepted the document, so this is a rule the schema cannot express.
        for error in exc.errors():
            path = _data_path(doc.data, error["loc"])
            file, line, column = doc.where(path)
            problems.append(
                Diagnostic(file, line, column, Code.schema_value, f"{dotted(path)}: {error['msg']}")
            )
        return None


def _data_path(data: object, loc: tuple[int | str, ...]) -> tuple[str | int, ...]:
    """pydantic's error location as a path in the document: the tags pydantic inserts for
    discriminated unions (``spec.customers.safety`` for a customers flow) are not in the data."""
    path: list[str | int] = []
    node = data
    for part in loc:
        in_dict = isinstance(node, dict) and part in node
        in_list = isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        if not (in_dict or in_list):
            continue
        node = node[part]  # type: ignore[index]
        path.append(part)
    return tuple(path)
