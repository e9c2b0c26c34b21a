"""The levers a late-lever watch undoes if they show up after their run ended (pure).

A lever the inverters apply late (a command they took after its confirmation had timed out)
lands after the run put the everyday value back. The watch keeps, for a while after each run,
every lever that run changed with the value it saved; one run's watch never replaces
another's: a second run ending while the first one's lever is still on its way adds its own
levers and keeps the first one's until the later of the two watches runs out.

A lever that landed and whose undo the units have not confirmed is *stuck*: it outlives the
watch (and a restart, through the stored data) until it reads back as something else.
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
    stuck: set[LateKey] = field(default_factory=set)  # landed, and not confirmed undone

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
        """Once the watch has run out, forget every lever but the stuck ones; True if any."""
        if now <= self.until:
            return False
        kept = {k: v for k, v in self.saved.items() if k in self.stuck}
        forgotten = len(kept) != len(self.saved)
        self.saved = kept
        return forgotten

    def forget(self, setting: SettingKey) -> None:
        """The owner set ``setting`` through eg4: it is theirs now, not a late lever."""
        self.saved = {k: v for k, v in self.saved.items() if k[1] is not setting}
        self.stuck = {k for k in self.stuck if k[1] is not setting}

    def settings(self) -> frozenset[SettingKey]:
        """The settings watched (for the transport to read back on every poll)."""
        return frozenset(key for _unit, key, _lever in self.saved)

    def stick(self, items: Iterable[PlanItem]) -> bool:
        """These landed levers (``landed``'s items) are on until their undo is confirmed.

        True if one of them was not stuck yet.
        """
        keys = {(i.unit, i.setting, i.from_value) for i in items}
        new = not keys <= self.stuck
        self.stuck |= keys
        return new

    def unstick(self, items: Iterable[PlanItem]) -> None:
        """Their undo was confirmed by read-back."""
        self.stuck.difference_update((i.unit, i.setting, i.from_value) for i in items)

    def unstick_gone(self, state: SystemState, held: Iterable[SettingKey]) -> bool:
        """Stuck levers the units now read back as another value are off; True if any.

        (A unit that does not report the setting says nothing: its lever stays stuck.)
        """
        skip = set(held)
        gone = {
            (unit, key, lever)
            for unit, key, lever in self.stuck
            if key not in skip
            and unit in state.inverters
            and (value := state.inverters[unit].settings.get(key)) is not None
            and not values_match(value, lever, VALUE_TOLERANCE)
        }
        self.stuck -= gone
        return bool(gone)

    def stuck_names(self) -> list[str]:
        """The stuck levers, as the owner reads them: ``inverter 1 charger_priority``."""
        names = {
            (unit, key.value) for unit, key, _lever in self.stuck
        }  # (two runs, two values: one name)
        return [f"inverter {unit} {key}" for unit, key in sorted(names)]

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
            "stuck": [i for i, key in enumerate(self.saved) if key in self.stuck],
        }

    @classmethod
    def resume(cls, raw: object, now: float) -> LateLevers:
        """A stored watch as it is at ``now`` (run out: its stuck levers; unreadable: none)."""
        if not isinstance(raw, dict) or not isinstance(raw.get("items"), list):
            return cls()
        until = raw.get("until")
        stuck_at = raw.get("stuck", [])
        if not is_number(until) or not isinstance(stuck_at, list):
            return cls()
        try:
            items = [decode_item(item) for item in raw["items"]]
        except RunDataError:
            return cls()
        keys = [(i.unit, i.setting, i.to_value) for i in items]
        stuck = {keys[n] for n in stuck_at if type(n) is int and 0 <= n < len(keys)}
        late = cls(
            saved={key: i.from_value for key, i in zip(keys, items, strict=True)},
            until=float(until),
            stuck=stuck,
        )
        late.expire(now)  # as the live watch: the last instant still runs
        return late
