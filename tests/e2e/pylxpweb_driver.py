"""Drive pylxpweb (its public API) against a portal; print what it saw as JSON on stdout.

Runs under pylxpweb's own venv, never under Home Assistant's (``tests/e2e/test_pylxpweb.py``
starts it as a subprocess)::

    python pylxpweb_driver.py BASE_URL USERNAME PASSWORD CHARGE_AMPS

It logs in, discovers the plant and its devices (``Station.load``), refreshes every inverter
(runtime, energy, battery, parameters) and reads each endpoint once more through the strict
API models, then sets the first inverter's charge current and reads it back. Anything pylxpweb
refuses (a validation error, an API error, a value it could not find) ends the run with a
traceback on stderr and a non-zero exit status: the high-level objects swallow fetch errors, so
every value they should have is checked here.
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

from pylxpweb import LuxpowerClient
from pylxpweb.devices import Station

CHARGE_RATE = "HOLD_LEAD_ACID_CHARGE_RATE"


def present[T](value: T | None, what: str) -> T:
    """``value``, or a failure naming what pylxpweb did not find."""
    if value is None:
        raise RuntimeError(f"pylxpweb has no {what}")
    return value


async def inverter_report(client: LuxpowerClient, inverter: Any) -> dict[str, Any]:
    """Everything pylxpweb reads about one inverter, high-level and strict."""
    serial = inverter.serial_number
    await inverter.refresh(force=True, include_parameters=True)
    bank = present(inverter.battery_bank, f"battery bank of {serial}")
    devices, control = client.api.devices, client.api.control
    runtime = await devices.get_inverter_runtime(serial)
    energy = await devices.get_inverter_energy(serial)
    battery = await devices.get_battery_info(serial)
    identities = await devices.get_battery_list(serial)
    info = await devices.get_inverter_info(serial)
    quick = await control.get_quick_charge_status(serial)
    params = await control.read_parameters(serial, 0, 127)
    return {
        "model": inverter.model,
        "battery_voltage": present(inverter.battery_voltage, "battery voltage"),
        "soc": present(inverter.battery_soc, "battery SoC"),
        "pv_power": present(inverter.pv_total_power, "PV power"),
        "grid_voltage": present(inverter.grid_voltage_r, "grid voltage"),
        "inverter_temperature": present(inverter.inverter_temperature, "inverter temperature"),
        "usage_lifetime_kwh": present(inverter.energy_lifetime_usage, "lifetime usage"),
        "charge_current_limit": present(
            inverter.battery_charge_current_limit, "charge current limit"
        ),
        "bank": {
            "soc": bank.soc,
            "voltage": bank.voltage,
            "packs": [
                {
                    "key": pack.battery_key,
                    "voltage": pack.voltage,
                    "current": pack.current,
                    "soc": pack.soc,
                    "cell_max": pack.max_cell_voltage,
                    "cell_min": pack.min_cell_voltage,
                    "cycles": pack.cycle_count,
                }
                for pack in bank.batteries
            ],
        },
        "runtime": {"vBat": runtime.vBat, "soc": runtime.soc, "vpv2": runtime.vpv2},
        "energy": {"totalUsage": energy.totalUsage, "todayUsage": energy.todayUsage},
        "battery": {"soc": battery.soc, "packs": len(battery.batteryArray)},
        "battery_keys": [item.batteryKey for item in identities.batteryArray],
        "info": {"fwCode": info.inverterDetail.fwCode, "datalogSn": info.datalogSn},
        "quick_charge": quick.hasUnclosedQuickChargeTask,
        "params": {
            "charge_rate": params.parameters[CHARGE_RATE],
            "value_frame": params.valueFrame,
        },
    }


async def run(base_url: str, username: str, password: str, amps: int) -> dict[str, Any]:
    """The whole session; returns the report."""
    async with LuxpowerClient(username, password, base_url=base_url) as client:
        login = await client.login()
        plants = await client.api.plants.get_plants()
        plant_id = plants.rows[0].plantId
        station = await Station.load(client, plant_id)
        inverters = station.all_inverters
        if not inverters:
            raise RuntimeError("pylxpweb found no inverter in the station")
        report: dict[str, Any] = {
            "login": {
                "plants": [p.plantId for p in login.plants],
                "serials": [i.serialNum for p in login.plants for i in p.inverters],
            },
            "plants": [{"id": p.plantId, "name": p.name} for p in plants.rows],
            "groups": [
                {
                    "name": g.name,
                    "first": g.first_device_serial,
                    "serials": [i.serial_number for i in g.inverters],
                }
                for g in station.parallel_groups
            ],
            "inverters": {i.serial_number: await inverter_report(client, i) for i in inverters},
        }
        first = inverters[0]
        group_energy = await client.api.devices.get_parallel_energy(first.serial_number)
        report["group_energy"] = {"totalUsage": group_energy.totalUsage}
        accepted = await first.set_battery_charge_current(amps)
        read = await client.api.control.read_parameters(first.serial_number, 101, 1)
        await first.refresh(force=True, include_parameters=True)
        report["write"] = {
            "serial": first.serial_number,
            "accepted": accepted,
            "read_back": read.parameters[CHARGE_RATE],
            "limit_after": first.battery_charge_current_limit,
        }
        return report


def main() -> None:
    """Entry point: arguments in, JSON out."""
    base_url, username, password, amps = sys.argv[1:5]
    report = asyncio.run(run(base_url, username, password, int(amps)))
    sys.stdout.write(json.dumps(report) + "\n")


if __name__ == "__main__":
    main()
