"""JSON bodies of the EG4 cloud portal built from a twin, and named-parameter reads/writes.

Units follow the portal: runtime/battery ``vBat`` in 0.1 V, pack ``totalVoltage`` in 0.01 V,
pack ``current`` in 0.1 A, cell voltages in mV, cell temperatures in 0.1 degC, BMS limits in
0.01 A; powers in W. Parameter reads return engineering units as strings (``FUNC_*`` as JSON
booleans), as the portal does.

The twin models LVX6048-like units, so only some portal parameters move its physics:
``HOLD_LEAD_ACID_CHARGE_RATE`` (max charge current, firmware range 10..80 A step 10),
``HOLD_AC_CHARGE_BATTERY_CURRENT`` (max utility charge current), ``HOLD_LEAD_ACID_CHARGE_VOLT_REF``
(bulk), ``HOLD_FLOATING_VOLTAGE`` (float) and ``FUNC_AC_CHARGE`` (on = SUB + solar_and_utility,
off = SBU + solar_first). Discharge current and the SoC limits have no twin counterpart: they
are stored per unit here, range-checked, and read back, but change nothing physical.
:class:`ParamStore` is shared with the lxp-bridge face, which reads and writes the same
parameters by holding-register number.
"""

from __future__ import annotations

import logging
import math
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from .inverter import Inverter, UnitMode
from .settings import ChargerPriority, Command, OutputPriority, Setting, SettingValue
from .twin import JournalEntry, Twin

_LOG = logging.getLogger(__name__)
REJECTED = "REMOTE_SET_ERROR"
_EPOCH = datetime(2026, 6, 1, tzinfo=UTC)
# Numeric status codes are illustrative (the portal's meanings are undocumented).
_STATUS = {UnitMode.LINE: 32, UnitMode.BATTERY: 16, UnitMode.STANDBY: 0, UnitMode.FAULT: 1}
# Keys the portal omits from an offline (``lost``) runtime; the rest is the frozen mirror.
OFFLINE_OMITTED = frozenset(
    {"status", "ppv", "soc", "vBat", "pCharge", "pDisCharge", "batPower", "pinv", "prec", "peps"}
)

# name -> (register, lowest, highest) of parameters stored here (no twin counterpart).
STORED: dict[str, tuple[int, int, int]] = {
    "HOLD_LEAD_ACID_DISCHARGE_RATE": (102, 0, 250),
    "HOLD_AC_CHARGE_SOC_LIMIT": (67, 0, 101),
    "HOLD_AC_CHARGE_START_BATTERY_SOC": (160, 0, 90),
    "HOLD_AC_CHARGE_END_BATTERY_SOC": (161, 0, 100),
    "HOLD_SYSTEM_CHARGE_SOC_LIMIT": (227, 10, 101),
}
STORED_DEFAULTS: dict[str, int] = {
    "HOLD_LEAD_ACID_DISCHARGE_RATE": 200,
    "HOLD_AC_CHARGE_SOC_LIMIT": 90,
    "HOLD_AC_CHARGE_START_BATTERY_SOC": 20,
    "HOLD_AC_CHARGE_END_BATTERY_SOC": 100,
    "HOLD_SYSTEM_CHARGE_SOC_LIMIT": 101,
}
# name -> (register, twin setting) of parameters that are the twin's own settings.
TWIN_PARAMS: dict[str, tuple[int, Setting]] = {
    "HOLD_LEAD_ACID_CHARGE_VOLT_REF": (99, Setting.BULK_VOLTAGE),
    "HOLD_LEAD_ACID_CHARGE_RATE": (101, Setting.MAX_CHARGE_CURRENT),
    "HOLD_FLOATING_VOLTAGE": (144, Setting.FLOAT_VOLTAGE),
    "HOLD_AC_CHARGE_BATTERY_CURRENT": (168, Setting.MAX_UTILITY_CHARGE_CURRENT),
}
_INTEGER_SETTINGS = (Setting.MAX_CHARGE_CURRENT, Setting.MAX_UTILITY_CHARGE_CURRENT)
AC_CHARGE = "FUNC_AC_CHARGE"
FUNC_REGISTER = 21
# Register-21 bits served read-only.
STATIC_FUNCS = {"FUNC_EPS_EN": True, "FUNC_SET_TO_STANDBY": True, "FUNC_FORCED_CHG_EN": False}
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


def is_off_grid(model: str) -> bool:
    """6000XP / 12000XP (portal model SNA...) units."""
    name = model.upper().replace(" ", "").replace("-", "")
    return re.search(r"\dXP|SNA", name) is not None


def grid_charging(inv: Inverter) -> bool:
    """What ``FUNC_AC_CHARGE`` reads: the unit may charge the bank from the grid."""
    s = inv.settings
    return (
        s.charger_priority is ChargerPriority.SOLAR_AND_UTILITY
        and s.output_priority is not OutputPriority.SBU
    )


def _fmt(value: SettingValue) -> str:
    return f"{float(value):g}" if isinstance(value, int | float) else str(value)


@dataclass
class ParamStore:
    """Per-unit named parameters: twin settings plus the ones kept here.

    ``source`` names the path in the twin's journal (``cloud``, ``lxp_bridge``).
    """

    twin: Twin
    off_grid: bool = False
    source: str = "cloud"
    stored: dict[int, dict[str, int]] = field(default_factory=dict)

    def _unit_store(self, unit: int) -> dict[str, int]:
        return self.stored.setdefault(unit, dict(STORED_DEFAULTS))

    def _available(self, name: str) -> bool:
        return not (self.off_grid and name == "HOLD_AC_CHARGE_SOC_LIMIT")

    def read(self, unit: int, start: int, count: int) -> dict[str, Any]:
        """Named parameters whose register lies in ``[start, start + count)``."""
        inv = self.twin.inverter(unit)
        end = start + count
        out: dict[str, Any] = {}
        for name, (register, setting) in TWIN_PARAMS.items():
            if start <= register < end:
                out[name] = _fmt(inv.settings.get(setting))
        for name, (register, _, _) in STORED.items():
            if start <= register < end and self._available(name):
                out[name] = str(self._unit_store(unit)[name])
        if start <= FUNC_REGISTER < end:
            out[AC_CHARGE] = grid_charging(inv)
            out.update(STATIC_FUNCS)
        return dict(sorted(out.items()))

    def write(
        self, unit: int, name: str, value_text: str, *, request: str | None = None
    ) -> str | None:
        """Apply ``remoteSet/write``; None when accepted, else the portal's message.

        Every write is journaled: twin settings by ``Twin.submit``, stored parameters here
        (``request`` is how the journal shows it; ``name=value`` by default).
        """
        if name in TWIN_PARAMS:
            setting = TWIN_PARAMS[name][1]
            value = _parse(value_text, integer=setting in _INTEGER_SETTINGS)
            if value is None:
                return REJECTED
            return self._submit(unit, Command.single(setting, value))
        if name in STORED and self._available(name):
            return self._write_stored(unit, name, value_text, request or f"{name}={value_text}")
        return REJECTED

    def _write_stored(self, unit: int, name: str, text: str, request: str) -> str | None:
        """A parameter kept here: NAK rules without a setting apply, then its range."""
        settings = {unit: self.twin.inverter(unit).settings}
        nak = self.twin.faults.naks([unit], settings, Command(())).get(unit)
        if nak is not None:
            self.journal(unit, request, nak)
            return REJECTED
        _, low, high = STORED[name]
        number = _parse(text, integer=True)
        if number is None or not low <= number <= high:
            self.journal(unit, request, f"{name} {text} is outside {low}..{high}")
            return REJECTED
        self._unit_store(unit)[name] = int(number)
        self.journal(unit, request, None)
        return None

    def journal(self, unit: int, request: str, reason: str | None) -> None:
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
                apply_at_s=clock if accepted else None,
            )
        )
        if accepted:
            _LOG.info("%s applied %s on unit %s", self.source, request, unit)
        else:
            _LOG.info("%s rejected %s on unit %s: %s", self.source, request, unit, reason)

    def function(self, unit: int, name: str, enable: bool) -> str | None:
        """Apply ``remoteSet/functionControl``; None when accepted, else the message."""
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


# ---------------------------------------------------------------- telemetry bodies
def _device_moment(twin: Twin) -> datetime:
    return _EPOCH + timedelta(hours=twin.config.start_hour, seconds=twin.clock_s)


def device_time(twin: Twin) -> str:
    """The twin's local clock as the portal prints it."""
    return _device_moment(twin).strftime("%Y-%m-%d %H:%M:%S")


def device_timestamp(twin: Twin) -> int:
    """The same clock as a Unix timestamp (whole seconds)."""
    return int(_device_moment(twin).timestamp())


def bank_soc(twin: Twin) -> int:
    """Bank SoC as the BMS link reports it to the inverters."""
    packs = twin.packs
    return round(sum(p.bms.soc_exact_pct for p in packs) / len(packs))


def runtime(twin: Twin, unit: int, serial: str) -> dict[str, Any]:
    """``getInverterRuntime`` of one unit (online)."""
    inv = twin.inverter(unit)
    fl = inv.flows
    volts = fl.battery_v or twin.bus_voltage
    battery_w = round(fl.battery_current_a * volts)
    status_text = "fault" if fl.mode is UnitMode.FAULT else "normal"
    s = inv.settings
    return {
        "success": True,
        "serialNum": serial,
        "fwCode": "FAAB-2525",
        "powerRatingText": f"{inv.rated_w / 1000:g}kW",
        "lost": False,
        "hasRuntimeData": True,
        "statusText": status_text,
        "batteryType": "LITHIUM",
        "batParallelNum": str(len(twin.packs)),
        "batCapacity": str(round(twin.config.pack_capacity_ah * len(twin.packs))),
        "serverTime": device_time(twin),
        "deviceTime": device_time(twin),
        "vpv1": round(fl.pv_v * 10),
        "ppv1": round(fl.pv_w),
        "vacr": round(fl.grid_v * 10),
        "fac": 6000 if fl.grid_v > 0 else 0,
        "pf": "1",
        "vepsr": round(fl.ac_out_v * 10),
        "feps": 6000,
        "pToGrid": 0,
        "pToUser": round(fl.grid_in_w),
        "tinner": round(fl.temperature_c),
        "status": _STATUS[fl.mode],
        "ppv": round(fl.pv_w),
        "pCharge": max(0, battery_w),
        "pDisCharge": max(0, -battery_w),
        "batPower": battery_w,
        "soc": bank_soc(twin),
        "vBat": round(volts * 10),
        "pinv": round(fl.load_w),
        "prec": round(fl.grid_charge_a * volts),
        "peps": 0,
        "maxChgCurr": s.max_charge_current_a * 100,
        "maxDischgCurr": 20000,
        "bmsCharge": any(p.charge_allowed for p in twin.packs),
        "bmsDischarge": any(p.discharge_allowed for p in twin.packs),
        "consumptionPower": round(fl.load_w),
    }


def offline_runtime(mirror: dict[str, Any]) -> dict[str, Any]:
    """What the portal serves for a lost dongle: the frozen mirror minus the live fields."""
    body = {k: v for k, v in mirror.items() if k not in OFFLINE_OMITTED}
    body.update({"success": True, "lost": True, "statusText": "offline"})
    return body


def _pack(serial: str, pack_number: int, twin: Twin) -> dict[str, Any]:
    pack = twin.pack(pack_number)
    t1, t2, _ = pack.temperatures
    soc = pack.bms.soc_pct
    cap = round(pack.capacity_ah)
    label = f"Battery_ID_{pack_number:02d}"
    return {
        "batteryKey": f"{serial}_{label}",
        "batterySn": label,
        "batIndex": pack_number - 1,
        "batteryType": "BATT_default",
        "lost": False,
        "lastUpdateTime": device_time(twin),
        "totalVoltage": round(pack.voltage * 100),
        "current": round(pack.current_a * 10),
        "soc": soc,
        "soh": 100,
        "currentRemainCapacity": round(cap * soc / 100),
        "currentFullCapacity": cap,
        "batMaxCellTemp": round(max(t1, t2) * 10),
        "batMinCellTemp": round(min(t1, t2) * 10),
        "batMaxCellVoltage": round(pack.cell_max * 1000),
        "batMinCellVoltage": round(pack.cell_min * 1000),
        "cycleCnt": pack.cycles,
        "fwVersionText": "2.17",
        "ambientTemp": "",
        "mosTemp": "",
    }


def battery(twin: Twin, serial: str, *, with_packs: bool) -> dict[str, Any]:
    """``getBatteryInfo``: the bank aggregate, and every pack on the unit with the BMS link."""
    packs = twin.packs
    current = sum(p.current_a for p in packs)
    power = round(sum(p.voltage * p.current_a for p in packs))
    full = round(sum(p.capacity_ah for p in packs))
    soc = bank_soc(twin)
    if current > 0.05:
        direction, status = "charge", "Charging"
    elif current < -0.05:
        direction, status = "discharge", "Discharging"
    else:
        direction, status = "unknown", "Idle"
    rows = [_pack(serial, p.index, twin) for p in packs] if with_packs else []
    return {
        "success": True,
        "serialNum": serial,
        "lost": False,
        "hasRuntimeData": True,
        "batStatus": status,
        "soc": soc,
        "vBat": round(twin.bus_voltage * 10),
        "batPower": power,
        "pCharge": max(0, power),
        "pDisCharge": max(0, -power),
        "maxBatteryCharge": full,
        "remainCapacity": round(full * soc / 100),
        "fullCapacity": full,
        "capacityPercent": soc,
        "totalNumber": len(rows),
        "currentText": f"{abs(current):.1f}",
        "currentType": direction,
        "totalVoltageText": f"{twin.bus_voltage:.1f}",
        "batteryArray": rows,
    }


def offline_battery(serial: str) -> dict[str, Any]:
    """``getBatteryInfo`` for a lost dongle."""
    return {
        "success": True,
        "serialNum": serial,
        "lost": True,
        "currentType": "unknown",
        "currentText": "",
        "totalVoltageText": "",
        "totalNumber": 0,
        "capacityPercent": 0,
        "remainCapacity": 0,
        "fullCapacity": 0,
        "hasCellExtremes": False,
    }
