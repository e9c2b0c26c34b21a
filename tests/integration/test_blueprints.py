"""The shipped blueprints load through Home Assistant's blueprint integration and act as promised.

Each blueprint is copied into ``<config>/blueprints/automation/eg4/`` of a temporary
configuration folder, instantiated with ``use_blueprint`` (Home Assistant validates the
blueprint schema, the selectors and the resulting automation), triggered, and the action calls
are checked against mocked services.
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.automation import DOMAIN as AUTOMATION_DOMAIN
from homeassistant.const import STATE_OFF, STATE_ON
from homeassistant.core import HomeAssistant, ServiceCall, SupportsResponse
from homeassistant.exceptions import ServiceValidationError
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import (
    async_fire_time_changed,
    async_mock_service,
)

ROOT = Path(__file__).resolve().parents[2]
BLUEPRINTS = ROOT / "blueprints" / "automation" / "eg4"
BLUEPRINT_FILES = sorted(path.name for path in BLUEPRINTS.glob("*.yaml"))
ENTRY_ID = "01JEG4TESTENTRY000000000000"
OTHER_ENTRY_ID = "01JEG4OTHERENTRY00000000000"
NUMBER = "number.eg4_lvx6048_max_charge_current"
DRIFT = "binary_sensor.eg4_lvx6048_state_of_charge_drift"
SOC = "sensor.eg4_lvx6048_inverter_1_battery_state_of_charge"
PV = "sensor.eg4_lvx6048_inverter_1_pv_power"
RUN_RESPONSE = {"run_id": "a1b2c3d4e5f6", "dry_run": False, "method": "grid"}


@pytest.fixture(autouse=True)
async def blueprint_config_dir(hass: HomeAssistant, tmp_path: Path) -> AsyncIterator[Path]:
    """A private configuration folder holding the shipped blueprints.

    At teardown the automations are turned off, which detaches their time triggers (Home
    Assistant 2025.4 would otherwise leave their timers behind when the test instance stops).
    """
    hass.config.config_dir = str(tmp_path)
    target = Path(hass.config.path("blueprints/automation/eg4"))
    target.mkdir(parents=True)
    for name in BLUEPRINT_FILES:
        shutil.copy(BLUEPRINTS / name, target / name)
    yield target
    if hass.services.has_service(AUTOMATION_DOMAIN, "turn_off"):
        await hass.services.async_call(
            AUTOMATION_DOMAIN, "turn_off", {"entity_id": "all"}, blocking=True
        )
        await hass.async_block_till_done()


def local(*args: int) -> datetime:
    """A local wall-clock time in Home Assistant's time zone."""
    return datetime(*args, tzinfo=dt_util.get_default_time_zone())  # type: ignore[misc]


async def use_blueprint(hass: HomeAssistant, name: str, inputs: dict[str, Any]) -> None:
    """Create one automation from the blueprint and make sure it is on."""
    assert await async_setup_component(
        hass,
        AUTOMATION_DOMAIN,
        {
            AUTOMATION_DOMAIN: [
                {
                    "id": name.removesuffix(".yaml"),
                    "alias": name,
                    "use_blueprint": {"path": f"eg4/{name}", "input": inputs},
                }
            ]
        },
    )
    await hass.async_block_till_done()
    automations = hass.states.async_entity_ids(AUTOMATION_DOMAIN)
    assert len(automations) == 1, automations
    assert hass.states.get(automations[0]).state == STATE_ON


async def at(hass: HomeAssistant, freezer: FrozenDateTimeFactory, when: datetime) -> None:
    """Move the clock to ``when`` and run what is due."""
    freezer.move_to(when)
    async_fire_time_changed(hass, when)
    await hass.async_block_till_done()


async def later(hass: HomeAssistant, freezer: FrozenDateTimeFactory, delta: timedelta) -> None:
    """Let ``delta`` pass and run what is due."""
    freezer.tick(delta)
    async_fire_time_changed(hass)
    await hass.async_block_till_done()


def mock_calibration(hass: HomeAssistant, **kwargs: Any) -> list[ServiceCall]:
    """A stand-in for eg4.run_calibration that answers like the real action."""
    return async_mock_service(
        hass,
        "eg4",
        "run_calibration",
        supports_response=SupportsResponse.OPTIONAL,
        **kwargs,
    )


async def test_every_blueprint_loads_through_home_assistant(hass: HomeAssistant) -> None:
    """The blueprint integration accepts every shipped file with its metadata."""
    assert BLUEPRINT_FILES == [
        "calibrate_on_drift.yaml",
        "calibration_result_notify.yaml",
        "charge_current_schedule.yaml",
        "monthly_calibration.yaml",
        "night_charge_to.yaml",
        "solar_clipping_charge_current.yaml",
    ]
    assert await async_setup_component(hass, AUTOMATION_DOMAIN, {})
    from homeassistant.components.automation.helpers import (
        async_get_blueprints,
    )

    loaded = await async_get_blueprints(hass).async_get_blueprints()
    for name in BLUEPRINT_FILES:
        blueprint = loaded[f"eg4/{name}"]
        assert not isinstance(blueprint, Exception), f"{name}: {blueprint}"
        assert blueprint.domain == AUTOMATION_DOMAIN
        assert blueprint.metadata["homeassistant"] == {"min_version": "2025.4.0"}
        assert blueprint.metadata["name"].startswith("EG4 ")
        for input_id, spec in blueprint.inputs.items():
            assert spec["name"], input_id
            assert spec["description"], input_id
            assert "selector" in spec, input_id
            assert "device" not in spec["selector"].get("target", {}), input_id


# --- monthly_calibration.yaml ------------------------------------------------------------------


MONTHLY = {
    "eg4_system": ENTRY_ID,
    "day_of_month": 15,
    "start_time": "01:30:00",
    "method": "grid",
    "notify_action": "notify.mobile_app_phone",
}


async def test_monthly_calibration_runs_on_its_day(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    runs = mock_calibration(hass, response=RUN_RESPONSE)
    notes = async_mock_service(hass, "notify", "mobile_app_phone")
    freezer.move_to(local(2025, 6, 15, 1, 29, 0))
    await use_blueprint(hass, "monthly_calibration.yaml", MONTHLY)

    await at(hass, freezer, local(2025, 6, 15, 1, 30, 0))

    assert [call.data for call in runs] == [{"config_entry_id": ENTRY_ID, "method": "grid"}]
    assert [call.data for call in notes] == [
        {
            "title": "EG4 monthly calibration",
            "message": "Started the grid calibration (run a1b2c3d4e5f6).",
        }
    ]


async def test_monthly_calibration_skips_other_days(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    runs = mock_calibration(hass, response=RUN_RESPONSE)
    async_mock_service(hass, "notify", "mobile_app_phone")
    freezer.move_to(local(2025, 6, 14, 1, 29, 0))
    await use_blueprint(hass, "monthly_calibration.yaml", MONTHLY)

    await at(hass, freezer, local(2025, 6, 14, 1, 30, 0))
    assert runs == []
    await at(hass, freezer, local(2025, 6, 15, 1, 30, 0))
    assert len(runs) == 1


async def test_monthly_calibration_reports_a_refusal(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """Pre-flight refusals do not stop the automation; the notification says so."""
    runs = mock_calibration(hass, raise_exception=ServiceValidationError("preflight failed"))
    notes = async_mock_service(hass, "notify", "persistent_notification")
    freezer.move_to(local(2025, 7, 1, 13, 59, 0))
    await use_blueprint(
        hass,
        "monthly_calibration.yaml",
        {
            "eg4_system": ENTRY_ID,
            "start_time": "14:00:00",
            "method": "solar",
            "notify_action": " notify.persistent_notification ",
        },  # day_of_month defaults to 1
    )

    await at(hass, freezer, local(2025, 7, 1, 14, 0, 0))

    assert [call.data for call in runs] == [{"config_entry_id": ENTRY_ID, "method": "solar"}]
    assert [call.data["message"] for call in notes] == [
        "The solar calibration did not start: the pre-flight checks refused it or the system"
        " is unavailable. See the Home Assistant log."
    ]


async def test_monthly_calibration_without_notification(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    runs = mock_calibration(hass, response=RUN_RESPONSE)
    notes = async_mock_service(hass, "notify", "notify")
    freezer.move_to(local(2025, 8, 1, 0, 59, 0))
    await use_blueprint(hass, "monthly_calibration.yaml", {"eg4_system": ENTRY_ID})

    await at(hass, freezer, local(2025, 8, 1, 1, 0, 0))  # defaults: day 1, 01:00, grid

    assert [call.data for call in runs] == [{"config_entry_id": ENTRY_ID, "method": "grid"}]
    assert notes == []


# --- calibrate_on_drift.yaml -------------------------------------------------------------------


DRIFT_INPUTS = {
    "eg4_system": ENTRY_ID,
    "drift_sensor": DRIFT,
    "notify_action": "notify.mobile_app_phone",
}


async def test_drift_for_a_day_starts_a_grid_calibration(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    runs = mock_calibration(hass, response=RUN_RESPONSE)
    notes = async_mock_service(hass, "notify", "mobile_app_phone")
    freezer.move_to(local(2025, 6, 10, 20, 0, 0))
    hass.states.async_set(DRIFT, STATE_OFF)
    await use_blueprint(hass, "calibrate_on_drift.yaml", DRIFT_INPUTS)

    hass.states.async_set(DRIFT, STATE_ON)
    await hass.async_block_till_done()
    await at(hass, freezer, local(2025, 6, 11, 9, 0, 0))  # daily check: drift only 13 h old
    assert runs == []
    await at(hass, freezer, local(2025, 6, 11, 20, 0, 0))

    assert [call.data for call in runs] == [{"config_entry_id": ENTRY_ID, "method": "grid"}]
    assert [call.data for call in notes] == [
        {
            "title": "EG4 calibration started",
            "message": "The battery state of charge has drifted for 24.0 hours: started the"
            " grid calibration (run a1b2c3d4e5f6).",
        }
    ]


async def test_drift_that_clears_does_not_calibrate(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    runs = mock_calibration(hass, response=RUN_RESPONSE)
    freezer.move_to(local(2025, 6, 10, 20, 0, 0))
    hass.states.async_set(DRIFT, STATE_OFF)
    await use_blueprint(
        hass, "calibrate_on_drift.yaml", {**DRIFT_INPUTS, "drift_duration": {"hours": 2}}
    )

    hass.states.async_set(DRIFT, STATE_ON)
    await hass.async_block_till_done()
    await later(hass, freezer, timedelta(hours=1))
    hass.states.async_set(DRIFT, STATE_OFF)
    await hass.async_block_till_done()
    await later(hass, freezer, timedelta(hours=14))  # past 09:00 too

    assert runs == []


async def test_drift_solar_method_waits_for_a_sunny_morning(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    runs = mock_calibration(hass, response=RUN_RESPONSE)
    notes = async_mock_service(hass, "notify", "mobile_app_phone")
    freezer.move_to(local(2025, 6, 10, 8, 0, 0))
    hass.states.async_set(DRIFT, STATE_OFF)
    hass.states.async_set("weather.home", "rainy")
    await use_blueprint(
        hass,
        "calibrate_on_drift.yaml",
        {
            **DRIFT_INPUTS,
            "method": "solar",
            "drift_duration": {"hours": 6, "minutes": 0, "seconds": 0},
            "check_time": "08:30:00",
            "weather_entity": "weather.home",
            "sunny_conditions": ["sunny", "partlycloudy"],
        },
    )
    hass.states.async_set(DRIFT, STATE_ON)
    await hass.async_block_till_done()

    await later(hass, freezer, timedelta(hours=6))  # 14:00, drift 6 h old, but raining
    assert runs == []
    hass.states.async_set("weather.home", "clear-night")
    await at(hass, freezer, local(2025, 6, 11, 8, 30, 0))  # still not sunny at the check
    assert runs == []
    hass.states.async_set("weather.home", "partlycloudy")
    await at(hass, freezer, local(2025, 6, 12, 8, 30, 0))

    assert [call.data for call in runs] == [{"config_entry_id": ENTRY_ID, "method": "solar"}]
    assert notes[0].data["message"] == (
        "The battery state of charge has drifted for 48.5 hours: started the solar"
        " calibration (run a1b2c3d4e5f6)."
    )


async def test_drift_refused_calibration_sends_no_start_notice(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    runs = mock_calibration(hass, raise_exception=ServiceValidationError("already running"))
    notes = async_mock_service(hass, "notify", "mobile_app_phone")
    freezer.move_to(local(2025, 6, 10, 10, 0, 0))
    hass.states.async_set(DRIFT, STATE_OFF)
    await use_blueprint(
        hass, "calibrate_on_drift.yaml", {**DRIFT_INPUTS, "drift_duration": {"minutes": 30}}
    )
    hass.states.async_set(DRIFT, STATE_ON)
    await hass.async_block_till_done()
    await later(hass, freezer, timedelta(minutes=30))

    assert len(runs) == 1
    assert notes == []


# --- charge_current_schedule.yaml --------------------------------------------------------------


async def test_charge_current_schedule_switches_at_both_times(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    writes = async_mock_service(hass, "number", "set_value")
    freezer.move_to(local(2025, 6, 10, 22, 0, 0))
    await use_blueprint(
        hass,
        "charge_current_schedule.yaml",
        {
            "charge_current": NUMBER,
            "first_time": "23:00:00",
            "first_current": 80,
            "second_time": "06:30:00",
            "second_current": 20,
        },
    )

    await at(hass, freezer, local(2025, 6, 10, 23, 0, 0))
    await at(hass, freezer, local(2025, 6, 11, 6, 30, 0))
    await at(hass, freezer, local(2025, 6, 11, 12, 0, 0))

    assert [call.data for call in writes] == [
        {"entity_id": [NUMBER], "value": 80},
        {"entity_id": [NUMBER], "value": 20},
    ]


async def test_charge_current_schedule_defaults(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    writes = async_mock_service(hass, "number", "set_value")
    freezer.move_to(local(2025, 6, 10, 6, 0, 0))
    await use_blueprint(hass, "charge_current_schedule.yaml", {"charge_current": NUMBER})

    await at(hass, freezer, local(2025, 6, 10, 7, 0, 0))
    await at(hass, freezer, local(2025, 6, 10, 23, 0, 0))

    assert [call.data for call in writes] == [
        {"entity_id": [NUMBER], "value": 10},
        {"entity_id": [NUMBER], "value": 60},
    ]


# --- solar_clipping_charge_current.yaml --------------------------------------------------------


CLIPPING = {
    "soc_sensor": SOC,
    "pv_power_sensor": PV,
    "charge_current": NUMBER,
    "soc_threshold": 92,
    "pv_threshold": 4000,
    "reduced_current": 30,
    "normal_current": 100,
}


async def test_clipping_reduces_and_restores_the_charge_current(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    writes = async_mock_service(hass, "number", "set_value")
    freezer.move_to(local(2025, 6, 10, 11, 0, 0))
    hass.states.async_set(SOC, "85")
    hass.states.async_set(PV, "2500")
    hass.states.async_set(NUMBER, "100.0")
    await use_blueprint(hass, "solar_clipping_charge_current.yaml", CLIPPING)

    hass.states.async_set(SOC, "95")
    await hass.async_block_till_done()
    await later(hass, freezer, timedelta(minutes=6))
    assert writes == []  # full, but the panels are not producing much

    hass.states.async_set(PV, "5200")
    await hass.async_block_till_done()
    await later(hass, freezer, timedelta(minutes=4))
    assert writes == []  # not for the hold time yet
    await later(hass, freezer, timedelta(minutes=1))
    assert [call.data for call in writes] == [{"entity_id": [NUMBER], "value": 30}]
    hass.states.async_set(NUMBER, "30.0")  # the integration confirms the write

    hass.states.async_set(PV, "3000")  # a passing cloud
    await hass.async_block_till_done()
    await later(hass, freezer, timedelta(minutes=2))
    hass.states.async_set(PV, "5000")
    await hass.async_block_till_done()
    await later(hass, freezer, timedelta(minutes=10))
    assert len(writes) == 1

    hass.states.async_set(SOC, "91")
    await hass.async_block_till_done()
    await later(hass, freezer, timedelta(minutes=5))
    assert [call.data for call in writes] == [
        {"entity_id": [NUMBER], "value": 30},
        {"entity_id": [NUMBER], "value": 100},
    ]


async def test_clipping_leaves_a_current_it_did_not_set(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """Restoring only undoes the reduction; a user's own value is not overwritten."""
    writes = async_mock_service(hass, "number", "set_value")
    freezer.move_to(local(2025, 6, 10, 11, 0, 0))
    hass.states.async_set(SOC, "96")
    hass.states.async_set(PV, "6000")
    hass.states.async_set(NUMBER, "50.0")
    await use_blueprint(hass, "solar_clipping_charge_current.yaml", CLIPPING)

    hass.states.async_set(PV, "1000")
    await hass.async_block_till_done()
    await later(hass, freezer, timedelta(minutes=5))

    assert writes == []


# --- calibration_result_notify.yaml ------------------------------------------------------------


def ended_event(ending: str, **data: Any) -> dict[str, Any]:
    """The data of an eg4_calibration_ended event as the supervisor fires it."""
    title, message = ENDINGS[ending]
    return {
        "config_entry_id": ENTRY_ID,
        "run_id": "a1b2c3d4e5f6",
        "method": "grid",
        "ending": ending,
        "outcome": "failed"
        if ending == "revert_failed"
        else ending.replace("interrupted", "aborted"),
        "title": title,
        "message": message,
        **data,
    }


# What the integration's notification says for each ending (tests/e2e prove the texts).
ENDINGS = {
    "succeeded": (
        "Home: calibration succeeded",
        "Every battery re-anchored in 2 h 58 min. State-of-charge spread: 25 points before, "
        "0 after; the highest cell reached 3.52 V. The everyday settings are back, confirmed "
        "by read-back.",
    ),
    "aborted": (
        "Home: calibration stopped",
        "The calibration stopped during Absorption after 1 h 12 min: a cell reached the "
        "voltage limit (cell_over_voltage pack_3: 3.61 V). The everyday settings are back, "
        "confirmed by read-back. State-of-charge spread: 25 points before, 20 at the end.",
    ),
    "interrupted": (
        "Home: calibration interrupted",
        "Home Assistant restarted or the integration was reloaded during Bulk charge, 40 min "
        "into the calibration. The run is over: the everyday settings are back, confirmed by "
        "read-back. Start a new calibration whenever you want one.",
    ),
    "revert_failed": (
        "Home: calibration settings not restored",
        "The calibration ended during Bulk charge, but the everyday settings could not be "
        "confirmed back (output_priority: no read-back). Check the output and charger "
        "priority on the inverters now; Home Assistant keeps retrying.",
    ),
}


async def test_result_notification_for_every_ending(hass: HomeAssistant) -> None:
    """One notification per ending, in the integration's own words; phases send nothing."""
    notes = async_mock_service(hass, "notify", "mobile_app_phone")
    await use_blueprint(
        hass, "calibration_result_notify.yaml", {"notify_action": "notify.mobile_app_phone"}
    )

    for phase in ("engaging", "bulk", "failed", "revert_failed", "revert_confirmed"):
        hass.bus.async_fire("eg4_calibration", {"config_entry_id": ENTRY_ID, "phase": phase})
    for ending in ENDINGS:
        hass.bus.async_fire("eg4_calibration_ended", ended_event(ending))
    await hass.async_block_till_done()

    assert [call.data for call in notes] == [
        {"title": title, "message": message} for title, message in ENDINGS.values()
    ]


async def test_result_notification_filters_system_and_endings(hass: HomeAssistant) -> None:
    notes = async_mock_service(hass, "notify", "notify")
    await use_blueprint(
        hass,
        "calibration_result_notify.yaml",
        {"notify_action": "notify.notify", "endings": ["revert_failed"], "eg4_system": ENTRY_ID},
    )

    hass.bus.async_fire("eg4_calibration_ended", ended_event("succeeded"))
    hass.bus.async_fire(
        "eg4_calibration_ended", ended_event("revert_failed", config_entry_id=OTHER_ENTRY_ID)
    )
    hass.bus.async_fire("eg4_calibration_ended", ended_event("revert_failed", method="solar"))
    await hass.async_block_till_done()

    assert [call.data for call in notes] == [
        {"title": ENDINGS["revert_failed"][0], "message": ENDINGS["revert_failed"][1]}
    ]


async def test_result_notification_keeps_an_automation_made_with_the_old_input(
    hass: HomeAssistant,
) -> None:
    """An automation set up when the input was ``phases`` still loads, for every ending."""
    notes = async_mock_service(hass, "notify", "notify")
    await use_blueprint(
        hass,
        "calibration_result_notify.yaml",
        {"notify_action": "notify.notify", "phases": ["failed"]},
    )
    hass.bus.async_fire("eg4_calibration_ended", ended_event("interrupted"))
    await hass.async_block_till_done()
    assert [call.data["title"] for call in notes] == [ENDINGS["interrupted"][0]]


# --- night_charge_to.yaml ----------------------------------------------------------------------


NIGHT = {
    "eg4_system": ENTRY_ID,
    "window_start": "23:30:00",
    "window_end": "05:30:00",
    "target_soc": 85,
    "method": "grid",
    "soc_sensor": [SOC],
    "notify_action": "notify.mobile_app_phone",
}
CHARGE_RESPONSE = {
    "run_id": "c0ffee123456",
    "dry_run": False,
    "method": "grid",
    "charge": {"message": "Charging from 40 % to 85 % by 2025-06-16 05:30 at 60 A."},
}


def mock_charge_to(hass: HomeAssistant, **kwargs: Any) -> list[ServiceCall]:
    """A stand-in for eg4.charge_to that answers like the real action."""
    return async_mock_service(
        hass, "eg4", "charge_to", supports_response=SupportsResponse.OPTIONAL, **kwargs
    )


async def test_night_charge_starts_at_the_window_with_its_deadline(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    charges = mock_charge_to(hass, response=CHARGE_RESPONSE)
    notes = async_mock_service(hass, "notify", "mobile_app_phone")
    hass.states.async_set(SOC, "40", {"device_class": "battery"})
    freezer.move_to(local(2025, 6, 15, 23, 29, 0))
    await use_blueprint(hass, "night_charge_to.yaml", NIGHT)

    await at(hass, freezer, local(2025, 6, 15, 23, 30, 0))

    assert [call.data for call in charges] == [
        {
            "config_entry_id": ENTRY_ID,
            "target_soc": 85,
            "deadline": "05:30:00",
            "method": "grid",
        }
    ]
    assert [call.data for call in notes] == [
        {"title": "EG4 night charge", "message": CHARGE_RESPONSE["charge"]["message"]}
    ]


async def test_night_charge_skips_a_bank_already_at_the_target(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    charges = mock_charge_to(hass, response=CHARGE_RESPONSE)
    hass.states.async_set(SOC, "90", {"device_class": "battery"})
    freezer.move_to(local(2025, 6, 15, 23, 29, 0))
    await use_blueprint(hass, "night_charge_to.yaml", NIGHT)

    await at(hass, freezer, local(2025, 6, 15, 23, 30, 0))
    assert charges == []


async def test_night_charge_reports_a_refusal(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """A target out of reach: the automation goes on, and the notification says so."""
    charges = mock_charge_to(hass, raise_exception=ServiceValidationError("too little time"))
    notes = async_mock_service(hass, "notify", "persistent_notification")
    freezer.move_to(local(2025, 6, 15, 22, 59, 0))
    await use_blueprint(
        hass,
        "night_charge_to.yaml",
        {"eg4_system": ENTRY_ID, "notify_action": "notify.persistent_notification"},
    )

    await at(hass, freezer, local(2025, 6, 15, 23, 0, 0))

    assert [call.data["deadline"] for call in charges] == ["06:00:00"]
    assert [call.data["message"] for call in notes] == [
        "The night charge to 80 % did not start: the target is out of reach by 06:00:00, the"
        " bank is already there, or the system is unavailable. See the Home Assistant log."
    ]
