"""AC-charge windows as time entities, through Home Assistant.

The cloud against the simulated portal (entity -> writeTime -> parameter read-back -> entity),
lxp-bridge's retained ``hold/68``..``73`` and ``ac_charge/<n>`` topics, bad input refused with
a translated error before anything is sent, the write budget counting window writes, and the
families without windows (the PI family, the off-grid XP units) creating no time entity. The
lxp-bridge face end to end (published command -> face -> echo) is in
``tests/e2e/test_lxp_bridge_e2e.py``.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_mqtt_message

from custom_components.eg4.const import DOMAIN
from simulator.cloud_api import CloudApiServer

from .test_cloud_transport import (  # noqa: F401 - the cloud fixtures, shared
    READ,
    cloud_journal,
    entity_id,
    entry_options,
    loaded,
    model,
    no_waits,
    placeholders,
    poll,
    portal,
    requests,
    spent,
    state,
)

TIME_WRITE = "/WManage/web/maintain/remoteSet/writeTime"
WINDOW_KEYS = [f"ac_charge_{edge}_{n}" for n in (1, 2, 3) for edge in ("start", "end")]
LXP_DATALOGS = ("BA12345678", "BA87654321")


def time_entities(hass: HomeAssistant, entry: MockConfigEntry) -> list[str]:
    """The unique ids (without the entry id) of the entry's time entities."""
    return sorted(
        item.unique_id.removeprefix(f"{entry.entry_id}_")
        for item in er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id)
        if item.domain == "time"
    )


async def set_time(hass: HomeAssistant, entry: MockConfigEntry, key: str, value: str) -> None:
    await hass.services.async_call(
        "time",
        "set_value",
        {"entity_id": entity_id(hass, entry, "time", "system", key), "time": value},
        blocking=True,
    )


def windows(portal: CloudApiServer, unit: int) -> dict[str, str]:
    """The window boundaries the portal holds for one unit, as it reads them."""
    return {
        name: value
        for name, value in portal.params.read(unit, 68, 6).items()
        if "_HOUR" in name or "_MINUTE" in name
    }


# ---- the cloud -----------------------------------------------------------------------------


async def test_the_hybrids_have_three_windows_read_from_the_portal(
    hass: HomeAssistant, portal: CloudApiServer, loaded: MockConfigEntry
) -> None:
    assert time_entities(hass, loaded) == sorted(f"system_{key}" for key in WINDOW_KEYS)
    # The twin's windows start off (00:00 to 00:00), as the portal reads them.
    assert all(state(hass, loaded, "time", "system", key) == "00:00:00" for key in WINDOW_KEYS)
    entity = er.async_get(hass).async_get(entity_id(hass, loaded, "time", "system", WINDOW_KEYS[0]))
    assert entity is not None
    assert entity.entity_category == "config"
    assert entity.translation_key == "ac_charge_start_1"
    assert (
        hass.states.get(entity.entity_id).name == "EG4 Simulated Station AC charge window 1 start"
    )  # type: ignore[union-attr]


async def test_a_window_start_is_written_to_each_unit_and_shown_once_read_back(
    hass: HomeAssistant, portal: CloudApiServer, loaded: MockConfigEntry
) -> None:
    before = requests(portal)
    await set_time(hass, loaded, "ac_charge_start_2", "22:30")
    assert state(hass, loaded, "time", "system", "ac_charge_start_2") == "22:30:00"
    for unit in (1, 2):
        assert windows(portal, unit)["HOLD_AC_CHARGE_START_HOUR_1"] == "22"
        assert windows(portal, unit)["HOLD_AC_CHARGE_START_MINUTE_1"] == "30"
    assert cloud_journal(portal) == [
        ((1,), "HOLD_AC_CHARGE_START_TIME_1=22:30", True),
        ((2,), "HOLD_AC_CHARGE_START_TIME_1=22:30", True),
    ]
    # One writeTime and one single-register read-back per unit.
    assert spent(before, portal) == {TIME_WRITE: 2, READ: 2}
    await poll(hass)
    assert state(hass, loaded, "time", "system", "ac_charge_start_2") == "22:30:00"


async def test_an_end_before_the_start_is_an_overnight_window(
    hass: HomeAssistant, portal: CloudApiServer, loaded: MockConfigEntry
) -> None:
    """22:00 to 06:00 charges across midnight: both are taken as they are."""
    await set_time(hass, loaded, "ac_charge_start_1", "22:00")
    await set_time(hass, loaded, "ac_charge_end_1", "06:00")
    assert state(hass, loaded, "time", "system", "ac_charge_start_1") == "22:00:00"
    assert state(hass, loaded, "time", "system", "ac_charge_end_1") == "06:00:00"
    assert windows(portal, 2)["HOLD_AC_CHARGE_END_HOUR"] == "06"


async def test_a_time_with_seconds_is_refused_with_the_reason_and_nothing_is_sent(
    hass: HomeAssistant, portal: CloudApiServer, loaded: MockConfigEntry
) -> None:
    before = requests(portal)
    with pytest.raises(ServiceValidationError) as err:
        await set_time(hass, loaded, "ac_charge_end_3", "06:30:15")
    assert err.value.translation_key == "rejected_time_not_whole_minute"
    assert placeholders(err.value) == {"setting": "ac_charge_end_3", "value": "06:30:15"}
    assert "06:30:15 has seconds" in str(err.value)  # the translated message
    assert spent(before, portal) == {}
    assert cloud_journal(portal) == []
    assert state(hass, loaded, "time", "system", "ac_charge_end_3") == "00:00:00"


async def test_the_portals_refusal_reaches_the_caller_and_changes_nothing(
    hass: HomeAssistant, portal: CloudApiServer, loaded: MockConfigEntry
) -> None:
    portal.twin.faults.nak_next(1, unit=1)
    with pytest.raises(HomeAssistantError) as err:
        await set_time(hass, loaded, "ac_charge_start_1", "01:15")
    assert err.value.translation_key == "write_refused"
    assert placeholders(err.value)["units"] == "1"
    assert placeholders(err.value)["value"] == "01:15"
    assert windows(portal, 1)["HOLD_AC_CHARGE_START_HOUR"] == "00"
    assert windows(portal, 2)["HOLD_AC_CHARGE_START_HOUR"] == "00"  # never reached
    assert state(hass, loaded, "time", "system", "ac_charge_start_1") == "00:00:00"


@pytest.mark.parametrize("entry_options", [{"write_budget_per_hour": 1}])
async def test_window_writes_count_against_the_write_budget(
    hass: HomeAssistant, portal: CloudApiServer, loaded: MockConfigEntry
) -> None:
    await set_time(hass, loaded, "ac_charge_start_1", "23:00")
    writes = hass.states.get(entity_id(hass, loaded, "sensor", "system", "writes_today"))
    assert writes is not None
    assert writes.attributes["ac_charge_start_1"] == 1
    with pytest.raises(ServiceValidationError) as err:
        await set_time(hass, loaded, "ac_charge_end_1", "05:00")
    assert err.value.translation_key == "write_budget_exceeded"
    assert windows(portal, 1)["HOLD_AC_CHARGE_END_HOUR"] == "00"


@pytest.mark.parametrize("model", ["12000XP"])
async def test_the_off_grid_units_have_no_windows_here(
    hass: HomeAssistant, portal: CloudApiServer, loaded: MockConfigEntry
) -> None:
    assert time_entities(hass, loaded) == []


# ---- lxp-bridge's topics -------------------------------------------------------------------


async def test_lxp_bridge_windows_read_back_from_registers_and_window_topics(
    hass: HomeAssistant, mqtt_mock: Any, lxp_bridge_loaded: MockConfigEntry
) -> None:
    entry = lxp_bridge_loaded
    assert time_entities(hass, entry) == sorted(f"system_{key}" for key in WINDOW_KEYS)
    assert state(hass, entry, "time", "system", "ac_charge_start_1") == "unknown"
    for datalog in LXP_DATALOGS:  # 22:30 = 22 | 30 << 8; 06:00 = 6
        async_fire_mqtt_message(hass, f"lxp/{datalog}/hold/68", str(22 | 30 << 8))
        async_fire_mqtt_message(hass, f"lxp/{datalog}/hold/69", "6")
    await hass.async_block_till_done()
    assert state(hass, entry, "time", "system", "ac_charge_start_1") == "22:30:00"
    assert state(hass, entry, "time", "system", "ac_charge_end_1") == "06:00:00"

    # After a read/ac_charge/3 the bridge publishes the window as JSON.
    window = json.dumps({"start": "13:05", "end": "15:45"})
    async_fire_mqtt_message(hass, f"lxp/{LXP_DATALOGS[0]}/ac_charge/3", window)
    await hass.async_block_till_done()
    # The units disagree until the second reports the same: no group value meanwhile.
    assert state(hass, entry, "time", "system", "ac_charge_start_3") == "unknown"
    async_fire_mqtt_message(hass, f"lxp/{LXP_DATALOGS[1]}/ac_charge/3", window)
    await hass.async_block_till_done()
    assert state(hass, entry, "time", "system", "ac_charge_start_3") == "13:05:00"
    assert state(hass, entry, "time", "system", "ac_charge_end_3") == "15:45:00"


# ---- the PI family -------------------------------------------------------------------------


async def test_the_pi_family_has_no_charge_windows(
    hass: HomeAssistant, powermon_loaded: MockConfigEntry, solar_assistant_loaded: MockConfigEntry
) -> None:
    for entry in (powermon_loaded, solar_assistant_loaded):
        assert time_entities(hass, entry) == []
    assert not [s for s in hass.states.async_entity_ids("time") if DOMAIN in s]
