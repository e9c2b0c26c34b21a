"""Scripts for the fault matrices (``test_fault_matrix``, ``test_fault_matrix_cloud``).

The steps must be awaited inside Home Assistant's event loop, which hypothesis cannot drive:
the scripts are drawn in advance (the explicit ones first), and a failure is reported with
its script rather than shrunk. ``EG4_FAULT_MATRIX_EXAMPLES`` sets how many are drawn (default
12; the long profile runs thousands, outside CI) and ``EG4_FAULT_MATRIX_RANDOM`` draws them at
random instead of the same ones every run.
"""

from __future__ import annotations

import os
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

type Op = tuple[str, Any]

COUNT = int(os.environ.get("EG4_FAULT_MATRIX_EXAMPLES", "12"))


def draw_scripts(ops: st.SearchStrategy[Op], explicit: list[list[Op]]) -> list[list[Op]]:
    """``explicit`` and then ``COUNT`` scripts of 1 to 12 steps drawn from ``ops``."""
    drawn: list[list[Op]] = []

    @settings(
        max_examples=COUNT,
        derandomize=os.environ.get("EG4_FAULT_MATRIX_RANDOM") is None,
        database=None,
        suppress_health_check=list(HealthCheck),
        deadline=None,
    )
    @given(st.lists(ops, min_size=1, max_size=12))
    def collect(script: list[Op]) -> None:
        drawn.append(script)

    for script in explicit:
        collect = example(script)(collect)
    collect()
    return drawn
