"""The reconciler's HTTP face: health, readiness, Prometheus metrics, the status page, the git
webhook and the operator actions."""
