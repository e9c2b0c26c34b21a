"""The supervised calibration charge: plan, state machine and record (pure, no HA imports)."""

from __future__ import annotations

from .actions import Action, ApplyPlan, EnterPhase, Finish, StartRevert
from .codec import RunDataError, encode_item, encode_value
from .config import RunConfig
from .machine import CalibrationRun
from .plan import (
    CLOUD_FAMILY_LEVERS,
    PI_FAMILY_LEVERS,
    Method,
    PlanError,
    PlanItem,
    build_plan,
    restore_mismatches,
    revert_plan,
    saved_settings,
)
from .result import ACTIVE_PHASES, TERMINAL_PHASES, Outcome, Phase, PhaseEntry, StopReason

__all__ = [
    "ACTIVE_PHASES",
    "CLOUD_FAMILY_LEVERS",
    "PI_FAMILY_LEVERS",
    "TERMINAL_PHASES",
    "Action",
    "ApplyPlan",
    "CalibrationRun",
    "EnterPhase",
    "Finish",
    "Method",
    "Outcome",
    "Phase",
    "PhaseEntry",
    "PlanError",
    "PlanItem",
    "RunConfig",
    "RunDataError",
    "StartRevert",
    "StopReason",
    "build_plan",
    "encode_item",
    "encode_value",
    "restore_mismatches",
    "revert_plan",
    "saved_settings",
]
