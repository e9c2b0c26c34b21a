"""Plain data model of an EG4 system: inverters, packs, settings, freshness.

No Home Assistant imports: this module is shared by transports, the coordinator,
the safety and calibration logic, and is unit-tested on its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import time
from enum import StrEnum


class OutputPriority(StrEnum):
    """Inverter output source priority (Voltronic/PI family)."""

    SUB = "sub"  # Solar - Utility - Battery: the grid carries loads, battery is kept
    SBU = "sbu"  # Solar - Battery - Utility: everyday self-consumption
    USB = "usb"  # Utility - Solar - Battery (utility first), where a bridge offers it


class ChargerPriority(StrEnum):
    """Inverter charger source priority."""

    SOLAR_FIRST = "solar_first"
    SOLAR_AND_UTILITY = "solar_and_utility"
    SOLAR_ONLY = "solar_only"
    UTILITY_FIRST = "utility_first"


class SettingKey(StrEnum):
    """Settings the integration reads back and, where a profile allows, writes."""

    OUTPUT_PRIORITY = "output_priority"
    CHARGER_PRIORITY = "charger_priority"
    MAX_CHARGE_CURRENT = "max_charge_current"
    MAX_UTILITY_CHARGE_CURRENT = "max_utility_charge_current"
    STOP_CHARGE_VOLTAGE = "stop_charge_voltage"  # "battery re-discharge voltage"
    RECHARGE_VOLTAGE = "recharge_voltage"
    BULK_VOLTAGE = "bulk_voltage"
    FLOAT_VOLTAGE = "float_voltage"
    # EG4 hybrid / LuxPower family (cloud, lxp-bridge)
    DISCHARGE_CURRENT = "discharge_current"
    AC_CHARGE_SOC_LIMIT = "ac_charge_soc_limit"
    CHARGE_SOC_LIMIT = "charge_soc_limit"
    # AC-charge time windows 1-3 of the hybrid family (holding registers 68-73): the grid may
    # charge the bank between a window's start and end (see ``settings.AC_CHARGE_WINDOWS``).
    AC_CHARGE_START_1 = "ac_charge_start_1"
    AC_CHARGE_END_1 = "ac_charge_end_1"
    AC_CHARGE_START_2 = "ac_charge_start_2"
    AC_CHARGE_END_2 = "ac_charge_end_2"
    AC_CHARGE_START_3 = "ac_charge_start_3"
    AC_CHARGE_END_3 = "ac_charge_end_3"
    # A quick charge / a quick (forced) discharge under way: 1 open, 0 none. The cloud starts
    # and stops them as portal tasks and reads them back from the task status; they are only
    # ever written by a supervised quick run (``quick``), never as an entity.
    QUICK_CHARGE = "quick_charge"
    QUICK_DISCHARGE = "quick_discharge"
    # lxp-bridge's forced-discharge time window 1 (holding registers 84 / 85): a forced
    # discharge (``QUICK_DISCHARGE`` there: register 21 bit 10) discharges inside it.
    FORCED_DISCHARGE_START_1 = "forced_discharge_start_1"
    FORCED_DISCHARGE_END_1 = "forced_discharge_end_1"


class SourceKind(StrEnum):
    """Kinds of telemetry source, each with its own freshness."""

    INVERTER = "inverter"
    PACK = "pack"


# A time of day is a window boundary, in whole minutes (``time(22, 30)``).
type SettingValue = float | OutputPriority | ChargerPriority | time
type MetricValue = float | str | bool


@dataclass(frozen=True, slots=True)
class SourceId:
    """One source of telemetry: an inverter or a pack, 1-based like the bridges."""

    kind: SourceKind
    index: int

    def __str__(self) -> str:
        """Return a short, stable label such as ``pack_3``."""
        return f"{self.kind.value}_{self.index}"


@dataclass(slots=True)
class DeviceState:
    """Readings of one inverter or pack."""

    source: SourceId
    metrics: dict[str, MetricValue] = field(default_factory=dict)
    last_seen: float | None = None  # timestamp (s) of the last reading of any key
    # Timestamp (s) of each key's last accepted reading (metric, protection or setting), set by
    # ingest: a key whose topic stops, or sends only refused values, ages while the others stay
    # fresh. Derived values (a delta from max - min, temperature_max) have no stamp of their own.
    seen_at: dict[str, float] = field(default_factory=dict)

    def reading_age(self, key: str, now: float) -> float | None:
        """Seconds since ``key`` was last accepted; None when the device never reported.

        A key without a stamp of its own (derived, or never reported) is as old as the
        device's last message.
        """
        seen = self.seen_at.get(key, self.last_seen)
        return None if seen is None else now - seen


@dataclass(slots=True)
class InverterState(DeviceState):
    """One inverter: telemetry plus the settings it reports."""

    settings: dict[SettingKey, SettingValue] = field(default_factory=dict)


@dataclass(slots=True)
class PackState(DeviceState):
    """One battery pack as its BMS reports it."""

    protection_flags: tuple[str, ...] = ()
    # True once the BMS itself reported a cell delta; until then it is derived from max - min.
    delta_reported: bool = False


@dataclass(slots=True)
class SystemState:
    """Everything known about one parallel group and its bank."""

    inverters: dict[int, InverterState]
    packs: dict[int, PackState]
    stale: set[SourceId] = field(default_factory=set)

    @classmethod
    def empty(cls, inverter_count: int, pack_count: int) -> SystemState:
        """Build a state with every expected source present and nothing known yet."""
        return cls(
            inverters={
                n: InverterState(SourceId(SourceKind.INVERTER, n))
                for n in range(1, inverter_count + 1)
            },
            packs={n: PackState(SourceId(SourceKind.PACK, n)) for n in range(1, pack_count + 1)},
        )

    def sources(self) -> list[SourceId]:
        """Every inverter, then every pack, in number order."""
        return [
            *(SourceId(SourceKind.INVERTER, n) for n in sorted(self.inverters)),
            *(SourceId(SourceKind.PACK, n) for n in sorted(self.packs)),
        ]

    def admit(self, source: SourceId) -> list[SourceId]:
        """Make ``source`` part of the system; return the sources added, in number order.

        Sources are numbered without gaps, like the configured counts: pack 9 joining a bank
        of 6 adds packs 7, 8 and 9 (pack 8 waits for its first reading). Nothing is added for
        a source already present or a number below 1.
        """
        devices: dict[int, InverterState] | dict[int, PackState]
        devices = self.inverters if source.kind is SourceKind.INVERTER else self.packs
        added: list[SourceId] = []
        for index in range(1, source.index + 1):
            if index in devices:
                continue
            new = SourceId(source.kind, index)
            if source.kind is SourceKind.INVERTER:
                self.inverters[index] = InverterState(new)
            else:
                self.packs[index] = PackState(new)
            added.append(new)
        return added

    def device(self, source: SourceId) -> DeviceState | None:
        """Return the state of one source, if it is part of this system."""
        if source.kind is SourceKind.INVERTER:
            return self.inverters.get(source.index)
        return self.packs.get(source.index)

    def is_fresh(self, source: SourceId) -> bool:
        """True when the source has reported and is not stale."""
        device = self.device(source)
        return device is not None and device.last_seen is not None and source not in self.stale

    def setting_values(self, key: SettingKey) -> dict[int, SettingValue | None]:
        """Return each inverter's reported value of one setting (None when unknown)."""
        return {n: inv.settings.get(key) for n, inv in self.inverters.items()}

    def group_setting(self, key: SettingKey) -> SettingValue | None:
        """Return the setting's value when every unit reports the same, else None."""
        values = list(self.setting_values(key).values())
        if not values or any(v is None for v in values):
            return None
        first = values[0]
        if all(_same(first, v) for v in values[1:]):
            return first
        return None

    def mismatched_settings(self) -> list[SettingKey]:
        """Settings that two or more units report with different values."""
        out: list[SettingKey] = []
        for key in SettingKey:
            known = [v for v in self.setting_values(key).values() if v is not None]
            if len(known) > 1 and not all(_same(known[0], v) for v in known[1:]):
                out.append(key)
        return out


def setting_text(value: SettingValue | None) -> str:
    """A setting value as people read it: ``80``, ``53.5``, ``sbu``, ``22:30``; or ``unknown``."""
    if value is None:
        return "unknown"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, time):
        return value.strftime("%H:%M")
    return value.value


def _same(a: SettingValue | None, b: SettingValue | None) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return abs(a - b) < 1e-6
    return a == b


def values_match(a: SettingValue | None, b: SettingValue | None, tolerance: float) -> bool:
    """Compare a read-back value with a target, numbers within ``tolerance``."""
    if isinstance(a, StrEnum | time) or isinstance(b, StrEnum | time):
        return a == b
    if isinstance(a, float) and isinstance(b, float):
        return abs(a - b) <= tolerance
    return False


# Capacity metrics of a pack source (Ah), where the source reports them: the pack's own full
# capacity (the cloud's battery info per pack), or the whole bank as one unit's BMS port
# reports it (lxp-bridge's ``bat_capacity``: every unit of a shared bank reports all of it).
PACK_CAPACITY = "capacity"
BANK_CAPACITY = "bank_capacity"
