"""The portal's named parameters of each unit: reads (with ``valueFrame``) and writes.

Parameter reads return engineering units as strings (``FUNC_*`` as JSON booleans), as the portal
does, plus ``valueFrame``: the window's raw holding-register words, little-endian, base64.

The twin models LVX6048-like units, so only some portal parameters move its physics:
``HOLD_LEAD_ACID_CHARGE_RATE`` (max charge current), ``HOLD_AC_CHARGE_BATTERY_CURRENT`` (max
utility charge current), ``HOLD_LEAD_ACID_CHARGE_VOLT_REF`` (bulk), ``HOLD_FLOATING_VOLTAGE``
(float), ``FUNC_AC_CHARGE`` (on = SUB + solar_and_utility, off = SBU + solar_first), and the
charge SoC limits ``HOLD_AC_CHARGE_SOC_LIMIT`` (register 67) and ``HOLD_SYSTEM_CHARGE_SOC_LIMIT``
(227), which end the twin's (grid) charge once the bank reads them; their range is the twin
firmware's (67: 0..100, 100 = to full; 227: 10..101, 101 = none), as on the lxp-bridge face.
The off-grid XP units have no register 67. Discharge current and the AC-charge start/end SoC
(160 / 161) have no twin counterpart: they are stored per unit here, range-checked, and read
back, but change nothing physical.

Firmware: with ``currents`` unset the twin's own rules apply (10..80 A in steps of 10). A
portal model with its own rule (the hybrids and XP units: whole amps 0..250) checks the charge
currents itself; a value the twin's firmware also takes goes through ``Twin.submit`` as usual,
one only this model takes (25 A, 215 A) honours the twin's NAK and delay rules here and is set
with ``Twin.force_settings`` (a delayed one at the first portal request due, see
:meth:`ParamStore.apply_due`). :class:`ParamStore` is shared with the lxp-bridge face, which
reads and writes the same parameters by holding-register number.
"""

from __future__ import annotations

import base64
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .inverter import Inverter
from .portal_models import CurrentRule
from .portal_windows import PART_PARAMS, TIME_PARAMS, WindowStore
from .settings import (
    ChargerPriority,
    Command,
    OutputPriority,
    Setting,
    SettingValue,
    validate,
)
from .twin import JournalEntry, Twin

_LOG = logging.getLogger(__name__)
REJECTED = "REMOTE_SET_ERROR"

# name -> (register, lowest, highest) of parameters stored here (no twin counterpart).
STORED: dict[str, tuple[int, int, int]] = {
    "HOLD_LEAD_ACID_DISCHARGE_RATE": (102, 0, 250),
    "HOLD_AC_CHARGE_START_BATTERY_SOC": (160, 0, 90),
    "HOLD_AC_CHARGE_END_BATTERY_SOC": (161, 0, 100),
}
STORED_DEFAULTS: dict[str, int] = {
    "HOLD_LEAD_ACID_DISCHARGE_RATE": 200,
    "HOLD_AC_CHARGE_START_BATTERY_SOC": 20,
    "HOLD_AC_CHARGE_END_BATTERY_SOC": 100,
}
# name -> (register, twin setting) of parameters that are the twin's own settings.
TWIN_PARAMS: dict[str, tuple[int, Setting]] = {
    "HOLD_LEAD_ACID_CHARGE_VOLT_REF": (99, Setting.BULK_VOLTAGE),
    "HOLD_LEAD_ACID_CHARGE_RATE": (101, Setting.MAX_CHARGE_CURRENT),
    "HOLD_FLOATING_VOLTAGE": (144, Setting.FLOAT_VOLTAGE),
    "HOLD_AC_CHARGE_BATTERY_CURRENT": (168, Setting.MAX_UTILITY_CHARGE_CURRENT),
    "HOLD_AC_CHARGE_SOC_LIMIT": (67, Setting.AC_CHARGE_SOC_LIMIT),
    "HOLD_SYSTEM_CHARGE_SOC_LIMIT": (227, Setting.SYSTEM_CHARGE_SOC_LIMIT),
}
_CURRENT_SETTINGS = (Setting.MAX_CHARGE_CURRENT, Setting.MAX_UTILITY_CHARGE_CURRENT)
_INTEGER_SETTINGS = (
    *_CURRENT_SETTINGS,
    Setting.AC_CHARGE_SOC_LIMIT,
    Setting.SYSTEM_CHARGE_SOC_LIMIT,
)
_DECIVOLT_SETTINGS = (Setting.BULK_VOLTAGE, Setting.FLOAT_VOLTAGE)
AC_CHARGE = "FUNC_AC_CHARGE"
FUNC_REGISTER = 21
DEVICE_TYPE_REGISTER = 19
DEVICE_TYPE_CODE = "HOLD_DEVICE_TYPE_CODE"
# Register-21 bits served read-only, and the bit of each register-21 name.
STATIC_FUNCS = {"FUNC_EPS_EN": True, "FUNC_SET_TO_STANDBY": True, "FUNC_FORCED_CHG_EN": False}
FUNC_BITS = {"FUNC_EPS_EN": 0, AC_CHARGE: 7, "FUNC_SET_TO_STANDBY": 9, "FUNC_FORCED_CHG_EN": 11}
GRID_CHARGE_ON = Command(
    (
        (Setting.OUTPUT_PRIORITY, OutputPriority.SUB),
        (Setting.CHARGER_PRIORITY, ChargerPriority.SOLAR_AND_UTILITY),
    )
)
GRID_CHARGE_OFF = Command(
    (
        (Setting.OUTPUT_PRIORITY, OutputPriority.SBU),
        (Setting.CHARGER_PRIORITY, ChargerPriority.SOLAR_FIRST),
    )
)


def grid_charging(inv: Inverter) -> bool:
    """What ``FUNC_AC_CHARGE`` reads: the unit may charge the bank from the grid."""
    s = inv.settings
    return (
        s.charger_priority is ChargerPriority.SOLAR_AND_UTILITY
        and s.output_priority is not OutputPriority.SBU
    )


def _fmt(value: SettingValue) -> str:
    return f"{float(value):g}" if isinstance(value, int | float) else str(value)


@dataclass(frozen=True)
class _Deferred:
    """A delayed write of a value only the portal model's firmware takes."""

    apply_at_s: float
    unit: int
    setting: Setting
    value: int


@dataclass
class ParamStore:
    """Per-unit named parameters: twin settings plus the ones kept here.

    ``source`` names the path in the twin's journal (``cloud``, ``lxp_bridge``); ``currents``
    is the model's charge-current rule (None: the twin's own); ``device_type_code`` is served
    as ``HOLD_DEVICE_TYPE_CODE`` (register 19) when set.
    """

    twin: Twin
    off_grid: bool = False
    source: str = "cloud"
    currents: CurrentRule | None = None
    device_type_code: int | None = None
    stored: dict[int, dict[str, int]] = field(default_factory=dict)
    deferred: list[_Deferred] = field(default_factory=list)
    windows: WindowStore = field(default_factory=WindowStore)  # AC-charge windows (68-73)

    def _unit_store(self, unit: int) -> dict[str, int]:
        return self.stored.setdefault(unit, dict(STORED_DEFAULTS))

    def _available(self, name: str) -> bool:
        return not (self.off_grid and name == "HOLD_AC_CHARGE_SOC_LIMIT")

    # ------------------------------------------------------------------ reads
    def read(self, unit: int, start: int, count: int) -> dict[str, Any]:
        """Named parameters whose register lies in ``[start, start + count)``."""
        self.apply_due()
        inv = self.twin.inverter(unit)
        end = start + count
        out: dict[str, Any] = {}
        for name, (register, setting) in TWIN_PARAMS.items():
            if start <= register < end and self._available(name):
                out[name] = _fmt(inv.settings.get(setting))
        for name, (register, _, _) in STORED.items():
            if start <= register < end and self._available(name):
                out[name] = str(self._unit_store(unit)[name])
        if start <= FUNC_REGISTER < end:
            out[AC_CHARGE] = grid_charging(inv)
            out.update(STATIC_FUNCS)
        if self.device_type_code is not None and start <= DEVICE_TYPE_REGISTER < end:
            out[DEVICE_TYPE_CODE] = self.device_type_code
        if not self.off_grid:
            out.update(self.windows.read(unit, start, end))
        return dict(sorted(out.items()))

    def registers(self, unit: int) -> dict[int, int]:
        """Raw holding-register words of every register this store knows."""
        self.apply_due()
        settings = self.twin.inverter(unit).settings
        words: dict[int, int] = {}
        for name, (register, setting) in TWIN_PARAMS.items():
            if not self._available(name):
                continue
            value = float(settings.get(setting))
            words[register] = round(value * 10) if setting in _DECIVOLT_SETTINGS else round(value)
        for name, (register, _, _) in STORED.items():
            if self._available(name):
                words[register] = self._unit_store(unit)[name]
        flags = {AC_CHARGE: grid_charging(self.twin.inverter(unit)), **STATIC_FUNCS}
        words[FUNC_REGISTER] = sum(1 << FUNC_BITS[name] for name, on in flags.items() if on)
        if self.device_type_code is not None:
            words[DEVICE_TYPE_REGISTER] = self.device_type_code
        if not self.off_grid:
            words.update(self.windows.unit(unit))
        return words

    def value_frame(self, unit: int, start: int, count: int) -> str:
        """``valueFrame`` of a read: the window's raw words, little-endian, base64."""
        words = self.registers(unit)
        raw = b"".join(
            (words.get(r, 0) & 0xFFFF).to_bytes(2, "little") for r in range(start, start + count)
        )
        return base64.b64encode(raw).decode("ascii")

    # ------------------------------------------------------------------ writes
    def write(
        self, unit: int, name: str, value_text: str, *, request: str | None = None
    ) -> str | None:
        """Apply ``remoteSet/write``; None when accepted, else the portal's message.

        Every write is journaled: twin settings by ``Twin.submit``, the rest here
        (``request`` is how the journal shows it; ``name=value`` by default).
        """
        self.apply_due()
        if name in TWIN_PARAMS and self._available(name):
            setting = TWIN_PARAMS[name][1]
            if self.currents is not None and setting in _CURRENT_SETTINGS:
                return self._write_current(unit, setting, value_text, request)
            value = _parse(value_text, integer=setting in _INTEGER_SETTINGS)
            if value is None:
                reason = f"{name} {value_text!r} is not a value this firmware takes"
                self.journal(unit, request or f"{setting.value}={value_text}", reason)
                return REJECTED
            return self._submit(unit, Command.single(setting, value))
        if name in STORED and self._available(name):
            return self._write_stored(unit, name, value_text, request or f"{name}={value_text}")
        if name in PART_PARAMS and not self.off_grid:
            shown = request or f"{name}={value_text}"
            return self._settle(unit, shown, lambda: self.windows.set_part(unit, name, value_text))
        return REJECTED

    def write_time(
        self, unit: int, name: str, hour: int, minute: int, *, request: str | None = None
    ) -> str | None:
        """Apply ``remoteSet/writeTime`` of an AC-charge window boundary (or its register)."""
        register = TIME_PARAMS.get(name)
        if register is None or self.off_grid:
            return REJECTED
        shown = request or f"{name}={hour:02d}:{minute:02d}"
        return self._settle(unit, shown, lambda: self.windows.set(unit, register, hour, minute))

    def _settle(self, unit: int, request: str, apply: Callable[[], str | None]) -> str | None:
        """A stored write: NAK rules without a setting first, then ``apply``'s own check."""
        reason = self.twin.faults.nak_command(unit, self.twin.inverter(unit).settings) or apply()
        self.journal(unit, request, reason)
        return None if reason is None else REJECTED

    def _write_current(
        self, unit: int, setting: Setting, text: str, request: str | None
    ) -> str | None:
        """A charge current under the model's own firmware rule (see the module docstring)."""
        assert self.currents is not None  # noqa: S101 - the caller checked
        number = _parse(text, integer=False)
        reason = (
            f"charge current {text!r} is not a number"
            if number is None
            else self.currents.check(number)
        )
        shown = request or f"{setting.value}={text}"
        if number is None or reason is not None:
            self.journal(unit, shown, reason)
            return REJECTED
        command = Command.single(setting, int(number))
        current = self.twin.inverter(unit).settings
        if validate(current, command) is None:
            return self._submit(unit, command)
        nak = self.twin.faults.naks([unit], {unit: current}, command).get(unit)
        if nak is not None:
            self.journal(unit, shown, nak)
            return REJECTED
        delay = self.twin.faults.delay_for([unit], command)[unit]
        if delay > 0.0:
            due = self.twin.clock_s + delay
            self.deferred.append(_Deferred(due, unit, setting, int(number)))
            self.journal(unit, shown, None, apply_at_s=due)
        else:
            self.twin.force_settings([unit], **{setting.value: int(number)})
            self.journal(unit, shown, None)
        return None

    def apply_due(self) -> None:
        """Set every deferred model-only value whose time has come (twin clock)."""
        if not self.deferred:
            return
        now = self.twin.clock_s + 1e-9
        due = sorted((d for d in self.deferred if d.apply_at_s <= now), key=lambda d: d.apply_at_s)
        self.deferred = [d for d in self.deferred if d.apply_at_s > now]
        for item in due:
            self.twin.force_settings([item.unit], **{item.setting.value: item.value})
            _LOG.info("delayed write applied on unit %s: %s", item.unit, item.setting.value)

    def _write_stored(self, unit: int, name: str, text: str, request: str) -> str | None:
        """A parameter kept here: NAK rules without a setting apply, then its range."""

        def store() -> str | None:
            _, low, high = STORED[name]
            number = _parse(text, integer=True)
            if number is None or not low <= number <= high:
                return f"{name} {text} is outside {low}..{high}"
            self._unit_store(unit)[name] = int(number)
            return None

        return self._settle(unit, request, store)

    def journal(
        self, unit: int, request: str, reason: str | None, *, apply_at_s: float | None = None
    ) -> None:
        """Record a command settled without the twin's firmware (reason None = applied)."""
        clock = self.twin.clock_s
        accepted = reason is None
        self.twin.journal.append(
            JournalEntry(
                clock,
                self.source,
                (unit,),
                request,
                accepted=accepted,
                reason=reason or "",
                apply_at_s=(clock if apply_at_s is None else apply_at_s) if accepted else None,
            )
        )
        if accepted:
            _LOG.info("%s applied %s on unit %s", self.source, request, unit)
        else:
            _LOG.info("%s rejected %s on unit %s: %s", self.source, request, unit, reason)

    def function(self, unit: int, name: str, enable: bool) -> str | None:
        """Apply ``remoteSet/functionControl``; None when accepted, else the message."""
        self.apply_due()
        if name != AC_CHARGE:
            return REJECTED
        return self._submit(unit, GRID_CHARGE_ON if enable else GRID_CHARGE_OFF)

    def _submit(self, unit: int, command: Command) -> str | None:
        result = self.twin.submit([unit], command, source=self.source)
        return None if result.accepted else REJECTED


def _parse(text: str, *, integer: bool) -> int | float | None:
    try:
        number = float(text)
    except ValueError:
        return None
    if not math.isfinite(number):
        return None
    if integer:
        return int(number) if number == int(number) else None
    return number
