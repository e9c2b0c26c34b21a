"""The drift repair's fix flow: it shows the pre-flight and the plan, and starts the run.

Driven the way the frontend drives it: Home Assistant's repairs HTTP API (admin only) on the
twin rig (the twin behind the mocked MQTT client, ``tests/e2e/twin_rig.py``). The issue is
raised by the drift watch itself after a day of drift; where the scenario's counters are not
drifted (a cold or imbalanced bank), it is the issue a day of drift raised before the bank
changed, the drift watch not having looked again yet.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from http import HTTPStatus
from pathlib import Path
from typing import Any

import pytest
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import async_fire_mqtt_message
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.eg4.const import DOMAIN
from custom_components.eg4.repair_text import duration_text
from custom_components.eg4.supervisor.drift_watch import DRIFT_REPAIR_AFTER_S
from simulator import ChargerPriority, OutputPriority, build_twin
from tests.e2e.system import PROFILES
from tests.e2e.twin_rig import Rig, StartRig, settle
from tests.integration.test_calibration_actions import profile, scenario  # noqa: F401

EVERYDAY = [(OutputPriority.SBU, ChargerPriority.SOLAR_FIRST)] * 2
CALIBRATING = [(OutputPriority.SUB, ChargerPriority.SOLAR_AND_UTILITY)] * 2
# The plan as the form words it: the selects' labels, units sharing a change on one line.
PLAN_TEXT = (
    "- Charger priority (1, 2): Solar first → Solar and utility\n"
    "- Output priority (1, 2): Solar - Battery - Utility (SBU) → Solar - Utility - Battery (SUB)"
)


class Repairs:
    """The repairs HTTP API, as the frontend calls it (as an administrator)."""

    def __init__(self, client: Any) -> None:
        self.client = client

    async def start(self, issue_id: str) -> dict[str, Any]:
        response = await self.client.post(
            "/api/repairs/issues/fix", json={"handler": DOMAIN, "issue_id": issue_id}
        )
        assert response.status == HTTPStatus.OK, await response.text()
        result: dict[str, Any] = await response.json()
        return result

    async def submit(self, flow_id: str) -> dict[str, Any]:
        response = await self.client.post(f"/api/repairs/issues/fix/{flow_id}", json={})
        assert response.status == HTTPStatus.OK, await response.text()
        result: dict[str, Any] = await response.json()
        return result


@pytest.fixture
async def rig(
    start_rig: StartRig,
    profile: str,
    scenario: str,
) -> AsyncIterator[Rig]:
    """The entry on the twin, fed one round of telemetry."""
    twin = build_twin(scenario, inverters=2, packs=6, seed=0)
    async with start_rig(
        PROFILES[profile],
        twin,
        title="Garage bank",
        unique_id=f"fix:{profile}",
        kind=Rig,
    ) as rig:
        yield rig


@pytest.fixture
async def repairs(hass: HomeAssistant, hass_client: ClientSessionGenerator) -> Repairs:
    """The repairs integration and an administrator's HTTP client."""
    assert await async_setup_component(hass, "repairs", {})
    return Repairs(await hass_client())


def issue_id(rig: Rig) -> str:
    return f"drift_{rig.entry.entry_id}"


def drift_issue(rig: Rig) -> ir.IssueEntry | None:
    return ir.async_get(rig.hass).async_get_issue(DOMAIN, issue_id(rig))


async def a_day_of_drift(rig: Rig) -> ir.IssueEntry:
    """The drift watch has seen the counters drifted for a day: its issue stands."""
    await rig.advance(60)
    watch = rig.supervisor.drift_watch
    assert watch.since is not None, "the twin's counters are not drifted"
    watch.since -= DRIFT_REPAIR_AFTER_S
    await rig.advance(60)  # the supervisor's tick refreshes the drift watch
    issue = drift_issue(rig)
    assert issue is not None
    return issue


def drift_issue_from_yesterday(rig: Rig) -> None:
    """The issue a day of drift raised (the bank has changed since)."""
    ir.async_create_issue(
        rig.hass,
        DOMAIN,
        issue_id(rig),
        is_fixable=True,
        severity=ir.IssueSeverity.WARNING,
        translation_key="soc_drift",
        translation_placeholders={"spread": "25", "pack": "6"},
        data={"entry_id": rig.entry.entry_id},
    )


def assert_nothing_started(rig: Rig) -> None:
    assert rig.published() == []
    assert rig.supervisor.run is None
    assert (rig.stored or {}).get("run") is None
    assert rig.events == []
    assert rig.priorities() == EVERYDAY
    assert rig.state("calibration_state").state == "idle"


async def test_the_fix_flow_shows_the_plan_and_confirming_starts_the_run(
    rig: Rig, repairs: Repairs
) -> None:
    issue = await a_day_of_drift(rig)
    assert issue.is_fixable is True
    assert issue.data == {"entry_id": rig.entry.entry_id}

    form = await repairs.start(issue_id(rig))
    assert form["type"] == "form"
    assert form["step_id"] == "confirm"
    shown = form["description_placeholders"]
    assert shown["name"] == "Garage bank"
    assert shown["spread"] == issue.translation_placeholders["spread"]
    assert shown["pack"] == "6"
    assert shown["warnings"] == ""  # every check passed, nothing to note
    assert shown["plan"] == PLAN_TEXT
    dry = await rig.call("run_calibration", dry_run=True)
    assert dry is not None
    assert shown["duration"] == duration_text(dry["estimate"]["duration_s"])
    assert shown["duration"][0].isdigit()  # e.g. "3 h 10 min"
    # Opening the form changes nothing.
    assert_nothing_started(rig)

    done = await repairs.submit(form["flow_id"])
    assert done["type"] == "create_entry"
    await settle()
    run = rig.supervisor.run
    assert run is not None
    assert run.is_active
    assert rig.stored["run"]["run_id"] == run.run_id
    assert rig.phases_fired()[0] == "engaging"
    assert rig.published(), "the levers were not sent"
    assert drift_issue(rig) is None  # fixed: the run is under way

    await rig.drive(lambda: rig.phase == "bulk", limit_s=900, what="bulk")
    assert rig.priorities() == CALIBRATING
    # While the run charges, the drifted counters do not raise the issue again.
    await rig.advance(60)
    assert drift_issue(rig) is None


@pytest.mark.parametrize(
    ("scenario", "reason"),
    [
        ("cold", "A battery is outside the 5 to 45 °C charging window: pack_"),
        ("imbalanced", "The battery voltages differ by "),
    ],
)
async def test_a_failing_preflight_refuses_with_its_reasons(
    rig: Rig, repairs: Repairs, reason: str
) -> None:
    await rig.advance(60)
    drift_issue_from_yesterday(rig)  # (the drift watch has not looked again since)

    result = await repairs.start(issue_id(rig))
    assert result["type"] == "abort"
    assert result["reason"] == "preflight_failed"
    assert result["description_placeholders"]["name"] == "Garage bank"
    checks = result["description_placeholders"]["checks"]
    assert checks.startswith(f"- {reason}"), checks
    assert "preflight_" not in checks  # translated, not the check's id
    assert_nothing_started(rig)
    assert drift_issue(rig) is not None  # not fixed: it stays


@pytest.mark.parametrize("profile", ["powermon_lvx"])
async def test_a_preflight_failing_at_confirmation_starts_nothing(
    rig: Rig, repairs: Repairs
) -> None:
    """The owner read the plan; before they confirmed, a pack's protection tripped."""
    await a_day_of_drift(rig)
    form = await repairs.start(issue_id(rig))
    assert form["step_id"] == "confirm"
    async_fire_mqtt_message(
        rig.hass, "homeassistant/sensor/lifepower4_5_protection/state", "over_temperature"
    )
    await settle()

    result = await repairs.submit(form["flow_id"])
    assert result["type"] == "abort"
    assert result["reason"] == "preflight_failed"
    checks = result["description_placeholders"]["checks"]
    assert checks.startswith("- A battery's protection is active: pack_5"), checks
    assert_nothing_started(rig)
    assert drift_issue(rig) is not None


@pytest.mark.parametrize("scenario", ["cold_derate"])
@pytest.mark.parametrize("profile", ["powermon_lvx"])
async def test_the_preflight_notes_are_shown_with_the_plan(rig: Rig, repairs: Repairs) -> None:
    """A cold bank may charge, slower: the form says so before the owner confirms."""
    await a_day_of_drift(rig)
    form = await repairs.start(issue_id(rig))
    assert form["step_id"] == "confirm"
    warnings = form["description_placeholders"]["warnings"]
    assert warnings.startswith("\n\n- The batteries are cold (pack_"), warnings
    assert "per 100 Ah" in warnings
    assert form["description_placeholders"]["plan"] == PLAN_TEXT
    assert_nothing_started(rig)


async def test_a_run_under_way_is_said_and_nothing_more_is_written(
    rig: Rig, repairs: Repairs
) -> None:
    drift_issue_from_yesterday(rig)
    started = await rig.call("run_calibration")
    assert started is not None
    await rig.drive(lambda: rig.phase == "bulk", limit_s=900, what="bulk")
    drift_issue_from_yesterday(rig)  # (as if the tick had not withdrawn it yet)
    sent = len(rig.published())

    result = await repairs.start(issue_id(rig))
    assert result["type"] == "abort"
    assert result["reason"] == "already_running"
    assert result["description_placeholders"] == {"name": "Garage bank", "phase": "Bulk charge"}
    assert len(rig.published()) == sent
    assert rig.supervisor.run.run_id == started["run_id"]
    assert rig.priorities() == CALIBRATING
    # The drift watch's next look withdraws the issue while the run is its fix.
    await rig.advance(60)
    assert drift_issue(rig) is None


def test_every_text_the_fix_flow_shows_is_translated() -> None:
    """hassfest's rule: a fixable issue's texts are its fix flow's; every reason it aborts with."""
    en = json.loads(
        (Path(__file__).parents[2] / "custom_components/eg4/translations/en.json").read_text()
    )
    issue = en["issues"]["soc_drift"]
    assert "description" not in issue
    confirm = issue["fix_flow"]["step"]["confirm"]
    assert confirm["title"]
    assert confirm["description"]
    source = (Path(__file__).parents[2] / "custom_components/eg4/repairs.py").read_text()
    reasons = set(re.findall(r'reason="([a-z_]+)"', source))
    assert reasons == {"not_loaded", "already_running", "preflight_failed", "refused"}
    for reason in reasons:
        assert issue["fix_flow"]["abort"][reason]
