"""A full cloud run end to end: Home Assistant -> real client -> simulated portal -> twin.

One entry is set up against the simulator's portal on 127.0.0.1 and lives through what a day
brings: steady polls while the twin moves, a charge-current change, a grid charge engaged and
reverted through the charger-priority select, both kinds of session expiry, a lost dongle, and
diagnostics. The whole run is logged at DEBUG and the log must not hold the password or any
session cookie the portal handed out. The transport runs with its production read-back delays
(nothing here waits: the twin applies writes at once).
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.eg4.const import DOMAIN
from custom_components.eg4.transport import cloud as cloud_transport
from simulator import OutputPriority, build_twin
from simulator.cloud_api import CloudApiServer
from tests.integration.conftest import entries_on

from .system import cloud_entry

USERNAME = "owner@example.net"
PASSWORD = "Tr0ub4dor&3-secret"  # noqa: S105 - test credentials
SCAN_S = 60
LOGIN = "/WManage/api/login"


@pytest.fixture
async def portal(socket_enabled: None) -> AsyncIterator[CloudApiServer]:
    """The simulated portal: two 18kPV in parallel, six drifted packs."""
    twin = build_twin("drifted", inverters=2, packs=6, seed=0)
    twin.force_settings(max_charge_current=60)
    server = CloudApiServer(twin, username=USERNAME, password=PASSWORD)
    await server.start()
    yield server
    await server.stop()


def issued_cookies(portal: CloudApiServer) -> set[str]:
    """The JSESSIONID values the portal currently knows (read before each expiry)."""
    return set(portal._sessions)  # the simulator keeps them private


class Run:
    """The running entry and a few shortcuts."""

    def __init__(self, hass: HomeAssistant, portal: CloudApiServer, entry: MockConfigEntry):
        self.hass = hass
        self.portal = portal
        self.entry = entry
        self.cookies: set[str] = set()

    def entity_id(self, platform: str, scope: str, key: str) -> str:
        found = er.async_get(self.hass).async_get_entity_id(
            platform, DOMAIN, f"{self.entry.entry_id}_{scope}_{key}"
        )
        assert found is not None
        return found

    def state(self, platform: str, scope: str, key: str) -> str:
        current = self.hass.states.get(self.entity_id(platform, scope, key))
        assert current is not None
        return current.state

    def states(self) -> list[str]:
        """Every entity's state but the cancel button's (available only while a run is) and
        those off by default."""
        return [
            self.hass.states.get(item.entity_id).state  # type: ignore[union-attr]
            for item in entries_on(self.hass, self.entry.entry_id)
            if item.domain != "button"
        ]

    async def poll(self, twin_seconds: float = SCAN_S) -> int:
        """Move the twin, fire the refresh timer; return the requests the poll cost."""
        self.cookies |= issued_cookies(self.portal)
        before = self.portal.total_requests
        self.portal.twin.step(twin_seconds)
        async_fire_time_changed(self.hass, dt_util.utcnow() + timedelta(seconds=SCAN_S + 1))
        await self.hass.async_block_till_done(wait_background_tasks=True)
        self.cookies |= issued_cookies(self.portal)
        return self.portal.total_requests - before

    async def set_number(self, key: str, value: float) -> None:
        await self.hass.services.async_call(
            "number",
            "set_value",
            {"entity_id": self.entity_id("number", "system", key), "value": value},
            blocking=True,
        )
        self.cookies |= issued_cookies(self.portal)

    async def select(self, key: str, option: str) -> None:
        await self.hass.services.async_call(
            "select",
            "select_option",
            {"entity_id": self.entity_id("select", "system", key), "option": option},
            blocking=True,
        )
        self.cookies |= issued_cookies(self.portal)


async def test_full_cloud_run(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    portal: CloudApiServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    assert cloud_transport.READBACK_DELAYS == (0.0, 3.0, 10.0)  # production delays
    entry = cloud_entry(portal, username=USERNAME, password=PASSWORD, scan_interval=SCAN_S)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    run = Run(hass, portal, entry)

    # Steady state: every entity live, 3 requests per refresh (2 runtimes + the bank).
    assert STATE_UNAVAILABLE not in run.states()
    assert [await run.poll() for _ in range(5)] == [3] * 5
    assert run.state("number", "system", "max_charge_current") == "60"

    # Charge current to 80 A on both units, confirmed by read-back.
    await run.set_number("max_charge_current", 80)
    assert [portal.twin.inverter(u).settings.max_charge_current_a for u in (1, 2)] == [80, 80]
    assert run.state("number", "system", "max_charge_current") == "80"

    # Grid charge through the select; the bank charges; then back to solar first.
    await run.select("charger_priority", "solar_and_utility")
    assert [portal.twin.inverter(u).settings.output_priority for u in (1, 2)] == [
        OutputPriority.SUB
    ] * 2
    assert await run.poll(600) == 3
    assert float(run.state("sensor", "inverter_1", "battery_current")) > 0
    assert float(run.state("sensor", "pack_1", "current")) > 0

    # The portal forgets the session (HTML login page): one re-login, entities stay.
    portal.expire_sessions("html")
    assert await run.poll() == 3 + 1 + 3
    assert STATE_UNAVAILABLE not in run.states()

    # Expired again (HTTP 401) just before the revert: the write re-logs in and confirms.
    portal.expire_sessions("401")
    await run.select("charger_priority", "solar_first")
    assert [portal.twin.inverter(u).settings.output_priority for u in (1, 2)] == [
        OutputPriority.SBU
    ] * 2
    assert run.state("select", "system", "charger_priority") == "solar_first"
    assert portal.logins == 3

    # A lost dongle: its entities go unavailable, then come back.
    portal.set_offline(portal.serials[1])
    await run.poll()
    assert run.state("sensor", "inverter_2", "battery_voltage") == STATE_UNAVAILABLE
    assert run.state("sensor", "pack_1", "soc") != STATE_UNAVAILABLE
    portal.set_offline(portal.serials[1], offline=False)
    assert await run.poll() == 3
    assert STATE_UNAVAILABLE not in run.states()

    diag = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()

    # Nothing secret in the log of the whole run, nor in the diagnostics.
    cookies = run.cookies
    assert len(cookies) == 3  # one per login
    log = caplog.text
    assert "POST /WManage/api/login -> HTTP 200" in log  # DEBUG records were captured
    assert "session expired, logging in again" in log
    assert [secret for secret in (PASSWORD, *cookies) if secret in log] == []
    assert [secret for secret in (USERNAME, *portal.serials) if secret in log] == []
    dumped = json.dumps(diag)
    assert [s for s in (PASSWORD, USERNAME, *cookies, *portal.serials) if s in dumped] == []
