"""pylxpweb, the EG4 cloud client of the most used EG4 integration, against the simulated portal.

pylxpweb runs as a tool in its own pinned venv (``requirements/tool-pylxpweb.txt``, built by
``scripts/test``, which exports its interpreter as ``EG4_PYLXPWEB_PYTHON``): a driver script
(``pylxpweb_driver.py``) logs in, discovers the plant, its parallel group and inverters, reads
runtime, battery, energy, inverter info, quick-charge status and parameters through pylxpweb's
strict models, sets a charge current and reads it back, and prints what it saw as JSON. Every
value must equal the twin's. Without the venv the test is skipped locally with the reason; under
``CI=true`` it fails instead (the tool is part of the suite there).
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from simulator import Twin, build_twin
from simulator.cloud_api import CloudApiServer
from simulator.cloud_payloads import bank_soc

DRIVER = Path(__file__).with_name("pylxpweb_driver.py")
TOOL_ENV = "EG4_PYLXPWEB_PYTHON"
USERNAME = "owner@example.net"
PASSWORD = "pylxpweb-secret"  # noqa: S105 - test credentials
HYBRID_ONLY_AMPS = 215  # the 18kPV takes it; the twin's own LVX6048 firmware would not


def pylxpweb_python() -> str:
    """The interpreter of pylxpweb's venv; skip (or fail under CI) when there is none."""
    configured = os.environ.get(TOOL_ENV, "")
    if configured and Path(configured).is_file():
        return configured
    if configured:
        pytest.fail(f"{TOOL_ENV}={configured} is not an interpreter: rebuild with scripts/test")
    reason = (
        f"pylxpweb's venv is not built ({TOOL_ENV} is unset): scripts/test builds it, or "
        f"set {TOOL_ENV} to the python of a venv made from requirements/tool-pylxpweb.txt"
    )
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"{reason}; under CI the tool is required")
    pytest.skip(reason)


async def run_pylxpweb(
    python: str, portal: CloudApiServer, amps: int = HYBRID_ONLY_AMPS
) -> tuple[int, dict[str, Any], str]:
    """Run the driver against ``portal``: (exit status, report, stderr)."""
    process = await asyncio.create_subprocess_exec(
        python,
        str(DRIVER),
        portal.localhost_url,  # pylxpweb's cookie jar ignores bare-IP hosts
        USERNAME,
        PASSWORD,
        str(amps),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={"PATH": os.environ.get("PATH", ""), "PYTHONHASHSEED": "0"},
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=120)
    report = json.loads(out) if process.returncode == 0 else {}
    return process.returncode or 0, report, err.decode(errors="replace")


@pytest.fixture
def twin() -> Twin:
    """Two units in parallel over six drifted packs, two hours into the night."""
    model = build_twin("drifted", inverters=2, packs=6, seed=0)
    model.force_settings(max_charge_current=60)
    return model


@pytest.fixture
async def portal(twin: Twin, socket_enabled: None) -> AsyncIterator[CloudApiServer]:
    """The simulated portal (an 18kPV pair) serving the twin."""
    server = CloudApiServer(twin, username=USERNAME, password=PASSWORD, model="18KPV")
    await server.start()
    twin.step(3600)
    server.energy.observe()  # the portal's counters see the first hour
    twin.step(3600)
    yield server
    await server.stop()


async def test_pylxpweb_reads_the_twin_and_sets_a_charge_current(
    portal: CloudApiServer, twin: Twin
) -> None:
    python = pylxpweb_python()
    status, report, stderr = await run_pylxpweb(python, portal)
    assert status == 0, stderr
    first, second = portal.serials

    # Discovery: the account's plant, both inverters, their parallel group led by unit 1.
    assert report["login"] == {"plants": [portal.plant_id], "serials": [first, second]}
    assert report["plants"] == [{"id": portal.plant_id, "name": portal.plant_name}]
    assert report["groups"] == [{"name": "A", "first": first, "serials": [first, second]}]

    # Runtime and battery: what the twin measures, in pylxpweb's engineering units.
    for unit, serial in enumerate(portal.serials, start=1):
        seen = report["inverters"][serial]
        flows = twin.inverter(unit).flows
        assert seen["model"] == "18KPV"
        assert seen["battery_voltage"] == pytest.approx(flows.battery_v, abs=0.05)
        assert seen["soc"] == seen["bank"]["soc"] == bank_soc(twin)
        assert seen["pv_power"] == round(flows.pv_w)
        assert seen["grid_voltage"] == pytest.approx(flows.grid_v, abs=0.05)
        assert seen["inverter_temperature"] == round(flows.temperature_c)
        assert seen["bank"]["voltage"] == pytest.approx(twin.bus_voltage, abs=0.05)
        assert seen["charge_current_limit"] == 60
        assert seen["quick_charge"] is False
        usage_kwh = portal.energy.words([unit])["totalUsage"] / 10
        assert seen["usage_lifetime_kwh"] == pytest.approx(usage_kwh)
        assert seen["energy"]["totalUsage"] > 0  # two hours of the night's house load
    packs = report["inverters"][first]["bank"]["packs"]
    assert len(packs) == len(twin.packs) == 6
    for pack, model in zip(packs, twin.packs, strict=True):
        assert pack["key"] == f"{first}_Battery_ID_{model.index:02d}"
        assert pack["voltage"] == pytest.approx(model.voltage, abs=0.005)
        assert pack["current"] == pytest.approx(model.current_a, abs=0.05)
        assert pack["soc"] == model.bms.soc_pct
        assert pack["cell_max"] == pytest.approx(model.cell_max, abs=0.0005)
        assert pack["cell_min"] == pytest.approx(model.cell_min, abs=0.0005)
        assert pack["cycles"] == model.cycles
    assert report["inverters"][first]["battery_keys"] == [p["key"] for p in packs]
    assert report["inverters"][second]["bank"]["packs"] == []  # the BMS link is on unit 1
    both = sum(report["inverters"][s]["energy"]["totalUsage"] for s in portal.serials)
    assert report["group_energy"] == {"totalUsage": both}
    assert both == portal.energy.words([1, 2])["totalUsage"]

    # The write: the 18kPV's firmware takes 215 A, the twin runs on it, pylxpweb reads it back.
    assert report["write"] == {
        "serial": first,
        "accepted": True,
        "read_back": str(HYBRID_ONLY_AMPS),
        "limit_after": HYBRID_ONLY_AMPS,
    }
    assert twin.inverter(1).settings.max_charge_current_a == HYBRID_ONLY_AMPS
    assert twin.inverter(2).settings.max_charge_current_a == 60
    assert twin.journal[-1].source == "cloud"
    assert twin.journal[-1].accepted


async def test_pylxpweb_sees_a_refused_write(portal: CloudApiServer, twin: Twin) -> None:
    """251 A is beyond the family's firmware: pylxpweb's own range check stops it first."""
    python = pylxpweb_python()
    status, _, stderr = await run_pylxpweb(python, portal, amps=251)
    assert status != 0
    assert "Battery charge current must be between 0-250 A, got 251" in stderr
    portal.twin.faults.nak_next(1, unit=1)
    status, _, stderr = await run_pylxpweb(python, portal, amps=25)
    assert status != 0
    assert "REMOTE_SET_ERROR" in stderr
    assert twin.inverter(1).settings.max_charge_current_a == 60
    assert (twin.journal[-1].accepted, twin.journal[-1].reason) == (False, "NAK (injected)")


# One field of each answer pylxpweb reads, that its models require: without it the run fails.
REQUIRED_FIELDS = [
    ("api/login", "realName"),
    ("api/login", "fwVersion"),  # per inverter of the plant tree
    ("plant/list/viewer", "currentTimezoneWithMinute"),
    ("inverterOverview/list", "pChargeText"),
    ("getParallelGroupDetails", "subDeviceType"),
    ("getInverterRuntime", "vpv2"),
    ("getInverterInfo", "datalogSn"),
    ("getInverterEnergyInfo", "todayUsage"),
    ("getInverterEnergyInfoParallel", "totalUsage"),
    ("battery/getBatteryInfo", "cycleCnt"),  # per pack
    ("getBatteryInfoForSet", "totalNumber"),
    ("quickCharge/getStatusInfo", "hasUnclosedQuickChargeTask"),
    ("remoteRead/read", "valueFrame"),
]


@pytest.mark.parametrize(("path", "field"), REQUIRED_FIELDS)
async def test_pylxpweb_fails_without_a_field_the_portal_sends(
    portal: CloudApiServer, path: str, field: str
) -> None:
    """The portal's field sets are what pylxpweb needs: drop one and pylxpweb refuses."""
    python = pylxpweb_python()
    portal.omit_field(field, path)
    status, _, stderr = await run_pylxpweb(python, portal)
    assert status != 0
    assert "validation error" in stderr
    assert field in stderr
    assert "Field required" in stderr
