"""Coalesced entity writes: measurements at most once per interval, the rest at once.

Time is frozen and moved by hand (``advance``): nothing here depends on how fast the machine is.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import EVENT_STATE_CHANGED, STATE_OFF, STATE_ON
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.data_entry_flow import FlowResultType
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_mqtt_message,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.typing import MqttMockHAClient

from custom_components.eg4 import coordinator as coordinator_module
from custom_components.eg4.const import (
    CONF_ENTITY_INTERVAL,
    DEFAULT_ENTITY_INTERVAL,
    DOMAIN,
)
from custom_components.eg4.ingest import Change
from custom_components.eg4.model import SystemState

from .conftest import POWERMON_DATA, fire, load_messages, setup_entry

PM = "sensor.eg4_lvx6048"
SOC_1 = f"{PM}_battery_1_state_of_charge"
VOLTAGE_1 = f"{PM}_battery_1_voltage"
CURRENT_1 = f"{PM}_battery_1_current"
CELL_MAX_1 = f"{PM}_battery_1_highest_cell_voltage"
BANK_CELL_MAX = f"{PM}_highest_cell_voltage"  # the calibration's figure of the whole bank
TEMPERATURE_1 = f"{PM}_battery_1_temperature_1"
PROTECTION_1 = "binary_sensor.eg4_lvx6048_battery_1_protection"
MAX_CHARGE = "number.eg4_lvx6048_max_charge_current"
MAX_CHARGE_READBACK_1 = f"{PM}_inverter_1_max_charge_current"
TRANSLATIONS = Path(__file__).parents[2] / "custom_components" / "eg4" / "translations" / "en.json"


def _entry(interval: int) -> MockConfigEntry:
    return MockConfigEntry(
        domain=DOMAIN,
        title="EG4 lvx6048",
        data=dict(POWERMON_DATA),
        options={CONF_ENTITY_INTERVAL: interval},
        unique_id="powermon_lvx:homeassistant/sensor:lvx6048:lifepower4",
    )


class Writes:
    """The state rows each entity wrote (state_changed events), from now on."""

    def __init__(self, hass: HomeAssistant) -> None:
        """Count from now."""
        self.count: Counter[str] = Counter()
        hass.bus.async_listen(EVENT_STATE_CHANGED, self._on_event)

    @callback
    def _on_event(self, event: Event) -> None:
        self.count[event.data["entity_id"]] += 1


async def _send(hass: HomeAssistant, name: str, payload: str) -> None:
    async_fire_mqtt_message(hass, f"homeassistant/sensor/{name}/state", payload)
    await hass.async_block_till_done()


async def advance(hass: HomeAssistant, freezer: FrozenDateTimeFactory, seconds: float) -> None:
    """Let time pass, run the timers that fall due."""
    freezer.tick(seconds)
    async_fire_time_changed(hass)
    await hass.async_block_till_done()


def _value(hass: HomeAssistant, entity_id: str) -> str:
    state = hass.states.get(entity_id)
    assert state is not None, entity_id
    return state.state


@pytest.fixture
async def coalescing(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, freezer: FrozenDateTimeFactory
) -> MockConfigEntry:
    """The powermon entry with a 10 s interval, fed the realistic set, first values shown."""
    entry = _entry(10)
    await setup_entry(hass, entry)
    fire(hass, load_messages("powermon_lvx.json"))
    await advance(hass, freezer, 11)
    return entry


async def test_a_coalesced_value_lands_within_the_interval_and_the_latest_wins(
    hass: HomeAssistant, coalescing: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    assert _value(hass, SOC_1) == "52.0"
    writes = Writes(hass)
    for soc in ("53", "54", "55"):
        await _send(hass, "lifepower4_1_soc", soc)
    assert _value(hass, SOC_1) == "52.0"  # not yet: the interval has not passed
    await advance(hass, freezer, 9)
    assert _value(hass, SOC_1) == "52.0"
    await advance(hass, freezer, 1)  # 10 s after the first change
    assert _value(hass, SOC_1) == "55.0"  # the latest value, in one row
    assert writes.count[SOC_1] == 1

    # The next change waits for the next interval, however it arrives.
    await _send(hass, "lifepower4_1_soc", "56")
    await advance(hass, freezer, 5)
    assert _value(hass, SOC_1) == "55.0"
    await advance(hass, freezer, 5)
    assert _value(hass, SOC_1) == "56.0"
    assert writes.count[SOC_1] == 2


async def test_noise_below_the_step_writes_no_row(
    hass: HomeAssistant, coalescing: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    """Below a whole percent, the display's precision or half a degree: no state row."""
    writes = Writes(hass)
    await _send(hass, "lifepower4_1_soc", "52.4")  # 52 shown: under a whole percent
    await _send(hass, "lifepower4_1_pack_voltage", "53.404")  # 53.40 shown: under 0.01 V
    await _send(hass, "lifepower4_1_pack_current", "2.14")  # 2.1 shown: under 0.1 A
    await _send(hass, "lifepower4_1_temperature_1", "24.8")  # under half a degree
    await advance(hass, freezer, 30)
    assert writes.count == Counter()
    assert (_value(hass, SOC_1), _value(hass, VOLTAGE_1)) == ("52.0", "53.4")

    # Moved by the step since the value written: one row each, with the latest value.
    await _send(hass, "lifepower4_1_soc", "53")
    await _send(hass, "lifepower4_1_temperature_1", "25.0")
    await advance(hass, freezer, 10)
    assert writes.count == Counter({SOC_1: 1, TEMPERATURE_1: 1})
    assert (_value(hass, SOC_1), _value(hass, TEMPERATURE_1)) == ("53.0", "25.0")


async def test_settings_protection_and_threshold_crossings_are_written_at_once(
    hass: HomeAssistant, coalescing: MockConfigEntry
) -> None:
    """No time passes in this test: everything it sees was written on its message."""
    # A setting, on both units.
    await _send(hass, "lvx6048_1_max_charging_current", "70")
    await _send(hass, "lvx6048_2_max_charging_current", "70")
    assert _value(hass, MAX_CHARGE) == "70"
    assert _value(hass, MAX_CHARGE_READBACK_1) == "70.0"

    # A protection flag.
    await _send(hass, "lifepower4_1_protection", "cell_over_voltage")
    assert _value(hass, PROTECTION_1) == STATE_ON

    # A cell crossing the 3.60 V limit, and back: the pack's and the bank's figures at once.
    await _send(hass, "lifepower4_1_cell_voltage_max", "3.612")
    assert _value(hass, CELL_MAX_1) == "3.612"
    assert _value(hass, BANK_CELL_MAX) == "3.612"
    await _send(hass, "lifepower4_1_cell_voltage_max", "3.598")
    assert _value(hass, CELL_MAX_1) == "3.598"

    # A pack temperature crossing 45 °C.
    await _send(hass, "lifepower4_1_temperature_1", "45.5")
    assert _value(hass, TEMPERATURE_1) == "45.5"

    # A change that crosses nothing waits for the interval.
    await _send(hass, "lifepower4_1_cell_voltage_max", "3.450")
    await _send(hass, "lifepower4_1_protection", "none")
    assert _value(hass, CELL_MAX_1) == "3.598"
    assert _value(hass, PROTECTION_1) == STATE_OFF


async def test_the_safety_monitor_sees_every_message(
    hass: HomeAssistant, coalescing: MockConfigEntry
) -> None:
    """The coordinator's state listeners (the calibration's monitor) are never coalesced."""
    coordinator = coalescing.runtime_data.coordinator
    seen: list[float | str | bool | None] = []

    def listener(state: SystemState, change: Change) -> None:
        del change
        seen.append(state.packs[1].metrics.get("soc"))

    coordinator.async_add_state_listener(listener)
    for soc in ("53", "54", "55"):
        await _send(hass, "lifepower4_1_soc", soc)
    assert seen == [53.0, 54.0, 55.0]
    assert _value(hass, SOC_1) == "52.0"  # while the entity waits for its interval


async def test_interval_zero_writes_every_change(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    await setup_entry(hass, _entry(0))
    fire(hass, load_messages("powermon_lvx.json"))
    await hass.async_block_till_done()
    writes = Writes(hass)
    for voltage in ("53.404", "53.41", "53.402"):
        await _send(hass, "lifepower4_1_pack_voltage", voltage)
        assert _value(hass, VOLTAGE_1) == voltage
    await _send(hass, "lifepower4_1_pack_current", "2.12")
    assert _value(hass, CURRENT_1) == "2.12"
    assert (writes.count[VOLTAGE_1], writes.count[CURRENT_1]) == (3, 1)


async def test_the_shipped_default_coalesces(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    monkeypatch: pytest.MonkeyPatch,
    freezer: FrozenDateTimeFactory,
) -> None:
    """An entry without the option gets the default interval (the suite's conftest sets 0)."""
    monkeypatch.setattr(coordinator_module, "DEFAULT_ENTITY_INTERVAL", DEFAULT_ENTITY_INTERVAL)
    entry = MockConfigEntry(domain=DOMAIN, title="EG4 lvx6048", data=dict(POWERMON_DATA))
    await setup_entry(hass, entry)
    assert entry.runtime_data.coordinator.fanout.interval == DEFAULT_ENTITY_INTERVAL == 10
    fire(hass, load_messages("powermon_lvx.json"))
    await advance(hass, freezer, DEFAULT_ENTITY_INTERVAL)
    await _send(hass, "lifepower4_1_soc", "60")
    assert _value(hass, SOC_1) == "52.0"
    await advance(hass, freezer, DEFAULT_ENTITY_INTERVAL)
    assert _value(hass, SOC_1) == "60.0"


async def test_options_flow_sets_the_interval(
    hass: HomeAssistant, coalescing: MockConfigEntry
) -> None:
    entry = coalescing
    result = await hass.config_entries.options.async_init(entry.entry_id)
    schema = result["data_schema"].schema
    assert next(k for k in schema if k == CONF_ENTITY_INTERVAL).default() == 10
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {"stale_timeout": 180, "confirm_timeout": 60, CONF_ENTITY_INTERVAL: 30.0},
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert entry.options[CONF_ENTITY_INTERVAL] == 30
    assert entry.runtime_data.coordinator.fanout.interval == 30


async def test_options_flow_refuses_an_interval_as_long_as_the_stale_timeout(
    hass: HomeAssistant, coalescing: MockConfigEntry
) -> None:
    entry = coalescing
    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {"stale_timeout": 60, "confirm_timeout": 60, CONF_ENTITY_INTERVAL: 60},
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_ENTITY_INTERVAL: "entity_interval_too_long"}
    assert entry.options == {CONF_ENTITY_INTERVAL: 10}  # nothing stored
    message = json.loads(TRANSLATIONS.read_text())["options"]["error"]["entity_interval_too_long"]
    assert "shorter than the staleness timeout" in message

    # Corrected on the same form: stored.
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {"stale_timeout": 60, "confirm_timeout": 60, CONF_ENTITY_INTERVAL: 59},
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert entry.options[CONF_ENTITY_INTERVAL] == 59


async def test_the_energy_dashboards_power_is_coalesced_like_any_measurement(
    hass: HomeAssistant, coalescing: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    """The signed battery power follows the interval: one row for a burst, the latest value."""
    power = f"{PM}_inverter_1_battery_power"
    assert _value(hass, power) == str(-53.4 * 12)  # charging: negative
    writes = Writes(hass)
    for amps in ("13", "14", "15"):
        await _send(hass, "lvx6048_1_battery_charging_current", amps)
    assert _value(hass, power) == str(-53.4 * 12)  # not yet: the interval has not passed
    await advance(hass, freezer, 10)
    assert _value(hass, power) == str(-53.4 * 15)
    assert writes.count[power] == 1


async def test_an_integrated_energy_is_shown_within_the_interval_not_on_the_minute(
    hass: HomeAssistant, coalescing: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    """powermon's PV energy (integrated here from the PV power) and the group's sum of it
    show each new tenth of a kWh within the interval, like any measurement, even while the
    power holds steady; a change below the tenth a dashboard shows writes no row."""
    unit, group = f"{PM}_inverter_1_pv_energy", f"{PM}_pv_energy"
    pv = "lvx6048_{n}_mppt1_input_power"
    fire(hass, load_messages("powermon_lvx.json"))
    for n in (1, 2):
        await _send(hass, pv.format(n=n), "0")
    await advance(hass, freezer, 70)  # no power since: what is shown is the whole integral
    start_unit, start_group = float(_value(hass, unit)), float(_value(hass, group))
    fire(hass, load_messages("powermon_lvx.json"))  # every source stays fresh
    for n in (1, 2):
        await _send(hass, pv.format(n=n), "0")
    writes = Writes(hass)
    await _send(hass, pv.format(n=1), "6000")  # 6 kW from now on: a tenth every minute
    late = {unit: 0, group: 0}
    for second in range(1, 131):
        await advance(hass, freezer, 1)
        due = 6.0 * second / 3600
        for entity_id, start in ((unit, start_unit), (group, start_group)):
            shown = float(_value(hass, entity_id))
            late[entity_id] = 0 if round(shown, 1) == round(start + due, 1) else late[entity_id] + 1
            assert late[entity_id] <= 11, (entity_id, second, shown, start + due)
    assert round(float(_value(hass, unit)), 1) == round(start_unit + 6.0 * 130 / 3600, 1)
    for entity_id in (unit, group):
        assert 2 <= writes.count[entity_id] <= 3, writes.count  # one row per tenth shown
