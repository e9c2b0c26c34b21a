"""MQTT bridge steps: choose the bridge, fill in its form, reconfigure its entry.

Every bridge-specific answer (fields, validation, unique id, title) comes from the bridge's
definition in :mod:`..profiles.registry`; nothing here names a bridge.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Mapping
from typing import TYPE_CHECKING, Any

import voluptuous as vol
from homeassistant.components import mqtt
from homeassistant.config_entries import SOURCE_IGNORE, ConfigFlowResult
from homeassistant.helpers.selector import (
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
)

from ..const import CONF_PROFILE
from ..profiles.bridge import Bridge, FieldKind
from ..profiles.registry import BRIDGES, bridge_of
from .base import FlowBase

if TYPE_CHECKING:
    from ..runtime import Eg4ConfigEntry

# "mqtt" is Home Assistant's MQTT-discovery step name, so the menu entry has its own.
STEP_LOCAL_MQTT = "local_mqtt"
STEP_RECONFIGURE = "reconfigure"


def bridge_schema(bridge: Bridge, values: Mapping[str, Any]) -> vol.Schema:
    """The bridge's form, pre-filled with ``values`` where given, else each field's default."""
    schema: dict[vol.Marker, Any] = {}
    for field in bridge.fields:
        value = values.get(field.key, field.default)
        if field.kind is FieldKind.OPTIONAL_TEXT:
            schema[vol.Optional(field.key, description={"suggested_value": value})] = TextSelector()
        elif field.kind is FieldKind.COUNT:
            schema[vol.Required(field.key, default=value)] = NumberSelector(
                NumberSelectorConfig(min=1, max=field.maximum, step=1, mode=NumberSelectorMode.BOX)
            )
        else:
            schema[vol.Required(field.key, default=value)] = TextSelector()
    return vol.Schema(schema)


def _submitted(
    bridge: Bridge, user_input: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, str]]:
    """A submitted form as entry data, and its field errors (none when all is well)."""
    data = bridge.normalize(user_input)
    return data, bridge.validate(data)


class BridgeSteps(FlowBase):
    """The local MQTT side of the flow."""

    async def async_step_local_mqtt(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Choose the MQTT bridge."""
        if not mqtt.mqtt_config_entry_enabled(self.hass):
            return self.async_abort(reason="mqtt_not_configured")
        if user_input is not None:
            return await self._async_bridge_step(BRIDGES[user_input[CONF_PROFILE]], None)
        first = next(iter(BRIDGES))
        return self.async_show_form(
            step_id=STEP_LOCAL_MQTT,
            data_schema=vol.Schema(
                {
                    vol.Required(CONF_PROFILE, default=first): SelectSelector(
                        SelectSelectorConfig(
                            options=list(BRIDGES),
                            translation_key=CONF_PROFILE,
                            mode=SelectSelectorMode.LIST,
                        )
                    )
                }
            ),
        )

    async def _async_bridge_step(
        self, bridge: Bridge, user_input: dict[str, Any] | None
    ) -> ConfigFlowResult:
        """The bridge's own form (its step id is the bridge's name)."""
        return await self._async_bridge_form(bridge, bridge.name, user_input, {})

    async def _async_bridge_form(
        self,
        bridge: Bridge,
        step_id: str,
        user_input: dict[str, Any] | None,
        shown: Mapping[str, Any],
        *,
        raise_on_progress: bool = True,
        placeholders: Mapping[str, str] | None = None,
    ) -> ConfigFlowResult:
        """Show ``shown`` in the bridge's form; a valid submission creates the entry."""
        errors: dict[str, str] = {}
        if user_input is not None:
            data, errors = _submitted(bridge, user_input)
            if not errors:
                unique_id = bridge.unique_id(data)
                if any(
                    entry.unique_id == unique_id
                    for entry in self._async_current_entries(include_ignore=False)
                ):
                    return self.async_abort(reason="already_configured")
                await self.async_set_unique_id(unique_id, raise_on_progress=raise_on_progress)
                return self.async_create_entry(title=bridge.title(data), data=data)
        return self.async_show_form(
            step_id=step_id,
            data_schema=bridge_schema(bridge, user_input or shown),
            errors=errors,
            description_placeholders=placeholders,
        )

    def _known(self, bridge: Bridge, values: Mapping[str, Any]) -> bool:
        """Whether an entry, or an ignored discovery, already stands for this installation."""
        identity = bridge.identity(values)
        for entry in self._async_current_entries(include_ignore=True):
            if entry.source == SOURCE_IGNORE:
                if entry.unique_id == identity:
                    return True
            elif entry.data.get(CONF_PROFILE) == bridge.name and (
                bridge.identity(entry.data) == identity
            ):
                return True
        return False

    async def _async_reconfigure_bridge(
        self, entry: Eg4ConfigEntry, user_input: dict[str, Any] | None
    ) -> ConfigFlowResult:
        """Change an MQTT entry's topics or system size, in the bridge's own form.

        The form's step id is ``reconfigure_<bridge>`` (its title and help texts are the
        bridge's). A title the owner gave the entry is kept; a generated one follows the data.
        Refused while a calibration runs (applying would reload the entry and end the run).
        """
        bridge = bridge_of(entry.data)
        errors: dict[str, str] = {}
        if user_input is not None:
            data, errors = _submitted(bridge, user_input)
            if not errors:
                if (refused := self._refuse_during_calibration(entry)) is not None:
                    return refused
                unique_id = bridge.unique_id(data)
                if self._unique_id_taken(entry, unique_id):
                    return self.async_abort(reason="already_configured")
                generated = entry.title == bridge.title(entry.data)
                title = bridge.title(data) if generated else entry.title
                self._async_apply(entry, data=data, unique_id=unique_id, title=title)
                return self.async_abort(reason="reconfigure_successful")
        return self.async_show_form(
            step_id=f"{STEP_RECONFIGURE}_{bridge.name}",
            data_schema=bridge_schema(bridge, user_input or bridge.form_values(entry.data)),
            errors=errors,
        )


type _Step = Callable[[BridgeSteps, dict[str, Any] | None], Coroutine[Any, Any, ConfigFlowResult]]


def _bridge_step(bridge: Bridge) -> _Step:
    async def step(self: BridgeSteps, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        return await self._async_bridge_step(bridge, user_input)

    step.__name__ = f"async_step_{bridge.name}"
    step.__doc__ = f"The {bridge.name} form: Home Assistant hands its submission to this step."
    return step


async def _reconfigure_step(
    self: BridgeSteps, user_input: dict[str, Any] | None = None
) -> ConfigFlowResult:
    """A bridge's reconfigure form: Home Assistant hands its submission to this step."""
    return await self._async_reconfigure_bridge(self._get_reconfigure_entry(), user_input)


# Home Assistant routes a form's submission to ``async_step_<step id>``: one per bridge for
# its set-up form, and one per bridge for its reconfigure form (the entry names the bridge).
for _bridge in BRIDGES.values():
    setattr(BridgeSteps, f"async_step_{_bridge.name}", _bridge_step(_bridge))
    setattr(BridgeSteps, f"async_step_{STEP_RECONFIGURE}_{_bridge.name}", _reconfigure_step)
