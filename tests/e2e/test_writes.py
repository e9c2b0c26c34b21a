"""Writes end to end: select -> integration -> mosquitto -> face -> twin -> read-back."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from homeassistant.components.number import ATTR_VALUE, SERVICE_SET_VALUE
from homeassistant.components.number import DOMAIN as NUMBER_DOMAIN
from homeassistant.components.select import DOMAIN as SELECT_DOMAIN
from homeassistant.components.select import SERVICE_SELECT_OPTION
from homeassistant.const import ATTR_ENTITY_ID, ATTR_OPTION
from homeassistant.exceptions import HomeAssistantError
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from custom_components.eg4.const import DEFAULT_CONFIRM_TIMEOUT
from simulator.settings import ChargerPriority, OutputPriority

from .bridge import wait_for
from .system import System

OUTPUT = "_system_output_priority"
CHARGER = "_system_charger_priority"

EXPECTED_COMMANDS: dict[str, list[tuple[str, str]]] = {
    # lvx-control: one command for the whole parallel group
    "powermon_lvx": [
        ("solar/control/lvx6048/output_priority", "solar_utility_battery"),
        ("solar/control/lvx6048/charger_priority", "solar_and_utility"),
    ],
    # Solar Assistant: one command per unit, the next once the previous read back
    "solar_assistant": [
        ("solar_assistant/inverter_1/output_source_priority/set", "Solar/Utility/Battery"),
        ("solar_assistant/inverter_2/output_source_priority/set", "Solar/Utility/Battery"),
        (
            "solar_assistant/inverter_1/charger_source_priority/set",
            "Solar and utility simultaneously",
        ),
        (
            "solar_assistant/inverter_2/charger_source_priority/set",
            "Solar and utility simultaneously",
        ),
    ],
}


def select(system: System, suffix: str, option: str) -> asyncio.Task[Any]:
    """Start select.select_option on the entity with this unique-id suffix."""
    return system.start_call(
        SELECT_DOMAIN,
        SERVICE_SELECT_OPTION,
        {ATTR_ENTITY_ID: system.entity_id(suffix), ATTR_OPTION: option},
    )


def assert_bank_direction(system: System, direction: str) -> None:
    """Every pack current (and each inverter's view of the battery) points one way."""
    sign = 1 if direction == "charge" else -1
    currents = [system.value(f"_pack_{m}_current") for m in system.pack_numbers]
    assert all(sign * current > 0 for current in currents), (direction, currents)
    for n in system.inverter_numbers:
        if system.profile.name == "powermon_lvx":
            assert system.state(f"_inverter_{n}_battery_direction").state == direction
        else:
            assert sign * system.value(f"_inverter_{n}_battery_current") > 0


async def test_priority_change_makes_the_bank_charge_from_the_grid(system: System) -> None:
    """SUB + solar_and_utility, confirmed by read-back, turns a night discharge into a charge."""
    twin = system.twin
    await system.bridge.publish_telemetry()
    assert system.state(OUTPUT).state == "sbu"
    assert system.state(CHARGER).state == "solar_first"

    # 21:00, no sun, SBU: the bank carries the house and the grid charges nothing.
    twin.step(10 * 60)
    await system.bridge.publish_telemetry()
    assert twin.grid_charge_a == 0
    assert_bank_direction(system, "discharge")

    await system.complete_with_readbacks(select(system, OUTPUT, "sub"))
    assert system.state(OUTPUT).state == "sub"
    await system.complete_with_readbacks(select(system, CHARGER, "solar_and_utility"))
    assert system.state(CHARGER).state == "solar_and_utility"

    sent = [(c.topic, c.payload) for c in system.bridge.commands]
    assert sent == EXPECTED_COMMANDS[system.profile.name]
    assert all(entry.accepted for entry in twin.journal), twin.journal
    for inverter in twin.inverters:
        assert inverter.settings.output_priority is OutputPriority.SUB
        assert inverter.settings.charger_priority is ChargerPriority.SOLAR_AND_UTILITY

    twin.step(10 * 60)
    await system.bridge.publish_telemetry()
    assert twin.grid_charge_a > 0
    assert twin.grid_charge_a == pytest.approx(120, abs=1)  # 2 units x 60 A utility current
    assert_bank_direction(system, "charge")
    system.assert_sensors_match_face()
    assert system.state(OUTPUT).state == "sub"
    assert system.state(CHARGER).state == "solar_and_utility"


@pytest.mark.parametrize("profile", ["powermon_lvx"])
async def test_nak_without_reply_is_not_confirmed(system: System) -> None:
    """lvx-control has no reply topic: a NAK'd command times out as write_not_confirmed."""
    twin = system.twin
    await system.bridge.publish_telemetry()
    twin.faults.nak_next(1)

    call = select(system, CHARGER, "solar_and_utility")
    await system.bridge.wait_for_commands(1)
    assert not twin.journal[-1].accepted
    await system.bridge.publish_telemetry()  # the read-back still says solar first
    assert not call.done()

    async_fire_time_changed(
        system.hass, dt_util.utcnow() + timedelta(seconds=DEFAULT_CONFIRM_TIMEOUT + 1)
    )
    await wait_for(call.done, what="the service call to fail")
    with pytest.raises(HomeAssistantError) as err:
        await call
    assert err.value.translation_key == "write_not_confirmed"
    assert err.value.translation_placeholders["units"] == "1, 2"
    assert len(system.bridge.commands) == 1  # nothing changed, so nothing to roll back
    assert system.state(CHARGER).state == "solar_first"
    assert all(i.settings.charger_priority is ChargerPriority.SOLAR_FIRST for i in twin.inverters)


@pytest.mark.parametrize("profile", ["solar_assistant"])
async def test_nak_with_reply_is_refused_at_once(system: System) -> None:
    """Solar Assistant answers "Error: ...": the write fails at once with that message."""
    twin = system.twin
    await system.bridge.publish_telemetry()
    twin.faults.nak_next(1)

    call = select(system, CHARGER, "solar_and_utility")
    await wait_for(call.done, what="the refusal to end the service call")
    with pytest.raises(HomeAssistantError) as err:
        await call
    rejected = twin.journal[-1]
    assert not rejected.accepted
    assert err.value.translation_key == "write_refused"
    assert err.value.translation_placeholders["message"] == f"Error: {rejected.reason}"
    assert err.value.translation_placeholders["units"] == "1"
    assert [(c.topic, [r.payload for r in c.replies]) for c in system.bridge.commands] == [
        (
            "solar_assistant/inverter_1/charger_source_priority/set",
            [f"Error: {rejected.reason}"],
        )
    ]
    assert system.state(CHARGER).state == "solar_first"
    assert all(i.settings.charger_priority is ChargerPriority.SOLAR_FIRST for i in twin.inverters)


async def test_partial_failure_is_rolled_back(system: System) -> None:
    """Unit 2 NAKs SUB, unit 1 takes it: the integration puts unit 1 back, the group agrees.

    lvx-control: no reply, so the confirm timeout ends the write and SBU is re-sent to the
    group. Solar Assistant: unit 2's "Error: ..." ends it at once and unit 1 is sent SBU.
    """
    twin = system.twin
    await system.bridge.publish_telemetry()
    twin.faults.nak_next(1, unit=2)
    powermon = system.profile.name == "powermon_lvx"

    call = select(system, OUTPUT, "sub")
    if powermon:
        await system.bridge.wait_for_commands(1)
        await system.bridge.publish_telemetry()  # unit 1 reads SUB, unit 2 still SBU
        assert [i.settings.output_priority for i in twin.inverters] == [
            OutputPriority.SUB,
            OutputPriority.SBU,
        ]
        async_fire_time_changed(
            system.hass, dt_util.utcnow() + timedelta(seconds=DEFAULT_CONFIRM_TIMEOUT + 1)
        )
    with pytest.raises(HomeAssistantError) as err:
        await system.complete_with_readbacks(call)

    if powermon:
        assert err.value.translation_key == "write_rolled_back"
        assert err.value.translation_placeholders["changed"] == "1"
        assert [c.payload for c in system.bridge.commands] == [
            "solar_utility_battery",
            "solar_battery_utility",
        ]
    else:
        assert err.value.translation_key == "write_refused"
        assert err.value.translation_placeholders["units"] == "2"
        assert [
            (c.topic, c.payload, [r.payload for r in c.replies]) for c in system.bridge.commands
        ] == [
            (
                "solar_assistant/inverter_1/output_source_priority/set",
                "Solar/Utility/Battery",
                ["Saved"],
            ),
            (
                "solar_assistant/inverter_2/output_source_priority/set",
                "Solar/Utility/Battery",
                ["Error: NAK (injected)"],
            ),
            (
                "solar_assistant/inverter_1/output_source_priority/set",
                "Solar/Battery/Utility",
                ["Saved"],
            ),
        ]
    assert all(i.settings.output_priority is OutputPriority.SBU for i in twin.inverters)
    await system.bridge.publish_telemetry()
    assert system.state(OUTPUT).state == "sbu"


async def test_utility_charge_current_limits_the_grid_charge(system: System) -> None:
    """number.set_value 20 A on max utility charge current: the grid charges at 2 x 20 A."""
    twin = system.twin
    twin.force_settings(
        output_priority=OutputPriority.SUB, charger_priority=ChargerPriority.SOLAR_AND_UTILITY
    )
    twin.step(5 * 60)
    await system.bridge.publish_telemetry()
    assert twin.grid_charge_a == pytest.approx(120, abs=1)  # 2 units x 60 A
    number_id = system.entity_id("_system_max_utility_charge_current")
    assert float(system.hass.states.get(number_id).state) == 60

    call = system.start_call(
        NUMBER_DOMAIN, SERVICE_SET_VALUE, {ATTR_ENTITY_ID: number_id, ATTR_VALUE: 20}
    )
    await system.complete_with_readbacks(call)
    assert float(system.hass.states.get(number_id).state) == 20
    assert all(i.settings.max_utility_charge_current_a == 20 for i in twin.inverters)

    twin.step(5 * 60)
    await system.bridge.publish_telemetry()
    assert twin.grid_charge_a == pytest.approx(40, abs=1)
    assert sum(system.value(f"_pack_{m}_current") for m in system.pack_numbers) == (
        pytest.approx(40, abs=2)
    )
