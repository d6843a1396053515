"""Pairing a desired record with the target's actual one and deciding the action.

Only the fields the spec owns are compared (the desired record's fields, less the mapping's
ignore list), after normalisation. Write policies decide which differences count: ``overwrite``
always, ``create_only`` never on update (the seeds' "update checkbox"), ``fill_empty`` only where
the target is empty. An absent desired value never clears a target field. Field diffs come from
deepdiff, so nested values (order lines) show the exact path that changed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from deepdiff import DeepDiff

from reconciler.plan.actions import Action, ActionKind, Change, fingerprint
from reconciler.plan.normalise import ABSENT, FieldRules, is_absent, normalise

WritePolicy = str


def plan_record(
    key: str,
    desired: Mapping[str, Any],
    actual: Mapping[str, Any] | None,
    *,
    policies: Mapping[str, WritePolicy] | None = None,
    ignore: frozenset[str] = frozenset(),
    rules: FieldRules | None = None,
    update_allowed: bool = True,
    never_change: bool = False,
    never_change_reason: str = "it exists in the target and is never changed",
    desired_fingerprint: str | None = None,
) -> Action:
    """The action that makes the target's record match the desired one.

    ``never_change``: existing records are skipped, whatever differs (orders).
    ``update_allowed``: false when the flow only creates (customer update switched off).
    ``desired_fingerprint``: the action's fingerprint when the caller has one (the pass keys
    state on the whole desire); else the desired fields' own.
    """
    policies = policies or {}
    print_ = desired_fingerprint or fingerprint(dict(desired))
    if actual is None:
        full = {k: v for k, v in desired.items() if not is_absent(v, name=k, rules=rules)}
        return Action(ActionKind.create, key, print_, record=full, reason="not in the target")
    if never_change:
        return Action(ActionKind.skip, key, print_, reason=never_change_reason)
    changes: list[Change] = []
    to_write: dict[str, Any] = {}
    write_only = rules.write_only if rules is not None else frozenset()
    for name, value in desired.items():
        if name in ignore or name in write_only:
            continue
        policy = policies.get(name, "overwrite")
        if policy == "create_only":
            continue
        want = normalise(value, name=name, rules=rules)
        have = normalise(actual.get(name), name=name, rules=rules)
        if rules is not None and name in rules.partial and isinstance(want, dict):
            # Keys the desired map does not name are the target's own: never compared.
            kept = {k: v for k, v in have.items() if k in want} if isinstance(have, dict) else {}
            have = kept or ABSENT
        # An absent desired value never clears the target: the source having nothing to say
        # about a field is no instruction to erase what someone entered there.
        if want is ABSENT or want == have:
            continue
        if policy == "fill_empty" and have is not ABSENT:
            continue
        changes.extend(_changes(name, have, want))
        to_write[name] = value
    if not changes:
        return Action(ActionKind.noop, key, print_, reason="the target matches")
    if not update_allowed:
        return Action(
            ActionKind.skip,
            key,
            print_,
            changes=tuple(changes),
            reason="it differs, but updates are switched off for this flow",
        )
    return Action(
        ActionKind.update,
        key,
        print_,
        record=to_write,
        changes=tuple(changes),
        reason=f"{len(to_write)} field{'s' * (len(to_write) != 1)} differ",
    )


def _changes(name: str, have: Any, want: Any) -> list[Change]:
    if isinstance(have, dict | list) and isinstance(want, dict | list):
        diff = DeepDiff(have, want, ignore_order=False, verbose_level=2)
        changes = []
        for report in (
            "values_changed",
            "type_changes",
            "dictionary_item_added",
            "dictionary_item_removed",
            "iterable_item_added",
            "iterable_item_removed",
        ):
            for path, detail in diff.get(report, {}).items():
                sub = path.replace("root", name, 1)
                if isinstance(detail, dict) and ("old_value" in detail or "new_value" in detail):
                    changes.append(Change(sub, detail.get("old_value"), detail.get("new_value")))
                elif "removed" in report:
                    changes.append(Change(sub, detail, None))
                else:
                    changes.append(Change(sub, None, detail))
        if changes:
            return sorted(changes, key=lambda c: c.path)
    return [Change(name, have, want)]
