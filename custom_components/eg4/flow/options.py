"""The options flow: timeouts, poll interval, new units and packs, write budget, entity interval.

``entity_interval`` is how often a measurement entity may write its state (``fanout.py``).
MQTT entries take units and packs that start publishing after set-up (dynamic.py) unless the
``add_new_sources`` option is off. New options reload the entry, which would end a running
calibration: while one runs the flow refuses, when opened and again when submitted.
"""

from __future__ import annotations

from typing import Any

import voluptuous as vol
from homeassistant.config_entries import ConfigFlowResult, OptionsFlow
from homeassistant.helpers.selector import (
    BooleanSelector,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
)

from ..budget import DEFAULT_PER_HOUR
from ..const import (
    CONF_ADD_NEW_SOURCES,
    CONF_CONFIRM_TIMEOUT,
    CONF_ENTITY_INTERVAL,
    CONF_SCAN_INTERVAL,
    CONF_STALE_TIMEOUT,
    CONF_TRANSPORT,
    CONF_WRITE_BUDGET,
    DEFAULT_CONFIRM_TIMEOUT,
    DEFAULT_ENTITY_INTERVAL,
    DEFAULT_SCAN_INTERVAL,
    DEFAULT_STALE_TIMEOUT,
    MAX_CONFIRM_TIMEOUT,
    MAX_ENTITY_INTERVAL,
    MAX_SCAN_INTERVAL,
    MAX_STALE_TIMEOUT,
    MAX_WRITE_BUDGET,
    MIN_CONFIRM_TIMEOUT,
    MIN_SCAN_INTERVAL,
    MIN_STALE_TIMEOUT,
    TRANSPORT_CLOUD,
)
from .base import (
    ABORT_CALIBRATION_RUNNING,
    calibration_running,
    calibration_running_placeholders,
)


class Eg4OptionsFlow(OptionsFlow):
    """Timeouts, the cloud's poll interval, new sources, and the owner's writes per hour."""

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Show and store the options (refused while a calibration runs on the entry)."""
        if calibration_running(self.config_entry):
            return self.async_abort(
                reason=ABORT_CALIBRATION_RUNNING,
                description_placeholders=calibration_running_placeholders(self.config_entry),
            )
        errors: dict[str, str] = {}
        if user_input is not None:
            data = {
                key: value if isinstance(value, bool) else int(value)
                for key, value in user_input.items()
            }
            stale = data.get(CONF_STALE_TIMEOUT, DEFAULT_STALE_TIMEOUT)
            if data.get(CONF_ENTITY_INTERVAL, 0) >= stale:
                # A value would wait longer to be shown than a silent source takes to go stale.
                errors[CONF_ENTITY_INTERVAL] = "entity_interval_too_long"
            else:
                return self.async_create_entry(data=data)
        options = {**self.config_entry.options, **(user_input or {})}
        fields: dict[vol.Marker, Any] = {}
        if self.config_entry.data.get(CONF_TRANSPORT) == TRANSPORT_CLOUD:
            fields[
                vol.Required(
                    CONF_SCAN_INTERVAL,
                    default=options.get(CONF_SCAN_INTERVAL, DEFAULT_SCAN_INTERVAL),
                )
            ] = _seconds(MIN_SCAN_INTERVAL, MAX_SCAN_INTERVAL)
        fields[
            vol.Required(
                CONF_STALE_TIMEOUT, default=options.get(CONF_STALE_TIMEOUT, DEFAULT_STALE_TIMEOUT)
            )
        ] = _seconds(MIN_STALE_TIMEOUT, MAX_STALE_TIMEOUT)
        fields[
            vol.Required(
                CONF_CONFIRM_TIMEOUT,
                default=options.get(CONF_CONFIRM_TIMEOUT, DEFAULT_CONFIRM_TIMEOUT),
            )
        ] = _seconds(MIN_CONFIRM_TIMEOUT, MAX_CONFIRM_TIMEOUT)
        if self.config_entry.data.get(CONF_TRANSPORT) != TRANSPORT_CLOUD:
            fields[
                vol.Required(CONF_ADD_NEW_SOURCES, default=options.get(CONF_ADD_NEW_SOURCES, True))
            ] = BooleanSelector()
        fields[
            vol.Required(
                CONF_WRITE_BUDGET, default=options.get(CONF_WRITE_BUDGET, DEFAULT_PER_HOUR)
            )
        ] = NumberSelector(
            NumberSelectorConfig(min=0, max=MAX_WRITE_BUDGET, step=1, mode=NumberSelectorMode.BOX)
        )
        if self.config_entry.data.get(CONF_TRANSPORT) != TRANSPORT_CLOUD:  # polls pace the cloud
            fields[
                vol.Required(
                    CONF_ENTITY_INTERVAL,
                    default=options.get(CONF_ENTITY_INTERVAL, DEFAULT_ENTITY_INTERVAL),
                )
            ] = _seconds(0, MAX_ENTITY_INTERVAL)
        return self.async_show_form(step_id="init", data_schema=vol.Schema(fields), errors=errors)


def _seconds(minimum: int, maximum: int) -> NumberSelector:
    return NumberSelector(
        NumberSelectorConfig(
            min=minimum, max=maximum, step=1, unit_of_measurement="s", mode=NumberSelectorMode.BOX
        )
    )
