"""Energy dashboard sensors through Home Assistant, each MQTT bridge fed by the twin.

lxp-bridge reports each unit's lifetime counters (shown as the bridge counts them), Solar
Assistant the system's day totals (the group's sensors) and powers per unit (integrated here),
powermon only powers (integrated here). The twin's own meter (the portal's,
``simulator.portal_energy``) is the truth the sensors are held to. Time is frozen and moves
with the twin; the energies are read from Home Assistant's states.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import async_fire_mqtt_message

from custom_components.eg4.const import DOMAIN
from custom_components.eg4.energy import EnergyKind
from simulator import build_twin
from simulator.portal_energy import EnergyMeter
from simulator.twin import TwinConfig
from tests.e2e.system import PROFILES, ProfileSpec
from tests.e2e.test_lxp_bridge_e2e import LXP
from tests.e2e.twin_rig import Rig, StartRig

SPECS: dict[str, ProfileSpec] = {**PROFILES, "lxp_bridge": LXP}
STEP_S = 60.0
# The meter's kind of each energy.
METER = {
    EnergyKind.PV: "Yielding",
    EnergyKind.BATTERY_CHARGE: "Charging",
    EnergyKind.BATTERY_DISCHARGE: "Discharging",
    EnergyKind.GRID_IMPORT: "Import",
    EnergyKind.GRID_EXPORT: "Export",
    EnergyKind.LOAD: "Usage",
}
# What each bridge gives each unit (counted: the bridge's counter; else integrated here).
UNIT_KINDS = {
    "lxp_bridge": set(EnergyKind),
    "solar_assistant": set(EnergyKind),
    "powermon_lvx": {
        EnergyKind.PV,
        EnergyKind.BATTERY_CHARGE,
        EnergyKind.BATTERY_DISCHARGE,
        EnergyKind.LOAD,
    },  # PI18 measures no grid power
}


class EnergyRig(Rig):
    """The rig with the twin's meter observed at every step, and the sensors' history."""

    meter: EnergyMeter
    history: dict[str, list[float]]

    def sensor(self, scope: str, key: str) -> str | None:
        """The entity id of ``key`` on ``system``, ``inverter_1``...; None if not created."""
        unique_id = f"{self.entry.entry_id}_{scope}_{key}"
        return er.async_get(self.hass).async_get_entity_id("sensor", DOMAIN, unique_id)

    def kwh(self, scope: str, kind: EnergyKind) -> float:
        entity_id = self.sensor(scope, kind)
        assert entity_id is not None, f"no {kind} on {scope}"
        state = self.hass.states.get(entity_id)
        assert state is not None
        assert state.state != STATE_UNAVAILABLE, f"{entity_id} is unavailable"
        return float(state.state)

    def truth(self, unit: int | None, kind: EnergyKind) -> float:
        units = [1, 2] if unit is None else [unit]
        return sum(self.meter.kwh([u])[METER[kind]] for u in units)

    async def run(self, seconds: float) -> None:
        for _ in range(int(seconds / STEP_S)):
            await self.advance(STEP_S)
            self.meter.observe()


@pytest.fixture(params=sorted(SPECS))
def profile(request: pytest.FixtureRequest) -> str:
    """Each MQTT bridge in turn."""
    return str(request.param)


@pytest.fixture
async def rig(
    start_rig: StartRig,
    profile: str,
) -> AsyncIterator[EnergyRig]:
    """The entry fed by a sunny morning's twin (09:00), its sensors' states recorded."""
    twin = build_twin("healthy", inverters=2, packs=6, seed=0, config=TwinConfig(start_hour=9.0))
    async with start_rig(
        SPECS[profile],
        twin,
        title=f"EG4 {profile}",
        unique_id=f"energy:{profile}",
        kind=EnergyRig,
    ) as rig:
        rig.meter = EnergyMeter(twin)
        rig.history = {}

        @callback
        def record(event: Event[Any]) -> None:
            new = event.data.get("new_state")
            energy = new is not None and new.attributes.get("device_class") == "energy"
            if energy and new.state not in (STATE_UNAVAILABLE, "unknown"):
                rig.history.setdefault(event.data["entity_id"], []).append(float(new.state))

        rig.unwatch.append(rig.hass.bus.async_listen("state_changed", record))
        yield rig


def assert_never_decreased(rig: EnergyRig) -> None:
    for entity_id, values in rig.history.items():
        assert values == sorted(values), f"{entity_id} went backwards: {values}"


async def test_each_bridge_has_energy_sensors_with_the_dashboards_class_and_unit(
    hass: HomeAssistant, rig: EnergyRig, profile: str
) -> None:
    await rig.run(5 * 60)
    for scope in ("inverter_1", "inverter_2", "system"):
        kinds = UNIT_KINDS[profile]
        for kind in EnergyKind:
            entity_id = rig.sensor(scope, kind)
            if kind not in kinds:
                assert entity_id is None, f"{profile} invents {kind} on {scope}"
                continue
            assert entity_id is not None, f"{profile}: no {kind} on {scope}"
            state = hass.states.get(entity_id)
            assert state is not None
            assert state.attributes["device_class"] == "energy"
            assert state.attributes["state_class"] == "total_increasing"
            assert state.attributes["unit_of_measurement"] == "kWh"
    for scope in ("inverter_1", "system"):
        battery = hass.states.get(rig.sensor(scope, "battery_power") or "")
        assert battery is not None
        assert battery.attributes["device_class"] == "power"
        assert battery.attributes["state_class"] == "measurement"
        assert battery.attributes["unit_of_measurement"] == "W"


async def test_a_morning_counts_what_the_twin_metered(
    hass: HomeAssistant, rig: EnergyRig, profile: str
) -> None:
    """Two hours of sun: every sensor within a step of the twin's own meter, none went back."""
    start = {
        (scope, kind): rig.kwh(scope, kind)
        for scope in ("inverter_1", "inverter_2", "system")
        for kind in UNIT_KINDS[profile]
    }
    before = {(u, k): rig.truth(u, k) for u in (1, 2, None) for k in EnergyKind}
    await rig.run(2 * 3600)
    assert rig.truth(None, EnergyKind.PV) > 5.0  # a sunny morning on two units
    for (scope, kind), first in start.items():
        unit = None if scope == "system" else int(scope[-1])
        metered = rig.truth(unit, kind) - before[(unit, kind)]
        counted = rig.kwh(scope, kind) - first
        if profile == "solar_assistant" and scope == "system":
            # Solar Assistant's own day totals, shown as it publishes them (0.1 kWh).
            assert rig.kwh(scope, kind) == pytest.approx(round(rig.truth(None, kind), 1))
            continue
        # Counters move in 0.1 kWh steps; an integral lags the meter by at most a step.
        assert counted == pytest.approx(metered, rel=0.03, abs=0.25), (scope, kind)
    assert_never_decreased(rig)


async def test_signed_powers_follow_home_assistants_convention(
    hass: HomeAssistant, rig: EnergyRig, profile: str
) -> None:
    """The battery is + while discharging, - while charging; the grid + while importing."""
    await rig.run(3600)
    flows = rig.twin.inverter(1).flows
    charging_w = flows.battery_current_a * flows.battery_v
    battery = float(hass.states.get(rig.sensor("inverter_1", "battery_power") or "").state)  # type: ignore[union-attr]
    assert battery == pytest.approx(-charging_w, rel=0.05, abs=15)
    grid_id = rig.sensor("inverter_1", "grid_power")
    if profile == "powermon_lvx":
        assert grid_id is None  # PI18 measures no grid power
    else:
        grid = hass.states.get(grid_id or "")
        assert grid is not None
        assert float(grid.state) == pytest.approx(flows.grid_in_w, abs=1)
    system = hass.states.get(rig.sensor("system", "battery_power") or "")
    assert system is not None
    both = sum(u.flows.battery_current_a * u.flows.battery_v for u in rig.twin.inverters)
    assert float(system.state) == pytest.approx(-both, rel=0.05, abs=30)


async def test_a_dropout_is_not_integrated_and_nothing_goes_backwards(
    hass: HomeAssistant, rig: EnergyRig, profile: str
) -> None:
    await rig.run(10 * 60)
    load = {scope: rig.kwh(scope, EnergyKind.LOAD) for scope in ("inverter_1", "system")}
    rig.twin.add_dropout(rig.twin.clock_s, 30 * 60)
    await rig.run(29 * 60)
    # Stale: the bridge said nothing for longer than the staleness timeout.
    entity_id = rig.sensor("inverter_1", EnergyKind.LOAD)
    assert hass.states.get(entity_id or "").state == STATE_UNAVAILABLE  # type: ignore[union-attr]
    await rig.run(STEP_S)  # the bridge is back
    dropout_load = rig.truth(1, EnergyKind.LOAD)
    await rig.run(10 * 60)
    after = rig.kwh("inverter_1", EnergyKind.LOAD) - load["inverter_1"]
    metered = rig.truth(1, EnergyKind.LOAD) - dropout_load
    if profile == "lxp_bridge":
        # The inverter counted through the dropout: its counter shows that energy, once.
        assert after == pytest.approx(rig.truth(1, EnergyKind.LOAD) - load["inverter_1"], abs=0.2)
    else:
        # Integrated here: the dropout's 30 minutes are not invented, the 10 after are counted.
        assert after == pytest.approx(metered, rel=0.05, abs=0.05)
    assert_never_decreased(rig)


async def test_a_restart_restores_the_energies_and_counts_nothing_twice(
    hass: HomeAssistant, rig: EnergyRig, profile: str
) -> None:
    await rig.run(30 * 60)
    before = {
        (scope, kind): rig.kwh(scope, kind)
        for scope in ("inverter_1", "system")
        for kind in UNIT_KINDS[profile]
    }
    await rig.unload()
    # Home Assistant is down for 20 minutes while the twin runs on.
    for _ in range(20):
        rig.tick(STEP_S)
        rig.meter.observe()
    down = {k: rig.truth(1, k) for k in EnergyKind}
    assert await hass.config_entries.async_setup(rig.entry.entry_id)
    await hass.async_block_till_done()
    for (scope, kind), value in before.items():  # restored before any new reading
        entity_id = rig.sensor(scope, kind)
        state = hass.states.get(entity_id or "")
        assert state is not None
        if state.state != STATE_UNAVAILABLE:
            assert float(state.state) == pytest.approx(value)
    await rig.run(30 * 60)
    for kind in UNIT_KINDS[profile]:
        shown = rig.kwh("inverter_1", kind)
        if profile == "lxp_bridge":
            # The unit's own counter covered the downtime: shown once, as the bridge counts.
            counter = rig.face.energy.kwh([1])[METER[kind]]  # type: ignore[attr-defined]
            assert shown == pytest.approx(counter, abs=0.01), kind
        else:  # integrated here: only the time Home Assistant saw
            grown = shown - before[("inverter_1", kind)]
            assert grown == pytest.approx(rig.truth(1, kind) - down[kind], rel=0.05, abs=0.1), kind
    assert_never_decreased(rig)


@pytest.mark.parametrize("profile", ["lxp_bridge"])
async def test_a_counter_glitching_to_zero_is_held_and_logged_once(
    hass: HomeAssistant, rig: EnergyRig, caplog: pytest.LogCaptureFixture
) -> None:
    """lxp-bridge sending zeros for a read that failed: nothing drops, one warning."""
    await rig.run(30 * 60)
    shown = rig.kwh("inverter_1", EnergyKind.PV)
    system = rig.kwh("system", EnergyKind.PV)
    assert shown > 0.5
    topic = f"lxp/{rig.face.datalogs[0]}/inputs/all"  # type: ignore[attr-defined]
    for _ in range(2):
        fields = rig.face.inputs_all(1)  # type: ignore[attr-defined]
        fields.update({key: 0.0 for key in fields if key.startswith("e_")})
        async_fire_mqtt_message(hass, topic, json.dumps(fields))
        await hass.async_block_till_done()
        assert rig.kwh("inverter_1", EnergyKind.PV) == shown
        assert rig.kwh("system", EnergyKind.PV) == system
        await rig.run(STEP_S)  # the real counter again
    warnings = [
        r
        for r in caplog.records
        if r.levelname == "WARNING" and "inverter_1 pv_energy" in r.message
    ]
    assert len(warnings) == 1, warnings
    assert rig.kwh("inverter_1", EnergyKind.PV) >= shown
    assert_never_decreased(rig)
