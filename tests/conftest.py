"""Shared test setup.

The project's package is imported first: pytest-homeassistant-custom-component ships a
``custom_components`` package of its own, and importing ours here makes Home Assistant find
the ``eg4`` integration.
"""

import custom_components.eg4  # noqa: F401  # isort: skip
from collections.abc import Iterator
from typing import Any
from unittest.mock import PropertyMock, patch

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.typing import MqttMockHAClient

from tests.e2e.twin_rig import StartRig, rig_starter


@pytest.fixture(autouse=True)
def every_change_written(monkeypatch: pytest.MonkeyPatch) -> None:
    """Entries without an ``entity_interval`` option write every change (interval 0).

    The suite asserts what each message shows; coalescing has tests of its own
    (``tests/integration/test_coalesce.py``), which set the option or restore the default.
    """
    monkeypatch.setattr("custom_components.eg4.coordinator.DEFAULT_ENTITY_INTERVAL", 0)


@pytest.fixture
def start_rig(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
) -> StartRig:
    """Start the eg4 entry on a twin's bridge face: ``async with start_rig(spec, twin, ...)``."""
    return rig_starter(hass, mqtt_mock, freezer, hass_storage)


@pytest.fixture
def entity_registry_enabled_by_default() -> Iterator[None]:
    """Every entity set up on, those off by default too (as if the owner turned them on)."""
    with patch(
        "homeassistant.helpers.entity.Entity.entity_registry_enabled_default",
        new_callable=PropertyMock,
        return_value=True,
    ):
        yield
