"""The demo: both sandboxes with a bakery's data, the example tenant planned and applied."""
