"""``python -m bench``: run every benchmark with its defaults."""

from __future__ import annotations

from bench import spec_validate

if __name__ == "__main__":
    spec_validate.main([])
