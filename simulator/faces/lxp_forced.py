"""lxp-bridge's forced discharge on the twin: register 21 bit 10 and its time windows 84-89.

``set/forced_discharge`` (a bool, as ``set/ac_charge``) switches bit 10 of register 21 by
read-modify-write; the windows (1: 84 start, 85 end; 2: 86 / 87; 3: 88 / 89) are written with
``set/hold/<register>`` (a packed ``hour | minute << 8``) or ``set/forced_discharge/<n>`` with
``{"start":"HH:MM","end":"HH:MM"}``, and read with ``read/forced_discharge/<n>``. All zero is a
window that is off. While the bit is on and the twin's time of day is inside a window, the unit
runs a forced discharge (``Inverter.quick``, the same physics as the portal's quick
discharge): :meth:`ForcedDischarge.follow` sets it before each publish.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..inverter import QuickTask
from ..portal_windows import pack, unpack
from ..twin import Twin

FORCED_DISCHARGE_BIT = 1 << 10
FIRST_REGISTER = 84
REGISTERS = tuple(range(FIRST_REGISTER, FIRST_REGISTER + 6))


def window_registers(window: int) -> tuple[int, int]:
    """The start and end registers of forced-discharge window 1-3."""
    start = FIRST_REGISTER + 2 * (window - 1)
    return start, start + 1


@dataclass
class ForcedDischarge:
    """Each unit's forced-discharge bit and windows."""

    twin: Twin
    enabled: dict[int, bool] = field(default_factory=dict)
    words: dict[int, dict[int, int]] = field(default_factory=dict)  # unit -> register -> raw

    def bits(self, unit: int) -> int:
        """Register 21's bit 10 of ``unit``."""
        return FORCED_DISCHARGE_BIT if self.enabled.get(unit, False) else 0

    def register(self, unit: int, register: int) -> int:
        """A window register's raw word (0: 00:00)."""
        return self.words.get(unit, {}).get(register, 0)

    def write(self, unit: int, register: int, value: int) -> str | None:
        """Set a window boundary; the reason when refused (not a time of the day)."""
        hour, minute = unpack(value)
        if hour > 23 or minute > 59:
            return f"register {register} = {value} is not a time of day"
        self.words.setdefault(unit, {})[register] = pack(hour, minute)
        self.follow()
        return None

    def switch(self, unit: int, on: bool) -> None:
        """Bit 10 on or off."""
        self.enabled[unit] = on
        self.follow()

    def window(self, unit: int, window: int) -> dict[str, str]:
        """The ``forced_discharge/<n>`` JSON of one window."""
        start, end = (unpack(self.register(unit, r)) for r in window_registers(window))
        return {"start": f"{start[0]:02d}:{start[1]:02d}", "end": f"{end[0]:02d}:{end[1]:02d}"}

    def active(self, unit: int) -> bool:
        """Bit 10 on and the twin's clock inside one of the unit's windows."""
        if not self.enabled.get(unit, False):
            return False
        now = int(self.twin.time_of_day_h * 60) % 1440
        for window in (1, 2, 3):
            start, end = (unpack(self.register(unit, r)) for r in window_registers(window))
            first, last = start[0] * 60 + start[1], end[0] * 60 + end[1]
            if first == last:
                continue  # off
            inside = first <= now < last if first < last else (now >= first or now < last)
            if inside:
                return True
        return False

    def follow(self) -> None:
        """Every unit runs a forced discharge exactly while its bit and a window say so."""
        for unit, inverter in enumerate(self.twin.inverters, start=1):
            if self.active(unit):
                inverter.quick = QuickTask.DISCHARGE
            elif inverter.quick is QuickTask.DISCHARGE:
                inverter.quick = None
