"""The README's entity table lists exactly the entities each bridge creates.

Each bridge is set up as a user would have it (two parallel inverters and their batteries, fed
realistic messages; the cloud against the simulated portal, for each model family), and the
entities it created, by device and translated name, are compared with the table between the
``entities`` markers of README.md: a ✓ in a bridge's column for each entity it creates, a ○
for one it creates off (disabled by default, until the owner turns it on).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from unittest.mock import patch

import pytest
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.eg4.const import DOMAIN
from custom_components.eg4.transport import cloud as cloud_transport
from simulator import build_twin
from simulator.cloud_api import CloudApiServer

from .conftest import setup_entry

README = Path(__file__).resolve().parents[2] / "README.md"
BEGIN, END = "<!-- entities:begin -->", "<!-- entities:end -->"
# README column -> the fixture that sets that bridge up.
COLUMNS = {
    "powermon + lvx-control": "powermon_loaded",
    "Solar Assistant": "solar_assistant_loaded",
    "lxp-bridge": "lxp_bridge_loaded",
    "Cloud: 18kPV, 12kPV, FlexBOSS": "cloud_hybrid_loaded",
    "Cloud: 6000XP, 12000XP": "cloud_off_grid_loaded",
}
DEVICES = {"system": "System", "inverter": "Each inverter", "pack": "Each battery"}
USERNAME = "solar@example.com"
PASSWORD = "correct horse battery staple"  # noqa: S105 - test credentials

type Row = tuple[str, str, str, bool]  # (device, entity name, platform, on by default)
ON, OFF = "✓", "○"


def readme_table() -> dict[str, set[Row]]:
    """The README's table: for each bridge column, the rows it marks with ✓ or ○."""
    text = README.read_text()
    assert BEGIN in text, f"README.md has no {BEGIN} marker"
    lines = [
        line.strip()
        for line in text.split(BEGIN, 1)[1].split(END, 1)[0].splitlines()
        if line.strip().startswith("|")
    ]
    header = [cell.strip() for cell in lines[0].strip("|").split("|")]
    assert header[:3] == ["Device", "Entity", "Platform"]
    assert header[3:] == list(COLUMNS)
    table: dict[str, set[Row]] = {column: set() for column in COLUMNS}
    for line in lines[2:]:
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        assert len(cells) == len(header), line
        device, name, platform = cells[0], cells[1].strip("*"), cells[2].strip("`")
        for column, mark in zip(header[3:], cells[3:], strict=True):
            assert mark in (ON, OFF, ""), f"{line}: {mark!r}"
            if mark:
                table[column].add((device, name, platform, mark == ON))
    return table


def created(hass: HomeAssistant, entry: MockConfigEntry) -> set[Row]:
    """What the entry created: (device, name, platform, on?) of every entity."""
    devices = dr.async_get(hass)
    rows: set[Row] = set()
    for entity in er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id):
        device = devices.async_get(entity.device_id) if entity.device_id else None
        assert device is not None, entity.entity_id
        (identifier,) = (ident for domain, ident in device.identifiers if domain == DOMAIN)
        scope = re.sub(r"_\d+$", "", identifier.removeprefix(f"{entry.entry_id}_"))
        assert entity.original_name, entity.entity_id
        on = entity.disabled_by is None
        rows.add((DEVICES[scope], entity.original_name, entity.domain, on))
    return rows


@pytest.fixture
def no_readback_waits() -> Iterator[None]:
    """The cloud transport reads a write back at once (no write happens here anyway)."""
    with patch.object(cloud_transport, "READBACK_DELAYS", (0.0, 0.0)):
        yield


async def _cloud(hass: HomeAssistant, model: str) -> AsyncIterator[MockConfigEntry]:
    twin = build_twin("drifted", inverters=2, packs=6, seed=0)
    portal = CloudApiServer(twin, username=USERNAME, password=PASSWORD, model=model)
    await portal.start()
    try:
        entry = MockConfigEntry(
            domain=DOMAIN,
            title="EG4 Home",
            data={
                "transport": "cloud",
                "server": portal.base_url,
                "username": USERNAME,
                "password": PASSWORD,
                "plant_id": 10001,
            },
            unique_id=f"cloud:{portal.base_url}:10001",
        )
        await setup_entry(hass, entry)
        yield entry
        await hass.config_entries.async_unload(entry.entry_id)
    finally:
        await portal.stop()


@pytest.fixture
async def cloud_hybrid_loaded(
    hass: HomeAssistant, socket_enabled: None, no_readback_waits: None
) -> AsyncIterator[MockConfigEntry]:
    """A cloud entry of two 18kPV units."""
    async for entry in _cloud(hass, "18KPV"):
        yield entry


@pytest.fixture
async def cloud_off_grid_loaded(
    hass: HomeAssistant, socket_enabled: None, no_readback_waits: None
) -> AsyncIterator[MockConfigEntry]:
    """A cloud entry of two 12000XP units."""
    async for entry in _cloud(hass, "12000XP"):
        yield entry


@pytest.fixture(params=list(COLUMNS))
def bridge(request: pytest.FixtureRequest) -> tuple[str, MockConfigEntry]:
    """Each bridge in turn (a sync fixture, so it can pick an async one by name)."""
    return request.param, request.getfixturevalue(COLUMNS[request.param])


async def test_readme_lists_what_each_bridge_creates(
    hass: HomeAssistant, bridge: tuple[str, MockConfigEntry]
) -> None:
    column, entry = bridge
    shown = created(hass, entry)
    listed = readme_table()[column]
    assert {
        "created but not in the README": sorted(shown - listed),
        "in the README but not created": sorted(listed - shown),
    } == {"created but not in the README": [], "in the README but not created": []}
