"""The cloud transport in Home Assistant, against the simulator's portal on 127.0.0.1.

Each test sets up a cloud config entry whose ``server`` is the simulated portal's base URL and
drives the twin behind it: polls come from Home Assistant's own refresh timer (fired with
``async_fire_time_changed``), writes go through the number and select services, and every
assertion about cost reads the portal's request counters.

The transport's read-back waits (``READBACK_DELAYS``) and the client's retry waits are
zeroed here; one test checks that the production defaults cost nothing when the first
read-back already shows the value.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import socket
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from unittest.mock import patch

import pytest
from aiohttp import web
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.event import async_track_state_change_event
from homeassistant.helpers.update_coordinator import UpdateFailed
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.eg4.cloud import Eg4CloudClient
from custom_components.eg4.const import DOMAIN
from custom_components.eg4.model import SettingKey
from custom_components.eg4.transport import cloud as cloud_transport
from simulator import OutputPriority, Setting, build_twin
from simulator import cloud_payloads as bodies
from simulator.cloud_api import CloudApiServer
from tests.integration.conftest import entries_on, float_tails

USERNAME = "solar@example.com"
PASSWORD = "correct horse battery staple"  # noqa: S105 - test credentials
TITLE = "EG4 Simulated Station"
PLANT_ID = 10001
SCAN_S = 60

LOGIN = "/WManage/api/login"
RUNTIME = "/WManage/api/inverter/getInverterRuntime"
BATTERY = "/WManage/api/battery/getBatteryInfo"
READ = "/WManage/web/maintain/remoteRead/read"
WRITE = "/WManage/web/maintain/remoteSet/write"
FUNCTION = "/WManage/web/maintain/remoteSet/functionControl"
ENERGY = "/WManage/api/inverter/getInverterEnergyInfo"
QUICK = "/WManage/web/config/quickCharge/getStatusInfo"  # read with the parameters
TRANSLATIONS = json.loads(
    (Path(cloud_transport.__file__).parents[1] / "translations" / "en.json").read_text()
)

NUMBERS = {
    "max_charge_current": (0, 250, 1, "A"),
    "discharge_current": (0, 250, 1, "A"),
    "ac_charge_soc_limit": (0, 100, 1, "%"),
    "charge_soc_limit": (10, 101, 1, "%"),
}
INVERTER_SENSORS = (
    "battery_voltage",
    "battery_current",
    "battery_soc",
    "pv_power",
    "output_power",
    "grid_voltage",
    "temperature",
    "firmware",
)
# The Energy dashboard's: the portal's lifetime counters and the signed powers.
ENERGY_SENSORS = (
    "pv_energy",
    "battery_charge_energy",
    "battery_discharge_energy",
    "grid_import_energy",
    "grid_export_energy",
    "load_energy",
    "battery_power",
    "grid_power",
)
PACK_SENSORS = (
    "soc",
    "voltage",
    "current",
    "cell_voltage_max",
    "cell_voltage_min",
    "cell_voltage_delta",
    "temperature_cell_max",
    "temperature_cell_min",
    "temperature_max",
    "cycles",
    "firmware",
)
SETTING_SENSORS = (
    "charger_priority",
    "max_charge_current",
    "discharge_current",
    "ac_charge_soc_limit",
    "charge_soc_limit",
)


# ---- fixtures ------------------------------------------------------------------------------


class FastRetryClient(Eg4CloudClient):
    """The real client, retrying a busy or unreachable portal without waiting."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("retry_delays", (0.0, 0.0, 0.0))
        super().__init__(*args, **kwargs)


@pytest.fixture(autouse=True)
def no_waits() -> Iterator[None]:
    """No real sleeps: read-backs at once, portal retries at once."""
    with (
        patch.object(cloud_transport, "READBACK_DELAYS", (0.0, 0.0)),
        patch("custom_components.eg4.Eg4CloudClient", FastRetryClient),
    ):
        yield


@pytest.fixture
def model() -> str:
    """The portal's model text of every inverter (override with parametrize)."""
    return "18KPV"


@pytest.fixture
async def portal(socket_enabled: None, model: str) -> AsyncIterator[CloudApiServer]:
    """The simulated portal: one station, two inverters in parallel, six packs."""
    twin = build_twin("drifted", inverters=2, packs=6, seed=0)
    twin.force_settings(max_charge_current=60)
    server = CloudApiServer(twin, username=USERNAME, password=PASSWORD, model=model)
    await server.start()
    yield server
    await server.stop()


def cloud_entry(server: str, password: str = PASSWORD, **options: Any) -> MockConfigEntry:
    """A cloud entry as the config flow creates it."""
    return MockConfigEntry(
        domain=DOMAIN,
        title=TITLE,
        data={
            "transport": "cloud",
            "server": server,
            "username": USERNAME,
            "password": password,
            "plant_id": PLANT_ID,
        },
        options={"scan_interval": SCAN_S, **options},
        unique_id=f"cloud:{server}:{PLANT_ID}",
    )


@pytest.fixture
def entry_options() -> dict[str, Any]:
    """Options of the entry besides the scan interval (override with parametrize)."""
    return {}


@pytest.fixture
async def loaded(
    hass: HomeAssistant, portal: CloudApiServer, entry_options: dict[str, Any]
) -> MockConfigEntry:
    """The cloud entry, set up against the portal."""
    entry = cloud_entry(portal.base_url, **entry_options)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    return entry


# ---- helpers -------------------------------------------------------------------------------


async def poll(hass: HomeAssistant) -> None:
    """Let the refresh timer fire once and wait for the poll to finish."""
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=SCAN_S + 1))
    await hass.async_block_till_done(wait_background_tasks=True)


def entity_id(
    hass: HomeAssistant, entry: MockConfigEntry, platform: str, scope: str, key: str
) -> str:
    """The entity id of ``key`` on ``scope`` ("system", "inverter_1", "pack_3")."""
    found = er.async_get(hass).async_get_entity_id(
        platform, DOMAIN, f"{entry.entry_id}_{scope}_{key}"
    )
    assert found is not None, f"no {platform} {scope} {key}"
    return found


def state(hass: HomeAssistant, entry: MockConfigEntry, platform: str, scope: str, key: str) -> str:
    """The state string of one entity."""
    current = hass.states.get(entity_id(hass, entry, platform, scope, key))
    assert current is not None
    return current.state


def eg4_states(hass: HomeAssistant, entry: MockConfigEntry) -> dict[str, str]:
    """Every enabled entity of the entry -> its state (but the cancel button: it follows runs)."""
    out: dict[str, str] = {}
    for item in entries_on(hass, entry.entry_id):
        if item.domain == "button":
            continue
        current = hass.states.get(item.entity_id)
        assert current is not None
        out[item.entity_id] = current.state
    return out


def scope_states(hass: HomeAssistant, entry: MockConfigEntry, scope: str) -> dict[str, str]:
    """States of the enabled entities of one inverter or pack."""
    prefix = f"{entry.entry_id}_{scope}_"
    return {
        item.unique_id.removeprefix(prefix): hass.states.get(item.entity_id).state  # type: ignore[union-attr]
        for item in entries_on(hass, entry.entry_id)
        if item.unique_id.startswith(prefix)
    }


def expected_inverter(portal: CloudApiServer, unit: int) -> dict[str, float]:
    """What the portal's runtime body says, in engineering units (its documented scaling)."""
    body = bodies.runtime(portal.twin, unit, portal.serials[unit - 1])
    volts = body["vBat"] / 10
    return {
        "battery_voltage": volts,
        "battery_current": round(body["batPower"] / volts, 1),
        "battery_soc": body["soc"],
        "pv_power": body["ppv"],
        "output_power": body["pinv"],
        "grid_voltage": body["vacr"] / 10,
        "temperature": body["tinner"],
    }


def expected_packs(portal: CloudApiServer) -> dict[int, dict[str, float]]:
    """What the first unit's battery body says of each pack."""
    body = bodies.battery(portal.twin, portal.serials[0], with_packs=True)
    out: dict[int, dict[str, float]] = {}
    for row in body["batteryArray"]:
        high, low = row["batMaxCellVoltage"] / 1000, row["batMinCellVoltage"] / 1000
        out[row["batIndex"] + 1] = {
            "soc": row["soc"],
            "voltage": row["totalVoltage"] / 100,
            "current": row["current"] / 10,
            "cell_voltage_max": high,
            "cell_voltage_min": low,
            "cell_voltage_delta": round((high - low) * 1000, 1),
            "temperature_cell_min": row["batMinCellTemp"] / 10,
            "temperature_max": row["batMaxCellTemp"] / 10,
            "cycles": row["cycleCnt"],
        }
    return out


def stored(portal: CloudApiServer, unit: int) -> dict[str, Any]:
    """Every named parameter the portal holds for one unit."""
    return portal.params.read(unit, 0, 255)


def requests(portal: CloudApiServer) -> dict[str, int]:
    """A copy of the portal's per-path request counters."""
    return dict(portal.requests)


def spent(before: dict[str, int], portal: CloudApiServer) -> dict[str, int]:
    """Requests per path since ``before``."""
    return {
        path: count - before.get(path, 0)
        for path, count in portal.requests.items()
        if count != before.get(path, 0)
    }


def placeholders(err: HomeAssistantError) -> dict[str, str]:
    """The translation placeholders of a raised error."""
    assert err.translation_placeholders is not None
    return err.translation_placeholders


async def set_number(hass: HomeAssistant, entry: MockConfigEntry, key: str, value: float) -> None:
    await hass.services.async_call(
        "number",
        "set_value",
        {"entity_id": entity_id(hass, entry, "number", "system", key), "value": value},
        blocking=True,
    )


def cloud_journal(portal: CloudApiServer) -> list[tuple[tuple[int, ...], str, bool]]:
    """(units, request, accepted) of every command the twin received from the portal."""
    return [(e.units, e.request, e.accepted) for e in portal.twin.journal if e.source == "cloud"]


# ---- entities ------------------------------------------------------------------------------


async def test_entities_show_what_the_portal_reports(
    hass: HomeAssistant, portal: CloudApiServer, loaded: MockConfigEntry
) -> None:
    """The hybrid family's numbers and select, inverter and pack sensors, portal values."""
    entry = loaded
    for key, (low, high, step, uom) in NUMBERS.items():
        number = hass.states.get(entity_id(hass, entry, "number", "system", key))
        assert number is not None
        assert (number.attributes["min"], number.attributes["max"]) == (low, high)
        assert number.attributes["step"] == step
        assert number.attributes["unit_of_measurement"] == uom
    select = hass.states.get(entity_id(hass, entry, "select", "system", "charger_priority"))
    assert select is not None
    assert select.attributes["options"] == ["solar_first", "solar_and_utility"]
    assert not er.async_get(hass).async_get_entity_id(
        "select", DOMAIN, f"{entry.entry_id}_system_output_priority"
    )

    # Settings: what each unit's parameters hold (both units agree).
    params = stored(portal, 1)
    assert params == stored(portal, 2)
    assert state(hass, entry, "number", "system", "max_charge_current") == "60"
    assert float(params["HOLD_LEAD_ACID_CHARGE_RATE"]) == 60
    # Whole-step settings show whole numbers (the number's state is what its box shows).
    assert state(hass, entry, "number", "system", "discharge_current") == str(
        int(params["HOLD_LEAD_ACID_DISCHARGE_RATE"])
    )
    assert state(hass, entry, "number", "system", "ac_charge_soc_limit") == str(
        int(params["HOLD_AC_CHARGE_SOC_LIMIT"])
    )
    assert state(hass, entry, "number", "system", "charge_soc_limit") == str(
        int(params["HOLD_SYSTEM_CHARGE_SOC_LIMIT"])
    )
    assert params["FUNC_AC_CHARGE"] is False
    assert select.state == "solar_first"

    # Telemetry: the twin has not moved since the poll, so the bodies are the same.
    for unit in (1, 2):
        shown = scope_states(hass, entry, f"inverter_{unit}")
        assert set(shown) == set(INVERTER_SENSORS) | set(SETTING_SENSORS) | set(ENERGY_SENSORS)
        for key, value in expected_inverter(portal, unit).items():
            assert float(shown[key]) == pytest.approx(value), (unit, key)
        assert shown["charger_priority"] == "solar_first"
        assert shown["max_charge_current"] == "60.0"
        # Firmware: the runtime's fwCode, as the portal words it ("FAAB-2122").
        runtime = bodies.runtime(portal.twin, unit, portal.serials[unit - 1])
        assert shown["firmware"] == runtime["fwCode"] == portal.portal_model.fw_code
    battery = bodies.battery(portal.twin, portal.serials[0], with_packs=True)
    pack_firmware = {row["batIndex"] + 1: row["fwVersionText"] for row in battery["batteryArray"]}
    assert all(
        scope_states(hass, entry, f"pack_{n}")["firmware"] == v for n, v in pack_firmware.items()
    )
    packs = expected_packs(portal)
    assert sorted(packs) == [1, 2, 3, 4, 5, 6]
    registry = er.async_get(hass)
    for pack, expected in packs.items():
        shown = scope_states(hass, entry, f"pack_{pack}")
        # The highest cell temperature is the pack's highest temperature: off until turned on.
        assert set(shown) == set(PACK_SENSORS) - {"temperature_cell_max"}
        off = registry.async_get(
            entity_id(hass, entry, "sensor", f"pack_{pack}", "temperature_cell_max")
        )
        assert off is not None
        assert off.disabled_by is er.RegistryEntryDisabler.INTEGRATION
        for key, value in expected.items():
            assert float(shown[key]) == pytest.approx(value), (pack, key)
    # The drifted bank: pack SoCs disagree, as the portal says.
    assert len({p["soc"] for p in packs.values()}) > 1

    devices = dr.async_entries_for_config_entry(dr.async_get(hass), entry.entry_id)
    assert len(devices) == 1 + 2 + 6
    assert STATE_UNAVAILABLE not in eg4_states(hass, entry).values()


async def test_numbers_have_a_display_precision(
    hass: HomeAssistant, loaded: MockConfigEntry
) -> None:
    """No dashboard shows a float's tail, whatever the portal's decimals."""
    assert float_tails(hass, loaded) == []


@pytest.mark.parametrize("model", ["12000XP"])
async def test_off_grid_family(
    hass: HomeAssistant, portal: CloudApiServer, loaded: MockConfigEntry
) -> None:
    """12000XP: no charger priority (AC charge is schedule-driven); AC-charge stop SoC is
    served by HOLD_AC_CHARGE_END_BATTERY_SOC."""
    entry = loaded
    registry = er.async_get(hass)
    assert not registry.async_get_entity_id(
        "select", DOMAIN, f"{entry.entry_id}_system_charger_priority"
    )
    for key in NUMBERS:
        assert state(hass, entry, "number", "system", key) not in (STATE_UNKNOWN, STATE_UNAVAILABLE)
    params = stored(portal, 1)
    assert "HOLD_AC_CHARGE_SOC_LIMIT" not in params
    assert state(hass, entry, "number", "system", "ac_charge_soc_limit") == str(
        int(params["HOLD_AC_CHARGE_END_BATTERY_SOC"])
    )
    before = requests(portal)
    await set_number(hass, entry, "ac_charge_soc_limit", 95)
    assert spent(before, portal) == {WRITE: 2, READ: 2}
    assert stored(portal, 1)["HOLD_AC_CHARGE_END_BATTERY_SOC"] == "95"
    assert stored(portal, 2)["HOLD_AC_CHARGE_END_BATTERY_SOC"] == "95"
    assert state(hass, entry, "number", "system", "ac_charge_soc_limit") == "95"


async def test_telemetry_follows_the_twin(
    hass: HomeAssistant, portal: CloudApiServer, loaded: MockConfigEntry
) -> None:
    """After the twin moves on, the next poll shows the portal's new values."""
    before = scope_states(hass, loaded, "pack_1")
    portal.twin.step(1800)
    await poll(hass)
    for unit in (1, 2):
        shown = scope_states(hass, loaded, f"inverter_{unit}")
        for key, value in expected_inverter(portal, unit).items():
            assert float(shown[key]) == pytest.approx(value), (unit, key)
    after = scope_states(hass, loaded, "pack_1")
    for key, value in expected_packs(portal)[1].items():
        assert float(after[key]) == pytest.approx(value), key
    assert after != before


# ---- request budget ------------------------------------------------------------------------


async def test_setup_and_steady_state_request_budget(
    hass: HomeAssistant, portal: CloudApiServer, loaded: MockConfigEntry
) -> None:
    """Setup reads everything once; a steady-state refresh of 2 inverters + 6 packs costs 3."""
    assert requests(portal) == {
        LOGIN: 1,
        BATTERY: 2 + 1,  # discovery counts each unit's packs; the poll reads the bank once
        RUNTIME: 2,
        READ: 2 * 2,  # two parameter windows per unit
        QUICK: 2,  # and each unit's quick-task status
        ENERGY: 2,  # each unit's energy counters (read again every five minutes)
    }
    await poll(hass)  # the first steady-state refresh
    for _ in range(3):
        before = requests(portal)
        portal.twin.step(60)
        await poll(hass)
        assert spent(before, portal) == {RUNTIME: 2, BATTERY: 1}
        assert portal.total_requests - sum(before.values()) <= 4
    assert portal.logins == 1
    transport = loaded.runtime_data.coordinator.transport
    assert transport.client.request_count == portal.total_requests
    assert portal.peak_in_flight <= 3


async def test_hourly_parameter_refresh_sees_changes_made_elsewhere(
    hass: HomeAssistant, portal: CloudApiServer, loaded: MockConfigEntry
) -> None:
    """Parameters changed outside Home Assistant (the EG4 app) show after the hourly read."""
    portal.twin.force_settings(max_charge_current=70)
    await poll(hass)
    assert state(hass, loaded, "number", "system", "max_charge_current") == "60"
    transport = loaded.runtime_data.coordinator.transport
    assert isinstance(transport, cloud_transport.CloudTransport)
    for unit in transport.units:  # an hour has passed since the last parameter read
        assert unit.params_read_at is not None
        unit.params_read_at -= cloud_transport.PARAMETER_REFRESH_S
    before = requests(portal)
    await poll(hass)
    assert spent(before, portal) == {RUNTIME: 2, BATTERY: 1, READ: 2 * 2, QUICK: 2}
    assert state(hass, loaded, "number", "system", "max_charge_current") == "70"
    before = requests(portal)
    await poll(hass)
    assert spent(before, portal) == {RUNTIME: 2, BATTERY: 1}


# ---- writes --------------------------------------------------------------------------------


async def test_charge_current_written_to_each_inverter_and_shown_after_readback(
    hass: HomeAssistant, portal: CloudApiServer, loaded: MockConfigEntry
) -> None:
    entry = loaded
    number = entity_id(hass, entry, "number", "system", "max_charge_current")
    seen: list[tuple[str, int, int]] = []

    @callback
    def record(event: Event[EventStateChangedData]) -> None:
        new = event.data["new_state"]
        assert new is not None
        seen.append((new.state, portal.requests[WRITE], portal.requests[READ]))

    unsub = async_track_state_change_event(hass, number, record)
    before = requests(portal)
    await set_number(hass, entry, "max_charge_current", 80)
    unsub()

    assert spent(before, portal) == {WRITE: 2, READ: 2}  # one write + one read-back per unit
    assert cloud_journal(portal) == [
        ((1,), "max_charge_current=80", True),
        ((2,), "max_charge_current=80", True),
    ]
    for unit in (1, 2):
        assert stored(portal, unit)["HOLD_LEAD_ACID_CHARGE_RATE"] == "80"
        assert portal.twin.inverter(unit).settings.max_charge_current_a == 80
    # 80 shows only once both units have read it back; in between the units disagree.
    first = next(i for i, (value, _, _) in enumerate(seen) if value == "80")
    assert seen[first][1:] == (before[WRITE] + 2 if WRITE in before else 2, before[READ] + 2)
    assert all(value != "80" for value, _, _ in seen[:first])
    assert hass.states.get(number).state == "80"  # type: ignore[union-attr]
    # The read-back reached the per-unit sensors too.
    assert state(hass, entry, "sensor", "inverter_2", "max_charge_current") == "80.0"


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (250.5, "rejected_out_of_range"),
        (251, "rejected_out_of_range"),
        (-1, "rejected_out_of_range"),
        (80.5, "rejected_not_on_step"),
    ],
)
async def test_invalid_charge_current_refused_before_any_request(
    hass: HomeAssistant,
    portal: CloudApiServer,
    loaded: MockConfigEntry,
    value: float,
    reason: str,
) -> None:
    before = portal.total_requests
    # Home Assistant's number service refuses values outside 0..250 itself; the step is ours.
    with pytest.raises(ServiceValidationError) as err:
        await set_number(hass, loaded, "max_charge_current", value)
    if reason == "rejected_not_on_step":
        assert err.value.translation_key == reason
    assert portal.total_requests == before
    # The integration's own write path (used by actions and calibration) refuses them too.
    coordinator = loaded.runtime_data.coordinator
    with pytest.raises(ServiceValidationError) as own:
        await coordinator.async_write_setting(SettingKey.MAX_CHARGE_CURRENT, value)
    assert own.value.translation_key == reason
    assert portal.total_requests == before
    assert state(hass, loaded, "number", "system", "max_charge_current") == "60"


async def test_device_rejection_surfaces_the_portals_message(
    hass: HomeAssistant, portal: CloudApiServer, loaded: MockConfigEntry
) -> None:
    """The first unit refuses: nothing else is sent, the error carries the portal's text."""
    portal.inject_error("REMOTE_SET_ERROR", path=WRITE)
    before = requests(portal)
    # An hour-long confirmation window: the refusal must end the write, not the window
    # (the outer timeout only keeps a regression from hanging the suite).
    loaded.runtime_data.coordinator.confirm_timeout = 3600
    with pytest.raises(HomeAssistantError) as err:
        async with asyncio.timeout(30):
            await set_number(hass, loaded, "max_charge_current", 80)
    assert err.value.translation_key == "write_refused"
    assert err.value.translation_placeholders == {
        "setting": "max_charge_current",
        "value": "80",
        "units": "1",
        "message": "REMOTE_SET_ERROR",
    }
    template = TRANSLATIONS["exceptions"]["write_refused"]["message"]
    assert str(err.value) == template.format(**placeholders(err.value))
    assert "REMOTE_SET_ERROR" in str(err.value)
    assert spent(before, portal) == {WRITE: 1}  # no read-back of a refused write, no unit 2
    assert cloud_journal(portal) == []
    assert state(hass, loaded, "number", "system", "max_charge_current") == "60"
    assert loaded.runtime_data.coordinator.command_replies[-1].message == "REMOTE_SET_ERROR"


async def test_firmware_refusal_of_a_value_in_range(
    hass: HomeAssistant, portal: CloudApiServer, loaded: MockConfigEntry
) -> None:
    """250 A is valid for the family (the 18kPV takes it) but this unit's firmware says no."""
    portal.twin.faults.nak_setting(Setting.MAX_CHARGE_CURRENT, 1)
    with pytest.raises(HomeAssistantError) as err:
        await set_number(hass, loaded, "max_charge_current", 250)
    assert err.value.translation_key == "write_refused"
    assert placeholders(err.value)["message"] == "REMOTE_SET_ERROR"
    assert cloud_journal(portal) == [((1,), "max_charge_current=250", False)]


async def test_partial_failure_rolls_the_other_unit_back(
    hass: HomeAssistant, portal: CloudApiServer, loaded: MockConfigEntry
) -> None:
    """Unit 1 takes 80 A, unit 2 refuses: unit 1 is put back to 60 A and confirmed."""
    portal.twin.faults.nak_next(1, unit=2)
    before = requests(portal)
    with pytest.raises(HomeAssistantError) as err:
        await set_number(hass, loaded, "max_charge_current", 80)
    assert err.value.translation_key == "write_refused"
    assert placeholders(err.value)["units"] == "2"
    assert placeholders(err.value)["message"] == "REMOTE_SET_ERROR"
    assert cloud_journal(portal) == [
        ((1,), "max_charge_current=80", True),
        ((2,), "max_charge_current=80", False),
        ((1,), "max_charge_current=60", True),
    ]
    # write + read-back on unit 1, refused write on unit 2, rollback write + read-back on unit 1
    assert spent(before, portal) == {WRITE: 3, READ: 2}
    for unit in (1, 2):
        assert portal.twin.inverter(unit).settings.max_charge_current_a == 60
    assert state(hass, loaded, "number", "system", "max_charge_current") == "60"
    assert state(hass, loaded, "sensor", "inverter_1", "max_charge_current") == "60.0"


@pytest.mark.parametrize("entry_options", [{"confirm_timeout": 10}])
async def test_acknowledged_but_not_applied(
    hass: HomeAssistant, portal: CloudApiServer, loaded: MockConfigEntry
) -> None:
    """The portal accepts, the device applies two minutes later: not confirmed in time; the
    next poll reads the register again and shows what the unit really holds."""
    portal.twin.faults.delay(120, setting=Setting.MAX_CHARGE_CURRENT)
    call = hass.async_create_task(set_number(hass, loaded, "max_charge_current", 80))
    for _ in range(20):
        await asyncio.sleep(0)
    assert not call.done()
    assert state(hass, loaded, "number", "system", "max_charge_current") == "60"
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=11))
    with pytest.raises(HomeAssistantError) as err:
        await call
    assert err.value.translation_key == "write_not_confirmed"
    assert placeholders(err.value)["units"] == "1"
    assert portal.requests[WRITE] == 1  # unit 2 is never asked

    portal.twin.step(121)  # the delayed write lands on unit 1
    before = requests(portal)
    await poll(hass)
    assert spent(before, portal) == {RUNTIME: 2, BATTERY: 1, READ: 1}  # + the one register
    assert state(hass, loaded, "sensor", "inverter_1", "max_charge_current") == "80.0"
    assert state(hass, loaded, "number", "system", "max_charge_current") == STATE_UNKNOWN
    mismatch = entity_id(hass, loaded, "binary_sensor", "system", "settings_mismatch")
    assert hass.states.get(mismatch).state == "on"  # type: ignore[union-attr]
    before = requests(portal)
    await poll(hass)
    assert spent(before, portal) == {RUNTIME: 2, BATTERY: 1}  # confirmed: no more re-reads


async def test_default_readback_delays_cost_nothing_when_applied_at_once(
    hass: HomeAssistant, portal: CloudApiServer, loaded: MockConfigEntry
) -> None:
    """With the production delays (0, 3, 10 s) a write the device applies at once is
    confirmed by the first, immediate read-back."""
    assert cloud_transport.READBACK_DELAYS != (0.0, 3.0, 10.0)  # patched here
    transport = loaded.runtime_data.coordinator.transport
    before = requests(portal)
    with patch.object(transport, "_readback_delays", (0.0, 3.0, 10.0)):
        await set_number(hass, loaded, "discharge_current", 150)
    # One write and one read-back per unit: the delayed read-backs were never needed.
    assert spent(before, portal) == {WRITE: 2, READ: 2}
    assert stored(portal, 2)["HOLD_LEAD_ACID_DISCHARGE_RATE"] == "150"
    assert state(hass, loaded, "number", "system", "discharge_current") == "150"


def test_production_readback_delays() -> None:
    """The defaults users get (module constant, read when a transport is built)."""
    with patch.object(cloud_transport, "READBACK_DELAYS", (0.0, 3.0, 10.0)):
        transport = cloud_transport.CloudTransport(
            None,  # type: ignore[arg-type]
            [],
            scan_interval=timedelta(seconds=60),
        )
    assert transport._readback_delays == (0.0, 3.0, 10.0)


async def test_charger_priority_select(
    hass: HomeAssistant, portal: CloudApiServer, loaded: MockConfigEntry
) -> None:
    """solar_and_utility = FUNC_AC_CHARGE on for each unit (the twin goes SUB + grid charge)."""
    select = entity_id(hass, loaded, "select", "system", "charger_priority")
    before = requests(portal)
    await hass.services.async_call(
        "select",
        "select_option",
        {"entity_id": select, "option": "solar_and_utility"},
        blocking=True,
    )
    assert spent(before, portal) == {FUNCTION: 2, READ: 2}
    for unit in (1, 2):
        assert stored(portal, unit)["FUNC_AC_CHARGE"] is True
        assert portal.twin.inverter(unit).settings.output_priority is OutputPriority.SUB
    assert hass.states.get(select).state == "solar_and_utility"  # type: ignore[union-attr]


# ---- sessions, credentials, reachability ---------------------------------------------------


@pytest.mark.parametrize("style", ["html", "401"])
async def test_session_expiry_relogs_in_once(
    hass: HomeAssistant, portal: CloudApiServer, loaded: MockConfigEntry, style: str
) -> None:
    await poll(hass)
    portal.expire_sessions(style)  # type: ignore[arg-type]
    portal.twin.step(300)
    before = requests(portal)
    await poll(hass)
    # three calls meet the expired session together, ONE login, three replays
    assert spent(before, portal) == {LOGIN: 1, RUNTIME: 4, BATTERY: 2}
    assert portal.logins == 2
    assert loaded.runtime_data.coordinator.last_update_success
    assert STATE_UNAVAILABLE not in eg4_states(hass, loaded).values()
    for key, value in expected_inverter(portal, 1).items():
        assert float(state(hass, loaded, "sensor", "inverter_1", key)) == pytest.approx(value)
    before = requests(portal)
    await poll(hass)
    assert spent(before, portal) == {RUNTIME: 2, BATTERY: 1}
    assert not hass.config_entries.flow.async_progress_by_handler(DOMAIN)


async def test_session_expiry_before_a_write(
    hass: HomeAssistant, portal: CloudApiServer, loaded: MockConfigEntry
) -> None:
    portal.expire_sessions("401")
    await set_number(hass, loaded, "max_charge_current", 80)
    assert portal.logins == 2
    assert state(hass, loaded, "number", "system", "max_charge_current") == "80"


async def test_bad_password_at_setup_starts_reauth(
    hass: HomeAssistant, portal: CloudApiServer
) -> None:
    entry = cloud_entry(portal.base_url, password="not the password")  # noqa: S106
    entry.add_to_hass(hass)
    assert not await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.SETUP_ERROR
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]
    assert flows[0]["context"]["entry_id"] == entry.entry_id
    assert requests(portal) == {LOGIN: 1}  # one refused login, no retry
    assert portal.logins == 0


async def test_password_changed_mid_run_starts_reauth(
    hass: HomeAssistant, portal: CloudApiServer, loaded: MockConfigEntry
) -> None:
    portal.password = "changed on the portal"  # noqa: S105
    portal.expire_sessions()
    before = requests(portal)
    await poll(hass)
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]
    assert not loaded.runtime_data.coordinator.last_update_success
    assert state(hass, loaded, "sensor", "inverter_1", "battery_voltage") == STATE_UNAVAILABLE
    # Each of the three calls that met the expired session tries the refused login itself
    # (the client shares a successful re-login, not a failed one): at most one per call.
    assert spent(before, portal)[LOGIN] == 1
    before = requests(portal)
    await poll(hass)
    assert spent(before, portal) == {}  # no polling (and no login attempts) until reauth


@pytest.mark.usefixtures("socket_enabled")
async def test_portal_unreachable_at_setup_retries(hass: HomeAssistant) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    entry = cloud_entry(f"http://127.0.0.1:{port}")
    entry.add_to_hass(hass)
    assert not await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.SETUP_RETRY
    assert not hass.config_entries.flow.async_progress_by_handler(DOMAIN)


async def test_portal_busy_at_setup_retries(hass: HomeAssistant, portal: CloudApiServer) -> None:
    portal.inject_error("busy", count=4, path=LOGIN, status=503)
    entry = cloud_entry(portal.base_url)
    entry.add_to_hass(hass)
    assert not await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.SETUP_RETRY
    assert requests(portal) == {LOGIN: 4}  # the first try and three retries


async def test_portal_outage_mid_run(
    hass: HomeAssistant, portal: CloudApiServer, loaded: MockConfigEntry
) -> None:
    """Every call fails (after its retries): entities unavailable; next poll recovers."""
    portal.inject_error("busy", count=3 * 4, status=503)
    await poll(hass)
    coordinator = loaded.runtime_data.coordinator
    assert not coordinator.last_update_success
    assert state(hass, loaded, "sensor", "pack_3", "soc") == STATE_UNAVAILABLE
    assert state(hass, loaded, "number", "system", "max_charge_current") == STATE_UNAVAILABLE
    await poll(hass)
    assert coordinator.last_update_success
    assert STATE_UNAVAILABLE not in eg4_states(hass, loaded).values()


async def test_429_retry_after_holds_the_polls_back(
    hass: HomeAssistant,
    portal: CloudApiServer,
    loaded: MockConfigEntry,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """HTTP 429 with Retry-After 150: the polls at +60 s and +120 s send nothing, and say why."""
    clock = [1000.0]
    client = loaded.runtime_data.coordinator.transport.client
    monkeypatch.setattr(client, "_clock", lambda: clock[0])
    original = portal._injected

    def with_retry_after(path: str) -> web.Response | None:
        answer = original(path)
        if answer is not None and answer.status == 429:
            answer.headers["Retry-After"] = "150"
        return answer

    monkeypatch.setattr(portal, "_injected", with_retry_after)
    portal.inject_error("Too Many Requests", count=1, path=RUNTIME, status=429)
    coordinator = loaded.runtime_data.coordinator
    await poll(hass)
    assert not coordinator.last_update_success
    assert isinstance(coordinator.last_exception, UpdateFailed)
    assert coordinator.last_exception.translation_key == "rate_limited"
    assert "150 s" in str(coordinator.last_exception)
    assert hass.config_entries.flow.async_progress_by_handler(DOMAIN) == []
    for left in (90, 30):  # two polls inside the window: not one request
        clock[0] += SCAN_S
        before = requests(portal)
        await poll(hass)
        assert spent(before, portal) == {}
        assert not coordinator.last_update_success
        assert f"{left} s" in str(coordinator.last_exception)
    clock[0] += SCAN_S  # the portal's time is up
    before = requests(portal)
    await poll(hass)
    assert spent(before, portal) == {RUNTIME: 2, BATTERY: 1}
    assert coordinator.last_update_success
    assert STATE_UNAVAILABLE not in eg4_states(hass, loaded).values()


async def test_429_at_setup_is_not_ready_and_says_when(
    hass: HomeAssistant, portal: CloudApiServer
) -> None:
    portal.inject_error("Too Many Requests", count=1, path=LOGIN, status=429)
    entry = cloud_entry(portal.base_url)
    entry.add_to_hass(hass)
    assert not await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.SETUP_RETRY
    assert entry.error_reason_translation_key == "rate_limited"
    assert requests(portal) == {LOGIN: 1}  # not retried at once
    assert hass.config_entries.flow.async_progress_by_handler(DOMAIN) == []


async def test_one_inverter_failing_does_not_blank_the_other(
    hass: HomeAssistant, portal: CloudApiServer, loaded: MockConfigEntry
) -> None:
    """A relay time-out on one unit's runtime (after retries) keeps the poll alive."""
    portal.inject_error("DATAFRAME_TIMEOUT", count=4, path=RUNTIME)
    await poll(hass)
    coordinator = loaded.runtime_data.coordinator
    assert coordinator.last_update_success
    assert STATE_UNAVAILABLE not in eg4_states(hass, loaded).values()


# ---- offline inverters ---------------------------------------------------------------------


async def test_offline_inverter_and_its_packs_unavailable_then_back(
    hass: HomeAssistant, portal: CloudApiServer, loaded: MockConfigEntry
) -> None:
    entry = loaded
    # The second unit's dongle is lost: only its entities go (the bank is on unit 1).
    portal.set_offline(portal.serials[1])
    portal.twin.step(600)
    await poll(hass)
    assert set(scope_states(hass, entry, "inverter_2").values()) == {STATE_UNAVAILABLE}
    assert STATE_UNAVAILABLE not in scope_states(hass, entry, "inverter_1").values()
    for number in range(1, 7):
        assert STATE_UNAVAILABLE not in scope_states(hass, entry, f"pack_{number}").values()
    # Group settings cannot be shown (or written) while a unit is unreachable.
    assert state(hass, entry, "number", "system", "max_charge_current") == STATE_UNAVAILABLE
    total = portal.total_requests
    await set_number(hass, entry, "max_charge_current", 80)  # HA skips unavailable entities
    with pytest.raises(HomeAssistantError) as err:
        await entry.runtime_data.coordinator.async_write_setting(SettingKey.MAX_CHARGE_CURRENT, 80)
    assert err.value.translation_key == "telemetry_stale"
    assert portal.total_requests == total

    # The first unit too: its packs go with it (not frozen at the last values).
    portal.set_offline(portal.serials[0])
    before = requests(portal)
    await poll(hass)
    assert spent(before, portal) == {RUNTIME: 2, BATTERY: 1}  # nothing more for lost units
    for scope in ("inverter_1", "inverter_2", *(f"pack_{n}" for n in range(1, 7))):
        assert set(scope_states(hass, entry, scope).values()) == {STATE_UNAVAILABLE}, scope
    assert loaded.runtime_data.coordinator.last_update_success

    # Back online: available again, with live values.
    portal.set_offline(portal.serials[0], offline=False)
    portal.set_offline(portal.serials[1], offline=False)
    portal.twin.step(600)
    await poll(hass)
    assert STATE_UNAVAILABLE not in eg4_states(hass, entry).values()
    for unit in (1, 2):
        for key, value in expected_inverter(portal, unit).items():
            assert float(state(hass, entry, "sensor", f"inverter_{unit}", key)) == pytest.approx(
                value
            )
    for key, value in expected_packs(portal)[6].items():
        assert float(state(hass, entry, "sensor", "pack_6", key)) == pytest.approx(value)
    assert state(hass, entry, "number", "system", "max_charge_current") == "60"


# ---- diagnostics ---------------------------------------------------------------------------


async def test_diagnostics_redact_secrets(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    portal: CloudApiServer,
    loaded: MockConfigEntry,
) -> None:
    await poll(hass)
    cookies = set(portal._sessions)  # the JSESSIONID values issued
    assert cookies

    describe = loaded.runtime_data.coordinator.transport.describe()
    assert describe == {
        "transport": "cloud",
        "server": portal.base_url,
        "inverter_count": 2,
        "pack_count": 6,
        "requests_sent": portal.total_requests,
        "logins": 1,
        "gridboss_skipped": 0,
    }

    diag = await get_diagnostics_for_config_entry(hass, hass_client, loaded)
    redacted = "**REDACTED**"
    entry = diag["entry"]
    assert entry["title"] == redacted
    assert entry["unique_id"] == redacted
    assert entry["data"] == {
        "transport": "cloud",
        "server": portal.base_url,
        "username": redacted,
        "password": redacted,
        "plant_id": redacted,
    }
    assert diag["transport"]["server"] == portal.base_url
    assert diag["transport"]["pack_count"] == 6
    assert diag["inverters"]["1"]["settings"]["max_charge_current"] == "60.0"

    dumped = json.dumps(diag)
    secrets = [PASSWORD, USERNAME, *portal.serials, str(PLANT_ID), TITLE, *cookies]
    assert [secret for secret in secrets if secret in dumped] == []


# ---- failures around writes and parameters -------------------------------------------------


async def test_station_gone_from_the_account_is_a_setup_error_with_a_repair(
    hass: HomeAssistant, portal: CloudApiServer
) -> None:
    """The configured station is no longer in the account.

    Signing in again cannot bring it back (the password is right), so no reauth flow: setup
    fails for good with a translated reason and a repair issue says to reconfigure. Once the
    entry points at a station the account has, it loads and the issue is gone.
    """
    entry = cloud_entry(portal.base_url)
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=TITLE,
        data={**entry.data, "plant_id": PLANT_ID + 1},
        options=dict(entry.options),
        unique_id=f"cloud:{portal.base_url}:{PLANT_ID + 1}",
    )
    entry.add_to_hass(hass)
    assert not await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.SETUP_ERROR
    assert entry.error_reason_translation_key == "station_missing"
    assert hass.config_entries.flow.async_progress_by_handler(DOMAIN) == []
    issue = ir.async_get(hass).async_get_issue(DOMAIN, f"station_missing_{entry.entry_id}")
    assert issue is not None
    assert issue.translation_key == "station_missing"
    assert issue.severity is ir.IssueSeverity.ERROR
    assert issue.translation_placeholders == {"name": TITLE}
    message = TRANSLATIONS["issues"]["station_missing"]["description"]
    assert "reconfigure" in message.lower()
    assert "station_missing" in TRANSLATIONS["exceptions"]
    assert requests(portal) == {LOGIN: 1}  # one login, nothing polled

    # Trying again changes nothing: still no reauth, one issue.
    await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.SETUP_ERROR
    assert hass.config_entries.flow.async_progress_by_handler(DOMAIN) == []

    # Pointed at a station the account has (what a reconfigure stores): loads, issue gone.
    hass.config_entries.async_update_entry(entry, data={**entry.data, "plant_id": PLANT_ID})
    await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert ir.async_get(hass).async_get_issue(DOMAIN, f"station_missing_{entry.entry_id}") is None


def serve_maintenance(monkeypatch: pytest.MonkeyPatch, portal: CloudApiServer) -> None:
    """The portal accepts logins but answers every other call with its maintenance page."""
    page = "<html><body><h1>Scheduled maintenance</h1>We will be back soon.</body></html>"
    monkeypatch.setattr(portal, "_session_valid", lambda _token: False)
    monkeypatch.setattr(
        portal, "_expired", lambda: web.Response(text=page, content_type="text/html")
    )


async def test_maintenance_page_after_a_fresh_login_at_setup_is_not_ready(
    hass: HomeAssistant, portal: CloudApiServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    serve_maintenance(monkeypatch, portal)
    entry = cloud_entry(portal.base_url)
    entry.add_to_hass(hass)
    assert not await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.SETUP_RETRY
    assert hass.config_entries.flow.async_progress_by_handler(DOMAIN) == []
    assert requests(portal)[LOGIN] == 1  # the fresh session is not logged in again


async def test_maintenance_page_mid_run_is_an_outage_not_a_reauth(
    hass: HomeAssistant,
    portal: CloudApiServer,
    loaded: MockConfigEntry,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The session expires and the portal goes into maintenance: a failed poll, no reauth."""
    serve_maintenance(monkeypatch, portal)
    await poll(hass)
    coordinator = loaded.runtime_data.coordinator
    assert not coordinator.last_update_success
    assert isinstance(coordinator.last_exception, UpdateFailed)
    assert coordinator.last_exception.translation_key == "service_unavailable"
    assert loaded.state is ConfigEntryState.LOADED
    assert hass.config_entries.flow.async_progress_by_handler(DOMAIN) == []
    assert state(hass, loaded, "sensor", "inverter_1", "battery_voltage") == STATE_UNAVAILABLE
    monkeypatch.undo()  # maintenance over
    portal.expire_sessions()
    await poll(hass)
    assert coordinator.last_update_success
    assert STATE_UNAVAILABLE not in eg4_states(hass, loaded).values()


async def test_write_that_cannot_reach_the_portal_is_a_send_error(
    hass: HomeAssistant, portal: CloudApiServer, loaded: MockConfigEntry
) -> None:
    """The portal is down for the write (after the client's retries): a clear error, no change."""
    portal.inject_error("busy", count=4, path=WRITE, status=503)
    with pytest.raises(HomeAssistantError) as err:
        await set_number(hass, loaded, "max_charge_current", 80)
    assert err.value.translation_key == "send_failed"
    assert err.value.translation_placeholders["setting"] == "max_charge_current"
    assert cloud_journal(portal) == []
    assert state(hass, loaded, "number", "system", "max_charge_current") == "60"


async def test_failed_read_back_is_retried_within_the_write(
    hass: HomeAssistant, portal: CloudApiServer, loaded: MockConfigEntry
) -> None:
    """The first read-back times out at the dongle: the next one confirms the write."""
    portal.inject_error("DATAFRAME_TIMEOUT", count=4, path=READ)  # the client retries 3 times
    await set_number(hass, loaded, "max_charge_current", 80)
    assert [portal.twin.inverter(u).settings.max_charge_current_a for u in (1, 2)] == [80, 80]
    assert state(hass, loaded, "number", "system", "max_charge_current") == "80"


async def test_parameter_read_failing_keeps_the_telemetry(
    hass: HomeAssistant, portal: CloudApiServer, loaded: MockConfigEntry
) -> None:
    """The hourly parameter read fails: the poll still delivers telemetry, and tries again."""
    transport = loaded.runtime_data.coordinator.transport
    assert isinstance(transport, cloud_transport.CloudTransport)
    for unit in transport.units:
        assert unit.params_read_at is not None
        unit.params_read_at -= cloud_transport.PARAMETER_REFRESH_S
    due = [unit.params_read_at for unit in transport.units]
    portal.inject_error("DATAFRAME_TIMEOUT", count=2 * 4, path=READ)
    portal.twin.step(600)
    await poll(hass)
    coordinator = loaded.runtime_data.coordinator
    assert coordinator.last_update_success
    assert STATE_UNAVAILABLE not in eg4_states(hass, loaded).values()
    assert [unit.params_read_at for unit in transport.units] == due  # still due
    before = requests(portal)
    await poll(hass)
    assert spent(before, portal) == {
        RUNTIME: 2,
        BATTERY: 1,
        READ: 2 * 2,
        QUICK: 2,
    }  # read this time


# ---- dynamic devices ------------------------------------------------------------------------


async def test_a_pack_added_to_the_battery_list_joins_without_reload(
    hass: HomeAssistant, portal: CloudApiServer, loaded: MockConfigEntry
) -> None:
    """A seventh pack in the bank's battery list: its device and sensors appear on the next
    poll, the entry keeps running and stores nothing (the station is read at each set-up)."""
    entry = loaded
    coordinator = entry.runtime_data.coordinator
    client = coordinator.transport.client  # type: ignore[attr-defined]
    read_battery = client.battery

    async def with_a_seventh_pack(serial: str) -> Any:
        battery = await read_battery(serial)
        if not battery.packs:
            return battery
        seventh = dataclasses.replace(battery.packs[0], index=6, soc=41.0)
        return dataclasses.replace(battery, packs=(*battery.packs, seventh))

    data = dict(entry.data)
    assert scope_states(hass, entry, "pack_7") == {}
    with patch.object(client, "battery", with_a_seventh_pack):
        await poll(hass)
    shown = scope_states(hass, entry, "pack_7")
    assert float(shown["soc"]) == 41.0
    assert float(shown["voltage"]) == pytest.approx(expected_packs(portal)[1]["voltage"])
    device = dr.async_get(hass).async_get_device(identifiers={(DOMAIN, f"{entry.entry_id}_pack_7")})
    assert device is not None
    assert entry.runtime_data.coordinator is coordinator
    assert dict(entry.data) == data
