"""The levers a late-lever watch undoes if they show up after their run ended (pure).

A lever the inverters apply late (a command they took after its confirmation had timed out)
lands after the run put the everyday value back. The watch keeps, for a while after each run,
every lever that run changed with the value it saved; one run's watch never replaces
another's: a second run ending while the first one's lever is still on its way adds its own
levers and keeps the first one's until the later of the two watches runs out.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ..calibration import PlanItem, RunDataError
from ..calibration.codec import decode_item, encode_item
from ..calibration.plan import VALUE_TOLERANCE
from ..model import SettingKey, SettingValue, SystemState, values_match
from ..numbers import is_number

# (unit, setting, the run's lever value): two runs may have changed one setting to two values.
type LateKey = tuple[int, SettingKey, SettingValue]


@dataclass
class LateLevers:
    """The watched levers, each with the value to put back, and when the watch ends."""

    saved: dict[LateKey, SettingValue] = field(default_factory=dict)
    until: float = 0.0

    def __bool__(self) -> bool:
        """True while there is a lever to watch (expired or not)."""
        return bool(self.saved)

    def add(self, items: Iterable[PlanItem], now: float, watch_s: float) -> None:
        """Watch a run's changed levers for ``watch_s`` more seconds, keeping the others."""
        self.expire(now)
        for item in items:
            if item.changes:
                self.saved[(item.unit, item.setting, item.to_value)] = item.from_value
        if self.saved:
            self.until = max(self.until, now + watch_s)

    def expire(self, now: float) -> bool:
        """Forget everything once the watch has run out; True if it has."""
        if now > self.until:
            self.saved.clear()
            return True
        return False

    def forget(self, setting: SettingKey) -> None:
        """The owner set ``setting`` through eg4: it is theirs now, not a late lever."""
        self.saved = {k: v for k, v in self.saved.items() if k[1] is not setting}

    def settings(self) -> frozenset[SettingKey]:
        """The settings watched (for the transport to read back on every poll)."""
        return frozenset(key for _unit, key, _lever in self.saved)

    def landed(self, state: SystemState, held: Iterable[SettingKey]) -> list[PlanItem]:
        """The levers the units read back now, as items that put the saved values back.

        A setting a run under way holds is its own lever, not a late one.
        """
        skip = set(held)
        return [
            PlanItem(setting=key, unit=unit, from_value=lever, to_value=saved)
            for (unit, key, lever), saved in self.saved.items()
            if key not in skip
            and unit in state.inverters
            and values_match(state.inverters[unit].settings.get(key), lever, VALUE_TOLERANCE)
        ]

    def export(self) -> dict[str, Any] | None:
        """As stored data (a reload resumes the watch); None when there is nothing to watch."""
        if not self.saved:
            return None
        return {
            "until": self.until,
            "items": [
                encode_item(PlanItem(setting=key, unit=unit, from_value=saved, to_value=lever))
                for (unit, key, lever), saved in self.saved.items()
            ],
        }

    @classmethod
    def resume(cls, raw: object, now: float) -> LateLevers:
        """A stored watch that has not run out (unreadable or expired data: nothing)."""
        if not isinstance(raw, dict) or not isinstance(raw.get("items"), list):
            return cls()
        until = raw.get("until")
        if not is_number(until) or until < now:  # as ``expire``: the last instant still runs
            return cls()
        try:
            items = [decode_item(item) for item in raw["items"]]
        except RunDataError:
            return cls()
        saved = {(i.unit, i.setting, i.to_value): i.from_value for i in items}
        return cls(saved=saved, until=float(until))
