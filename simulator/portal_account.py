"""The portal's account and device-description bodies (login, plants, devices, groups, info).

Every body carries the field set of the real portal's answer (see the reference's endpoint
catalogue; clients such as pylxpweb validate them strictly). Personal fields are blank or
invented (no real person behind the demo account); counts and identities follow the station.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from .portal_models import PortalModel
from .twin import Twin

_REGIONS = [
    {"value": "NORTH_AMERICA", "text": "North America"},
    {"value": "CENTRAL_AMERICA", "text": "Central America"},
]
_COUNTRIES = [
    {"value": "CANADA", "text": "Canada"},
    {"value": "UNITED_STATES_OF_AMERICA", "text": "United States of America"},
]
COUNTRY = "United States of America"
CREATED = "2026-01-15"


@dataclass(frozen=True)
class Station:
    """One account's only plant: its identity and its inverters (the twin's units)."""

    username: str
    plant_id: int
    plant_name: str
    serials: tuple[str, ...]
    model: PortalModel

    @property
    def grouped(self) -> bool:
        """More than one unit: they form parallel group A."""
        return len(self.serials) > 1

    def datalog(self, serial: str) -> str:
        """The serial of the dongle that relays ``serial`` (one dongle per unit)."""
        return "BA" + serial[-8:]


def _inverter(station: Station, serial: str, *, lost: bool) -> dict[str, Any]:
    model = station.model
    return {
        "serialNum": serial,
        "phase": 1,
        "lost": lost,
        "dtc": 1,
        "deviceType": 6,
        "subDeviceType": model.sub_device_type,
        "allowExport2Grid": not model.off_grid,
        "powerRating": 6,
        "deviceTypeText4APP": model.text,
        "deviceTypeText": model.text,
        "batteryType": "LITHIUM",
        "batteryTypeText": "Lithium battery",
        "standard": model.standard,
        "slaveVersion": model.slave_version,
        "fwVersion": model.fw_version,
        "allowGenExercise": not model.off_grid,
        "withbatteryData": True,
        "hardwareVersion": -1,
        "voltClass": 0,
        "machineType": model.machine_type,
        "odm": 4,
        "protocolVersion": 5,
        "datalogSn": station.datalog(serial),
    }


def login(station: Station, offline: Collection[str]) -> dict[str, Any]:
    """The body of a successful ``/WManage/api/login``: the profile and the plant tree."""
    plant: dict[str, Any] = {
        "plantId": station.plant_id,
        "name": station.plant_name,
        "timezoneHourOffset": -8,
        "timezoneMinuteOffset": 0,
        "inverters": [_inverter(station, s, lost=s in offline) for s in station.serials],
    }
    if station.grouped:
        plant["parallelGroups"] = [
            {"parallelGroup": "A", "parallelFirstDeviceSn": station.serials[0]}
        ]
    return {
        "success": True,
        "userId": 5001,
        "parentUserId": 0,
        "username": station.username,
        "readonly": False,
        "role": "VIEWER",
        "realName": "Demo Owner",
        "email": "",
        "countryText": COUNTRY,
        "currentContinentIndex": 4,
        "currentRegionIndex": 0,
        "regions": _REGIONS,
        "currentCountryIndex": 1,
        "countrys": _COUNTRIES,
        "timezone": "WEST8",
        "timezoneText": "GMT -8",
        "language": "ENGLISH",
        "telNumber": "",
        "address": "",
        "platform": "EG4",
        "userVisitRecord": {"plantId": station.plant_id, "serialNum": station.serials[0]},
        "plants": [plant],
        "clusterId": 1,
        "needHideDisChgEnergy": False,
        "allowRemoteSupport": True,
        "allowViewerVisitOptimalSet": False,
        "allowViewerVisitWeatherSet": False,
        "chartColorValues": "STANDARD",
        "tempUnit": "C",
        "tempUnitText": "\u2103",
        "dateFormat": "YYYY_MM_DD_SLASH",
        "userChartRecord": "{}",
        "firewallNotificationEnable": "false",
        "userCreateDate": f"{CREATED} 08:00:00",
        "userCreatedDays": 137,
        "techInfo": {"techInfoCount": 0},
    }


def plant_row(station: Station, twin: Twin) -> dict[str, Any]:
    """The station's row of ``plant/list[/viewer]``."""
    return {
        "id": station.plant_id,
        "plantId": station.plant_id,
        "name": station.plant_name,
        "nominalPower": round(sum(i.rated_w for i in twin.inverters)),
        "country": COUNTRY,
        "currentTimezoneWithMinute": -480,
        "timezone": "GMT -8",
        "daylightSavingTime": True,
        "createDate": CREATED,
        "noticeFault": False,
        "noticeWarn": False,
        "noticeEmail": "",
        "noticeEmail2": "",
        "contactPerson": "",
        "contactPhone": "",
        "address": "",
    }


def _power_text(watts: int) -> str:
    return f"{watts / 1000:g} kW" if watts >= 1000 else f"{watts} W"


def _kwh_text(word: int) -> str:
    return f"{word / 10:g} kWh"


def overview_row(
    station: Station, unit: int, live: dict[str, Any], totals: dict[str, int], *, lost: bool
) -> dict[str, Any]:
    """One unit's row of ``inverterOverview/list`` from its runtime and energy counters."""
    serial = station.serials[unit - 1]
    grouped = station.grouped
    ppv, charge, discharge = (int(live.get(k, 0)) for k in ("ppv", "pCharge", "pDisCharge"))
    load = int(live.get("consumptionPower", 0))
    volts = int(live.get("vBat", 0))
    row: dict[str, Any] = {
        "serialNum": serial,
        "statusText": "offline" if lost else live.get("statusText"),
        "deviceType": 6,
        "deviceTypeText": station.model.text,
        "phase": 1,
        "plantId": station.plant_id,
        "plantName": station.plant_name,
        "ppv": ppv,
        "ppvText": _power_text(ppv),
        "pCharge": charge,
        "pChargeText": _power_text(charge),
        "pDisCharge": discharge,
        "pDisChargeText": _power_text(discharge),
        "pConsumption": load,
        "pConsumptionText": _power_text(load),
        "soc": f"{live['soc']} %" if "soc" in live else "",
        "vBat": volts,
        "vBatText": f"{volts / 10:g} V" if volts else "",
        "parallelGroup": "A" if grouped else "",
        "parallelIndex": str(unit) if grouped else "",
        "parallelInfo": f"A{unit}, Parallel" if grouped else "",
        "parallelModel": "PARALLEL" if grouped else "",
    }
    for kind in ("Yielding", "Discharging", "Export", "Usage"):
        word = totals[f"total{kind}"]
        row[f"total{kind}"] = word
        row[f"total{kind}Text"] = _kwh_text(word)
    return row


def group_device(
    station: Station, unit: int, live: dict[str, Any], *, lost: bool
) -> dict[str, Any]:
    """One unit's entry of ``getParallelGroupDetails``."""
    model = station.model
    return {
        "serialNum": station.serials[unit - 1],
        "deviceType": 6,
        "subDeviceType": model.sub_device_type,
        "phase": 1,
        "dtc": 1,
        "machineType": model.machine_type,
        "parallelIndex": str(unit),
        "parallelNumText": f"A{unit}",
        "lost": lost,
        "roleText": "Primary" if unit == 1 else "Subordinates",
        **{key: live.get(key) for key in ("vpv1", "ppv1", "vpv2", "ppv2", "vpv3", "ppv3")},
        **{key: live.get(key) for key in ("soc", "vBat", "pCharge", "pDisCharge", "peps")},
    }


def inverter_info(
    station: Station, unit: int, live: dict[str, Any], *, lost: bool
) -> dict[str, Any]:
    """``getInverterInfo``: the unit's static description and its present status."""
    serial = station.serials[unit - 1]
    model = station.model
    return {
        "success": True,
        "lost": lost,
        "datalogSn": station.datalog(serial),
        "serialNum": serial,
        "deviceType": 6,
        "phase": 1,
        "dtc": 1,
        "voltClass": 0,
        "fwVersion": model.fw_version,
        "hardwareVersion": -1,
        "subDeviceType": model.sub_device_type,
        "allowExport2Grid": not model.off_grid,
        "powerRating": 6,
        "machineType": model.machine_type,
        "deviceTypeText": model.text,
        "inverterDetail": {
            "deviceText": model.text,
            "fwCode": model.fw_code,
            "fwCodeText": model.fw_code,
        },
        "deviceInfo": f"{model.text} ({serial})",
        "address": unit,
        "powerRatingText": live.get("powerRatingText", ""),
        "batteryType": "LITHIUM",
        "status": int(live.get("status", 0)),
        "statusText": "offline" if lost else str(live.get("statusText", "normal")),
    }
