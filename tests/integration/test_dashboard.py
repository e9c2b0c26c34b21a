"""The demo's dashboard (demo/dashboard.yaml) against the entities the demo's entry creates.

The demo entry is the powermon entry of these tests (same data, same title), so every entity
the dashboard names must exist here with a value, every row must carry a name short enough to
read beside its value, and the dashboard speaks of batteries as the devices do.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from typing import Any

import yaml
from homeassistant.const import STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from .conftest import POWERMON_DATA

ROOT = Path(__file__).resolve().parents[2]
DASHBOARD: dict[str, Any] = yaml.safe_load((ROOT / "demo" / "dashboard.yaml").read_text())
ENTITY_ID = re.compile(r"^(sensor|binary_sensor|select|number)\.eg4_\w+$")
# An entities-card row is about a third of a phone's width: longer names are cut off
# ("Battery char…" next to "Battery dis…").
MAX_ROW_NAME = 20


def cards(node: Any) -> list[dict[str, Any]]:
    """Every card of every view, stacks' children included."""
    found: list[dict[str, Any]] = []
    for card in node:
        found.append(card)
        found += cards(card.get("cards", []))
    return found


ALL_CARDS = [card for view in DASHBOARD["views"] for card in cards(view["cards"])]


def texts(node: Any) -> list[str]:
    """Every string of the dashboard."""
    if isinstance(node, dict):
        return [text for value in node.values() for text in texts(value)]
    if isinstance(node, list):
        return [text for value in node for text in texts(value)]
    return [node] if isinstance(node, str) else []


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
    shown = {text for text in texts(DASHBOARD) if ENTITY_ID.match(text)}
    assert len(shown) > 60
    problems = {
        entity_id: None if (state := hass.states.get(entity_id)) is None else state.state
        for entity_id in sorted(shown)
    }
    assert {
        entity_id: value
        for entity_id, value in problems.items()
        if value in (None, STATE_UNKNOWN, STATE_UNAVAILABLE)
    } == {}


def test_every_row_has_a_short_name() -> None:
    """Rows name what they show in a few words; the card's title says whose it is."""
    problems: list[str] = []
    for card in ALL_CARDS:
        if card["type"] not in ("entities", "glance", "history-graph"):
            continue
        names = []
        for row in card["entities"]:
            if isinstance(row, dict) and row.get("type") == "divider":
                continue
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
