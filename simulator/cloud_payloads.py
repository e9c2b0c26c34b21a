"""JSON bodies of the EG4 cloud portal's telemetry, built from a twin.

Units follow the portal: runtime/battery ``vBat`` in 0.1 V, pack ``totalVoltage`` in 0.01 V,
pack ``current`` in 0.1 A, cell voltages in mV, cell temperatures in 0.1 degC, BMS limits in
0.01 A; powers in W; temperatures of the runtime in whole degC. Every body carries the field set
of the real portal's answer (what clients such as pylxpweb require); a field the twin has no
counterpart for holds a fixed, plausible value (the DC bus, the second PV string, generator and
smart-load fields). The named parameters live in :mod:`simulator.portal_params` (re-exported
here for the faces that use them).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from .inverter import QuickTask, UnitMode
from .portal_models import PortalModel, is_off_grid, portal_model
from .portal_params import (
    AC_CHARGE,
    FUNC_REGISTER,
    GRID_CHARGE_OFF,
    GRID_CHARGE_ON,
    REJECTED,
    STATIC_FUNCS,
    STORED,
    STORED_DEFAULTS,
    TWIN_PARAMS,
    ParamStore,
    grid_charging,
)
from .twin import Twin

__all__ = [
    "AC_CHARGE",
    "FUNC_REGISTER",
    "GRID_CHARGE_OFF",
    "GRID_CHARGE_ON",
    "REJECTED",
    "STATIC_FUNCS",
    "STORED",
    "STORED_DEFAULTS",
    "TWIN_PARAMS",
    "ParamStore",
    "bank_soc",
    "battery",
    "battery_list",
    "device_time",
    "device_timestamp",
    "grid_charging",
    "is_off_grid",
    "offline_battery",
    "offline_runtime",
    "runtime",
]

_EPOCH = datetime(2026, 6, 1, tzinfo=UTC)
_DEFAULT_MODEL = portal_model("18KPV")
# Numeric status codes are illustrative (the portal's meanings are undocumented).
_STATUS = {UnitMode.LINE: 32, UnitMode.BATTERY: 16, UnitMode.STANDBY: 0, UnitMode.FAULT: 1}
# Keys the portal omits from an offline (``lost``) runtime; the rest is the frozen mirror.
OFFLINE_OMITTED = frozenset(
    {
        "status",
        "ppv",
        "soc",
        "vBat",
        "pCharge",
        "pDisCharge",
        "batPower",
        "batteryColor",
        "pinv",
        "prec",
        "peps",
    }
)
# DC bus voltages (0.1 V words) while the unit converts; the twin has no DC bus.
_BUS_WORDS = (3700, 3300)


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


def _temperature(twin: Twin) -> int:
    """The battery temperature the inverter reads over the BMS link (whole degC)."""
    packs = twin.packs
    return round(sum(p.temperatures[0] for p in packs) / len(packs))


def runtime(
    twin: Twin, unit: int, serial: str, *, model: PortalModel = _DEFAULT_MODEL
) -> dict[str, Any]:
    """``getInverterRuntime`` of one unit (online)."""
    inv = twin.inverter(unit)
    fl = inv.flows
    volts = fl.battery_v or twin.bus_voltage
    battery_w = round(fl.battery_current_a * volts)
    status_text = "fault" if fl.mode is UnitMode.FAULT else "normal"
    s = inv.settings
    converting = fl.mode is not UnitMode.STANDBY
    load = round(fl.load_w)
    return {
        "success": True,
        "serialNum": serial,
        "fwCode": model.fw_code,
        "powerRatingText": f"{inv.rated_w / 1000:g}kW",
        "lost": False,
        "hasRuntimeData": True,
        "statusText": status_text,
        "batShared": False,
        "isParallelEnabled": len(twin.inverters) > 1,
        "allowGenExercise": not model.off_grid,
        "batteryType": "LITHIUM",
        "batParallelNum": str(len(twin.packs)),
        "batCapacity": str(round(twin.config.pack_capacity_ah * len(twin.packs))),
        "serverTime": device_time(twin),
        "deviceTime": device_time(twin),
        "vpv1": round(fl.pv_v * 10),
        "vpv2": 0,
        "vpv3": 0,
        "remainTime": 0,
        "ppv1": round(fl.pv_w),
        "ppv2": 0,
        "ppv3": 0,
        "vacr": round(fl.grid_v * 10),
        "vacs": 0,
        "vact": 0,
        "fac": 6000 if fl.grid_v > 0 else 0,
        "pf": "1",
        "vepsr": round(fl.ac_out_v * 10),
        "vepss": 0,
        "vepst": 0,
        "feps": 6000,
        "seps": 0,
        "pToGrid": 0,
        "pToUser": round(fl.grid_in_w),
        "tinner": round(fl.temperature_c),
        "tradiator1": round(fl.temperature_c + 4.0),
        "tradiator2": round(fl.temperature_c + 2.0),
        "tBat": _temperature(twin),
        "vBus1": _BUS_WORDS[0] if converting else 0,
        "vBus2": _BUS_WORDS[1] if converting else 0,
        "status": _STATUS[fl.mode],
        "ppv": round(fl.pv_w),
        "pCharge": max(0, battery_w),
        "pDisCharge": max(0, -battery_w),
        "batPower": battery_w,
        "batteryColor": "green",
        "soc": bank_soc(twin),
        "vBat": round(volts * 10),
        "pinv": load,
        "prec": round(fl.grid_charge_a * volts),
        "peps": 0,
        "_12KAcCoupleInverterFlow": False,
        "_12KAcCoupleInverterData": False,
        "acCouplePower": 0,
        "hasEpsOverloadRecoveryTime": False,
        "maxChgCurr": s.max_charge_current_a * 100,
        "maxDischgCurr": 20000,
        "maxChgCurrValue": s.max_charge_current_a * 10,
        "maxDischgCurrValue": 2000,
        "bmsCharge": any(p.charge_allowed for p in twin.packs),
        "bmsDischarge": any(p.discharge_allowed for p in twin.packs),
        "bmsForceCharge": False,
        "_12KUsingGenerator": False,
        "genVolt": 0,
        "genFreq": 0,
        "genPower": 0,
        "genDryContact": "OFF",
        "consumptionPower114": load,
        "consumptionPower": load,
        "pLoad170": load,
        "smartLoadInverterFlow": False,
        "smartLoadInverterEnable": False,
        "epsLoadPowerShow": True,
        "gridLoadPowerShow": True,
        "pLoadPowerShow": True,
        "epsLoadPower": 0,
        "gridLoadPower": 0,
        "smartLoadPower": 0,
        "pEpsL1N": 0,
        "pEpsL2N": 0,
        "haspEpsLNValue": False,
        "directions": {"inverterArrowDir": "toInverter" if battery_w > 0 else "fromInverter"},
        "hasUnclosedQuickChargeTask": twin.inverter(unit).quick is QuickTask.CHARGE,
        "hasUnclosedQuickDischargeTask": twin.inverter(unit).quick is QuickTask.DISCHARGE,
    }


def offline_runtime(mirror: dict[str, Any]) -> dict[str, Any]:
    """What the portal serves for a lost dongle: the frozen mirror minus the live fields."""
    body = {k: v for k, v in mirror.items() if k not in OFFLINE_OMITTED}
    body.update({"success": True, "lost": True, "statusText": "offline"})
    return body


def _key(serial: str, pack_number: int) -> tuple[str, str]:
    label = f"Battery_ID_{pack_number:02d}"
    return f"{serial}_{label}", label


def _pack(serial: str, pack_number: int, twin: Twin) -> dict[str, Any]:
    pack = twin.pack(pack_number)
    t1, t2, _ = pack.temperatures
    soc = pack.bms.soc_pct
    cap = round(pack.capacity_ah)
    key, label = _key(serial, pack_number)
    cells = pack.cell_voltages
    return {
        "batteryKey": key,
        "batterySn": label,
        "batIndex": pack_number - 1,
        "batteryType": "BATT_default",
        "batteryTypeText": "LFP",
        "batBmsModelText": "",
        "lost": False,
        "lastUpdateTime": device_time(twin),
        "totalVoltage": round(pack.voltage * 100),
        "current": round(pack.current_a * 10),
        "soc": soc,
        "soh": 100,
        "currentRemainCapacity": round(cap * soc / 100),
        "currentFullCapacity": cap,
        "currentCapacityPercent": soc,
        "maxBatteryCharge": cap,
        "batMaxCellTemp": round(max(t1, t2) * 10),
        "batMinCellTemp": round(min(t1, t2) * 10),
        "batMaxCellNumTemp": 1 if t1 >= t2 else 2,
        "batMinCellNumTemp": 2 if t1 >= t2 else 1,
        "batMaxCellVoltage": round(pack.cell_max * 1000),
        "batMinCellVoltage": round(pack.cell_min * 1000),
        "batMaxCellNumVolt": cells.index(max(cells)) + 1,
        "batMinCellNumVolt": cells.index(min(cells)) + 1,
        "batChargeMaxCur": round(pack.capacity_ah * 10),
        "batChargeVoltRef": 560,
        "cycleCnt": pack.cycles,
        "fwVersionText": "2.17",
        "chgCapacity": "",
        "disChgCapacity": "",
        "ambientTemp": "",
        "mosTemp": "",
        "noticeInfo": "",
    }


def battery(twin: Twin, serial: str, *, with_packs: bool, unit: int = 1) -> dict[str, Any]:
    """``getBatteryInfo``: the bank aggregate, and every pack on the unit with the BMS link."""
    packs = twin.packs
    current = sum(p.current_a for p in packs)
    power = round(sum(p.voltage * p.current_a for p in packs))
    full_ah = sum(p.capacity_ah for p in packs)
    full = round(full_ah)
    soc = bank_soc(twin)
    if current > 0.05:
        direction, status = "charge", "Charging"
    elif current < -0.05:
        direction, status = "discharge", "Discharging"
    else:
        direction, status = "unknown", "Idle"
    rows = [_pack(serial, p.index, twin) for p in packs] if with_packs else []
    fl = twin.inverter(unit).flows
    return {
        "success": True,
        "serialNum": serial,
        "lost": False,
        "hasRuntimeData": True,
        "statusText": "normal",
        "batStatus": status,
        "soc": soc,
        "vBat": round(twin.bus_voltage * 10),
        "ppv": round(fl.pv_w),
        "pCharge": max(0, power),
        "pDisCharge": max(0, -power),
        "batPower": power,
        "pinv": round(fl.load_w),
        "prec": round(fl.grid_charge_a * twin.bus_voltage),
        "peps": 0,
        "maxBatteryCharge": full,
        "currentBatteryCharge": round(full_ah * soc / 100, 1),
        "remainCapacity": round(full * soc / 100),
        "fullCapacity": full,
        "capacityPercent": soc,
        "totalNumber": len(rows),
        "currentText": f"{abs(current):.1f}",
        "currentType": direction,
        "totalVoltageText": f"{twin.bus_voltage:.1f}",
        "batteryArray": rows,
    }


def battery_list(twin: Twin, serial: str, *, with_packs: bool, lost: bool) -> dict[str, Any]:
    """``getBatteryInfoForSet``: the identities of the packs the unit reports."""
    rows = []
    if with_packs:
        for pack in twin.packs:
            key, label = _key(serial, pack.index)
            rows.append({"batteryKey": key, "batterySn": label, "batIndex": pack.index - 1})
    return {
        "success": True,
        "serialNum": serial,
        "totalNumber": len(rows),
        "batteryArray": [{**row, "lost": lost} for row in rows],
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
