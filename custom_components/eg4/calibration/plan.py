"""What a calibration writes and what it restores (pure, no Home Assistant imports)."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

from ..model import (
    ChargerPriority,
    OutputPriority,
    SettingKey,
    SettingValue,
    SystemState,
    setting_text,
    values_match,
)
from ..refusal import RefusedError


class Method(StrEnum):
    """How the full charge is brought about."""

    GRID = "grid"  # engage the grid-charge levers, supervise, always revert
    SOLAR = "solar"  # change nothing: supervise a sunny day's full charge and verify


# Lever order matters: the enabling setting first, the one that starts the charge last, so a
# revert (the reverse order) stops the charge with its first write.
# Voltronic/PI family (LVX6048 via powermon, Solar Assistant): a grid charge needs SUB output
# priority AND solar_and_utility charger priority; charger priority alone does nothing under SBU.
PI_FAMILY_LEVERS: Mapping[SettingKey, SettingValue] = MappingProxyType(
    {
        SettingKey.CHARGER_PRIORITY: ChargerPriority.SOLAR_AND_UTILITY,
        SettingKey.OUTPUT_PRIORITY: OutputPriority.SUB,
    }
)
# EG4 hybrid family (cloud, lxp-bridge): AC charge up to 100 % with the utility allowed.
CLOUD_FAMILY_LEVERS: Mapping[SettingKey, SettingValue] = MappingProxyType(
    {
        SettingKey.AC_CHARGE_SOC_LIMIT: 100.0,
        SettingKey.CHARGER_PRIORITY: ChargerPriority.SOLAR_AND_UTILITY,
    }
)

# Settings that end a charge early: the hybrid family stops charging once the bank's SoC reads
# them, and a drifted-high pack pulls that reading up before the others re-anchor. A grid run
# raises each below its value here for the run and restores it with the other levers; the solar
# method writes nothing, so a limit on all charging refuses it. The system charge SoC limit
# takes 101 ("no limit": charge until the BMS says full); the AC-charge one goes up to 100.
CHARGE_LIMITS: Mapping[SettingKey, float] = MappingProxyType(
    {
        SettingKey.CHARGE_SOC_LIMIT: 101.0,  # all charging
        SettingKey.AC_CHARGE_SOC_LIMIT: 100.0,  # grid (AC) charging only
    }
)
SOLAR_CHARGE_LIMITS = frozenset({SettingKey.CHARGE_SOC_LIMIT})

VALUE_TOLERANCE = 1e-3  # float settings are compared within this after a read-back
# Every translation key a refused plan (RefusedError) may carry.
PLAN_ERROR_REASONS = (
    "plan_no_levers",
    "plan_no_inverters",
    "plan_setting_unknown",
    "plan_charge_limit_not_writable",
    "plan_charge_limited",
)


@dataclass(frozen=True, slots=True, kw_only=True)
class PlanItem:
    """One setting of one unit: its value before and the value to write."""

    setting: SettingKey
    unit: int
    from_value: SettingValue
    to_value: SettingValue

    @property
    def changes(self) -> bool:
        """False when the unit already holds the target value."""
        return not values_match(self.from_value, self.to_value, VALUE_TOLERANCE)


def low_charge_limits(
    state: SystemState, keys: Collection[SettingKey] = tuple(CHARGE_LIMITS)
) -> dict[SettingKey, dict[int, float]]:
    """Each charge limit of ``keys`` that some unit reports below its run value, per unit."""
    out: dict[SettingKey, dict[int, float]] = {}
    for key in keys:
        target = CHARGE_LIMITS[key]
        low = {
            unit: value
            for unit, value in sorted(state.setting_values(key).items())
            if isinstance(value, float) and value < target - VALUE_TOLERANCE
        }
        if low:
            out[key] = low
    return out


def _limit_placeholders(key: SettingKey, low: Mapping[int, float]) -> dict[str, str]:
    return {
        "setting": key.value,
        "value": ", ".join(f"inverter_{unit} {setting_text(v)}" for unit, v in low.items()),
        "limit": setting_text(CHARGE_LIMITS[key]),
    }


def build_plan(
    method: Method,
    state: SystemState,
    levers: Mapping[SettingKey, SettingValue],
    *,
    writable: Collection[SettingKey] | None = None,
) -> list[PlanItem]:
    """Every unit, every lever: from its read-back value to the lever value.

    Items come grouped by setting, in the levers' order, units ascending. Items whose unit
    already holds the target are kept (``changes`` is False) so the revert restores them too.
    A charge limit (``CHARGE_LIMITS``) that a unit reports below its run value and that is not
    a lever already comes first, raised for the run: it needs to be in ``writable`` (the transport's
    writable settings; by default only the levers are), or the plan is refused
    (``charge_limit_not_writable``). The solar method writes nothing: a limit on all charging
    refuses it (``charge_limited``). Raises RefusedError when a value to restore is unknown.
    """
    if method is Method.SOLAR:
        blocking = low_charge_limits(state, SOLAR_CHARGE_LIMITS)
        if blocking:
            raise RefusedError(
                "plan_charge_limited", **_limit_placeholders(*next(iter(blocking.items())))
            )
        return []
    if not levers:
        raise RefusedError("plan_no_levers")
    if not state.inverters:
        raise RefusedError("plan_no_inverters")
    allowed = set(levers) if writable is None else set(writable)
    raised: dict[SettingKey, SettingValue] = {}
    for key, low in low_charge_limits(state).items():
        if key in levers:
            continue
        if key not in allowed:
            raise RefusedError("plan_charge_limit_not_writable", **_limit_placeholders(key, low))
        raised[key] = CHARGE_LIMITS[key]
    items: list[PlanItem] = []
    for key, target in {**raised, **levers}.items():
        for unit, current in sorted(state.setting_values(key).items()):
            if current is None:
                raise RefusedError("plan_setting_unknown", setting=key.value, unit=str(unit))
            items.append(PlanItem(setting=key, unit=unit, from_value=current, to_value=target))
    return items


def revert_plan(plan: Sequence[PlanItem]) -> list[PlanItem]:
    """The reverse of a plan: last lever first, each back to the value it had before."""
    return [
        PlanItem(setting=i.setting, unit=i.unit, from_value=i.to_value, to_value=i.from_value)
        for i in reversed(plan)
    ]


def saved_settings(plan: Sequence[PlanItem]) -> dict[int, dict[SettingKey, SettingValue]]:
    """What to restore, per unit."""
    saved: dict[int, dict[SettingKey, SettingValue]] = {}
    for item in plan:
        saved.setdefault(item.unit, {})[item.setting] = item.from_value
    return saved


def restore_mismatches(
    plan: Sequence[PlanItem], restored: Mapping[int, Mapping[SettingKey, SettingValue | None]]
) -> list[str]:
    """Compare read-back values after a revert with what was saved; describe every mismatch."""
    out: list[str] = []
    for unit, settings in saved_settings(plan).items():
        for key, value in settings.items():
            got = restored.get(unit, {}).get(key)
            if not values_match(got, value, VALUE_TOLERANCE):
                out.append(
                    f"inverter_{unit} {key.value}: {setting_text(got)} != {setting_text(value)}"
                )
    return out
