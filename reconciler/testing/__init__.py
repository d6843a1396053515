"""Public test helpers: doubles of koppel's effectful parts, for engine tests and users."""
