"""Availability: entities follow the freshness of the inverter or pack they belong to."""

from __future__ import annotations

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed
from pytest_homeassistant_custom_component.typing import MqttMockHAClient

from custom_components.eg4.const import CONF_STALE_TIMEOUT, DOMAIN

from .conftest import POWERMON_DATA, entries_on, fire, load_messages, setup_entry

PM = "eg4_lvx6048"
GROUP = [
    f"select.{PM}_output_priority",
    f"select.{PM}_charger_priority",
    f"number.{PM}_max_charge_current",
    f"number.{PM}_max_utility_charge_current",
    f"number.{PM}_stop_charge_voltage",
    f"binary_sensor.{PM}_settings_mismatch",
]
# The group's Energy dashboard sensors (PI18: no grid power): like the group controls, they
# wait for every inverter.
GROUP_ENERGY = [
    f"sensor.{PM}_{key}"
    for key in ("pv_energy", "battery_charge_energy", "battery_discharge_energy", "load_energy")
] + [f"sensor.{PM}_battery_power"]
# Calibration entities that show Home Assistant's own record: available without telemetry.
CALIBRATION_RECORD = {
    f"sensor.{PM}_calibration",
    f"sensor.{PM}_calibration_phase_started",
    f"sensor.{PM}_calibration_elapsed",
    f"sensor.{PM}_calibration_expected_end",
    f"sensor.{PM}_taper_hold_ends",
    f"sensor.{PM}_verification_hold_ends",
    f"sensor.{PM}_last_calibration",
    f"sensor.{PM}_last_successful_calibration",
    f"sensor.{PM}_last_calibration_result",
}
# Available only while a run can be cancelled.
CANCEL = f"button.{PM}_cancel_calibration"
# The day's setting writes: counted by the integration itself, known whatever the bridge does.
WRITES = f"sensor.{PM}_setting_writes_today"


def entity_ids(hass: HomeAssistant, entry: MockConfigEntry) -> list[str]:
    """Every entity of the entry that is on (those off by default have no state)."""
    return [e.entity_id for e in entries_on(hass, entry.entry_id)]


def unavailable(hass: HomeAssistant, entry: MockConfigEntry) -> set[str]:
    """The entry's entities that are unavailable (the cancel button follows runs, not data)."""
    out: set[str] = set()
    for entity_id in entity_ids(hass, entry):
        if entity_id == CANCEL:
            continue
        state = hass.states.get(entity_id)
        assert state is not None, entity_id
        if state.state == STATE_UNAVAILABLE:
            out.add(entity_id)
    return out


def of_source(hass: HomeAssistant, entry: MockConfigEntry, marker: str) -> set[str]:
    """The entry's entities whose id contains ``marker`` (e.g. ``_battery_6_``)."""
    return {e for e in entity_ids(hass, entry) if marker in e}


def messages_except(*markers: str) -> list[tuple[str, str]]:
    """The realistic message set without the topics of the given sources."""
    return [
        (topic, payload)
        for topic, payload in load_messages("powermon_lvx.json")
        if not any(marker in topic for marker in markers)
    ]


async def advance(hass: HomeAssistant, freezer: FrozenDateTimeFactory, seconds: float) -> None:
    """Let time pass, run the timers that fall due."""
    freezer.tick(seconds)
    async_fire_time_changed(hass)
    await hass.async_block_till_done()


async def test_unavailable_before_any_message(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, powermon_entry: MockConfigEntry
) -> None:
    """Nothing shows a value until its source has reported.

    The calibration record (state, run times, last run, last success, last result) is the
    exception: it comes from Home Assistant's own storage, not from the inverters; and so is
    the count of the day's setting writes (the integration's own).
    """
    await setup_entry(hass, powermon_entry)
    ids = entity_ids(hass, powermon_entry)
    record = CALIBRATION_RECORD
    # ... + the group's progress sensors (3 bank figures, 6 times), the cancel button and the
    # day's writes; the Energy dashboard's 5 sensors per inverter and for the group; less the
    # 6 board temperatures, off by default
    assert len(ids) == 102 + 6 + 1 + 2 + 3 + 6 + 9 + 1 + 1 + 3 * 5 - 6
    assert record <= set(ids)
    assert unavailable(hass, powermon_entry) == set(ids) - record - {CANCEL, WRITES}
    assert hass.states.get(WRITES).state == "0"
    assert hass.states.get("sensor.eg4_lvx6048_calibration").state == "idle"


async def test_available_after_messages(
    hass: HomeAssistant, powermon_loaded: MockConfigEntry
) -> None:
    """After the realistic message set every entity is available (the cancel button once a
    run is)."""
    assert unavailable(hass, powermon_loaded) == set()
    assert hass.states.get(CANCEL).state == STATE_UNAVAILABLE


async def test_partial_reports(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, powermon_entry: MockConfigEntry
) -> None:
    """Sources that reported are available; group entities wait for every inverter."""
    await setup_entry(hass, powermon_entry)
    fire(hass, messages_except("lvx6048_2_", "lifepower4_4_"))
    await hass.async_block_till_done()
    expected = (
        of_source(hass, powermon_entry, "_inverter_2_")
        | of_source(hass, powermon_entry, "_battery_4_")
        | set(GROUP + GROUP_ENERGY)
    )
    assert unavailable(hass, powermon_entry) == expected

    # One message from each missing source brings all their entities.
    fire(
        hass,
        [
            ("homeassistant/sensor/lvx6048_2_battery_voltage/state", "53.3"),
            ("homeassistant/sensor/lifepower4_4_soc/state", "53"),
        ],
    )
    await hass.async_block_till_done()
    assert unavailable(hass, powermon_entry) == set()
    assert hass.states.get(f"sensor.{PM}_inverter_2_battery_voltage").state == "53.3"
    assert hass.states.get(f"sensor.{PM}_battery_4_state_of_charge").state == "53.0"


async def test_silent_pack_goes_unavailable_and_comes_back(
    hass: HomeAssistant, powermon_loaded: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    """A pack silent past the timeout is unavailable; the others stay; it comes back."""
    pack_6 = of_source(hass, powermon_loaded, "_battery_6_")
    assert len(pack_6) == 10  # 9 sensors on (the board temperature is off) and the protection

    await advance(hass, freezer, 100)
    fire(hass, messages_except("lifepower4_6_"))
    await hass.async_block_till_done()
    await advance(hass, freezer, 79)  # 179 s since pack 6 last reported
    assert unavailable(hass, powermon_loaded) == set()

    await advance(hass, freezer, 11)  # 190 s
    assert unavailable(hass, powermon_loaded) == pack_6

    # The pack reports again: all its entities are back, with the values they had.
    fire(hass, [("homeassistant/sensor/lifepower4_6_pack_current/state", "1.9")])
    await hass.async_block_till_done()
    assert unavailable(hass, powermon_loaded) == set()
    assert hass.states.get(f"sensor.{PM}_battery_6_current").state == "1.9"
    assert hass.states.get(f"sensor.{PM}_battery_6_state_of_charge").state == "76.0"
    assert hass.states.get(f"binary_sensor.{PM}_battery_6_protection").state == "off"


async def test_unchanged_values_keep_a_source_fresh(
    hass: HomeAssistant, powermon_loaded: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    """A bridge repeating the same values is reporting: nothing goes unavailable."""
    for _ in range(4):
        await advance(hass, freezer, 120)
        fire(hass, load_messages("powermon_lvx.json"))
        await hass.async_block_till_done()
    await advance(hass, freezer, 60)
    assert unavailable(hass, powermon_loaded) == set()


async def test_silent_inverter_makes_group_unavailable(
    hass: HomeAssistant, powermon_loaded: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    """A silent inverter takes its own entities and the group controls unavailable."""
    await advance(hass, freezer, 100)
    fire(hass, messages_except("lvx6048_2_"))
    await hass.async_block_till_done()
    await advance(hass, freezer, 90)
    expected = of_source(hass, powermon_loaded, "_inverter_2_") | set(GROUP + GROUP_ENERGY)
    assert len(expected) == 21 + 5 + len(GROUP + GROUP_ENERGY)
    assert unavailable(hass, powermon_loaded) == expected

    fire(hass, [("homeassistant/sensor/lvx6048_2_ac_output_load/state", "30")])
    await hass.async_block_till_done()
    assert unavailable(hass, powermon_loaded) == set()
    assert hass.states.get(f"select.{PM}_output_priority").state == "sbu"
    assert float(hass.states.get(f"number.{PM}_stop_charge_voltage").state) == 53.0


async def test_everything_silent(
    hass: HomeAssistant, powermon_loaded: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    """When the bridge stops altogether, every entity becomes unavailable.

    Except the calibration record (state, last run, last result): it comes from Home
    Assistant's own storage, not from the inverters; and the day's writes. The drift figures
    do go unavailable.
    """
    await advance(hass, freezer, 181)
    ids = set(entity_ids(hass, powermon_loaded))
    assert unavailable(hass, powermon_loaded) == ids - CALIBRATION_RECORD - {CANCEL, WRITES}
    assert ids >= CALIBRATION_RECORD
    assert {
        "sensor.eg4_lvx6048_state_of_charge_spread",
        "sensor.eg4_lvx6048_battery_voltage_spread",
        "binary_sensor.eg4_lvx6048_state_of_charge_drift",
    } <= unavailable(hass, powermon_loaded)
    assert hass.states.get("sensor.eg4_lvx6048_calibration").state == "idle"


@pytest.mark.parametrize(
    ("options", "silent_for", "stale"),
    [
        ({CONF_STALE_TIMEOUT: 60}, 55, False),
        ({CONF_STALE_TIMEOUT: 60}, 75, True),
        ({}, 75, False),
        ({CONF_STALE_TIMEOUT: 600}, 300, False),
        ({CONF_STALE_TIMEOUT: 600}, 610, True),
    ],
)
async def test_stale_timeout_option(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    freezer: FrozenDateTimeFactory,
    options: dict[str, int],
    silent_for: int,
    stale: bool,
) -> None:
    """The configured staleness timeout decides when a silent pack goes unavailable."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="EG4 lvx6048",
        data=dict(POWERMON_DATA),
        options=options,
        unique_id="powermon_lvx:homeassistant/sensor:lvx6048:lifepower4",
    )
    await setup_entry(hass, entry)
    fire(hass, load_messages("powermon_lvx.json"))
    await hass.async_block_till_done()
    assert unavailable(hass, entry) == set()

    # Everything but pack 2 keeps reporting, in steps shorter than any timeout.
    elapsed = 0
    while elapsed < silent_for:
        step = min(25, silent_for - elapsed)
        await advance(hass, freezer, step)
        elapsed += step
        fire(hass, messages_except("lifepower4_2_"))
        await hass.async_block_till_done()
    await advance(hass, freezer, 0)
    expected = of_source(hass, entry, "_battery_2_") if stale else set()
    assert unavailable(hass, entry) == expected


async def test_changed_stale_timeout_applies_after_reload(
    hass: HomeAssistant,
    powermon_loaded: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Changing the option reloads the entry; the new timeout then applies."""
    hass.config_entries.async_update_entry(powermon_loaded, options={CONF_STALE_TIMEOUT: 60})
    await hass.async_block_till_done()
    fire(hass, load_messages("powermon_lvx.json"))
    await hass.async_block_till_done()
    assert unavailable(hass, powermon_loaded) == set()

    await advance(hass, freezer, 40)
    fire(hass, messages_except("lifepower4_1_"))
    await hass.async_block_till_done()
    await advance(hass, freezer, 35)
    assert unavailable(hass, powermon_loaded) == of_source(hass, powermon_loaded, "_battery_1_")


async def test_solar_assistant_totals_do_not_keep_inverter_1_fresh(
    hass: HomeAssistant, solar_assistant_loaded: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    """Solar Assistant's system totals are not inverter 1 reporting.

    The totals are carried on unit 1, but when only they arrive inverter 1's own feed has
    stopped: its entities (and the safety monitor's view of it) must go stale all the same.
    """
    sa = "eg4_via_solar_assistant_solar_assistant"
    totals = [
        (topic, payload)
        for topic, payload in load_messages("solar_assistant.json")
        if topic.startswith("solar_assistant/total/")
    ]
    assert totals
    others = [
        (topic, payload)
        for topic, payload in load_messages("solar_assistant.json")
        if not topic.startswith(("solar_assistant/total/", "solar_assistant/inverter_1/"))
    ]
    for _ in range(2):
        await advance(hass, freezer, 100)
        fire(hass, totals + others)
        await hass.async_block_till_done()
    inverter_1 = of_source(hass, solar_assistant_loaded, "_inverter_1_")
    assert inverter_1
    assert hass.states.get(f"sensor.{sa}_inverter_1_battery_voltage").state == STATE_UNAVAILABLE
    assert inverter_1 <= unavailable(hass, solar_assistant_loaded)
    assert not of_source(hass, solar_assistant_loaded, "_inverter_2_") & unavailable(
        hass, solar_assistant_loaded
    )
