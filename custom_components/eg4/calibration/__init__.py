"""The supervised calibration charge: plan, state machine and record (pure, no HA imports)."""

from __future__ import annotations

from .actions import Action, ApplyPlan, EnterPhase, Finish, StartRevert
from .codec import RunDataError, encode_item, encode_value
from .config import RunConfig
from .estimate import LIFEPOWER4, Estimate, PackFamily, estimate
from .judge import PackStatus, PackTally
from .machine import CalibrationRun
from .plan import (
    CHARGE_LIMITS,
    CLOUD_FAMILY_LEVERS,
    PI_FAMILY_LEVERS,
    PLAN_ERROR_REASONS,
    Method,
    PlanItem,
    build_plan,
    restore_mismatches,
    revert_plan,
    saved_settings,
)
from .result import ACTIVE_PHASES, TERMINAL_PHASES, Outcome, Phase, PhaseEntry, StopReason
from .summary import RunSummary

__all__ = [
    "ACTIVE_PHASES",
    "CHARGE_LIMITS",
    "CLOUD_FAMILY_LEVERS",
    "LIFEPOWER4",
    "PI_FAMILY_LEVERS",
    "PLAN_ERROR_REASONS",
    "TERMINAL_PHASES",
    "Action",
    "ApplyPlan",
    "CalibrationRun",
    "EnterPhase",
    "Estimate",
    "Finish",
    "Method",
    "Outcome",
    "PackFamily",
    "PackStatus",
    "PackTally",
    "Phase",
    "PhaseEntry",
    "PlanItem",
    "RunConfig",
    "RunDataError",
    "RunSummary",
    "StartRevert",
    "StopReason",
    "build_plan",
    "encode_item",
    "encode_value",
    "estimate",
    "restore_mismatches",
    "revert_plan",
    "saved_settings",
]
