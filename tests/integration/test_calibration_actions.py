"""eg4.run_calibration and eg4.cancel_calibration: refusals, dry run, response data, storage.

The installation is the digital twin behind the mocked MQTT client: telemetry is the face's,
and every command the integration publishes is handed to ``face.handle`` at once, so a
command's effect shows in the next telemetry (the read-back).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from homeassistant.core import HomeAssistant, ServiceResponse
from homeassistant.exceptions import ServiceValidationError
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_mqtt_message,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.typing import MqttMockHAClient

from custom_components.eg4.const import DOMAIN
from simulator import (
    ChargerPriority,
    OutputPriority,
    build_twin,
)
from tests.e2e.system import PROFILES
from tests.e2e.twin_rig import Rig, StartRig, distinct, settle

from .conftest import POWERMON_DATA

RUN = "run_calibration"
CANCEL = "cancel_calibration"

# What the grid method writes on the LVX6048 family: charger priority first (it enables the
# grid charge), output priority last (it starts it); the revert goes the other way.
PLAN = [
    {"setting": "charger_priority", "unit": 1, "from": "solar_first", "to": "solar_and_utility"},
    {"setting": "charger_priority", "unit": 2, "from": "solar_first", "to": "solar_and_utility"},
    {"setting": "output_priority", "unit": 1, "from": "sbu", "to": "sub"},
    {"setting": "output_priority", "unit": 2, "from": "sbu", "to": "sub"},
]
# The commands each bridge receives for the plan: lvx-control one per setting for the group,
# Solar Assistant one per unit.
APPLY_COMMANDS = {
    "powermon_lvx": [
        ("solar/control/lvx6048/charger_priority", "solar_and_utility"),
        ("solar/control/lvx6048/output_priority", "solar_utility_battery"),
    ],
    "solar_assistant": [
        (
            "solar_assistant/inverter_1/charger_source_priority/set",
            "Solar and utility simultaneously",
        ),
        (
            "solar_assistant/inverter_2/charger_source_priority/set",
            "Solar and utility simultaneously",
        ),
        ("solar_assistant/inverter_1/output_source_priority/set", "Solar/Utility/Battery"),
        ("solar_assistant/inverter_2/output_source_priority/set", "Solar/Utility/Battery"),
    ],
}
REVERT_COMMANDS = {
    "powermon_lvx": [
        ("solar/control/lvx6048/output_priority", "solar_battery_utility"),
        ("solar/control/lvx6048/charger_priority", "solar_first"),
    ],
    "solar_assistant": [
        ("solar_assistant/inverter_1/output_source_priority/set", "Solar/Battery/Utility"),
        ("solar_assistant/inverter_2/output_source_priority/set", "Solar/Battery/Utility"),
        ("solar_assistant/inverter_1/charger_source_priority/set", "Solar first"),
        ("solar_assistant/inverter_2/charger_source_priority/set", "Solar first"),
    ],
}
EVERYDAY = [(OutputPriority.SBU, ChargerPriority.SOLAR_FIRST)] * 2
CALIBRATING = [(OutputPriority.SUB, ChargerPriority.SOLAR_AND_UTILITY)] * 2


class Bench(Rig):
    """The twin rig, with the steps these tests share."""

    @property
    def profile(self) -> str:
        """The bridge profile's name."""
        return self.spec.name

    async def engage(self) -> None:
        """Answer the lever writes with read-backs until the run is charging (bulk)."""
        for _ in range(8):
            await self.readback()
        await self.advance(60)
        await self.advance(60)
        assert self.supervisor.run.phase.value == "bulk", self.supervisor.run.phase

    async def answered(self, task: asyncio.Task[ServiceResponse]) -> dict[str, Any]:
        """Answer the writes with read-backs until the action ``task`` is answered; its answer."""
        for _ in range(8):
            if task.done():
                break
            await self.readback()
        assert task.done(), "the action's writes were not confirmed"
        result = await task
        assert result is not None
        return dict(result)

    async def cancel(self) -> dict[str, Any]:
        """Cancel the run and answer its revert with read-backs; the cancel's answer."""
        task = self.start(CANCEL)
        await settle()
        return await self.answered(task)


@pytest.fixture(params=sorted(PROFILES))
def profile(request: pytest.FixtureRequest) -> str:
    """Each MQTT bridge profile in turn."""
    return str(request.param)


@pytest.fixture
def scenario() -> str:
    """The twin's scenario (override with parametrize)."""
    return "drifted"


@pytest.fixture
async def bench(
    start_rig: StartRig,
    profile: str,
    scenario: str,
) -> AsyncIterator[Bench]:
    """The entry set up and fed one round of the twin's telemetry."""
    twin = build_twin(scenario, inverters=2, packs=6, seed=0)
    async with start_rig(
        PROFILES[profile],
        twin,
        title=f"EG4 {profile}",
        unique_id=f"bench:{profile}",
        kind=Bench,
    ) as bench:
        yield bench


def plan_of(response: ServiceResponse) -> list[dict[str, Any]]:
    """The plan of a response without the ``changes`` flags."""
    assert response is not None
    return [{k: item[k] for k in ("setting", "unit", "from", "to")} for item in response["plan"]]


def twin_value(bench: Bench, setting: str, unit: int) -> str:
    """A unit's setting in the twin, spelled as the integration spells it."""
    settings = bench.twin.inverter(unit).settings
    value = settings.output_priority if setting == "output_priority" else settings.charger_priority
    return str(value.value).lower()


# ---- dry run, plan and response data ------------------------------------------------------


def assert_before_picture_of_the_drifted_bank(before: dict[str, Any]) -> None:
    """The before picture the runbook records: pack 6 reads 76 % at the others' voltage."""
    assert before["drift"] == "drift"
    assert before["soc_spread_pct"] == 25.0
    assert before["voltage_spread_v"] <= 0.02
    assert before["cell_difference_max_mv"] == max(p["cell_difference_mv"] for p in before["packs"])
    assert 3 <= before["cell_difference_max_mv"] <= 10
    assert before["temperature_min_c"] == min(p["temperature_min_c"] for p in before["packs"])
    assert before["temperature_max_c"] == max(p["temperature_max_c"] for p in before["packs"])
    assert 20 < before["temperature_min_c"] < before["temperature_max_c"] < 30
    assert [(p["pack"], p["soc_pct"]) for p in before["packs"]] == [
        (1, 53.0),
        (2, 51.0),
        (3, 54.0),
        (4, 52.0),
        (5, 55.0),
        (6, 76.0),
    ]
    assert all(
        53.1 <= p["voltage_v"] <= 53.2 and p["temperature_min_c"] <= p["temperature_max_c"]
        for p in before["packs"]
    )


async def test_dry_run_changes_nothing_and_returns_the_plan_a_run_applies(bench: Bench) -> None:
    """The dry run reports verdicts and plan only; the real run then writes exactly that plan."""
    dry = await bench.call(RUN, dry_run=True)
    assert dry is not None
    assert dry["run_id"] is None
    assert dry["dry_run"] is True
    assert dry["method"] == "grid"
    assert dry["preflight"] == {"ok": True, "failed_checks": [], "warnings": []}
    assert dry["estimate"]["duration_s"] > 0
    assert dry["estimate"]["duration_min"] == round(dry["estimate"]["duration_s"] / 60)
    assert 2 * 60 < dry["estimate"]["duration_min"] < 4 * 60
    assert dry["estimate"]["soc_pct"] == 53.5  # the median pack: one drifted pack moves nothing
    assert plan_of(dry) == PLAN
    assert all(item["changes"] is True for item in dry["plan"])
    # The plan in the selects' words, the codes kept alongside.
    assert [(i["name"], i["from_label"], i["to_label"]) for i in dry["plan"]] == [
        ("Charger priority", "Solar first", "Solar and utility"),
        ("Charger priority", "Solar first", "Solar and utility"),
        ("Output priority", "Solar - Battery - Utility (SBU)", "Solar - Utility - Battery (SUB)"),
        ("Output priority", "Solar - Battery - Utility (SBU)", "Solar - Utility - Battery (SUB)"),
    ]
    assert_before_picture_of_the_drifted_bank(dry["before"])
    assert dry["notes"] == []  # drifted: a run is what the bank needs
    await bench.advance(60)
    # Nothing was written, stored, announced or changed.
    assert bench.published() == []
    assert bench.commands == []
    assert bench.priorities() == EVERYDAY
    # (the drift watch may have stored when the drift began; no run and no result)
    assert (bench.stored or {}).get("run") is None
    assert (bench.stored or {}).get("last") is None
    assert bench.events == []
    assert bench.supervisor.run is None
    assert bench.state("calibration_state").state == "idle"

    run = await bench.call(RUN)
    assert run is not None
    assert isinstance(run["run_id"], str)
    assert run["run_id"]
    assert run["dry_run"] is False
    assert run["preflight"] == dry["preflight"]
    assert run["plan"] == dry["plan"]  # the same plan...
    await bench.engage()
    # ... is what reached the bridge, in lever order, and what the inverters now hold.
    assert bench.published() == APPLY_COMMANDS[bench.profile]
    assert bench.commands == APPLY_COMMANDS[bench.profile]
    for item in dry["plan"]:
        assert twin_value(bench, item["setting"], item["unit"]) == item["to"], item
    # The stored run carries the same plan; what it restores is the plan's "from" values.
    stored = bench.stored
    assert stored is not None
    assert stored["run"]["run_id"] == run["run_id"]
    assert stored["run"]["plan"] == plan_of(dry)
    assert stored["run"]["saved"] == {
        str(unit): {"charger_priority": "solar_first", "output_priority": "sbu"} for unit in (1, 2)
    }


@pytest.mark.parametrize("profile", ["solar_assistant"])
@pytest.mark.parametrize("scenario", ["healthy"])
async def test_dry_run_says_a_run_is_pointless_without_drift(bench: Bench) -> None:
    """Counters that agree: the answer says a calibration would change nothing (not refused)."""
    dry = await bench.call(RUN, dry_run=True)
    assert dry is not None
    assert dry["preflight"]["ok"] is True
    assert dry["before"]["drift"] == "ok"
    assert dry["before"]["soc_spread_pct"] == 0.0
    assert [p["soc_pct"] for p in dry["before"]["packs"]] == [60.0] * 6
    assert dry["notes"] == [
        {
            "note": "no_drift",
            "message": (
                "The batteries' state-of-charge readings agree (spread 0 points, drift counts "
                "from 5): their counters have not drifted, so a calibration would change "
                "nothing. It is worth running once the readings disagree."
            ),
        }
    ]
    assert bench.published() == []


@pytest.mark.parametrize("profile", ["powermon_lvx"])
@pytest.mark.parametrize("scenario", ["imbalanced"])
async def test_dry_run_says_an_imbalance_is_not_drift(bench: Bench) -> None:
    """Pack voltages that disagree: a real imbalance, which a full charge does not cure."""
    dry = await bench.call(RUN, dry_run=True)
    assert dry is not None
    assert dry["before"]["drift"] == "imbalance"
    [note] = dry["notes"]
    assert note["note"] == "imbalance"
    spread = dry["before"]["voltage_spread_v"]
    assert note["message"] == (
        f"The battery voltages differ by {spread:g} V: that is a real imbalance, not counter "
        "drift, and a calibration charge does not cure it."
    )


async def test_response_lists_preflight_verdicts_even_when_they_fail(bench: Bench) -> None:
    """A dry run answers with every failed check instead of raising."""
    bench.twin.force_settings(units=[2], output_priority=OutputPriority.SUB)
    await bench.readback()
    dry = await bench.call(RUN, dry_run=True)
    assert dry is not None
    assert dry["preflight"]["ok"] is False
    assert [c["check"] for c in dry["preflight"]["failed_checks"]] == ["settings_out_of_sync"]
    check = dry["preflight"]["failed_checks"][0]
    assert check["settings"] == "output_priority"
    assert "inverter_1 sbu" in check["values"]
    assert "inverter_2 sub" in check["values"]
    assert bench.published() == []


async def test_saved_before_the_first_write_is_published(bench: Bench) -> None:
    """The run is in Home Assistant's storage before any command leaves."""
    seen: list[dict[str, Any] | None] = []
    bench.on_command = lambda topic, payload: seen.append(bench.stored)
    run = await bench.call(RUN)
    await settle()
    assert run is not None
    assert seen, "no command was published"
    first = seen[0]
    assert first is not None, "nothing was stored when the first command was published"
    assert first["run"]["run_id"] == run["run_id"]
    assert first["run"]["phase"] in ("preflight", "engaging")
    assert first["run"]["plan"] == plan_of(run)
    assert first["run"]["saved"]["1"] == {
        "charger_priority": "solar_first",
        "output_priority": "sbu",
    }


# ---- refusals -----------------------------------------------------------------------------


def _out_of_sync(bench: Bench) -> None:
    bench.twin.force_settings(units=[2], output_priority=OutputPriority.SUB)


def _high_cell(bench: Bench) -> None:
    topic = {
        "powermon_lvx": "homeassistant/sensor/lifepower4_4_cell_voltage_max/state",
        "solar_assistant": "solar_assistant/battery_4/cell_voltage_-_highest/state",
    }[bench.profile]
    async_fire_mqtt_message(bench.hass, topic, "3.62")


def _protection(bench: Bench) -> None:
    if bench.profile == "solar_assistant":
        pytest.skip("Solar Assistant reports no BMS protection flags")
    topic = "homeassistant/sensor/lifepower4_5_protection/state"
    async_fire_mqtt_message(bench.hass, topic, "over_temperature")


async def _silent(bench: Bench) -> None:
    bench.freezer.tick(200)
    async_fire_time_changed(bench.hass)
    await settle()


@pytest.mark.parametrize(
    ("scenario", "prepare", "checks"),
    [
        ("cold", None, ["temperature_out_of_range"]),
        ("imbalanced", None, ["pack_voltage_imbalance"]),
        ("drifted", _out_of_sync, ["settings_out_of_sync"]),
        ("drifted", _high_cell, ["cell_voltage_high"]),
        ("drifted", _protection, ["protection_active"]),
        ("drifted", _silent, ["telemetry_stale"]),
    ],
    ids=["cold", "imbalanced", "out_of_sync", "high_cell", "protection", "silent"],
)
async def test_preflight_refusal_is_a_translated_error(
    bench: Bench, prepare: Callable[[Bench], Any] | None, checks: list[str]
) -> None:
    """Each failed check refuses the run with a translated message that lists it."""
    if prepare is not None:
        result = prepare(bench)
        if asyncio.iscoroutine(result):
            await result
        elif prepare not in (_high_cell, _protection):
            await bench.readback()
    with pytest.raises(ServiceValidationError) as caught:
        await bench.call(RUN)
    err = caught.value
    assert err.translation_domain == DOMAIN
    assert err.translation_key == "preflight_failed"
    listed = err.translation_placeholders["checks"]
    message = str(err)
    assert message.startswith("Calibration refused by the pre-flight checks: "), message
    if prepare is _high_cell and bench.profile == "solar_assistant":
        checks = [*checks, "cell_delta_high"]  # Solar Assistant's delta is highest - lowest
    for check in checks:
        assert check in listed
        assert check in message
    # The dry run names exactly these checks.
    dry = await bench.call(RUN, dry_run=True)
    assert dry is not None
    assert [c["check"] for c in dry["preflight"]["failed_checks"]] == checks
    # Nothing happened.
    assert bench.published() == []
    # (the drift watch may have stored when the drift began; no run and no result)
    assert (bench.stored or {}).get("run") is None
    assert (bench.stored or {}).get("last") is None
    assert bench.events == []
    assert bench.state("calibration_state").state == "idle"


UNSAFE_LIMITS: list[tuple[dict[str, Any], str, dict[str, str]]] = [
    (
        {"cell_voltage_limit": 3.7},
        "limit_above_ceiling",
        {"field": "cell_voltage_max", "value": "3.7", "limit": "3.65"},
    ),
    (
        {"cell_voltage_limit": 3.66, "temperature_limit": 40},
        "limit_above_ceiling",
        {"field": "cell_voltage_max", "value": "3.66", "limit": "3.65"},
    ),
    (
        {"temperature_limit": 55},
        "limit_above_ceiling",
        {"field": "temperature_max", "value": "55", "limit": "50"},
    ),
    (
        {"temperature_limit": 50.5},
        "limit_above_ceiling",
        {"field": "temperature_max", "value": "50.5", "limit": "50"},
    ),
    (
        {"max_duration": {"hours": 13}},
        "limit_above_ceiling",
        {"field": "max_duration", "value": "13:00:00", "limit": "12:00:00"},
    ),
    (
        {"cell_voltage_limit": 3.45},
        "limit_absorption_above_cell_limit",
        {"field": "absorption_cell_voltage", "value": "3.45", "limit": "3.45"},
    ),
]


@pytest.mark.parametrize("profile", ["powermon_lvx"])
async def test_unsafe_limits_are_refused(bench: Bench) -> None:
    """Limits looser than 3.65 V per cell or 50 degC are refused with a translated error."""
    for data, key, placeholders in UNSAFE_LIMITS:
        for dry_run in (False, True):
            with pytest.raises(ServiceValidationError) as caught:
                await bench.call(RUN, dry_run=dry_run, **data)
            err = caught.value
            assert err.translation_domain == DOMAIN, data
            assert err.translation_key == key, data
            assert err.translation_placeholders == placeholders, data
            message = str(err)
            assert message != key, data  # translated
            assert placeholders["value"] in message, data
            if key == "limit_above_ceiling":
                assert "looser than the safe limit" in message
    assert bench.published() == []
    # (the drift watch may have stored when the drift began; no run and no result)
    assert (bench.stored or {}).get("run") is None
    assert (bench.stored or {}).get("last") is None
    assert bench.events == []


@pytest.mark.parametrize("profile", ["powermon_lvx"])
async def test_limits_at_the_ceiling_or_stricter_are_accepted(bench: Bench) -> None:
    """3.65 V and 50 degC are allowed, and so is anything stricter; the run keeps them."""
    dry = await bench.call(RUN, dry_run=True, cell_voltage_limit=3.65, temperature_limit=50)
    assert dry is not None
    assert dry["preflight"]["ok"] is True
    run = await bench.call(
        RUN, cell_voltage_limit=3.55, temperature_limit=40, max_duration={"hours": 6}
    )
    assert run is not None
    config = bench.supervisor.run.config
    assert config.limits.cell_voltage_max == 3.55
    assert config.limits.temperature_max == 40
    assert config.max_duration_s == 6 * 3600
    stored = bench.stored
    assert stored is not None
    assert stored["run"]["config"]["limits"]["cell_voltage_max"] == 3.55


@pytest.mark.parametrize("profile", ["powermon_lvx"])
async def test_refused_before_anything_has_reported(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, bench: Bench
) -> None:
    """A second entry whose bridge has said nothing yet: stale and unknown settings."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="EG4 silent",
        data={**POWERMON_DATA, "inverter_prefix": "silent", "battery_prefix": "quiet"},
        unique_id="bench:silent",
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    with pytest.raises(ServiceValidationError) as caught:
        await bench.call(RUN, config_entry_id=entry.entry_id)
    err = caught.value
    assert err.translation_key == "preflight_failed"
    message = str(err)
    assert "telemetry_stale" in message
    assert "inverter_1: never" in message
    assert "setting_unknown" in message
    dry = await bench.call(RUN, config_entry_id=entry.entry_id, dry_run=True)
    assert dry is not None
    assert [c["check"] for c in dry["preflight"]["failed_checks"]] == [
        "telemetry_stale",
        "setting_unknown",
    ]
    assert dry["plan"] == []
    assert bench.published() == []
    assert await hass.config_entries.async_unload(entry.entry_id)


@pytest.mark.parametrize("profile", ["powermon_lvx"])
async def test_cancel_without_a_run_is_refused(bench: Bench) -> None:
    with pytest.raises(ServiceValidationError) as caught:
        await bench.call(CANCEL)
    assert caught.value.translation_key == "no_active_calibration"
    # Home Assistant drops the translation's final full stop.
    assert str(caught.value).rstrip(".") == (
        "No calibration or charge to target is running on this system"
    )
    assert bench.published() == []


# ---- cancel -------------------------------------------------------------------------------


async def assert_cancel_told(bench: Bench, run_id: str) -> None:
    """The ending is told: one eg4_calibration_ended event, a notification and a logbook line."""
    [ended] = bench.endings
    assert ended.data == {
        "config_entry_id": bench.entry.entry_id,
        "run_id": run_id,
        "method": "grid",
        "ending": "aborted",
        "outcome": "aborted",
        "reason": "cancelled",
        "detail": ended.data["detail"],
        "stopped_in": "bulk",
        "settings_restored": True,
        "duration_min": ended.data["duration_min"],
        "soc_spread_before_pct": 25.0,
        "soc_spread_after_pct": ended.data["soc_spread_after_pct"],
        "max_cell_voltage_v": ended.data["max_cell_voltage_v"],
        "max_temperature_c": ended.data["max_temperature_c"],
        "packs_reanchored": [],
        "packs_at_ceiling": ended.data["packs_at_ceiling"],
        "packs_cut_off": [],
        "packs_behind": ended.data["packs_behind"],
        "title": f"EG4 {bench.profile}: calibration stopped",
        "message": ended.data["message"],
    }
    assert ended.data["duration_min"] == 3.0  # engaged, two minutes of bulk, the cancel
    notification = bench.ending_notification
    assert notification is not None
    assert notification["title"] == f"EG4 {bench.profile}: calibration stopped"
    assert notification["message"] == ended.data["message"]
    assert notification["message"] == (
        "The calibration stopped during Bulk charge after 3 min: it was cancelled. The everyday "
        "settings are back, confirmed by read-back. State-of-charge spread: 25 points before, "
        "25 at the end."
    )
    line = await bench.logbook_line(ended)
    assert line == {
        "name": f"EG4 {bench.profile} calibration",
        "message": "stopped during Bulk charge after 3 min: it was cancelled",
        "entity_id": bench.entity_id("calibration_state"),
    }


async def test_cancel_reverts_and_reports_what_was_restored(bench: Bench) -> None:
    """Cancel mid-charge: the revert is confirmed by read-back before the action answers."""
    run = await bench.call(RUN)
    assert run is not None
    await bench.engage()
    assert bench.priorities() == CALIBRATING
    assert bench.state("calibration_state").state == "bulk"
    # Telemetry that changes no phase does not rewrite the calibration entities.
    reported = bench.state("calibration_state").last_reported
    await bench.advance(60)
    assert bench.state("calibration_state").last_reported == reported

    # A second run is refused while this one is active.
    with pytest.raises(ServiceValidationError) as caught:
        await bench.call(RUN)
    assert caught.value.translation_key == "preflight_failed"
    assert "run_active" in str(caught.value)

    applied = len(bench.published())
    task = bench.start(CANCEL)
    await settle()
    assert bench.published()[applied:][:1] == REVERT_COMMANDS[bench.profile][:1]
    result = await bench.answered(task)
    # What was put back, in the words the selects use, with the codes for automations.
    sbu = {"name": "Output priority", "label": "Solar - Battery - Utility (SBU)"}
    solar_first = {"name": "Charger priority", "label": "Solar first"}
    assert result == {
        "run_id": run["run_id"],
        "kind": "calibration",
        "outcome": "aborted",
        "restored": [
            {"setting": "output_priority", "unit": 2, "value": "sbu", **sbu},
            {"setting": "output_priority", "unit": 1, "value": "sbu", **sbu},
            {"setting": "charger_priority", "unit": 2, "value": "solar_first", **solar_first},
            {"setting": "charger_priority", "unit": 1, "value": "solar_first", **solar_first},
        ],
        "confirmed": True,
        "message": (
            "Calibration cancelled. Put back and confirmed by read-back: "
            "Output priority: Solar - Battery - Utility (SBU) (inverters: 1, 2); "
            "Charger priority: Solar first (inverters: 1, 2)."
        ),
    }
    assert bench.published()[applied:] == REVERT_COMMANDS[bench.profile]
    assert bench.priorities() == EVERYDAY

    # One event per phase change, and the state sensor followed them.
    assert [e.data["phase"] for e in bench.events] == ["engaging", "bulk", "reverting", "aborted"]
    assert {e.data["run_id"] for e in bench.events} == {run["run_id"]}
    assert {e.data["config_entry_id"] for e in bench.events} == {bench.entry.entry_id}
    assert bench.events[-1].data["reason"] == "cancelled"
    assert distinct(bench.phases) == ["engaging", "bulk", "reverting", "idle"]

    await assert_cancel_told(bench, run["run_id"])
    last = bench.state("last_calibration_result")
    assert last.state == "aborted"
    assert last.attributes["run_id"] == run["run_id"]
    assert last.attributes["reason"] == "cancelled"
    assert last.attributes["interrupted"] is False
    assert bench.state("last_calibration").state != "unknown"
    stored = bench.stored
    assert stored is not None
    assert stored["run"] is None
    assert stored["last"]["outcome"] == "aborted"


@pytest.mark.parametrize("profile", ["powermon_lvx"])
async def test_unload_during_a_cancel_answers_it(bench: Bench) -> None:
    """Unloading while a cancel waits for its revert: the unload puts the settings back
    (bounded) and answers the cancel; confirmed, the run is closed as interrupted."""
    await bench.call(RUN)
    await bench.engage()
    task = bench.start(CANCEL)
    await settle()
    assert not task.done()  # the revert waits for its read-back
    await bench.unload()
    assert task.done()
    assert bench.priorities() == EVERYDAY
    stored = bench.stored
    assert stored is not None
    assert stored["run"] is None
    assert stored["last"]["outcome"] == "aborted"


async def test_cancel_while_engaging_writes_no_further_lever(bench: Bench) -> None:
    """A cancel while the first lever awaits its read-back stops the lever writes there."""
    run = await bench.call(RUN)
    assert run is not None
    await settle()
    first = APPLY_COMMANDS[bench.profile][0]
    assert bench.commands == [first]  # sent, not yet read back
    result = await bench.cancel()
    assert result["confirmed"] is True
    assert result["outcome"] == "aborted"
    assert bench.priorities() == EVERYDAY
    # The charge-starting lever (output priority SUB) was never sent.
    starts = [c for c in APPLY_COMMANDS[bench.profile] if "output" in c[0]]
    assert not set(starts) & set(bench.published())
    assert bench.supervisor.run is None
    assert bench.state("last_calibration_result").state == "aborted"


@pytest.mark.parametrize("profile", ["solar_assistant"])
async def test_solar_method_writes_nothing(bench: Bench) -> None:
    """The solar method only supervises: no plan, no command, nothing to restore."""
    dry = await bench.call(RUN, method="solar", dry_run=True)
    assert dry is not None
    assert dry["method"] == "solar"
    assert dry["plan"] == []
    assert dry["preflight"]["ok"] is True
    run = await bench.call(RUN, method="solar")
    assert run is not None
    assert run["plan"] == []
    await bench.advance(60)
    assert bench.supervisor.run.phase.value == "engaging"  # waiting for the sun
    result = await bench.call(CANCEL)
    assert result == {
        "run_id": run["run_id"],
        "kind": "calibration",
        "outcome": "aborted",
        "restored": [],
        "confirmed": True,
        "message": (
            "Calibration cancelled. It had changed no settings, so there was nothing to put back."
        ),
    }
    assert bench.published() == []
    assert bench.priorities() == EVERYDAY
    assert [e.data["phase"] for e in bench.events] == ["engaging", "reverting", "aborted"]
    assert {e.data["method"] for e in bench.events} == {"solar"}


@pytest.mark.parametrize("profile", ["powermon_lvx"])
async def test_stricter_temperature_limit_narrows_the_preflight_window(bench: Bench) -> None:
    """Packs at about 25 °C: a 20 °C abort limit refuses the start instead of aborting at once."""
    dry = await bench.call(RUN, dry_run=True, temperature_limit=20)
    assert dry is not None
    assert [c["check"] for c in dry["preflight"]["failed_checks"]] == ["temperature_out_of_range"]
    ok = await bench.call(RUN, dry_run=True, temperature_limit=40)
    assert ok is not None
    assert ok["preflight"]["ok"] is True
    assert bench.published() == []
