"""The read-only status page: revisions, tenants and flows with their status, failures with their
reasons, quarantine, and the activity log with field diffs, filterable by tenant, flow, record
key and outcome. Every value is HTML-escaped; the page loads no script and nothing external.
"""

from __future__ import annotations

import datetime as dt
from html import escape
from typing import Any

from reconciler.loop.reconciler import Reconciler
from reconciler.state.rows import ActivityEntry, Outcome

ACTIVITY_ROWS = 100

_STYLE = """
body{font:14px/1.4 system-ui,sans-serif;margin:1.5rem;color:#1d2330}
h1{font-size:1.4rem}h2{font-size:1.1rem;margin-top:1.6rem}
table{border-collapse:collapse;width:100%;margin:.4rem 0}
th,td{border-bottom:1px solid #dde;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#f3f4f8}.Ready{color:#17803d}.Reconciling{color:#b26b00}.Stalled{color:#c0262d}
.failed{color:#c0262d}.muted{color:#667}code{font-size:12px}form input{margin-right:.4rem}
.banner{padding:.5rem .8rem;border-radius:4px;background:#fdecec;color:#8a1c1c}
"""


def _when(value: dt.datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S UTC") if value else "—"


def status_data(
    reconciler: Reconciler,
    *,
    tenant: str | None = None,
    flow: str | None = None,
    key: str | None = None,
    outcome: str | None = None,
) -> dict[str, Any]:
    """The page's content as data (``/api/status``)."""
    revision = reconciler.revision
    flows = []
    for (t, f), state in sorted(reconciler.scheduler.flows.items()):
        if tenant and t != tenant:
            continue
        flows.append(
            {
                "tenant": t,
                "flow": f,
                "phase": str(state.phase),
                "reason": state.reason,
                "appliedRevision": state.applied_revision,
                "attemptedRevision": state.attempted_revision,
                "lastSuccess": _when(state.last_success),
                "nextRun": _when(state.next_run),
                "suspended": state.plan.suspend,
                "flapping": state.flapping,
            }
        )
    entries = _activity(reconciler, tenant=tenant, flow=flow, key=key, outcome=outcome)
    quarantine = reconciler.store.quarantined(tenant=tenant, flow=flow, limit=100)
    return {
        "revision": {
            "applied": revision.good.short if revision.good else None,
            "author": revision.good.author if revision.good else None,
            "message": revision.good.message if revision.good else None,
            "rejected": revision.rejected,
            "problems": [d.render() for d in revision.problems[:20]],
            "fetchError": revision.error,
            "checkedAt": _when(revision.checked_at),
        },
        "flows": flows,
        "quarantine": [
            {
                "tenant": r.tenant,
                "flow": r.flow,
                "key": r.key,
                "attempts": r.attempts,
                "reason": r.reason,
            }
            for r in quarantine
        ],
        "activity": [
            {
                "at": _when(e.at),
                "tenant": e.tenant,
                "flow": e.flow,
                "key": e.key,
                "action": str(e.action),
                "outcome": str(e.outcome),
                "revision": e.revision,
                "message": e.message,
                "diff": e.diff,
            }
            for e in entries
        ],
    }


def _activity(reconciler: Reconciler, **filters: str | None) -> list[ActivityEntry]:
    outcome = filters.pop("outcome")
    return reconciler.store.activity(
        tenant=filters.get("tenant"),
        flow=filters.get("flow"),
        key=filters.get("key"),
        outcome=Outcome(outcome) if outcome in ("ok", "failed") else None,
        limit=ACTIVITY_ROWS,
    )


def render_status(reconciler: Reconciler, **filters: str | None) -> str:
    """The status page as HTML."""
    data = status_data(reconciler, **filters)
    revision = data["revision"]
    parts = [
        f"<!doctype html><html lang=en><head><meta charset=utf-8><title>koppel status"
        f"</title><style>{_STYLE}</style></head><body><h1>koppel</h1>"
    ]
    parts.append(
        f"<p>Spec revision <code>{escape(str(revision['applied']))}</code> "
        f"{escape(str(revision['message'] or ''))} <span class=muted>by "
        f"{escape(str(revision['author'] or '—'))}, checked "
        f"{escape(revision['checkedAt'])}</span></p>"
    )
    if revision["rejected"]:
        problems = "".join(f"<li><code>{escape(p)}</code></li>" for p in revision["problems"])
        parts.append(
            f"<div class=banner>Revision <code>{escape(revision['rejected'])}</code> "
            f"is invalid and was not applied; the revision above keeps running."
            f"<ul>{problems}</ul></div>"
        )
    if revision["fetchError"]:
        parts.append(f"<div class=banner>{escape(revision['fetchError'])}</div>")
    parts.append(
        "<h2>Flows</h2><table><tr><th>tenant</th><th>flow</th><th>status</th>"
        "<th>reason</th><th>applied</th><th>attempted</th><th>last success</th>"
        "<th>next run</th></tr>"
    )
    for f in data["flows"]:
        phase = "Suspended" if f["suspended"] else f["phase"]
        parts.append(
            f"<tr><td>{escape(f['tenant'])}</td><td>{escape(f['flow'])}</td>"
            f"<td class={escape(f['phase'])}>{escape(phase)}</td><td>{escape(f['reason'])}</td>"
            f"<td><code>{escape(str(f['appliedRevision'] or '—'))}</code></td>"
            f"<td><code>{escape(str(f['attemptedRevision'] or '—'))}</code></td>"
            f"<td>{escape(f['lastSuccess'])}</td><td>{escape(f['nextRun'])}</td></tr>"
        )
    parts.append("</table>")
    parts.append("<h2>Quarantine</h2>")
    if data["quarantine"]:
        parts.append(
            "<table><tr><th>tenant/flow</th><th>key</th><th>attempts</th><th>reason</th></tr>"
        )
        for q in data["quarantine"]:
            parts.append(
                f"<tr><td>{escape(q['tenant'])}/{escape(q['flow'])}</td>"
                f"<td>{escape(q['key'])}</td><td>{q['attempts']}</td>"
                f"<td class=failed>{escape(str(q['reason']))}</td></tr>"
            )
        parts.append("</table>")
    else:
        parts.append("<p class=muted>Nothing quarantined.</p>")
    parts.append(_filter_form(filters))
    parts.append(
        "<table><tr><th>time</th><th>tenant/flow</th><th>key</th><th>action</th>"
        "<th>outcome</th><th>revision</th><th>detail</th></tr>"
    )
    for e in data["activity"]:
        parts.append(
            f"<tr><td>{escape(e['at'])}</td><td>{escape(e['tenant'])}/{escape(e['flow'])}</td>"
            f"<td>{escape(e['key'])}</td><td>{escape(e['action'])}</td>"
            f"<td class={escape(e['outcome'])}>{escape(e['outcome'])}</td>"
            f"<td><code>{escape(str(e['revision'] or '—'))}</code></td>"
            f"<td>{_detail(e)}</td></tr>"
        )
    parts.append("</table></body></html>")
    return "".join(parts)


def _filter_form(filters: dict[str, str | None]) -> str:
    fields = "".join(
        f'<input name={name} placeholder={name} value="{escape(filters.get(name) or "")}">'
        for name in ("tenant", "flow", "key", "outcome")
    )
    return f"<h2>Activity</h2><form method=get>{fields}<button>Filter</button></form>"


def _detail(entry: dict[str, Any]) -> str:
    text = escape(str(entry["message"] or ""))
    diff = entry["diff"] or {}
    changes = diff.get("changes") if isinstance(diff, dict) else None
    if changes:
        rows = "".join(
            f"<br><code>{escape(str(c.get('path')))}: {escape(repr(c.get('before')))} → "
            f"{escape(repr(c.get('after')))}</code>"
            for c in changes[:20]
        )
        text += rows
    elif isinstance(diff, dict) and "created" in diff:
        fields = ", ".join(escape(str(k)) for k in list(diff["created"])[:12])
        text += f"<br><span class=muted>created with {fields}</span>"
    return text
