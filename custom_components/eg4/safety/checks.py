"""The pre-flight's checks: stable ids, levels, and one failed check with its placeholders."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum


class Check(StrEnum):
    """Pre-flight checks, in the order their results are listed (warnings last)."""

    RUN_ACTIVE = "run_active"
    LATE_LEVER_ON = "late_lever_on"  # an earlier run's lever landed late, not yet put back
    TELEMETRY_STALE = "telemetry_stale"
    TELEMETRY_MISSING = "telemetry_missing"
    TEMPERATURE_OUT_OF_RANGE = "temperature_out_of_range"
    PROTECTION_ACTIVE = "protection_active"
    CELL_VOLTAGE_HIGH = "cell_voltage_high"
    CELL_DELTA_HIGH = "cell_delta_high"
    PACK_VOLTAGE_IMBALANCE = "pack_voltage_imbalance"
    SETTINGS_OUT_OF_SYNC = "settings_out_of_sync"
    SETTING_UNKNOWN = "setting_unknown"
    SETTING_NOT_RESTORABLE = "setting_not_restorable"
    COLD_DERATED = "cold_derated"  # a warning: the BMS lets less current in


class CheckLevel(StrEnum):
    """Whether a check's failure refuses the run or only informs."""

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class CheckFailure:
    """One failed pre-flight check: a stable id and string placeholders for its message."""

    check: Check
    placeholders: dict[str, str] = field(default_factory=dict)
    level: CheckLevel = CheckLevel.ERROR

    @property
    def blocks(self) -> bool:
        """True when this failure refuses the run (an error, not a warning)."""
        return self.level is CheckLevel.ERROR


def source_of(value: str) -> str:
    """The device a value is about: ``pack_3`` of ``pack_3 cell_voltage_max: 312 s``."""
    return value.split(":", 1)[0].split(" ", 1)[0]


def failure(
    check: Check,
    values: list[str],
    *,
    level: CheckLevel = CheckLevel.ERROR,
    **extra: str,
) -> CheckFailure:
    """A failure listing ``values`` (``"<source>[ <reading>]: <value>"``) and their sources."""
    return CheckFailure(
        check,
        {"sources": joined(source_of(v) for v in values), "values": "; ".join(values), **extra},
        level,
    )


def joined(items: Iterable[str]) -> str:
    """Distinct items, first occurrence first, comma separated."""
    return ", ".join(dict.fromkeys(items))
