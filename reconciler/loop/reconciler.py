"""The long-lived reconciler: watch the spec repository, schedule flows, run their passes.

Level-based, as Argo CD and controller-runtime are: every pass re-reads real state; git events
(a poll, a webhook) only wake it early. A new revision is validated before it is used; an
invalid one is reported and the last good one keeps running. Each pass runs under the flow's
lease in the state store, so with several replicas (PostgreSQL) each pass runs on exactly one:
after a pass the holder keeps the lease until the flow is next due, so no other replica repeats
it; a replica that dies loses its leases when they expire and another takes the flows over.
A pass has a hard timeout; a watchdog reports passes that run too long.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hashlib
import json
import logging
import os
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from connectors.http import add_observer, remove_observer
from connectors.registry import capabilities
from reconciler.errors import KoppelError, Permanent, SecretError, SpecError
from reconciler.loop.gitsource import GitSource, Revision
from reconciler.loop.schedule import Due, FlowPlan, Scheduler, SchedulerSettings
from reconciler.metrics import Metrics
from reconciler.passes.runner import PassReport, plan_pass, run_pass
from reconciler.passes.setup import Connections, build_context
from reconciler.spec.diagnostics import Diagnostic
from reconciler.spec.models import Flow
from reconciler.spec.models import Mapping as MappingDoc
from reconciler.spec.models.base import duration_seconds
from reconciler.spec.specset import Loaded, SpecSet
from reconciler.spec.validate import validate_tree
from reconciler.state.rows import Lease, utc_now
from reconciler.state.store import StateStore

log = logging.getLogger("koppel.loop")

Clock = Callable[[], dt.datetime]


@dataclass(frozen=True)
class LoopSettings:
    """How the reconciler process runs."""

    poll_interval: float = 60.0
    """Seconds between fetches of the spec repository (a webhook wakes it sooner)."""
    tick: float = 1.0
    """Seconds between looks at which flows are due."""
    pass_timeout: float = 900.0
    """Hard limit of one pass; AFAS itself cuts calls at 900 s."""
    lease_ttl: float = 120.0
    """Seconds a running pass's lease lasts between renewals."""
    max_parallel: int = 4
    """Passes this replica runs at once."""
    holder: str = field(default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}")


@dataclass
class RevisionStatus:
    """What the reconciler knows about spec revisions."""

    good: Revision | None = None
    specs: SpecSet | None = None
    seen: str | None = None
    rejected: str | None = None
    problems: list[Diagnostic] = field(default_factory=list)
    checked_at: dt.datetime | None = None
    error: str | None = None
    """Why the last fetch failed, if it did."""


class Reconciler:
    """One replica of the long-lived reconciler; see the module docstring."""

    def __init__(
        self,
        *,
        source: GitSource,
        store: StateStore,
        connections: Connections,
        settings: LoopSettings | None = None,
        scheduler: SchedulerSettings | None = None,
        metrics: Metrics | None = None,
        clock: Clock = utc_now,
        on_pass: Callable[[tuple[str, str], PassReport | None, str | None], None] | None = None,
        on_revision: Callable[[RevisionStatus], None] | None = None,
    ) -> None:
        self.source = source
        self.store = store
        self.connections = connections
        self.settings = settings or LoopSettings()
        self.scheduler = Scheduler(scheduler)
        self.metrics = metrics or Metrics()
        add_observer(self.metrics.observe_request)
        self.clock = clock
        self.revision = RevisionStatus()
        self.on_pass = on_pass
        self.on_revision = on_revision
        self.stopping = asyncio.Event()
        self.wake = asyncio.Event()
        self._running: dict[tuple[str, str], asyncio.Task[None]] = {}
        self._leases: dict[tuple[str, str], Lease] = {}
        self._refresh_lock = asyncio.Lock()

    # -- revisions ---------------------------------------------------------------------------
    async def refresh(self) -> RevisionStatus:
        """Fetch the branch; validate and load a new revision, or report why not."""
        async with self._refresh_lock:
            status = self.revision
            status.checked_at = self.clock()
            try:
                sha = await asyncio.to_thread(self.source.fetch)
            except KoppelError as exc:
                status.error = str(exc)
                log.warning("cannot fetch the spec repository", extra={"error": str(exc)})
                return status
            status.error = None
            if sha == status.seen:
                return status
            status.seen = sha
            revision = await asyncio.to_thread(self.source.materialise, sha)
            validation = await asyncio.to_thread(
                validate_tree, revision.specs, capabilities=capabilities()
            )
            if not validation.valid:
                status.rejected, status.problems = revision.short, validation.errors
                self.metrics.set_revision(
                    status.good.short if status.good else None, rejected=revision.short
                )
                if self.on_revision is not None:
                    self.on_revision(status)
                log.error(
                    "spec revision rejected; the last good revision keeps running",
                    extra={
                        "revision": revision.short,
                        "problems": len(validation.errors),
                        "first": validation.errors[0].render(),
                    },
                )
                return status
            validation.specs.revision = revision.short
            status.good, status.specs = revision, validation.specs
            status.rejected, status.problems = None, []
            changed = self.scheduler.load(
                flow_plans(validation.specs), revision=revision.short, now=self.clock()
            )
            self.metrics.set_revision(revision.short)
            log.info(
                "spec revision applied",
                extra={
                    "revision": revision.short,
                    "author": revision.author,
                    "commit_message": revision.message,
                    "changed_flows": sorted("/".join(k) for k in changed),
                },
            )
            self.wake.set()
            return status

    # -- passes ------------------------------------------------------------------------------
    async def tick(self) -> None:
        """Start the passes that are due (as far as leases and capacity allow)."""
        now = self.clock()
        for key in self.scheduler.overdue(now, timeout=self.settings.pass_timeout):
            state = self.scheduler.flows[key]
            state.reason = f"pass running since {state.running_since}; over the timeout"
            log.error("watchdog: a pass is over its time", extra={"tenant": key[0], "flow": key[1]})
        specs = self.revision.specs
        if specs is None or self.stopping.is_set():
            return
        for due in self.scheduler.due(now):
            if len(self._running) >= self.settings.max_parallel:
                break
            lease = self.store.acquire(
                due.key[0],
                due.key[1],
                holder=self.settings.holder,
                ttl=dt.timedelta(seconds=self.settings.lease_ttl),
            )
            if lease is None:
                # Another replica runs it, or ran it and holds it until it is due again.
                self.scheduler.deferred(due, now=now)
                continue
            self._leases[due.key] = lease
            self.scheduler.started(due, now=now)
            self._running[due.key] = asyncio.create_task(self._pass(specs, due, lease))

    async def _pass(self, specs: SpecSet, due: Due, lease: Lease) -> None:
        tenant, name = due.key
        flow = next((f for f in specs.flows(tenant) if f.name == name), None)
        started = self.clock()
        report: PassReport | None = None
        error: str | None = None
        renewer = asyncio.create_task(self._renew(due.key))
        try:
            if flow is None:
                return
            ctx = build_context(
                specs, flow, connections=self.connections, store=self.store, revision=specs.revision
            )
            ctx.lease, ctx.stopping = lease, self.stopping
            run = (
                run_pass(ctx, full=due.full, reread=due.reread)
                if due.apply
                else plan_pass(ctx, full=due.full)
            )
            report = await asyncio.wait_for(run, timeout=self.settings.pass_timeout)
            self._after_success(due, report)
        except TimeoutError:
            error = f"the pass took longer than {self.settings.pass_timeout:.0f}s"
            self.scheduler.failed(due, now=self.clock(), reason=error, permanent=False)
        except KoppelError as exc:
            error = str(exc)
            delay = getattr(exc, "delay", None)
            # Refused credentials, a missing secret or a broken spec will not heal by waiting.
            permanent = isinstance(exc, Permanent | SecretError | SpecError)
            self.scheduler.failed(
                due, now=self.clock(), reason=error, permanent=permanent, retry_after=delay
            )
        except Exception as exc:  # a bug in one pass must not stop the others
            error = f"{type(exc).__name__}: {exc}"
            log.exception("a pass failed unexpectedly", extra={"tenant": tenant, "flow": name})
            self.scheduler.failed(due, now=self.clock(), reason=error, permanent=False)
        finally:
            renewer.cancel()
            self._running.pop(due.key, None)
            self._hold_until_due(due.key)
            seconds = (self.clock() - started).total_seconds()
            self.metrics.pass_duration.labels(tenant, name).observe(seconds)
            self.metrics.passes.labels(tenant, name, "error" if error else "ok").inc()
            if self.on_pass is not None:
                self.on_pass(due.key, report, error)

    def _after_success(self, due: Due, report: PassReport) -> None:
        tenant, name = due.key
        counts = report.counts
        reverted: list[str] = []
        failed = 0
        if counts is not None:
            failed = counts.failed
            reverted = counts.updated_keys if due.full else []
            for action, value in (
                ("create", counts.created),
                ("update", counts.updated),
                ("noop", counts.unchanged),
                ("skip", counts.skipped),
                ("fail", counts.failed),
            ):
                if value:
                    outcome = "failed" if action == "fail" else "ok"
                    self.metrics.records.labels(tenant, name, action, outcome).inc(value)
        if report.stopped:
            self.scheduler.failed(
                due,
                now=self.clock(),
                permanent=True,
                reason=f"stopped before writing: {report.stopped}",
            )
            return
        self.scheduler.succeeded(due, now=self.clock(), reverted=reverted, failed_records=failed)
        self.metrics.last_success.labels(tenant, name).set(self.clock().timestamp())
        quarantined = self.store.quarantine_counts(tenant=tenant).get(due.key, 0)
        self.metrics.quarantine.labels(tenant, name).set(quarantined)

    async def _renew(self, key: tuple[str, str]) -> None:
        """Keep a running pass's lease; if it is lost, the applier stops writing at once."""
        ttl = dt.timedelta(seconds=self.settings.lease_ttl)
        while True:
            await asyncio.sleep(self.settings.lease_ttl / 3)
            lease = self._leases.get(key)
            if lease is None:
                return
            try:
                self._leases[key] = self.store.renew(lease, ttl=ttl)
            except KoppelError:
                log.error(
                    "lost the lease of a running pass; it stops writing",
                    extra={"tenant": key[0], "flow": key[1]},
                )
                return

    def _hold_until_due(self, key: tuple[str, str]) -> None:
        """Keep the lease until the flow is next due, so no replica repeats the pass."""
        lease = self._leases.get(key)
        state = self.scheduler.flows.get(key)
        if lease is None or state is None:
            return
        wait = state.next_run - self.clock()
        try:
            if wait.total_seconds() > 1:
                self._leases[key] = self.store.renew(lease, ttl=wait)
            else:
                self.store.release(lease)
                del self._leases[key]
        except KoppelError:
            self._leases.pop(key, None)

    # -- the loop ----------------------------------------------------------------------------
    async def run(self) -> None:
        """Poll, tick and run passes until ``stopping`` is set; then finish and let go."""
        await self._guard(self.refresh)
        next_poll = self.clock() + dt.timedelta(seconds=self.settings.poll_interval)
        while not self.stopping.is_set():
            await self._guard(self.tick)
            if self.clock() >= next_poll:
                await self._guard(self.refresh)
                next_poll = self.clock() + dt.timedelta(seconds=self.settings.poll_interval)
            self.wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake_or_stop(), timeout=self.settings.tick)
        await self.shutdown()

    async def _guard(self, step: Callable[[], Awaitable[object]]) -> None:
        """A failing step is logged and tried again next time: the loop itself never dies."""
        try:
            await step()
        except Exception:  # the reconciler must outlive any one bug or outage
            log.exception("a step of the reconciler loop failed; it goes on")

    async def _wake_or_stop(self) -> None:
        waits = [asyncio.create_task(self.wake.wait()), asyncio.create_task(self.stopping.wait())]
        try:
            await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waits:
                waiter.cancel()

    async def shutdown(self) -> None:
        """Finish the records in flight, release every lease, close the connections."""
        self.stopping.set()
        if self._running:
            await asyncio.gather(*self._running.values(), return_exceptions=True)
        for lease in list(self._leases.values()):
            with contextlib.suppress(KoppelError):
                self.store.release(lease)
        self._leases.clear()
        remove_observer(self.metrics.observe_request)
        await self.connections.aclose()

    async def trigger(self, tenant: str, flow: str, *, full: bool = False) -> bool:
        """Run a flow now (an operator action); False when the flow is unknown."""
        key = (tenant, flow)
        if key not in self.scheduler.flows:
            return False
        self.scheduler.trigger(key, now=self.clock(), full=full)
        lease = self._leases.pop(key, None)
        if lease is not None and key not in self._running:
            self.store.release(lease)
        self.wake.set()
        return True


def flow_plans(specs: SpecSet) -> list[FlowPlan]:
    """What the scheduler needs of every flow, with a digest of everything the flow uses."""
    plans = []
    for flow in specs.flows():
        spec = flow.model.spec
        tenant = str(flow.model.metadata.tenant)
        plans.append(
            FlowPlan(
                key=(tenant, flow.name),
                interval=duration_seconds(spec.schedule.interval),
                drift_scan=duration_seconds(spec.schedule.drift_scan),
                suspend=spec.schedule.suspend,
                depends_on=tuple(spec.depends_on),
                digest=_digest(specs, flow, tenant),
            )
        )
    return plans


def _digest(specs: SpecSet, flow: Loaded[Flow], tenant: str) -> str:
    """A hash of the flow, its tenant and every document it uses: a change to any of them runs
    the flow again, a change to another flow's mapping or another tenant does not."""
    parts: list[Any] = [
        specs.tenants[tenant].model.model_dump(mode="json"),
        flow.model.model_dump(mode="json"),
    ]
    for kind, name in sorted(_references(specs, flow, tenant)):
        loaded = specs.get(tenant, kind, name)
        parts.append([kind, name, loaded.model.model_dump(mode="json") if loaded else None])
    text = json.dumps(parts, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _references(specs: SpecSet, flow: Loaded[Flow], tenant: str) -> set[tuple[str, str]]:
    spec = flow.model.spec
    refs: set[tuple[str, str]] = {("Mapping", name) for name in spec.mappings}
    settings = getattr(spec, spec.kind, None)
    for attr, kind in (("tax_codes", "TaxCodeTable"), ("default_debtor", "DefaultDebtor")):
        name = getattr(settings, attr, None)
        if name:
            refs.add((kind, name))
    for _, name in getattr(settings, "value_maps", None) or ():
        if name:
            refs.add(("ValueMap", name))
    for name in spec.mappings:
        mapping = specs.find(tenant, MappingDoc, name)
        if mapping is not None:
            rules = [
                *mapping.model.spec.fields.values(),
                *mapping.model.spec.custom_fields.values(),
            ]
            refs.update(("ValueMap", rule.lookup) for rule in rules if rule.lookup)
    return refs
