"""The drift repair issue: raised when the counters stay drifted for a day, cleared when not.

The realistic powermon set is drifted (pack voltages equal at 53.40 V, SoC 50-55 % on packs
1-5 and 76 % on pack 6). The bridge keeps publishing while the clock moves; the entry's stale
timeout is an hour so the test can step half an hour at a time.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.eg4.const import CONF_STALE_TIMEOUT, DOMAIN

from .conftest import POWERMON_DATA, fire, load_messages

DRIFT = "binary_sensor.eg4_lvx6048_state_of_charge_drift"
SOC = "homeassistant/sensor/lifepower4_{n}_soc/state"
VOLTAGE = "homeassistant/sensor/lifepower4_{n}_pack_voltage/state"
STEP = timedelta(minutes=30)


class Bank:
    """The bridge's messages, with the pack readings a test changes."""

    def __init__(self, hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
        self.hass = hass
        self.freezer = freezer
        self.overrides: dict[str, str] = {}

    def publish(self) -> None:
        fire(
            self.hass,
            [
                (topic, self.overrides.get(topic, payload))
                for topic, payload in load_messages("powermon_lvx.json")
            ],
        )

    async def hours(self, hours: float) -> None:
        """Let time pass, the bridge publishing every half hour."""
        for _ in range(round(hours * 3600 / STEP.total_seconds())):
            self.freezer.tick(STEP)
            self.publish()
            async_fire_time_changed(self.hass)
            await self.hass.async_block_till_done()

    def set_socs(self, socs: dict[int, int]) -> None:
        self.overrides.update({SOC.format(n=n): str(soc) for n, soc in socs.items()})


@pytest.fixture
async def entry(hass: HomeAssistant, mqtt_mock: Any) -> MockConfigEntry:
    """The powermon entry with a one-hour stale timeout."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="EG4 lvx6048",
        data=dict(POWERMON_DATA),
        options={CONF_STALE_TIMEOUT: 3600},
        unique_id="powermon_lvx:drift",
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


@pytest.fixture
async def bank(hass: HomeAssistant, freezer: FrozenDateTimeFactory, entry: MockConfigEntry) -> Bank:
    """The bridge, having published once."""
    bank = Bank(hass, freezer)
    bank.publish()
    await bank.hours(0.5)
    return bank


def drift_issue(hass: HomeAssistant, entry: MockConfigEntry) -> ir.IssueEntry | None:
    return ir.async_get(hass).async_get_issue(DOMAIN, f"drift_{entry.entry_id}")


async def test_a_day_of_drift_suggests_a_calibration(
    hass: HomeAssistant, entry: MockConfigEntry, bank: Bank
) -> None:
    """No issue for the first 24 hours; then a warning naming the spread and the outlier."""
    assert hass.states.get(DRIFT).state == "on"
    await bank.hours(23)
    assert drift_issue(hass, entry) is None
    await bank.hours(1)
    issue = drift_issue(hass, entry)
    assert issue is not None
    assert issue.severity is ir.IssueSeverity.WARNING
    assert issue.translation_key == "soc_drift"
    assert issue.translation_placeholders == {"spread": "26", "pack": "6"}
    assert issue.is_fixable is True  # its fix flow starts a calibration
    assert issue.data == {"entry_id": entry.entry_id}

    # A full charge re-anchors the counters: the issue goes away on its own.
    bank.set_socs(dict.fromkeys(range(1, 7), 100))
    await bank.hours(0.5)
    assert hass.states.get(DRIFT).state == "off"
    assert drift_issue(hass, entry) is None


async def test_drift_that_clears_in_between_starts_the_day_again(
    hass: HomeAssistant, entry: MockConfigEntry, bank: Bank
) -> None:
    """Twenty hours of drift, an hour agreeing, twenty more: no issue yet."""
    await bank.hours(20)
    original = dict(bank.overrides)
    bank.set_socs({6: 53})  # pack 6 agrees with the others for a while
    await bank.hours(1)
    assert hass.states.get(DRIFT).state == "off"
    bank.overrides = original
    await bank.hours(20)
    await bank.hours(3.5)  # 44.5 h of drift in all, 23.5 h of it since it came back
    assert hass.states.get(DRIFT).state == "on"
    assert drift_issue(hass, entry) is None
    await bank.hours(1)
    assert drift_issue(hass, entry) is not None


async def test_a_real_imbalance_is_not_called_drift(
    hass: HomeAssistant, entry: MockConfigEntry, bank: Bank
) -> None:
    """When pack voltages disagree a calibration is not the answer: no drift issue."""
    bank.overrides[VOLTAGE.format(n=6)] = "53.90"
    await bank.hours(25)
    assert hass.states.get(DRIFT).state == "off"
    assert drift_issue(hass, entry) is None


async def test_silence_neither_starts_nor_ends_the_day(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, entry: MockConfigEntry, bank: Bank
) -> None:
    """Telemetry lost for hours: the drift seen before and after still adds up to a day."""
    await bank.hours(12)
    for _ in range(8):  # four hours without a message: every pack goes stale
        freezer.tick(STEP)
        async_fire_time_changed(hass)
        await hass.async_block_till_done()
    assert hass.states.get(DRIFT).state == "unavailable"
    assert drift_issue(hass, entry) is None
    await bank.hours(8.5)
    assert drift_issue(hass, entry) is not None


async def test_the_day_counts_across_a_restart(
    hass: HomeAssistant, entry: MockConfigEntry, bank: Bank, hass_storage: dict[str, Any]
) -> None:
    """Home Assistant restarting daily still raises the issue after a day of drift."""
    await bank.hours(16)
    stored = hass_storage[f"eg4.calibration.{entry.entry_id}"]["data"]
    assert stored["drift_since"] is not None
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    bank.publish()
    await bank.hours(7.5)
    assert drift_issue(hass, entry) is None
    await bank.hours(1)
    assert drift_issue(hass, entry) is not None
