"""Small helpers shared by the simulator tests."""

from __future__ import annotations

from typing import Any

from simulator import ChargerPriority, OutputPriority, Twin, TwinConfig
from simulator.faces import Message


def coarse(**overrides: Any) -> TwinConfig:
    """A config with 60 s internal sub-steps, for tests that simulate many hours."""
    return TwinConfig(max_substep_s=60.0, **overrides)


def engage_grid_charge(twin: Twin) -> None:
    """SUB + solar_and_utility on every unit, bypassing the firmware checks."""
    twin.force_settings(
        output_priority=OutputPriority.SUB, charger_priority=ChargerPriority.SOLAR_AND_UTILITY
    )


def as_dict(messages: list[Message]) -> dict[str, str]:
    """topic -> payload."""
    return {m.topic: m.payload for m in messages}


def all_cells(twin: Twin) -> list[tuple[int, int, float]]:
    """(pack number, cell index, volts) for every cell."""
    return [(p.index, i, v) for p in twin.packs for i, v in enumerate(p.cell_voltages)]
