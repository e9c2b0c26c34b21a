"""Diagnostics: what a user can safely attach to an issue."""

from __future__ import annotations

import json

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.syrupy import HomeAssistantSnapshotExtension
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from syrupy.assertion import SnapshotAssertion

from .conftest import fire, load_messages

REDACTED = "**REDACTED**"
TOPIC = "homeassistant/sensor"

# Decodable messages of the realistic set: 21 per inverter, 10 per pack.
ACCEPTED_POWERMON = 2 * 21 + 6 * 10


@pytest.fixture
def snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """Home Assistant's snapshot extension (tests/integration/snapshots) on every HA version.

    Some pytest-homeassistant-custom-component versions let syrupy's own fixture win,
    which would read and write ``__snapshots__`` instead.
    """
    return snapshot.use_extension(HomeAssistantSnapshotExtension)


async def test_powermon_diagnostics(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    powermon_loaded: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    snapshot: SnapshotAssertion,
) -> None:
    """Diagnostics show counts, capabilities and readings, with the site redacted."""
    # Report everything again under frozen time, so the ages below are exact.
    fire(hass, load_messages("powermon_lvx.json"))
    await hass.async_block_till_done()
    freezer.tick(42)
    fire(hass, [(f"{TOPIC}/lifepower4_6_soc/state", "75")])
    await hass.async_block_till_done()
    freezer.tick(3)

    diag = await get_diagnostics_for_config_entry(hass, hass_client, powermon_loaded)

    entry = diag["entry"]
    assert entry["title"] == REDACTED
    assert entry["unique_id"] == REDACTED
    for key in (
        "state_topic_prefix",
        "inverter_prefix",
        "battery_prefix",
        "command_topic_prefix",
        "max_charge_current_command",
        "max_utility_charge_current_command",
        "stop_charge_voltage_command",
    ):
        assert entry["data"][key] == REDACTED, key
    assert entry["data"]["inverter_count"] == 2
    assert entry["data"]["pack_count"] == 6
    assert entry["data"]["profile"] == "powermon_lvx"
    transport = diag["transport"]
    assert transport["transport"] == "mqtt"
    assert transport["profile"] == "powermon_lvx"
    for key in ("state_topic_prefix", "inverter_prefix", "battery_prefix", "command_topic_prefix"):
        assert transport[key] == REDACTED, key
    # Nothing identifying the installation leaks anywhere.
    text = json.dumps(diag)
    for secret in ("lvx6048", "lifepower4", "homeassistant/sensor", "solar/control", "EG4 "):
        assert secret not in text, secret

    assert diag["messages_accepted"] == 2 * ACCEPTED_POWERMON + 1
    assert diag["payloads_rejected"] == {}
    assert diag["stale_sources"] == []
    assert diag["mismatched_settings"] == []
    assert diag["last_command_replies"] == []

    caps = diag["capabilities"]
    assert "battery_voltage" in caps["inverter_metrics"]
    assert "protection" in caps["pack_metrics"]
    assert set(caps["writable_settings"]) == {
        "output_priority",
        "charger_priority",
        "max_charge_current",
        "max_utility_charge_current",
        "stop_charge_voltage",
    }
    assert caps["broadcast_writes"] is True

    pack_6 = diag["packs"]["6"]
    assert pack_6["metrics"]["soc"] == 75.0
    assert pack_6["metrics"]["cell_voltage_delta"] == 11.0
    assert pack_6["metrics"]["temperature_max"] == 28.2
    assert pack_6["metrics"]["protection"] is False
    assert pack_6["protection_flags"] == []
    assert pack_6["seconds_since_last_report"] == 3.0
    assert diag["packs"]["1"]["seconds_since_last_report"] == 45.0
    inverter_1 = diag["inverters"]["1"]
    assert inverter_1["metrics"]["battery_voltage"] == 53.4
    assert inverter_1["settings"]["output_priority"] == "sbu"
    assert inverter_1["settings"]["stop_charge_voltage"] == "53.0"
    assert set(diag["packs"]) == {"1", "2", "3", "4", "5", "6"}

    assert diag == snapshot


async def test_diagnostics_count_rejected_payloads(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, powermon_loaded: MockConfigEntry
) -> None:
    """Payloads that fail validation are counted per source kind and reading."""
    fire(
        hass,
        [
            (f"{TOPIC}/lifepower4_2_pack_voltage/state", "nan"),
            (f"{TOPIC}/lifepower4_5_pack_voltage/state", "nan"),
            (f"{TOPIC}/lifepower4_3_soc/state", "garbage"),
            (f"{TOPIC}/lifepower4_3_soc/state", "101"),
            (f"{TOPIC}/lvx6048_1_battery_voltage/state", "inf"),
            (f"{TOPIC}/lvx6048_2_output_source_priority/state", "Battery only"),
            (f"{TOPIC}/lifepower4_1_protection/state", "<script>"),
            # Foreign topics are neither accepted nor rejected.
            (f"{TOPIC}/kitchen_temperature/state", "nan"),
            (f"{TOPIC}/lvx6048_10_battery_voltage/state", "nan"),  # beyond 9 units
        ],
    )
    await hass.async_block_till_done()

    diag = await get_diagnostics_for_config_entry(hass, hass_client, powermon_loaded)
    rejected = diag["payloads_rejected"]
    assert sum(rejected.values()) == 7
    # Both voltage rejects land on one counter, both soc rejects on another.
    voltage = [k for k in rejected if k.startswith("pack:") and "voltage" in k]
    assert len(voltage) == 1
    assert rejected[voltage[0]] == 2
    assert rejected["pack:soc"] == 2
    assert rejected["inverter:battery_voltage"] == 1
    assert rejected["inverter:output_priority"] == 1
    assert rejected["pack:protection"] == 1
    assert diag["messages_accepted"] == ACCEPTED_POWERMON
    # Rejected values never replaced a reading.
    assert diag["packs"]["2"]["metrics"]["voltage"] == 53.4
    assert diag["packs"]["3"]["metrics"]["soc"] == 50.0


async def test_diagnostics_stale_and_mismatch(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    powermon_loaded: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Stale sources, differing settings and active protection flags are listed."""
    # Every source reports once more with the clock frozen, so the ages below do not take in
    # the real time the set-up took (it ran before the freezer started).
    fire(hass, load_messages("powermon_lvx.json"))
    fire(hass, [(f"{TOPIC}/lvx6048_2_output_source_priority/state", "Solar - Utility - Battery")])
    await hass.async_block_till_done()
    freezer.tick(120)
    fire(
        hass,
        [
            (topic, payload)
            for topic, payload in load_messages("powermon_lvx.json")
            if "lifepower4_5_" not in topic and "lvx6048_2_" not in topic
        ],
    )
    fire(hass, [(f"{TOPIC}/lifepower4_4_protection/state", "cell_over_voltage,over_temperature")])
    freezer.tick(70)
    async_fire_time_changed(hass)
    await hass.async_block_till_done()

    diag = await get_diagnostics_for_config_entry(hass, hass_client, powermon_loaded)
    assert diag["stale_sources"] == ["inverter_2", "pack_5"]
    assert diag["mismatched_settings"] == ["output_priority"]
    assert diag["inverters"]["2"]["settings"]["output_priority"] == "sub"
    assert diag["packs"]["5"]["seconds_since_last_report"] == 190.0
    assert diag["packs"]["4"]["seconds_since_last_report"] == 70.0
    assert diag["packs"]["4"]["protection_flags"] == ["cell_over_voltage", "over_temperature"]
    assert diag["packs"]["4"]["metrics"]["protection"] is True


async def test_solar_assistant_diagnostics(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    solar_assistant_loaded: MockConfigEntry,
) -> None:
    """Solar Assistant's topic prefix and the title are redacted too."""
    fire(
        hass,
        [
            ("solar_assistant/battery_1/voltage/state", "nan"),
            ("solar_assistant/inverter_2/device_mode/state", "Warp drive"),
        ],
    )
    await hass.async_block_till_done()
    diag = await get_diagnostics_for_config_entry(hass, hass_client, solar_assistant_loaded)
    assert diag["entry"]["title"] == REDACTED
    assert diag["entry"]["unique_id"] == REDACTED
    assert diag["entry"]["data"]["topic_prefix"] == REDACTED
    assert diag["transport"]["topic_prefix"] == REDACTED
    assert diag["capabilities"]["broadcast_writes"] is False
    assert diag["payloads_rejected"] == {"inverter:device_mode": 1, "pack:voltage": 1}
    # 20 topics per inverter minus the two this integration does not map, the system's six
    # energy totals; 9 per pack minus one.
    assert diag["messages_accepted"] == 2 * 18 + 6 + 6 * 8
    assert diag["packs"]["1"]["metrics"]["cell_voltage_delta"] == 12.0
    assert diag["packs"]["1"]["metrics"]["temperature_1"] == 24.0
