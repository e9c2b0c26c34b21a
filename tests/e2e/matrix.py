"""Scripts for the fault matrices (``test_fault_matrix``, ``test_fault_matrix_cloud``).

The steps must be awaited inside Home Assistant's event loop, which hypothesis cannot drive:
the scripts are drawn in advance (the explicit ones first), and a failure is reported with
its script rather than shrunk. ``EG4_FAULT_MATRIX_EXAMPLES`` sets how many are drawn (default
12; the long profile runs thousands, outside CI) and ``EG4_FAULT_MATRIX_RANDOM`` draws them at
random instead of the same ones every run.
"""

from __future__ import annotations

import logging
import os
from typing import Any, Protocol

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

_LOGGER = logging.getLogger(__name__)

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


class Case(Protocol):
    """One script's system, as a matrix drives it."""

    step: int

    async def do(self, op: Op) -> None:
        """Take one step of the script."""

    def check(self) -> None:
        """Assert the invariant after a step."""

    async def converge(self) -> None:
        """Clear every fault, let time pass, and assert that everything converged."""


async def play(case: Case, index: int, script: list[Op]) -> None:
    """Every step of ``script``, the invariant after each, then the convergence."""
    for step, op in enumerate(script):
        case.step = step
        _LOGGER.info("script %d step %d: %s", index, step, op)
        await case.do(op)
        case.check()
    case.step = len(script)
    await case.converge()
