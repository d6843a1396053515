"""Pure Visma.net translations: value wrappers, bodies of only the named fields, read DTOs to
target records and back to canonical, and the default mapping through the engine's rules."""

from __future__ import annotations

from decimal import Decimal

from connectors.vismanet import translate
from connectors.vismanet.mapping import DEFAULT_MAPPING
from connectors.vismanet.models import unwrap, wrap, wrap_fields
from connectors.vismanet.tuning import COMPARISON
from reconciler.canonical import Address, Customer, Entity
from reconciler.mapping.expressions import read
from reconciler.plan.actions import ActionKind
from reconciler.plan.diff import plan_record


def test_wrappers_round_trip_nested_values() -> None:
    """Scalars and nested DTOs are wrapped field by field; None is never sent."""
    body = wrap_fields({"name": "Acme", "hold": False, "gone": None, "mainAddress": {"city": "X"}})
    assert body == {
        "name": {"value": "Acme"},
        "hold": {"value": False},
        "mainAddress": {"value": {"city": {"value": "X"}}},
    }
    assert unwrap(body["mainAddress"]) == {"city": "X"}
    assert unwrap(wrap(3)) == 3


def test_customer_update_body_holds_only_the_named_fields() -> None:
    """An update of the phone sends the contact block with the phone alone, nothing else."""
    record = {"name": "Acme", "phone": "030-1", "city": "Utrecht", "contactName": "Jan"}
    assert translate.customer_body(record, ["phone"]) == {
        "mainContact": {"value": {"phone1": {"value": "030-1"}}}
    }
    created = translate.customer_body({"name": "Piet Pieters", "email": "p@x.test"})
    assert created["mainContact"]["value"]["name"] == {"value": "Piet Pieters"}


def test_read_dto_to_target_record_and_canonical() -> None:
    """Nested description objects flatten to their ids; a company's contact is the person."""
    dto = {
        "number": "10001",
        "name": "Acme BV",
        "mainContact": {"name": "Jan Jansen", "email": "info@acme.test"},
        "mainAddress": {"addressLine1": "Dam 1", "city": "Amsterdam", "country": {"id": "NL"}},
        "customerClass": {"id": "01", "description": "x"},
        "vatZone": {"id": "01"},
    }
    record = translate.customer_record(dto)
    assert record["customerClassId"] == "01"
    assert record["country"] == "NL"
    assert record["contactName"] == "Jan Jansen"
    customer = translate.customer_from_dto(dto)
    assert (customer.company_name, customer.first_name, customer.last_name) == (
        "Acme BV",
        "Jan",
        "Jansen",
    )


def test_default_mapping_of_a_person_and_a_company() -> None:
    """A person is the customer's name with no contact; a company has its contact person."""
    rules = DEFAULT_MAPPING[Entity.customers]
    nl = Address(street="Dam", number="1", number_suffix="a", postal_code="1012JS", country="NL")
    person = Customer(email="p@x.test", first_name="Piet", last_name="Dam", billing_address=nl)
    data = person.to_data()
    assert read(data, rules["name"]) == "Piet Dam"
    assert read(data, rules["contactName"]) is None
    assert read(data, rules["addressLine1"]) == "Dam 1 a"
    company = person.model_copy(update={"company_name": "Dam BV"}).to_data()
    assert (read(company, rules["name"]), read(company, rules["contactName"])) == (
        "Dam BV",
        "Piet Dam",
    )
    order = {"orderType": "invoice", "lines": [{"kind": "text", "description": "x"}]}
    assert read(order, DEFAULT_MAPPING[Entity.orders]["orderType"]) == "IN"
    assert read(order, DEFAULT_MAPPING[Entity.orders]["lines"]) == []


def test_custom_fields_compare_only_the_attributes_koppel_writes() -> None:
    """An item's other attributes are Visma.net's own: no drift; a changed one is an update."""
    rules = COMPARISON[Entity.products]
    actual = {"inventoryNumber": "A", "customFields": {"BRAND": "X", "SEASON": "W"}}
    same = plan_record("A", {"customFields": {"BRAND": "X", "COLOUR": None}}, actual, rules=rules)
    assert same.kind is ActionKind.noop
    changed = plan_record("A", {"customFields": {"BRAND": "Y"}}, actual, rules=rules)
    assert changed.kind is ActionKind.update
    assert [(c.path, c.before, c.after) for c in changed.changes] == [
        ("customFields['BRAND']", "X", "Y")
    ]
    priced = plan_record(
        "A", {"defaultPrice": "12.50"}, {"defaultPrice": Decimal("12.5")}, rules=rules
    )
    assert priced.kind is ActionKind.noop
