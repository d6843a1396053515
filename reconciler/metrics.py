"""Prometheus metrics of one reconciler process, in a registry of its own (tests run several).

records_total (by tenant, flow, action, outcome), pass_duration_seconds, last_success_timestamp,
quarantine_size, spec_revision_info, target_requests_total (by system and status).
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest


class Metrics:
    """The metric families; ``render`` gives the text exposition format."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.records = Counter(
            "koppel_records_total",
            "Records handled by passes, by action and outcome.",
            ["tenant", "flow", "action", "outcome"],
            registry=self.registry,
        )
        self.pass_duration = Histogram(
            "koppel_pass_duration_seconds",
            "Duration of flow passes.",
            ["tenant", "flow"],
            buckets=(0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 900),
            registry=self.registry,
        )
        self.passes = Counter(
            "koppel_passes_total",
            "Flow passes by result.",
            ["tenant", "flow", "result"],
            registry=self.registry,
        )
        self.last_success = Gauge(
            "koppel_last_success_timestamp_seconds",
            "When a flow last passed successfully.",
            ["tenant", "flow"],
            registry=self.registry,
        )
        self.quarantine = Gauge(
            "koppel_quarantine_size",
            "Quarantined records per flow.",
            ["tenant", "flow"],
            registry=self.registry,
        )
        self.revision = Gauge(
            "koppel_spec_revision_info",
            "The spec revision in use (1) and the last one seen.",
            ["revision", "state"],
            registry=self.registry,
        )
        self.requests = Counter(
            "koppel_target_requests_total",
            'Requests to target systems by status ("error" when no answer came).',
            ["system", "status"],
            registry=self.registry,
        )

    def observe_request(
        self, system: str, operation: str, status: int | None, seconds: float
    ) -> None:
        """An ``connectors.http`` observer: count a target request."""
        self.requests.labels(system, str(status) if status is not None else "error").inc()

    def set_revision(self, good: str | None, *, rejected: str | None = None) -> None:
        self.revision.clear()
        if good:
            self.revision.labels(good, "applied").set(1)
        if rejected:
            self.revision.labels(rejected, "rejected").set(1)

    def render(self) -> bytes:
        return generate_latest(self.registry)
