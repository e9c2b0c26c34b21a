"""What the simulated portal presents for an inverter model, and that model's firmware rules.

The twin's own firmware is LVX6048-like (charge currents 10..80 A in steps of 10). The portal's
models are EG4's cloud-monitored families, whose firmware takes other values: the grid-tied
hybrids (18kPV, 12kPV, FlexBOSS) and the off-grid XP units take any whole number of amps from
0 to 250 for the charge currents (public captures show 25 A and 215 A). A model named LVX6048
keeps the twin's rules. Identity numbers (device type code, sub-device type, firmware bytes)
are illustrative values of the kind the portal sends; ``fwCode`` is always
``<standard>-<slaveVersion><fwVersion>`` in hex, as on the portal.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from enum import StrEnum


class Family(StrEnum):
    """Control family of a portal model."""

    HYBRID = "hybrid"  # 18kPV, 12kPV, FlexBOSS 18/21, LXP (grid-tied)
    OFF_GRID = "off_grid"  # 6000XP, 12000XP (portal model SNA...)
    LVX = "lvx"  # LVX6048: the twin's own firmware


@dataclass(frozen=True)
class CurrentRule:
    """How a firmware takes a charge-current write: whole amps in ``low..high``."""

    low: int
    high: int

    def check(self, amps: float) -> str | None:
        """None when the firmware takes ``amps``, else the reason it refuses."""
        if not math.isfinite(amps) or amps != int(amps):
            return f"charge current {amps!r} A is not a whole number of amps"
        if not self.low <= amps <= self.high:
            return f"charge current {amps:g} A is outside {self.low}..{self.high} A"
        return None


WHOLE_AMPS_0_250 = CurrentRule(0, 250)


@dataclass(frozen=True)
class PortalModel:
    """How the portal describes one model (login, device list, inverter info, runtime)."""

    text: str
    family: Family
    device_type_code: int  # HOLD_DEVICE_TYPE_CODE (register 19)
    sub_device_type: int
    machine_type: int
    standard: str
    slave_version: int
    fw_version: int
    currents: CurrentRule | None  # None: the twin's own (LVX6048) rules

    @property
    def fw_code(self) -> str:
        """The firmware code the portal prints (``fAAB-2525``)."""
        return f"{self.standard}-{self.slave_version:02X}{self.fw_version:02X}"

    @property
    def off_grid(self) -> bool:
        """6000XP / 12000XP: no export, AC charge by schedule."""
        return self.family is Family.OFF_GRID


_OFF_GRID = re.compile(r"\dXP|SNA")  # 6000XP, 12000XP, SNA12K-US (not "LXP")


def _normalised(text: str) -> str:
    return text.upper().replace(" ", "").replace("-", "")


def is_off_grid(model: str) -> bool:
    """6000XP / 12000XP (portal model SNA...) units."""
    return _OFF_GRID.search(_normalised(model)) is not None


def portal_model(text: str) -> PortalModel:
    """The portal's description of the model named ``text`` (its ``deviceTypeText4APP``)."""
    name = _normalised(text)
    if "LVX" in name:
        return PortalModel(text, Family.LVX, 0, 0, 0, "LVXA", 0x10, 0x10, None)
    if _OFF_GRID.search(name):
        code = 38 if name.startswith("6000") else 54
        return PortalModel(text, Family.OFF_GRID, code, 1, 0, "ccaa", 0x1E, 0x1F, WHOLE_AMPS_0_250)
    if "FLEXBOSS" in name:
        return PortalModel(text, Family.HYBRID, 10284, 164, 1, "FAAB", 0x25, 0x25, WHOLE_AMPS_0_250)
    return PortalModel(text, Family.HYBRID, 2092, 164, 0, "fAAB", 0x25, 0x25, WHOLE_AMPS_0_250)
