"""The planner: normalisation without false drift, write policies, actions, safety checks."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from reconciler.plan.actions import ActionKind, fingerprint
from reconciler.plan.diff import plan_record
from reconciler.plan.normalise import FieldRules, normalise
from reconciler.plan.safety import Tally, breaker, empty_guard
from reconciler.spec.models.flow import Safety

RULES = FieldRules(
    defaults={"webshop": False, "active": True},
    decimals={"priceIncl": 2},
    case_insensitive=frozenset({"email"}),
)

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.decimals(allow_nan=False, allow_infinity=False, places=3, min_value=-1000, max_value=1000),
    st.text(max_size=12),
)
records = st.dictionaries(
    st.sampled_from(["name", "email", "priceIncl", "webshop", "lines", "code"]),
    st.one_of(
        scalars, st.lists(st.dictionaries(st.sampled_from(["sku", "qty"]), scalars), max_size=3)
    ),
    max_size=6,
)


@given(records)
def test_a_record_never_differs_from_itself(record: dict[str, Any]) -> None:
    """diff(x, x) is empty: planning a record against itself is a noop."""
    action = plan_record("k", record, record, rules=RULES)
    assert action.kind is ActionKind.noop, action


@given(records)
def test_planning_is_deterministic(record: dict[str, Any]) -> None:
    """The same inputs give the same action and the same fingerprint, every time."""
    actual = dict.fromkeys(record, "x")
    assert plan_record("k", record, actual, rules=RULES) == plan_record(
        "k", dict(record), dict(actual), rules=RULES
    )
    assert fingerprint(record) == fingerprint(dict(reversed(list(record.items()))))


@given(scalars)
def test_normalise_is_idempotent(value: object) -> None:
    """Normalising a normalised value changes nothing."""
    once = normalise(value, name="priceIncl", rules=RULES)
    assert normalise(once, name="priceIncl", rules=RULES) == once


def test_equal_data_written_differently_is_not_drift() -> None:
    """Numbers, decimals, whitespace, case, empty values and explicit defaults compare as the
    target stores them: none of these is a change."""
    desired = {
        "priceIncl": Decimal("19.950"),
        "name": " Brood  wit ",
        "email": "Jan@X.test",
        "webshop": False,
        "remark": "",
        "code": "1300",
        "qty": 2,
    }
    actual = {
        "priceIncl": 19.95,
        "name": "Brood wit",
        "email": "jan@x.test",
        "code": 1300,
        "qty": "2.00",
    }
    assert plan_record("k", desired, actual, rules=RULES).kind is ActionKind.noop


def test_leading_zeros_are_kept_for_codes() -> None:
    """Text that merely looks like a number keeps its leading zeros: '0123' is not 123."""
    action = plan_record("k", {"code": "0123"}, {"code": "123"}, rules=RULES)
    assert action.kind is ActionKind.update


def test_money_is_compared_at_the_targets_precision() -> None:
    """19.954 and 19.95 are the same price for a target that keeps cents."""
    assert (
        plan_record("k", {"priceIncl": "19.954"}, {"priceIncl": "19.95"}, rules=RULES).kind
        is ActionKind.noop
    )


def test_update_lists_only_changed_fields_with_nested_paths() -> None:
    """An update carries just the changed fields, with deepdiff paths inside lists."""
    desired = {"name": "B", "lines": [{"sku": "1", "qty": 2}], "same": "x"}
    actual = {"name": "A", "lines": [{"sku": "1", "qty": 1}], "same": "x"}
    action = plan_record("k", desired, actual)
    assert action.kind is ActionKind.update
    assert set(action.record) == {"name", "lines"}
    paths = {change.path for change in action.changes}
    assert paths == {"name", "lines[0]['qty']"}


def test_write_policies() -> None:
    """create_only is written on create and never on update; fill_empty only into empty fields."""
    desired = {"longDescription": "new", "shortDescription": "s", "name": "n"}
    policies = {"longDescription": "create_only", "shortDescription": "fill_empty"}
    created = plan_record("k", desired, None, policies=policies)
    assert created.kind is ActionKind.create
    assert created.record["longDescription"] == "new"
    enriched = {"longDescription": "edited in the POS", "shortDescription": "kept", "name": "n"}
    assert plan_record("k", desired, enriched, policies=policies).kind is ActionKind.noop
    empty = {"longDescription": "x", "shortDescription": "", "name": "n"}
    update = plan_record("k", desired, empty, policies=policies)
    assert update.record == {"shortDescription": "s"}


def test_absent_desired_values_never_clear_the_target() -> None:
    """A field the source has nothing for is left alone in the target."""
    assert plan_record("k", {"name": None, "x": ""}, {"name": "kept", "x": "y"}).kind is (
        ActionKind.noop
    )


def test_ignored_fields_are_not_compared() -> None:
    """Fields on the mapping's ignore list never count as drift."""
    action = plan_record(
        "k", {"imageList": ["a"]}, {"imageList": ["b"]}, ignore=frozenset({"imageList"})
    )
    assert action.kind is ActionKind.noop


def test_existing_orders_are_skipped_and_updates_can_be_off() -> None:
    """never_change skips existing records; update_allowed=False reports drift as a skip."""
    assert plan_record("1001", {"a": 1}, {"a": 2}, never_change=True).kind is ActionKind.skip
    skipped = plan_record("k", {"a": 1}, {"a": 2}, update_allowed=False)
    assert skipped.kind is ActionKind.skip
    assert skipped.changes


def test_circuit_breaker_by_number_and_share() -> None:
    """A pass over the limits trips the breaker with a reason; small passes ignore the share."""
    safety = Safety(max_changes=10, max_change_share=0.2)
    assert breaker(Tally(read=100, update=11, noop=89), safety) is not None
    assert "30%" in str(breaker(Tally(read=30, update=9, noop=21), safety))
    assert breaker(Tally(read=5, update=5), safety) is None
    assert breaker(Tally(read=100, update=10, noop=90), safety) is None


def test_counts_add_up() -> None:
    """read = written + unchanged + skipped + failed for a tally built from actions."""
    from reconciler.plan.actions import Action

    actions = [Action(kind, str(i)) for i, kind in enumerate(ActionKind)]
    tally = Tally.of(actions)
    assert tally.read == len(ActionKind)
    assert tally.adds_up()
    assert not Tally(read=3, create=1).adds_up()


def test_empty_desired_set_is_refused_on_a_full_pass() -> None:
    """A full pass that suddenly yields nothing is refused; an incremental one is fine."""
    assert empty_guard(desired_now=0, desired_before=120, full=True) is not None
    assert empty_guard(desired_now=0, desired_before=120, full=False) is None
    assert empty_guard(desired_now=0, desired_before=0, full=True) is None


def test_partial_maps_compare_only_the_desired_keys() -> None:
    """A ``partial`` field's keys that koppel does not name are the target's own: never drift;
    without the rule the same map is a difference."""
    actual = {"custom": {"a": "1", "theirs": "x"}}
    partial = FieldRules(partial=frozenset({"custom"}))
    assert plan_record("k", {"custom": {"a": "1"}}, actual, rules=partial).kind is ActionKind.noop
    assert plan_record("k", {"custom": {"a": "1"}}, actual).kind is ActionKind.update
    changed = plan_record("k", {"custom": {"a": "2"}}, actual, rules=partial)
    assert [(c.path, c.before, c.after) for c in changed.changes] == [
        ("custom['a']", Decimal(1), Decimal(2))
    ]
    assert plan_record("k", {"custom": {"a": "1"}}, {}, rules=partial).kind is ActionKind.update
