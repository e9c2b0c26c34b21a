"""Surroundings of the system: the PV day profile (per inverter) and the house load."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True, kw_only=True)
class PvProfile:
    """Clear-sky half-sine between sunrise and sunset; peak_w is per inverter unit."""

    sunrise_h: float = 6.5
    sunset_h: float = 19.5
    peak_w: float = 4000.0
    array_voltage_v: float = 160.0

    def power_w(self, hour: float, scale: float = 1.0) -> float:
        """Available PV power (W) at local hour (0..24)."""
        if not self.sunrise_h < hour < self.sunset_h:
            return 0.0
        phase = (hour - self.sunrise_h) / (self.sunset_h - self.sunrise_h)
        return max(0.0, self.peak_w * math.sin(math.pi * phase) * scale)

    def voltage_v(self, power_w: float, unit: int) -> float:
        """MPPT input voltage (V): 0 at night, near the array voltage in daylight."""
        if power_w <= 0.0:
            return 0.0
        ratio = min(1.0, power_w / self.peak_w) if self.peak_w > 0 else 0.0
        return self.array_voltage_v - 20.0 + 20.0 * ratio + 1.5 * (unit - 1)
