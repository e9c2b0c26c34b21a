"""The bridges' energy counters follow the twin: lxp-bridge's e_*_all, Solar Assistant's totals.

Both faces read the portal's own meter (simulator.portal_energy), so a day on the twin shows
the same energies on every face and on the portal; lifetime counters only grow, Solar
Assistant's day counters restart at the twin's midnight.
"""

from __future__ import annotations

import json

import pytest

from simulator import build_twin
from simulator.faces.lxp_bridge import LxpBridgeFace
from simulator.faces.solar_assistant import SolarAssistantFace
from simulator.portal_energy import EnergyMeter
from simulator.twin import TwinConfig

STEP_S = 60.0


def lxp_counters(face: LxpBridgeFace, unit: int) -> dict[str, float]:
    topic = f"lxp/{face.datalogs[unit - 1]}/inputs/all"
    message = next(m for m in face.telemetry() if m.topic == topic)
    fields = json.loads(message.payload)
    return {key: value for key, value in fields.items() if key.endswith("_all")}


def sa_totals(face: SolarAssistantFace) -> dict[str, float]:
    head = "solar_assistant/total/"
    return {
        m.topic[len(head) : -len("/state")]: float(m.payload)
        for m in face.telemetry()
        if m.topic.startswith(head) and "energy" in m.topic
    }


def test_lxp_bridge_lifetime_counters_grow_with_the_twin_and_match_the_portal() -> None:
    twin = build_twin("healthy", inverters=2, packs=2, config=TwinConfig(start_hour=6.0))
    face = LxpBridgeFace(twin)
    portal = EnergyMeter(twin)  # what the cloud would report for the same twin
    history: list[dict[str, float]] = []
    for _ in range(int(8 * 3600 / STEP_S)):  # 06:00 to 14:00: sun, load, charge
        twin.step(STEP_S)
        portal.observe()
        history.append(lxp_counters(face, 1))
    for key in history[0]:
        series = [h[key] for h in history]
        assert series == sorted(series), f"{key} went backwards"
    last = history[-1]
    kwh = portal.kwh([1])
    assert last["e_pv_all"] == kwh["Yielding"] > 1.0  # a morning of sun on unit 1
    assert last["e_inv_all"] == kwh["Usage"] > 1.0
    assert last["e_chg_all"] == kwh["Charging"]
    assert last["e_dischg_all"] == kwh["Discharging"]
    assert last["e_to_user_all"] == kwh["Import"]
    assert last["e_to_grid_all"] == 0.0  # the twin never exports


def test_solar_assistant_totals_are_the_systems_day_and_restart_at_midnight() -> None:
    twin = build_twin("healthy", inverters=2, packs=2, config=TwinConfig(start_hour=20.0))
    face = SolarAssistantFace(twin)
    seen: list[dict[str, float]] = []
    for _ in range(int(6 * 3600 / STEP_S)):  # 20:00 to 02:00
        twin.step(STEP_S)
        seen.append(sa_totals(face))
    assert set(seen[0]) == {
        "pv_energy",
        "battery_energy_in",
        "battery_energy_out",
        "grid_energy_in",
        "grid_energy_out",
        "load_energy",
    }
    loads = [s["load_energy"] for s in seen]
    midnight = int(4 * 3600 / STEP_S) - 1  # the step that crosses 00:00
    assert loads[:midnight] == sorted(loads[:midnight])
    assert loads[midnight - 1] > 4.0  # four evening hours of the house's load
    assert loads[midnight] < 0.1 * loads[midnight - 1]  # a new day
    assert loads[midnight:] == sorted(loads[midnight:])
    both = face.energy.kwh([1, 2], "today")["Usage"]
    assert loads[-1] == pytest.approx(round(both, 1))


def test_a_dropout_hides_the_counters_but_the_inverter_keeps_counting() -> None:
    twin = build_twin("healthy", inverters=1, packs=1, config=TwinConfig(start_hour=12.0))
    face = LxpBridgeFace(twin)
    twin.step(STEP_S)
    before = lxp_counters(face, 1)["e_inv_all"]
    twin.add_dropout(twin.clock_s, 3600.0)
    for _ in range(59):
        twin.step(STEP_S)
        assert face.telemetry() == []
    twin.step(2 * STEP_S)
    after = lxp_counters(face, 1)["e_inv_all"]
    assert after - before == pytest.approx(face.energy.kwh([1])["Usage"] - before)
    assert after - before >= 1.0  # an hour of the house's load, counted through the dropout
