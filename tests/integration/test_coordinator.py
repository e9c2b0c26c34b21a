"""The coordinator: one message updates exactly the entities it concerns; a polled source's
errors read as Home Assistant's (reauth, retry with the reason)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from homeassistant.config_entries import SOURCE_REAUTH
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryAuthFailed, ConfigEntryNotReady
from homeassistant.helpers.update_coordinator import UpdateFailed
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_mqtt_message

from custom_components.eg4.const import DOMAIN
from custom_components.eg4.coordinator import Eg4Coordinator, transport_errors
from custom_components.eg4.model import SettingKey, SettingValue
from custom_components.eg4.transport.base import (
    Capabilities,
    MessageHandler,
    TransportAuthError,
    TransportError,
    TransportRateLimitedError,
    TransportUnavailableError,
)

PM = "homeassistant/sensor/lvx6048_{n}_{key}/state"
VOLTAGE = "sensor.eg4_lvx6048_inverter_{n}_battery_voltage"


async def test_a_message_updates_only_the_entities_it_concerns(
    hass: HomeAssistant, powermon_loaded: MockConfigEntry
) -> None:
    """Unit 1's battery voltage changes unit 1's sensor; unit 2's is not written at all."""
    # A State is updated in place when only its last_reported changes: keep the values.
    other = hass.states.get(VOLTAGE.format(n=2))
    state, reported = other.state, other.last_reported
    async_fire_mqtt_message(hass, PM.format(n=1, key="battery_voltage"), "51.7")
    await hass.async_block_till_done()
    assert hass.states.get(VOLTAGE.format(n=1)).state == "51.7"
    after = hass.states.get(VOLTAGE.format(n=2))
    assert (after.state, after.last_reported) == (state, reported)


async def test_an_unchanged_value_writes_no_state(
    hass: HomeAssistant, powermon_loaded: MockConfigEntry
) -> None:
    """The bridge republishing the same value costs no state write (the recorder stays quiet)."""
    entity_id = VOLTAGE.format(n=1)
    before = hass.states.get(entity_id)
    state, reported = before.state, before.last_reported
    async_fire_mqtt_message(hass, PM.format(n=1, key="battery_voltage"), state)
    await hass.async_block_till_done()
    assert hass.states.get(entity_id).last_reported == reported


async def test_an_untrusted_payload_leaves_the_state_and_is_counted(
    hass: HomeAssistant, powermon_loaded: MockConfigEntry
) -> None:
    entity_id = VOLTAGE.format(n=1)
    before = hass.states.get(entity_id).state
    async_fire_mqtt_message(hass, PM.format(n=1, key="battery_voltage"), "nan")
    await hass.async_block_till_done()
    assert hass.states.get(entity_id).state == before
    coordinator = powermon_loaded.runtime_data.coordinator
    assert coordinator.rejected["inverter:battery_voltage"] == 1


class PolledTransport:
    """A polled transport whose next poll raises what the test says."""

    def __init__(self) -> None:
        self.error: Exception | None = None

    capabilities = Capabilities(frozenset(), frozenset(), frozenset())
    inverter_count = 1
    pack_count = 0
    poll_interval = timedelta(seconds=60)

    async def async_poll(self) -> None:
        if self.error is not None:
            raise self.error

    async def async_start(self, handler: MessageHandler) -> None:
        """Nothing pushes."""

    async def async_stop(self) -> None:
        """Nothing to release."""

    async def async_send(
        self, key: SettingKey, value: SettingValue, unit: int | None, attempt: int = 0
    ) -> None:
        raise TransportError("not in this test")

    def encodings(self, key: SettingKey, value: SettingValue, unit: int | None) -> int:
        return 1

    def describe(self) -> dict[str, str | int]:
        return {}


@pytest.fixture
def polled(hass: HomeAssistant) -> tuple[Eg4Coordinator, PolledTransport, MockConfigEntry]:
    entry = MockConfigEntry(domain=DOMAIN, title="Polled", data={})
    entry.add_to_hass(hass)
    transport = PolledTransport()
    return Eg4Coordinator(hass, entry, transport), transport, entry  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("error", "key", "placeholders"),
    [
        (TransportUnavailableError("timed out"), "service_unavailable", {"error": "timed out"}),
        (TransportRateLimitedError(89.2), "rate_limited", {"seconds": "90"}),
    ],
)
async def test_a_failed_poll_says_why_and_retries(
    hass: HomeAssistant,
    polled: tuple[Eg4Coordinator, PolledTransport, MockConfigEntry],
    error: Exception,
    key: str,
    placeholders: dict[str, str],
) -> None:
    coordinator, transport, _ = polled
    transport.error = error
    await coordinator.async_refresh()
    assert not coordinator.last_update_success
    assert isinstance(coordinator.last_exception, UpdateFailed)
    assert coordinator.last_exception.translation_key == key
    assert coordinator.last_exception.translation_placeholders == placeholders
    transport.error = None
    await coordinator.async_refresh()
    assert coordinator.last_update_success


async def test_refused_credentials_at_a_poll_start_a_reauth(
    hass: HomeAssistant, polled: tuple[Eg4Coordinator, PolledTransport, MockConfigEntry]
) -> None:
    coordinator, transport, entry = polled
    transport.error = TransportAuthError("expired")
    await coordinator.async_refresh()
    await hass.async_block_till_done()
    assert not coordinator.last_update_success
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]
    assert flows[0]["context"]["entry_id"] == entry.entry_id


@pytest.mark.parametrize(
    ("error", "setup", "raised", "key"),
    [
        (TransportAuthError("no"), True, ConfigEntryAuthFailed, "auth_failed"),
        (TransportAuthError("no"), False, ConfigEntryAuthFailed, "auth_failed"),
        (TransportUnavailableError("down"), True, ConfigEntryNotReady, "service_unavailable"),
        (TransportUnavailableError("down"), False, UpdateFailed, "service_unavailable"),
        (TransportRateLimitedError(5), True, ConfigEntryNotReady, "rate_limited"),
        (TransportRateLimitedError(5), False, UpdateFailed, "rate_limited"),
    ],
)
def test_one_mapping_for_setup_and_refresh(
    error: Exception, setup: bool, raised: type[Exception], key: str
) -> None:
    """The same transport error reads the same at setup and at a refresh; only who retries
    differs (Home Assistant's setup retry, or the next refresh)."""
    with pytest.raises(raised) as info, transport_errors(setup=setup):
        raise error
    err: Any = info.value
    assert err.translation_domain == DOMAIN
    assert err.translation_key == key
    assert err.__cause__ is error


def test_other_errors_pass_through() -> None:
    with pytest.raises(ValueError, match="not a transport error"), transport_errors(setup=True):
        raise ValueError("not a transport error")
