"""Quick charge and forced discharge for a while, supervised (pure, no HA imports).

- ``run``: the supervised run (a calibration run holding one lever for a duration), and
  ``load_run`` for a stored run of any kind.
"""

from __future__ import annotations

from .run import (
    DEFAULT_MINUTES,
    KIND,
    MAX_MINUTES,
    MIN_MINUTES,
    QuickAction,
    QuickRun,
    load_run,
)

__all__ = [
    "DEFAULT_MINUTES",
    "KIND",
    "MAX_MINUTES",
    "MIN_MINUTES",
    "QuickAction",
    "QuickRun",
    "load_run",
]
