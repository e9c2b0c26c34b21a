"""The demo's dashboard (demo/dashboard.yaml) against the entities the demo's entry creates.

The demo entry is the powermon entry of these tests (same data, same title), so every entity
the dashboard names must exist here with a value, every row must carry a name short enough to
read beside its value, and the dashboard speaks of batteries as the devices do. Conditional
cards and rows (the calibration view) show only while their conditions hold: what they show
must have a value then, during a calibration of the twin and after it.
"""

from __future__ import annotations

import importlib.util
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from homeassistant.const import STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from simulator import build_twin
from tests.e2e.system import PROFILES
from tests.e2e.twin_rig import Rig, StartRig

from .conftest import POWERMON_DATA

ROOT = Path(__file__).resolve().parents[2]
DASHBOARD: dict[str, Any] = yaml.safe_load((ROOT / "demo" / "dashboard.yaml").read_text())
ENTITY_ID = re.compile(r"^(sensor|binary_sensor|select|number|button)\.eg4_\w+$")
NO_VALUE = (None, STATE_UNKNOWN, STATE_UNAVAILABLE)
# An entities-card row is about a third of a phone's width: longer names are cut off
# ("Battery char…" next to "Battery dis…").
MAX_ROW_NAME = 20


def cards(node: Any) -> list[dict[str, Any]]:
    """Every card of every view, stacks' and conditional cards' children included."""
    found: list[dict[str, Any]] = []
    for card in node:
        found.append(card)
        found += cards(card.get("cards", []))
        found += cards([card["card"]] if "card" in card else [])
    return found


ALL_CARDS = [card for view in DASHBOARD["views"] for card in cards(view["cards"])]


def texts(node: Any) -> list[str]:
    """Every string of the dashboard."""
    if isinstance(node, dict):
        return [text for value in node.values() for text in texts(value)]
    if isinstance(node, list):
        return [text for value in node for text in texts(value)]
    return [node] if isinstance(node, str) else []


def holds(hass: HomeAssistant, conditions: list[dict[str, Any]]) -> bool:
    """Whether every state condition of a conditional card or row holds now."""
    for condition in conditions:
        assert set(condition) <= {"condition", "entity", "state", "state_not"}, condition
        state = hass.states.get(condition["entity"])
        value = None if state is None else state.state
        if "state" in condition and value != condition["state"]:
            return False
        if "state_not" in condition and value == condition["state_not"]:
            return False
    return True


def shown(hass: HomeAssistant, node: Any) -> list[dict[str, Any]]:
    """The rows and cards the frontend shows now (conditional ones when they hold)."""
    if isinstance(node, list):
        return [item for value in node for item in shown(hass, value)]
    if not isinstance(node, dict):
        return []
    if node.get("type") == "conditional":
        if not holds(hass, node["conditions"]):
            return []
        return shown(hass, node.get("card", node.get("row")))
    children = [node.get(key, []) for key in ("cards", "entities", "views")]
    return [node, *(item for child in children for item in shown(hass, child))]


def missing(hass: HomeAssistant) -> dict[str, Any]:
    """What the dashboard shows now without a value: entities, and attributes of attribute rows."""
    out: dict[str, Any] = {}
    for item in shown(hass, DASHBOARD):
        entity_id = item.get("entity")
        if not isinstance(entity_id, str) or not ENTITY_ID.match(entity_id):
            continue
        state = hass.states.get(entity_id)
        value = None if state is None else state.state
        # A button's state is when it was last pressed: its row shows "Press" whatever.
        pressable = entity_id.startswith("button.") and value == STATE_UNKNOWN
        if item.get("type") == "attribute":
            if state is None or state.attributes.get(item["attribute"]) is None:
                out[f"{entity_id}[{item['attribute']}]"] = None
        elif value in NO_VALUE and not pressable:
            out[entity_id] = value
    return out


def calibration_view() -> dict[str, Any]:
    """The dashboard's calibration view."""
    return next(view for view in DASHBOARD["views"] if view["path"] == "calibration")


def test_the_demo_entry_is_the_tested_entry(powermon_entry: MockConfigEntry) -> None:
    path = ROOT / "scripts" / "lib" / "demo_setup.py"
    spec = importlib.util.spec_from_file_location("eg4_demo_setup", path)
    assert spec is not None
    assert spec.loader is not None
    demo_setup = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(demo_setup)
    assert demo_setup.EG4_DATA == POWERMON_DATA
    assert powermon_entry.title == demo_setup.EG4_TITLE


async def test_every_entity_on_the_dashboard_has_a_value(
    hass: HomeAssistant, powermon_loaded: MockConfigEntry
) -> None:
    named = {text for text in texts(DASHBOARD) if ENTITY_ID.match(text)}
    assert len(named) > 60
    assert all(hass.states.get(entity_id) is not None for entity_id in named)
    assert missing(hass) == {}
    # No calibration has run: the calibration view says how to start one, and nothing else.
    assert [item["type"] for item in shown(hass, calibration_view()["cards"])] == ["markdown"]


@pytest.fixture
async def rig(
    start_rig: StartRig,
) -> AsyncIterator[Rig]:
    """The demo's entry (title and all) fed by the drifted twin, as in the demo."""
    spec = PROFILES["powermon_lvx"]
    twin = build_twin("drifted", inverters=2, packs=6, seed=0)
    async with start_rig(
        spec,
        twin,
        title=spec.title,
        unique_id="dashboard:powermon_lvx",
        kind=Rig,
    ) as rig:
        yield rig


def titles(hass: HomeAssistant) -> list[str]:
    """The titles of the calibration view's cards shown now."""
    return [item["title"] for item in shown(hass, calibration_view()["cards"]) if "title" in item]


async def test_the_calibration_view_follows_a_run(hass: HomeAssistant, rig: Rig) -> None:
    """During a run: the progress and the watch values; after it: how it ended."""
    assert rig.entry.title == "EG4 lvx6048"  # the demo's entity ids
    await rig.call("run_calibration", taper_hold="00:01:00", verify_hold="00:01:00")
    await rig.drive(lambda: rig.phase == "bulk", limit_s=900, what="bulk")
    assert titles(hass) == [
        "Calibration running",
        "Battery current",
        "Battery state of charge",
    ]
    assert missing(hass) == {}
    rows = [item.get("name") for item in shown(hass, calibration_view()["cards"])]
    assert "Expected end" in rows
    assert "Taper hold ends" not in rows  # not begun: not shown rather than unknown
    assert "Cancel" in rows

    run = rig.supervisor.run
    await rig.drive(lambda: run.taper_since is not None, limit_s=5 * 3600, what="the taper")
    rows = [item.get("name") for item in shown(hass, calibration_view()["cards"])]
    assert "Taper hold ends" in rows
    assert missing(hass) == {}

    await rig.drive(lambda: rig.supervisor.run is None, limit_s=3600, what="the end")
    assert titles(hass) == ["Last calibration"]
    assert missing(hass) == {}
    assert hass.states.get("sensor.eg4_lvx6048_last_calibration_result").state == "succeeded"


def test_every_row_has_a_short_name() -> None:
    """Rows name what they show in a few words; the card's title says whose it is."""
    problems: list[str] = []
    for card in ALL_CARDS:
        if card["type"] not in ("entities", "glance", "history-graph"):
            continue
        names = []
        for item in card["entities"]:
            if isinstance(item, dict) and item.get("type") == "divider":
                continue
            row = item.get("row", item) if isinstance(item, dict) else item  # conditional rows
            name = row.get("name") if isinstance(row, dict) else None
            if not name or len(name) > MAX_ROW_NAME:
                problems.append(f"{card.get('title')}: {row!r}")
            names.append(name)
        if len(set(names)) != len(names):
            problems.append(f"{card.get('title')}: two rows share a name: {names}")
    assert problems == []


def test_the_dashboard_calls_a_battery_a_battery() -> None:
    """The devices are "Battery 1" ... "Battery 6"; the dashboard says the same."""
    bare = re.compile(r"(?<!battery )\bpacks?\b", re.IGNORECASE)
    wording = [text for text in texts(DASHBOARD) if not ENTITY_ID.match(text)]
    assert [text for text in wording if bare.search(text)] == []
