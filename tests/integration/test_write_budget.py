"""The write budget through Home Assistant: a flapping automation is stopped, a revert never.

On the digital twin behind the mocked MQTT client (the calibration tests' bench): every
command reaches the twin's bridge face, and its next telemetry is the read-back.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from homeassistant.exceptions import ServiceValidationError
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from custom_components.eg4.const import CONF_WRITE_BUDGET
from tests.e2e.twin_rig import settle

from .test_calibration_actions import (  # noqa: F401 - fixtures
    CALIBRATING,
    CANCEL,
    EVERYDAY,
    RUN,
    Bench,
    bench,
    profile,
    scenario,
)

pytestmark = pytest.mark.wall_clock  # run again near midnight and DST changes (scripts/test)

SETTING = "max_charge_current"


async def owner_write(bench: Bench, value: float) -> None:
    """Set the group's max charge current from the dashboard; answer with read-backs."""
    task = bench.hass.async_create_task(bench.write_lever("number", SETTING, value))
    await settle()
    for _ in range(4):
        if task.done():
            break
        await bench.readback()
    await task


async def refused(bench: Bench, value: float) -> ServiceValidationError:
    """The write is refused by the budget, and nothing is published."""
    sent = len(bench.published())
    with pytest.raises(ServiceValidationError) as caught:
        await bench.write_lever("number", SETTING, value)
    assert caught.value.translation_key == "write_budget_exceeded"
    assert bench.published()[sent:] == []
    return caught.value


def two_other_values(bench: Bench) -> tuple[int, int]:
    """Two charge currents the group does not have now (so each write sends)."""
    current = float(bench.state(SETTING, "number").state)
    first, second = [v for v in (50, 60, 70) if v != current][:2]
    return first, second


async def rewired(bench: Bench) -> None:
    """After a reload: wire the bridge to the new set-up, which reads the bridge again."""
    await bench.hass.async_block_till_done()
    await bench.connect()
    await bench.readback()


async def set_budget(bench: Bench, per_hour: int) -> None:
    """Change the option (the entry reloads), then wire the bridge to the new set-up again."""
    bench.hass.config_entries.async_update_entry(
        bench.entry, options={**bench.entry.options, CONF_WRITE_BUDGET: per_hour}
    )
    await rewired(bench)


@pytest.mark.parametrize("profile", ["powermon_lvx"])
async def test_a_flapping_automation_gets_60_writes_an_hour(bench: Bench) -> None:
    """60 writes go; the 61st in the hour is refused naming the budget and when the next may
    go; a write that changes nothing still goes (it sends nothing); after the hour, writes go
    again. The diagnostic sensor counts them, and starts again at midnight."""
    if dt_util.now().hour >= 22:  # the hour of writes must not cross midnight (count resets)
        bench.freezer.move_to(dt_util.start_of_local_day() + timedelta(days=1, minutes=5))
        async_fire_time_changed(bench.hass)
        await bench.readback()
    values = two_other_values(bench)
    for n in range(60):
        await owner_write(bench, values[n % 2])
    assert bench.state(SETTING, "number").state == str(values[1])

    # an hour of real time from now, shown on the local clock (across a daylight-saving change
    # that is not the wall clock plus one hour)
    next_at = dt_util.as_local(dt_util.utcnow() + timedelta(hours=1))
    error = await refused(bench, values[0])
    assert error.translation_placeholders == {
        "setting": SETTING,
        "budget": "60",
        "next": next_at.strftime("%H:%M:%S"),
    }
    assert "write budget of 60 setting changes per hour is used up" in str(error)
    assert f"allowed at {next_at.strftime('%H:%M:%S')}" in str(error)

    sent = len(bench.published())
    await bench.write_lever("number", SETTING, values[1])  # already so: nothing to send
    assert bench.published()[sent:] == []

    writes = bench.state("writes_today")
    assert writes.state == "60"
    assert writes.attributes[SETTING] == 60
    assert writes.attributes["budget_per_hour"] == 60
    assert writes.attributes["state_class"] == "total_increasing"

    for _ in range(30):  # 59 minutes, the bridge reporting all along
        await bench.advance(118)
    await refused(bench, values[0])
    await bench.advance(60)  # the hour of the first write has passed
    await owner_write(bench, values[0])
    assert bench.state(SETTING, "number").state == str(values[0])
    assert bench.state("writes_today").state == "61"

    midnight = dt_util.start_of_local_day() + timedelta(days=1)
    bench.freezer.move_to(midnight)
    async_fire_time_changed(bench.hass, midnight)
    await settle()
    assert bench.state("writes_today").state == "0"
    assert SETTING not in bench.state("writes_today").attributes


async def test_the_calibration_is_never_refused_when_the_budget_is_used_up(
    bench: Bench,
) -> None:
    """With the hour's budget used up by the owner, a calibration still engages and its
    revert is sent and confirmed; its writes are counted, and the owner's budget stays used.

    A group write counts once: Solar Assistant takes one command per unit (two here).
    """
    await set_budget(bench, 1)
    values = two_other_values(bench)
    sent = len(bench.published())
    await owner_write(bench, values[0])
    commands = 1 if bench.profile == "powermon_lvx" else 2
    assert len(bench.published()) - sent == commands
    await refused(bench, values[1])

    run = await bench.call(RUN)
    assert run is not None
    await bench.engage()
    assert bench.priorities() == CALIBRATING
    result = await bench.cancel()
    assert result["confirmed"] is True
    assert bench.priorities() == EVERYDAY

    writes = bench.state("writes_today")
    # The owner's write, the two levers engaged and the two put back.
    assert writes.state == "5"
    assert writes.attributes[SETTING] == 1
    assert writes.attributes["output_priority"] == 2
    assert writes.attributes["charger_priority"] == 2
    assert writes.attributes["budget_per_hour"] == 1
    await refused(bench, values[1])  # the calibration used none of the owner's budget


@pytest.mark.parametrize("profile", ["powermon_lvx"])
async def test_a_calibration_uses_none_of_the_owners_budget(bench: Bench) -> None:
    """A budget of one write an hour; a calibration engages and is put back (four commands).
    The owner's one write is still free afterwards, and the next one is refused."""
    await set_budget(bench, 1)
    values = two_other_values(bench)
    assert await bench.call(RUN) is not None
    await bench.engage()
    assert (await bench.cancel())["confirmed"] is True
    assert bench.priorities() == EVERYDAY
    assert bench.state("writes_today").state == "4"
    await owner_write(bench, values[0])
    assert float(bench.state(SETTING, "number").state) == values[0]
    await refused(bench, values[1])


# ---- kept across a reload and a restart ----------------------------------------------------


@pytest.mark.parametrize("profile", ["powermon_lvx"])
async def test_the_day_and_the_hour_survive_a_reload(bench: Bench) -> None:
    """Changing an option reloads the entry: the writes of the day are still counted, and
    the hour's budget is still used up (a reload is no way around it)."""
    await set_budget(bench, 2)
    values = two_other_values(bench)
    await owner_write(bench, values[0])
    await owner_write(bench, values[1])
    await refused(bench, values[0])

    assert await bench.hass.config_entries.async_reload(bench.entry.entry_id)
    await rewired(bench)
    writes = bench.state("writes_today")
    assert writes.state == "2"
    assert writes.attributes[SETTING] == 2
    await refused(bench, values[0])


@pytest.mark.parametrize("profile", ["powermon_lvx"])
async def test_the_count_is_on_disk_soon_after_a_write_and_read_at_set_up(
    bench: Bench, hass_storage: dict[str, Any]
) -> None:
    """A write reaches storage within seconds (Home Assistant stopping or the host losing
    power loses at most that), and a set-up on that storage (a restart) counts on from it."""
    key = f"eg4.writes.{bench.entry.entry_id}"
    values = two_other_values(bench)
    await owner_write(bench, values[0])
    await bench.advance(15)
    saved = hass_storage[key]["data"]
    assert saved["today"] == {SETTING: 1}
    assert saved["day"] == dt_util.now().date().isoformat()
    assert len(saved["window"]) == 1

    assert await bench.hass.config_entries.async_unload(bench.entry.entry_id)
    await bench.hass.async_block_till_done()
    hass_storage[key]["data"]["today"] = {SETTING: 7, "output_priority": 2}
    await bench.set_up_again()
    await bench.readback()
    assert bench.state("writes_today").state == "9"
    await owner_write(bench, values[1])
    assert bench.state("writes_today").attributes[SETTING] == 8


@pytest.mark.parametrize("profile", ["powermon_lvx"])
async def test_a_removed_entry_leaves_no_count_behind(
    bench: Bench, hass_storage: dict[str, Any]
) -> None:
    """Deleting the entry deletes its stored counts with it."""
    key = f"eg4.writes.{bench.entry.entry_id}"
    await owner_write(bench, two_other_values(bench)[0])
    await bench.advance(15)
    assert key in hass_storage
    assert await bench.hass.config_entries.async_remove(bench.entry.entry_id)
    await bench.hass.async_block_till_done()
    assert key not in hass_storage
