"""Helpers for tests of verified writes."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import async_fire_time_changed


async def settle(rounds: int = 50) -> None:
    """Let pending callbacks run without waiting for blocked service calls."""
    for _ in range(rounds):
        await asyncio.sleep(0)


def start_call(
    hass: HomeAssistant, domain: str, service: str, data: dict[str, Any]
) -> asyncio.Task[Any]:
    """Start a blocking service call in the background."""
    return hass.async_create_task(hass.services.async_call(domain, service, data, blocking=True))


async def pass_time(hass: HomeAssistant, seconds: float) -> None:
    """Move Home Assistant's clock forward and fire the timers that fall due."""
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=seconds))
    await settle()


def published(mqtt_mock: Any) -> list[tuple[str, str, int, bool]]:
    """Every (topic, payload, qos, retain) our integration published."""
    return [tuple(call.args) for call in mqtt_mock.async_publish.call_args_list]
