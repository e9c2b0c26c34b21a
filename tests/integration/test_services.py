"""The actions (``services.py``): registered once, for administrators, on a chosen system.

What a run does is ``test_calibration_actions.py``'s subject; here: that both actions exist
with optional responses, that the form picks the system with Home Assistant's config-entry
selector, that only administrators may call them, and the translated refusals of a system that
is not there, not loaded, or not chosen.
"""

from __future__ import annotations

from typing import Any

import pytest
from homeassistant.core import Context, HomeAssistant, SupportsResponse
from homeassistant.exceptions import ServiceValidationError, Unauthorized
from homeassistant.helpers.service import async_get_all_descriptions
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.typing import MqttMockHAClient

from custom_components.eg4.const import DOMAIN
from tests.integration.test_calibration_actions import (  # noqa: F401
    CANCEL,
    RUN,
    Bench,
    bench,
    profile,
    scenario,
)


async def test_both_actions_are_registered_with_optional_responses(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    """The actions exist once the integration is set up, before any system is added."""
    assert await async_setup_component(hass, DOMAIN, {})
    for service in (RUN, CANCEL):
        assert hass.services.has_service(DOMAIN, service)
        assert hass.services.supports_response(DOMAIN, service) is SupportsResponse.OPTIONAL


async def test_the_form_chooses_the_system_with_the_config_entry_selector(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    """Both actions offer the eg4 entries to choose from, and may leave the choice out."""
    assert await async_setup_component(hass, DOMAIN, {})
    descriptions = await async_get_all_descriptions(hass)
    for service in (RUN, CANCEL):
        field = descriptions[DOMAIN][service]["fields"]["config_entry_id"]
        assert field["selector"] == {"config_entry": {"integration": DOMAIN}}
        assert field["required"] is False


async def test_without_any_system_the_refusal_says_so(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    """No eg4 entry at all: a translated refusal, not a crash."""
    assert await async_setup_component(hass, DOMAIN, {})
    for service in (RUN, CANCEL):
        with pytest.raises(ServiceValidationError) as caught:
            await hass.services.async_call(DOMAIN, service, {}, blocking=True, return_response=True)
        assert caught.value.translation_key == "no_config_entry"
        assert str(caught.value).startswith("No EG4 system is set up")


async def test_only_administrators_may_calibrate(
    hass: HomeAssistant, bench: Bench, hass_admin_user: Any
) -> None:
    """A non-admin user is refused both actions; an admin may call them."""
    user = await hass.auth.async_create_user("x", group_ids=["system-users"])
    assert not user.is_admin
    context = Context(user_id=user.id)
    with pytest.raises(Unauthorized):
        await bench.call(RUN, context=context)
    with pytest.raises(Unauthorized):
        await bench.call(RUN, context=context, dry_run=True)
    with pytest.raises(Unauthorized):
        await bench.call(CANCEL, context=context)
    assert bench.published() == []
    assert bench.stored is None

    assert hass_admin_user.is_admin
    assert not hass_admin_user.is_owner
    admin = Context(user_id=hass_admin_user.id)
    dry = await bench.call(RUN, context=admin, dry_run=True)
    assert dry is not None
    assert dry["preflight"]["ok"] is True
    run = await bench.call(RUN, context=admin)
    assert run is not None
    assert run["run_id"]


@pytest.mark.parametrize("profile", ["powermon_lvx"])
async def test_unknown_or_unloaded_entries_are_refused(
    hass: HomeAssistant, bench: Bench, mqtt_mock: MqttMockHAClient
) -> None:
    """An id that is no eg4 entry, or an entry that is not loaded, is refused."""
    mqtt_entry = hass.config_entries.async_entries("mqtt")[0]
    for entry_id in ("no-such-entry", mqtt_entry.entry_id):
        for service in (RUN, CANCEL):
            with pytest.raises(ServiceValidationError) as caught:
                await bench.call(service, config_entry_id=entry_id)
            assert caught.value.translation_key == "invalid_config_entry"
            assert caught.value.translation_placeholders == {"entry_id": entry_id}
            assert entry_id in str(caught.value)
    assert await hass.config_entries.async_unload(bench.entry.entry_id)
    await hass.async_block_till_done()
    for service in (RUN, CANCEL):
        with pytest.raises(ServiceValidationError) as caught:
            await bench.call(service)
        assert caught.value.translation_key == "unloaded_config_entry"
        assert bench.entry.title in str(caught.value)
    assert bench.published() == []
