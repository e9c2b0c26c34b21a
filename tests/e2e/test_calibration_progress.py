"""What an owner sees of a calibration against the digital twin: progress, result, cancel.

The twin rig of the calibration tests (``twin_rig.Rig``): time moves only with the twin. The
entities are read as Home Assistant shows them (states and attributes), during the run and after
it, and the system device's cancel button is pressed as the frontend presses it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any
from unittest.mock import Mock

import pytest
from homeassistant.const import STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import Context, HomeAssistant
from homeassistant.exceptions import ServiceValidationError, Unauthorized
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.typing import MqttMockPahoClient

from simulator import ChargerPriority, OutputPriority, build_twin

from .system import PROFILES
from .twin_rig import Rig, StartRig, settle

EVERYDAY = [(OutputPriority.SBU, ChargerPriority.SOLAR_FIRST)] * 2
TAPER_HOLD_S = 120
VERIFY_HOLD_S = 60
# The progress sensors: unknown while no run is on.
PROGRESS = (
    "calibration_phase_started",
    "calibration_elapsed",
    "calibration_expected_end",
    "calibration_taper_end",
    "calibration_verify_end",
    "batteries_reanchored",
)


@pytest.fixture(autouse=True)
async def close_mqtt_socket(mqtt_client_mock: MqttMockPahoClient) -> AsyncIterator[None]:
    """Close the mocked broker socket at teardown (Home Assistant 2025.4 needs it)."""
    yield
    on_socket_close = mqtt_client_mock.on_socket_close
    if not isinstance(on_socket_close, Mock):
        on_socket_close(mqtt_client_mock, None, Mock(fileno=Mock(return_value=-1)))


@pytest.fixture
async def rig(
    start_rig: StartRig,
    profile: str,
) -> AsyncIterator[Rig]:
    """The eg4 entry on the mocked MQTT client, the drifted twin's face answering it."""
    spec = PROFILES[profile]
    twin = build_twin("drifted", inverters=2, packs=6, seed=0)
    async with start_rig(
        spec,
        twin,
        title=spec.title,
        unique_id=f"progress:{profile}",
        kind=Rig,
    ) as rig:
        yield rig


def when(rig: Rig, key: str) -> float:
    """A timestamp sensor's time (epoch seconds)."""
    value = dt_util.parse_datetime(rig.state(key).state)
    assert isinstance(value, datetime), key
    return value.timestamp()


def now() -> float:
    """Home Assistant's (frozen) clock."""
    return dt_util.utcnow().timestamp()


async def press_cancel(rig: Rig, context: Context | None = None) -> None:
    """Press the system device's cancel button and answer its revert with read-backs."""
    task = rig.hass.async_create_task(
        rig.hass.services.async_call(
            "button",
            "press",
            {"entity_id": rig.entity_id("cancel_calibration", "button")},
            blocking=True,
            context=context,
        )
    )
    await settle()
    for _ in range(12):
        if task.done():
            break
        await rig.readback()
    await task


async def assert_bulk(rig: Rig, run_id: str, started: float) -> None:
    """Bulk: the phase and since when, the time taken, an end to expect, the levers held."""
    state = rig.state("calibration_state")
    assert state.state == "bulk"
    assert state.attributes["held_settings"] == ["charger_priority", "output_priority"]
    assert state.attributes["run_id"] == run_id
    assert when(rig, "calibration_phase_started") <= now()
    await rig.advance(120)
    elapsed = rig.state("calibration_elapsed")
    assert elapsed.attributes["unit_of_measurement"] == "min"
    assert float(elapsed.state) == pytest.approx((now() - started) / 60, abs=0.1)
    end = when(rig, "calibration_expected_end")
    assert now() + 1800 < end < now() + 5 * 3600
    packs = rig.state("batteries_reanchored")
    assert packs.state == "0"
    assert packs.attributes["reanchored"] == []
    assert sorted(packs.attributes["behind"] + packs.attributes["at_ceiling"]) == list(range(1, 7))
    cell = rig.state("highest_cell_voltage")
    assert cell.attributes["limit_v"] == 3.58  # the run's own, stricter, limit
    assert 3.3 < float(cell.state) < 3.58
    current = rig.state("highest_battery_current")
    assert all(a > 5 for a in current.attributes["battery_currents_a"])
    assert rig.state("cancel_calibration", "button").state != STATE_UNAVAILABLE
    assert rig.state("calibration_taper_end").state == STATE_UNKNOWN


def assert_result(rig: Rig, run_id: str) -> None:
    """Over: progress is gone, the result speaks in units."""
    assert rig.state("calibration_state").state == "idle"
    assert all(rig.state(key).state == STATE_UNKNOWN for key in PROGRESS)
    assert rig.state("cancel_calibration", "button").state == STATE_UNAVAILABLE
    result = rig.state("last_calibration_result")
    assert result.state == "succeeded"
    figures = result.attributes
    assert figures["run_id"] == run_id
    assert figures["reason"] == "completed"
    assert figures["method"] == "grid"
    assert 20 <= figures["soc_spread_before_pct"] <= 26
    assert figures["soc_spread_after_pct"] <= 1
    assert 3.45 <= figures["max_cell_voltage_v"] < 3.58
    assert figures["cell_difference_after_mv"] < 20
    assert 60 < figures["duration_min"] < 5 * 60
    assert figures["max_temperature_c"] > 0
    assert figures["packs_reanchored"] == [1, 2, 3, 4, 5, 6]
    assert figures["packs_at_ceiling"] == figures["packs_cut_off"] == []
    assert figures["packs_behind"] == []
    assert "duration_s" not in figures  # one figure, one unit
    ended = when(rig, "last_calibration")
    assert when(rig, "last_successful_calibration") == ended


async def test_the_owner_watches_a_run_and_reads_how_it_ended(rig: Rig) -> None:
    """Phase, times, countdowns, packs by number and the watch values, then the result."""
    # Idle: no progress, no result; the watch values show against the default limit.
    assert rig.state("calibration_state").state == "idle"
    assert all(rig.state(key).state == STATE_UNKNOWN for key in PROGRESS)
    assert rig.state("last_successful_calibration").state == STATE_UNKNOWN
    assert rig.state("highest_cell_voltage").attributes["limit_v"] == 3.6
    assert rig.state("cancel_calibration", "button").state == STATE_UNAVAILABLE

    response = await rig.call(
        "run_calibration",
        taper_hold={"seconds": TAPER_HOLD_S},
        verify_hold={"seconds": VERIFY_HOLD_S},
        cell_voltage_limit=3.58,
    )
    assert response is not None
    run_id = response["run_id"]
    started = now()
    await rig.drive(lambda: rig.phase == "bulk", limit_s=900, what="bulk")

    await assert_bulk(rig, run_id, started)

    # Absorption: once every pack tapers, the taper hold counts down.
    run = rig.supervisor.run
    await rig.drive(lambda: run.taper_since is not None, limit_s=5 * 3600, what="the taper")
    assert rig.state("calibration_state").state == "absorption"
    taper_end = when(rig, "calibration_taper_end")
    assert taper_end == pytest.approx(run.taper_since + TAPER_HOLD_S, abs=1)  # (to the second)
    assert when(rig, "calibration_expected_end") == pytest.approx(taper_end + VERIFY_HOLD_S, abs=60)

    # Verifying: once every pack terminated, the verify hold counts down.
    await rig.drive(lambda: run.reanchor_since is not None, limit_s=3600, what="the re-anchor")
    assert rig.state("calibration_state").state == "verifying"
    assert when(rig, "calibration_verify_end") == pytest.approx(
        run.reanchor_since + VERIFY_HOLD_S, abs=1
    )
    assert rig.state("calibration_taper_end").state == STATE_UNKNOWN
    assert rig.state("batteries_reanchored").state == "6"

    await rig.drive(lambda: rig.supervisor.run is None, limit_s=3600, what="the end")
    assert rig.priorities() == EVERYDAY

    assert_result(rig, run_id)


async def test_a_cancelled_run_leaves_the_last_success_alone(hass: HomeAssistant, rig: Rig) -> None:
    """Succeeded, then a second run cancelled with the button: the last success stays, across
    a reload too; the last result says cancelled."""
    await rig.call(
        "run_calibration",
        taper_hold={"seconds": TAPER_HOLD_S},
        verify_hold={"seconds": VERIFY_HOLD_S},
    )
    await rig.drive(lambda: rig.supervisor.run is None, what="the first run")
    assert rig.state("last_calibration_result").state == "succeeded"
    success = when(rig, "last_successful_calibration")
    first = rig.supervisor.last["run_id"]

    await rig.advance(3600)
    second = await rig.call("run_calibration")
    assert second is not None
    await rig.drive(lambda: rig.phase == "bulk", limit_s=900, what="bulk")
    await press_cancel(rig)
    assert rig.supervisor.run is None
    assert rig.priorities() == EVERYDAY

    result = rig.state("last_calibration_result")
    assert result.state == "aborted"
    assert result.attributes["reason"] == "cancelled"
    assert result.attributes["run_id"] == second["run_id"]
    assert when(rig, "last_calibration") > success
    assert when(rig, "last_successful_calibration") == success
    stored = rig.stored
    assert stored is not None
    assert stored["last"]["run_id"] == second["run_id"]
    assert stored["last_success"]["run_id"] == first

    # Kept across a reload (Home Assistant's storage).
    await rig.unload()
    await rig.set_up_again()
    await rig.readback()
    assert when(rig, "last_successful_calibration") == success
    assert rig.state("last_calibration_result").attributes["run_id"] == second["run_id"]


@pytest.mark.parametrize("profile", ["powermon_lvx"])
async def test_the_cancel_button_is_the_cancel_action(
    hass: HomeAssistant, rig: Rig, hass_admin_user: Any
) -> None:
    """Administrators only, as the action; a revert confirmed by read-back when pressed."""
    await rig.call("run_calibration")
    await rig.drive(lambda: rig.phase == "bulk", limit_s=900, what="bulk")
    user = await hass.auth.async_create_user("x", group_ids=["system-users"])
    with pytest.raises(Unauthorized):
        await press_cancel(rig, Context(user_id=user.id))
    assert rig.phase == "bulk"

    await press_cancel(rig, Context(user_id=hass_admin_user.id))
    assert rig.supervisor.run is None
    assert rig.priorities() == EVERYDAY
    assert rig.supervisor.last["reason"] == "cancelled"
    assert rig.state("cancel_calibration", "button").state == STATE_UNAVAILABLE
    # Pressed while nothing runs (an automation calling it anyway): the action's own error.
    with pytest.raises(ServiceValidationError) as caught:
        await rig.entry.runtime_data.supervisor.async_cancel()
    assert caught.value.translation_key == "no_active_calibration"


@pytest.mark.parametrize("profile", ["powermon_lvx"])
@pytest.mark.parametrize(
    ("field", "value", "shown"),
    [("taper_hold", {"seconds": 30}, "30 s"), ("verify_hold", {"seconds": 59}, "59 s")],
)
async def test_holds_below_their_minimum_are_refused(
    rig: Rig, field: str, value: dict[str, int], shown: str
) -> None:
    with pytest.raises(ServiceValidationError) as caught:
        await rig.call("run_calibration", **{field: value})
    assert caught.value.translation_key == "limit_below_floor"
    assert str(caught.value).rstrip(".") == f"{field} = {shown} is below the minimum 60 s"
    assert rig.supervisor.run is None
    assert rig.published() == []
