"""``python -m bench`` (``make bench``): the spec validation benchmark with its defaults.

The client benchmarks start their sandboxes and run on their own:
``python -m bench.afas_client``, ``python -m bench.mpluskassa_client``.
"""

from __future__ import annotations

from bench import spec_validate

if __name__ == "__main__":
    spec_validate.main([])
