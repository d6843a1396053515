"""Start-up's heap is frozen once per process, out of the garbage collector's full walks."""

from __future__ import annotations

import gc
import subprocess
import sys

from reconciler.process import settle_startup


def test_startup_is_frozen_once_per_process() -> None:
    """The first call freezes what exists; a second call (another flow, another pass) freezes
    nothing more, so objects made by work are collected as usual."""
    code = (
        "import gc\n"
        "from reconciler.process import settle_startup\n"
        "assert gc.get_freeze_count() == 0\n"
        "settle_startup()\n"
        "frozen = gc.get_freeze_count()\n"
        "assert frozen > 1000, frozen\n"
        "made = [[i] for i in range(5000)]\n"
        "settle_startup()\n"
        "assert gc.get_freeze_count() <= frozen\n"  # frozen objects may still be freed
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr


def test_settling_twice_in_this_process_changes_nothing() -> None:
    settle_startup()
    frozen = gc.get_freeze_count()
    made = [[i] for i in range(5000)]
    settle_startup()
    assert gc.get_freeze_count() <= frozen  # none of ``made``: frozen ones may have been freed
    assert made
