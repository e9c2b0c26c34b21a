"""Charge the bank to a target SoC by a deadline at the lowest current (pure, no HA imports).

- ``planner``: the lowest current on the family's steps that gets there, or why none does.
- ``run``: the supervised run (a calibration run with its own steps), and ``load_run`` for
  a stored run of either kind.
"""

from __future__ import annotations

from .planner import (
    CHARGE_TO_REFUSALS,
    ChargeMethod,
    ChargePlan,
    ChargeRequest,
    CurrentSteps,
    plan_charge,
)
from .run import KIND, ChargeToRun, load_run

__all__ = [
    "CHARGE_TO_REFUSALS",
    "KIND",
    "ChargeMethod",
    "ChargePlan",
    "ChargeRequest",
    "ChargeToRun",
    "CurrentSteps",
    "load_run",
    "plan_charge",
]
