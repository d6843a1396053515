"""The desired state, pure: spec models, loading with positions, two-layer validation, schemas."""
