"""The levers a run holds, watched in the read-backs: a change made outside eg4 (pure).

While a grid run holds its levers, eg4 refuses its own writes to them (``writes.py``); the
inverter's panel or another tool can still change one. The run then stops (``lever_changed``)
and leaves that setting as the owner set it: the change was made on purpose, and a revert
that writes the saved value over it would fight the owner. The other levers go back.

Only a read-back that *contradicts a confirmed lever* is a change. Not one:

- a read-back before the run's writes were all confirmed (the engage is still writing; a
  partial write may be rolled back): the host only asks once the run is engaged;
- a unit that has not reported the setting (yet), or reports nothing readable (None);
- a lever this watch has not yet seen read back at the run's value (the inverter applies
  it late, or the unit has not reported since): it is a change only once seen;
- a numeric read-back within ``LEVER_TOLERANCE`` of the lever (rounding by a bridge).

Reporting order does not matter: a setting changed on one unit is the owner's on every unit
(units of a parallel group share a command on some bridges, and the next unit's read-back may
simply not have arrived yet), so whatever the order, the same settings are left alone.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ..model import SettingKey, SettingValue, SystemState, setting_text, values_match
from .plan import PlanItem

# Numeric levers are whole-percent SoC limits: a read-back within half a step is the same.
LEVER_TOLERANCE = 0.5

type Seen = set[tuple[int, SettingKey]]


@dataclass(frozen=True, slots=True)
class LeverChange:
    """One unit reads back another value than the lever the run applied and saw confirmed."""

    unit: int
    setting: SettingKey
    lever: SettingValue
    value: SettingValue

    def describe(self) -> str:
        """``inverter_1 output_priority: sub -> sbu``."""
        return (
            f"inverter_{self.unit} {self.setting.value}: "
            f"{setting_text(self.lever)} -> {setting_text(self.value)}"
        )


def watch_levers(plan: Sequence[PlanItem], state: SystemState, seen: Seen) -> list[LeverChange]:
    """Compare each unit's read-back with its lever; note levers seen, return those changed.

    ``seen`` holds the (unit, setting) pairs already read back at the lever's value; this
    call adds the ones that read back at it now. Call it only once the run is engaged.
    """
    changes: list[LeverChange] = []
    for item in plan:
        inverter = state.inverters.get(item.unit)
        value = None if inverter is None else inverter.settings.get(item.setting)
        if value is None:
            continue
        key = (item.unit, item.setting)
        if values_match(value, item.to_value, LEVER_TOLERANCE):
            seen.add(key)
        elif key in seen:
            changes.append(LeverChange(item.unit, item.setting, item.to_value, value))
    return changes


def describe_changes(changes: Iterable[LeverChange]) -> str:
    """``inverter_1 output_priority: sub -> sbu; inverter_2 output_priority: sub -> sbu``."""
    return "; ".join(change.describe() for change in changes)


def restorable(plan: Sequence[PlanItem], owners: Iterable[SettingKey]) -> list[PlanItem]:
    """The plan without the settings the owner changed during the run (left as they are)."""
    left = frozenset(owners)
    return [item for item in plan if item.setting not in left]
