"""Defensive parsing of portal JSON into the typed models (scaling per the portal's units).

Garbage or missing fields become None; nothing here raises, whatever the JSON holds (integers
beyond a float's range or beyond ``str()``'s digit limit, NaN, huge strings, wrong types,
nesting). Numbers may arrive as numbers or as strings with units (``"82 %"``, ``"53.7 V"``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from .models import (
    Account,
    BatteryInfo,
    BatteryPack,
    DeviceOverview,
    InverterRef,
    ParallelGroup,
    ParallelGroupRef,
    ParallelMember,
    Plant,
    PlantInfo,
    Runtime,
)

_NUMBER = re.compile(r"\s*([-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?)")
_TRUE = {"true", "1", "yes", "on", "enable", "enabled"}
_FALSE = {"false", "0", "no", "off", "disable", "disabled"}
# Keys of a parameter read that are envelope, not parameters.
PARAM_ENVELOPE = frozenset(
    {
        "success",
        "msg",
        "message",
        "msgCode",
        "inverterSn",
        "serialNum",
        "deviceType",
        "startRegister",
        "pointNumber",
        "valueFrame",
        "inverterRuntimeDeviceTime",
    }
)
_MAX_TEXT = 200
_MAX_NUMBER_TEXT = 64  # characters: longer "numbers" are garbage, not readings
# Integers beyond this are no reading, id or count the portal sends (and float() of one
# above 1e308 raises OverflowError).
_MAX_INT = 10**18


def _json_number(value: Any) -> int | float | None:
    """A JSON number the portal could mean: an int within range or a finite float; else None.

    ``True`` and ``False`` are ints to Python, but never a number here.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if -_MAX_INT <= value <= _MAX_INT else None
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    return None


def number(value: Any) -> float | None:
    """A finite float from a number or a string that starts with one; else None."""
    if isinstance(value, str):
        match = _NUMBER.match(value[: _MAX_NUMBER_TEXT + 1])
        if match is None or len(match.group(1)) > _MAX_NUMBER_TEXT:
            return None
        result = float(match.group(1))  # the pattern only matches what float() reads
        return result if math.isfinite(result) else None
    plain = _json_number(value)
    return None if plain is None else float(plain)


def scaled(value: Any, divisor: float) -> float | None:
    """``number(value) / divisor``, rounded to hide float noise."""
    raw = number(value)
    if raw is None:
        return None
    return round(raw / divisor, 6)


def integer(value: Any) -> int | None:
    """An int from a number or numeric string (rounded); else None."""
    raw = number(value)
    if raw is None or abs(raw) > 2**53:
        return None
    return round(raw)


def flag(value: Any) -> bool | None:
    """A bool from JSON booleans, 0/1 or 'true'/'false' strings; else None."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        text = value.strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
    return None


def text(value: Any) -> str | None:
    """A non-empty, stripped, length-capped string (a number as its text); else None."""
    if isinstance(value, str):
        return value[: _MAX_TEXT * 4].strip()[:_MAX_TEXT] or None
    plain = _json_number(value)
    return None if plain is None else str(plain)


def _rows(value: Any) -> list[Mapping[str, Any]]:
    if not isinstance(value, list):
        return []
    return [row for row in value if isinstance(row, Mapping)]


def _serial(row: Mapping[str, Any], key: str = "serialNum") -> str | None:
    return text(row.get(key))


# ---------------------------------------------------------------- account / plants / devices
def account(body: Mapping[str, Any]) -> Account:
    """The login body: profile plus the plant -> inverter tree."""
    plants: list[Plant] = []
    for row in _rows(body.get("plants")):
        plant_id = integer(row.get("plantId"))
        if plant_id is None:
            continue
        inverters = tuple(
            InverterRef(
                serial=serial,
                model=text(inv.get("deviceTypeText4APP")) or text(inv.get("deviceTypeText")),
                device_type=integer(inv.get("deviceType")),
                lost=flag(inv.get("lost")),
                battery_type=text(inv.get("batteryType")),
                parallel_midbox_serial=text(inv.get("parallelMidboxSn")),
            )
            for inv in _rows(row.get("inverters"))
            if (serial := _serial(inv)) is not None
        )
        groups = tuple(
            ParallelGroupRef(name=name, first_serial=text(grp.get("parallelFirstDeviceSn")))
            for grp in _rows(row.get("parallelGroups"))
            if (name := text(grp.get("parallelGroup"))) is not None
        )
        plants.append(
            Plant(
                plant_id=plant_id,
                name=text(row.get("name")),
                inverters=inverters,
                parallel_groups=groups,
            )
        )
    return Account(
        user_id=integer(body.get("userId")),
        username=text(body.get("username")),
        role=text(body.get("role")),
        plants=tuple(plants),
    )


def plant_list(body: Mapping[str, Any]) -> tuple[PlantInfo, ...]:
    """Rows of the plant list."""
    out: list[PlantInfo] = []
    for row in _rows(body.get("rows")):
        plant_id = integer(row.get("plantId"))
        if plant_id is None:
            plant_id = integer(row.get("id"))
        if plant_id is None:
            continue
        out.append(
            PlantInfo(
                plant_id=plant_id,
                name=text(row.get("name")),
                country=text(row.get("country")),
                timezone=text(row.get("timezone")),
                daylight_saving=flag(row.get("daylightSavingTime")),
            )
        )
    return tuple(out)


def device_rows(body: Mapping[str, Any]) -> tuple[DeviceOverview, ...]:
    """Rows of ``inverterOverview/list``."""
    out: list[DeviceOverview] = []
    for row in _rows(body.get("rows")):
        serial = _serial(row)
        if serial is None:
            continue
        status = text(row.get("statusText"))
        lost = flag(row.get("lost"))
        out.append(
            DeviceOverview(
                serial=serial,
                model=text(row.get("deviceTypeText")),
                device_type=integer(row.get("deviceType")),
                plant_id=integer(row.get("plantId")),
                status_text=status,
                lost=lost if lost is not None else (status or "").lower() == "offline",
                parallel_group=text(row.get("parallelGroup")),
                parallel_index=integer(row.get("parallelIndex")),
                soc=number(row.get("soc")),
                battery_voltage=scaled(row.get("vBat"), 10),
                pv_power=number(row.get("ppv")),
            )
        )
    return tuple(out)


def parallel_group(body: Mapping[str, Any]) -> ParallelGroup:
    """``getParallelGroupDetails``."""
    members = tuple(
        ParallelMember(
            serial=serial,
            device_type=integer(row.get("deviceType")),
            role=text(row.get("roleText")),
            index=integer(row.get("parallelIndex")),
            lost=flag(row.get("lost")),
        )
        for row in _rows(body.get("devices"))
        if (serial := _serial(row)) is not None
    )
    return ParallelGroup(members=members, midbox_serial=text(body.get("parallelMidboxSn")))


# ---------------------------------------------------------------- runtime / battery
def runtime(serial: str, body: Mapping[str, Any]) -> Runtime:
    """``getInverterRuntime``; ``lost: true`` means the dongle is offline (values frozen)."""
    online = flag(body.get("lost")) is not True
    voltage = scaled(body.get("vBat"), 10)
    power = number(body.get("batPower"))
    if power is None:
        charge, discharge = number(body.get("pCharge")), number(body.get("pDisCharge"))
        if charge is not None and discharge is not None:
            power = charge - discharge
    current = None
    if power is not None and voltage:
        current = round(power / voltage, 1)
    to_user, to_grid = number(body.get("pToUser")), number(body.get("pToGrid"))
    grid = None if to_user is None or to_grid is None else to_user - to_grid
    output = number(body.get("pinv"))
    return Runtime(
        serial=_serial(body) or serial,
        online=online,
        status_text=text(body.get("statusText")),
        status=integer(body.get("status")),
        battery_voltage=voltage,
        battery_current=current,
        battery_power=power,
        soc=number(body.get("soc")),
        pv_power=number(body.get("ppv")),
        grid_power=grid,
        output_power=output,
        eps_power=number(body.get("peps")),
        load_power=_load_power(body, output, to_user, to_grid),
        grid_voltage=scaled(body.get("vacr"), 10),
        grid_frequency=scaled(body.get("fac"), 100),
        inverter_temperature=number(body.get("tinner")),
        bms_max_charge_current=scaled(body.get("maxChgCurr"), 100),
        bms_max_discharge_current=scaled(body.get("maxDischgCurr"), 100),
        firmware=text(body.get("fwCode")),
        device_time=text(body.get("deviceTime")),
    )


# The load as each model reports it, best first: the mirror of register 170 (FlexBOSS fills
# only this one), the 18kPV's copy of it, the older total (0 on both of those).
_LOAD_FIELDS = ("pLoad170", "consumptionPower114", "consumptionPower")


def _load_power(
    body: Mapping[str, Any], output: float | None, to_user: float | None, to_grid: float | None
) -> float | None:
    """The load in W from the field this model fills, else the AC balance; None if unknown.

    A model that does not fill a load field reports 0 there (off-grid XP units fill none),
    so a 0 only counts when nothing says otherwise. The balance is what the inverter puts
    out plus what comes from the grid, less what the rectifier takes to charge and what is
    exported; a negative balance means the snapshot is inconsistent: unknown, not 0.
    """
    filled = [value for key in _LOAD_FIELDS if (value := number(body.get(key))) is not None]
    positive = next((value for value in filled if value > 0), None)
    if positive is not None:
        return positive
    rectifier = number(body.get("prec"))
    if None not in (output, to_user, to_grid, rectifier):
        balance = output + to_user - rectifier - to_grid  # type: ignore[operator]
        return balance if balance >= 0 else None
    return 0.0 if filled else None


def _pack(position: int, row: Mapping[str, Any]) -> BatteryPack:
    index = integer(row.get("batIndex"))
    return BatteryPack(
        index=index if index is not None and 0 <= index < 1000 else position,
        key=text(row.get("batteryKey")),
        serial=text(row.get("batterySn")),
        online=flag(row.get("lost")) is not True,
        voltage=scaled(row.get("totalVoltage"), 100),
        current=scaled(row.get("current"), 10),
        soc=number(row.get("soc")),
        soh=number(row.get("soh")),
        cell_voltage_max=scaled(row.get("batMaxCellVoltage"), 1000),
        cell_voltage_min=scaled(row.get("batMinCellVoltage"), 1000),
        temperature_max=scaled(row.get("batMaxCellTemp"), 10),
        temperature_min=scaled(row.get("batMinCellTemp"), 10),
        cycle_count=integer(row.get("cycleCnt")),
        remaining_capacity_ah=number(row.get("currentRemainCapacity")),
        full_capacity_ah=number(row.get("currentFullCapacity")),
        firmware=text(row.get("fwVersionText")),
    )


def _bms_current(body: Mapping[str, Any], power: float | None) -> float | None:
    """The BMS's own bank current (``currentText``), signed + charging.

    The text carries no sign: ``currentType`` gives it, else the bank power's sign; a current
    whose direction nothing tells is unknown.
    """
    magnitude = number(body.get("currentText"))
    if magnitude is None:
        return None
    magnitude = abs(magnitude)
    direction = (text(body.get("currentType")) or "").lower()
    if direction == "charge":
        return magnitude
    if direction == "discharge":
        return -magnitude
    if magnitude == 0:
        return 0.0
    if power:
        return magnitude if power > 0 else -magnitude
    return None


def battery(serial: str, body: Mapping[str, Any]) -> BatteryInfo:
    """``getBatteryInfo`` with its ``batteryArray``."""
    power = number(body.get("batPower"))
    current = _bms_current(body, power)
    packs = tuple(_pack(i, row) for i, row in enumerate(_rows(body.get("batteryArray"))))
    return BatteryInfo(
        serial=_serial(body) or serial,
        online=flag(body.get("lost")) is not True,
        soc=number(body.get("soc")),
        voltage=scaled(body.get("vBat"), 10),
        current=current,
        power=power,
        status_text=text(body.get("batStatus")),
        remaining_capacity_ah=number(body.get("remainCapacity")),
        full_capacity_ah=number(body.get("fullCapacity")),
        pack_count=integer(body.get("totalNumber")),
        packs=packs,
    )


# ---------------------------------------------------------------- parameters
def _param_text(value: Any) -> str | None:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value) if -_MAX_INT <= value <= _MAX_INT else None
    if isinstance(value, float):
        return f"{value:g}" if math.isfinite(value) else None
    if isinstance(value, str):
        return value[: _MAX_TEXT * 4].strip()[:_MAX_TEXT]
    return None


def parameters(body: Mapping[str, Any]) -> dict[str, str]:
    """The flat named parameters of a ``remoteRead`` answer, values as strings."""
    out: dict[str, str] = {}
    for key, value in body.items():
        if not isinstance(key, str) or key in PARAM_ENVELOPE:
            continue
        rendered = _param_text(value)
        if rendered is not None:
            out[key] = rendered
    return out
