"""Phases, outcomes and stop reasons of a calibration run, and what a run records."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from ..safety import BreachReason


class Phase(StrEnum):
    """Where a calibration run is."""

    PREFLIGHT = "preflight"  # created, nothing written yet
    ENGAGING = "engaging"  # levers being written, then waiting for the bank to take charge
    BULK = "bulk"  # charging, highest cell below the absorption region
    ABSORPTION = "absorption"  # held high while the current tapers
    VERIFYING = "verifying"  # taper done: waiting for every pack to re-anchor
    REVERTING = "reverting"  # restoring the everyday settings
    SUCCEEDED = "succeeded"
    ABORTED = "aborted"
    FAILED = "failed"  # the revert could not be confirmed


# Phases in which the bank may be on calibration settings: a restart here must revert.
ACTIVE_PHASES = frozenset(
    {Phase.ENGAGING, Phase.BULK, Phase.ABSORPTION, Phase.VERIFYING, Phase.REVERTING}
)
# Phases supervised for breaches and time limits (reverting is already on its way out).
SUPERVISED_PHASES = frozenset({Phase.ENGAGING, Phase.BULK, Phase.ABSORPTION, Phase.VERIFYING})
TERMINAL_PHASES = frozenset({Phase.SUCCEEDED, Phase.ABORTED, Phase.FAILED})


class Outcome(StrEnum):
    """How a run ended."""

    SUCCEEDED = "succeeded"  # verified re-anchor, settings restored and confirmed
    ABORTED = "aborted"  # stopped early (or not verified), settings restored and confirmed
    FAILED = "failed"  # the restore could not be confirmed: the bank may still be on grid charge

    @property
    def phase(self) -> Phase:
        """The terminal phase of this outcome."""
        return Phase(self.value)


class StopReason(StrEnum):
    """Why a run moved to reverting (``completed`` when verification passed)."""

    COMPLETED = "completed"
    CELL_OVER_VOLTAGE = BreachReason.CELL_OVER_VOLTAGE.value
    OVER_TEMPERATURE = BreachReason.OVER_TEMPERATURE.value
    UNDER_TEMPERATURE = BreachReason.UNDER_TEMPERATURE.value
    PROTECTION = BreachReason.PROTECTION.value
    TELEMETRY_STALE = BreachReason.TELEMETRY_STALE.value
    MAX_DURATION = "max_duration"
    CANCELLED = "cancelled"
    ENGAGE_FAILED = "engage_failed"  # the lever writes were not confirmed
    DID_NOT_ENGAGE = "did_not_engage"  # settings confirmed but the bank did not start charging
    # The bank stopped charging before absorption (grid method): a setting the plan does not
    # know ended the charge (a charge SoC limit the bridge does not report), or the grid left.
    CHARGE_STOPPED = "charge_stopped"
    NOT_REANCHORED = "not_reanchored"  # taper done but packs did not read >= 99 % in time
    # A lever the run holds was changed outside eg4 (the inverter's panel, another tool): the
    # run stops, and leaves that setting as the owner set it.
    LEVER_CHANGED = "lever_changed"
    INTERRUPTED = "interrupted"  # Home Assistant restarted or the entry unloaded mid-run
    ERROR = "error"  # judging an update failed (a defect): stopped and reverted

    @classmethod
    def from_breach(cls, reason: BreachReason) -> StopReason:
        """The stop reason of a safety breach."""
        return cls(reason.value)


@dataclass(frozen=True, slots=True)
class PhaseEntry:
    """One entry of a run's phase history."""

    phase: Phase
    at: float
