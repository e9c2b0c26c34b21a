"""``eg4.charge_to`` against the digital twin, for both MQTT bridges (PI family, 10 A steps).

In process and deterministic on Home Assistant's mocked MQTT client (``twin_rig.Rig``): the
twin's healthy bank (six 100 Ah packs at 60 %, two LVX6048 units, 21:00) is charged to a
target by a deadline; the same supervision as the calibration holds the settings and puts
them back, confirmed by read-back.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from statistics import median
from typing import Any

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.typing import MqttMockHAClient

from simulator import ChargerPriority, OutputPriority, build_twin

from .system import PROFILES
from .twin_rig import STEP_S, Rig, rig_on_mocked_mqtt

EVERYDAY = [(OutputPriority.SBU, ChargerPriority.SOLAR_FIRST)] * 2
CHARGING = [(OutputPriority.SUB, ChargerPriority.SOLAR_AND_UTILITY)] * 2


@pytest.fixture
async def rig(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
    profile: str,
    scenario: str,
    twin_options: dict[str, float],
) -> AsyncIterator[Rig]:
    """The eg4 entry on the mocked MQTT client, the twin's face answering its commands."""
    spec = PROFILES[profile]
    twin = build_twin(scenario, inverters=2, packs=6, seed=0, **twin_options)
    async with rig_on_mocked_mqtt(
        hass,
        mqtt_mock,
        freezer,
        hass_storage,
        spec,
        twin,
        title=spec.title,
        unique_id=f"twin:{profile}",
        kind=Rig,
    ) as rig:
        yield rig


@pytest.fixture
def scenario() -> str:
    """A healthy bank at 60 %, everyday settings, 21:00."""
    return "healthy"


def deadline_in(hours: float) -> str:
    """A deadline as the action's form sends it."""
    return (dt_util.now() + timedelta(hours=hours)).strftime("%Y-%m-%d %H:%M:%S")


def bank_soc(rig: Rig) -> float:
    """The packs' median reading, as the planner takes it."""
    return float(median(rig.twin.soc_readings()))


def currents(rig: Rig) -> list[tuple[float, float]]:
    """Each unit's (charge, utility charge) current setting in the twin."""
    return [
        (inv.settings.max_charge_current_a, inv.settings.max_utility_charge_current_a)
        for inv in rig.twin.inverters
    ]


@pytest.mark.parametrize(
    ("target", "hours", "per_unit"),
    [(80, 4.0, 20), (90, 4.0, 30), (75, 8.0, 10)],
)
async def test_reaches_the_target_by_the_deadline_at_the_planned_current(
    rig: Rig, target: int, hours: float, per_unit: float
) -> None:
    """The lowest step that gets there, held until the target, then everything put back."""
    before = currents(rig)
    response = await rig.call("charge_to", target_soc=target, deadline=deadline_in(hours))
    assert response is not None
    charge = response["charge"]
    assert charge["per_unit_current_a"] == per_unit
    assert charge["current_a"] == 2 * per_unit
    assert charge["duration_min"] <= hours * 60
    assert f"at {2 * per_unit:g} A ({per_unit:g} A on each of 2 inverters)" in charge["message"]
    run_id = response["run_id"]
    assert run_id
    assert rig.stored is not None
    assert rig.stored["run"]["kind"] == "charge_to"  # on record before the first write

    await rig.drive(lambda: rig.phase == "bulk", limit_s=900, what="charging")
    assert rig.priorities() == CHARGING
    assert currents(rig) == [(per_unit, per_unit)] * 2
    took = await rig.drive(lambda: rig.phase == "reverting", limit_s=hours * 3600 + 600)
    assert took <= hours * 3600
    assert bank_soc(rig) >= target  # the twin's own counters, when the run stopped
    await rig.drive(lambda: rig.supervisor.run is None, limit_s=600, what="the revert")

    assert rig.priorities() == EVERYDAY
    assert currents(rig) == before  # put back, confirmed by read-back
    last = rig.supervisor.last_charge_to
    assert last["run_id"] == run_id
    assert last["outcome"] == "succeeded"
    assert last["reason"] == "completed"
    assert last["reached_at"] <= last["deadline"]
    assert rig.supervisor.last is None  # the calibration's own record is left alone
    assert rig.stored["run"] is None
    assert rig.stored["last_charge_to"]["outcome"] == "succeeded"


@pytest.mark.parametrize(
    ("target", "minutes", "reason"),
    [(100, 30, "charge_to_too_little_time"), (55, 60, "charge_to_already_reached")],
)
async def test_an_impossible_target_is_refused_with_its_reason(
    rig: Rig, target: int, minutes: int, reason: str
) -> None:
    """Nothing is written; the error says what is missing."""
    sent = len(rig.published())
    with pytest.raises(ServiceValidationError) as err:
        await rig.call("charge_to", target_soc=target, deadline=deadline_in(minutes / 60))
    assert err.value.translation_key == reason
    assert rig.published()[sent:] == []
    assert rig.supervisor.run is None
    if reason == "charge_to_too_little_time":
        assert "the inverters' highest charge current gives the bank 160 A" in str(err.value)


async def test_dry_run_plans_and_writes_nothing(rig: Rig) -> None:
    """The plan comes back; no command, no stored run."""
    sent = len(rig.published())
    response = await rig.call("charge_to", target_soc=80, deadline=deadline_in(4), dry_run=True)
    assert response is not None
    assert response["dry_run"] is True
    assert response["run_id"] is None
    assert response["charge"]["per_unit_current_a"] == 20
    assert {item["setting"] for item in response["plan"]} >= {
        "max_charge_current",
        "output_priority",
    }
    await rig.advance(STEP_S)
    assert rig.published()[sent:] == []
    assert rig.supervisor.run is None
    assert rig.stored is None or rig.stored.get("run") is None
