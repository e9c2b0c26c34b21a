"""Bridges found on MQTT: the manifest's ``mqtt`` topics start these steps.

A message on a bridge's announcement topic starts a flow; the bridge's definition recognises
it and starts a survey of the installation. The flow's unique id is the installation's
identity, so each installation is offered once, and an installation an entry already has (or
the user ignored) is dropped. Until the user opens the offer, the flow watches the bridge's
own topics, so the form shows every unit and pack seen by then; the user confirms or edits it.

The flow never takes a configured entry's unique id when it aborts: Home Assistant would add
the discovery topic to that entry, which counts as a change of the entry (and reloads it).
"""

from __future__ import annotations

from typing import Any

from homeassistant.components import mqtt
from homeassistant.config_entries import ConfigFlowResult
from homeassistant.core import CALLBACK_TYPE, callback
from homeassistant.helpers.service_info.mqtt import MqttServiceInfo

from ..profiles.bridge import Bridge, Survey
from ..profiles.registry import announce
from .bridges import BridgeSteps

STEP_DISCOVERY_CONFIRM = "discovery_confirm"


class DiscoverySteps(BridgeSteps):
    """Offer a bridge seen on MQTT, pre-filled with what was seen."""

    def __init__(self) -> None:
        """Nothing found yet."""
        super().__init__()
        self._found: tuple[Bridge, Survey] | None = None
        self._unwatch: list[CALLBACK_TYPE] = []

    async def async_step_mqtt(self, discovery_info: MqttServiceInfo) -> ConfigFlowResult:
        """A message on one of the manifest's topics."""
        payload = discovery_info.payload
        found = announce(
            discovery_info.subscribed_topic,
            discovery_info.topic,
            payload if isinstance(payload, str) else "",
        )
        if found is None:
            return self.async_abort(reason="not_a_bridge")
        bridge, survey = found
        values = survey.values()
        if self._known(bridge, values):
            return self.async_abort(reason="already_configured")
        await self.async_set_unique_id(bridge.identity(values))
        self._found = found
        for topic in survey.watch():
            self._unwatch.append(await mqtt.async_subscribe(self.hass, topic, self._async_observe))
        self.context["title_placeholders"] = {"name": bridge.title(bridge.normalize(values))}
        return await self.async_step_discovery_confirm()

    async def async_step_discovery_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """What was seen, for the user to confirm or correct."""
        if self._found is None:  # pragma: no cover - only reachable after a discovery
            return self.async_abort(reason="not_a_bridge")
        bridge, survey = self._found
        if user_input is not None and self._known(bridge, bridge.normalize(user_input)):
            return self.async_abort(reason="already_configured")
        return await self._async_bridge_form(
            bridge,
            STEP_DISCOVERY_CONFIRM,
            user_input,
            survey.values(),
            raise_on_progress=False,
            placeholders=self.context["title_placeholders"],
        )

    @callback
    def _async_observe(self, message: mqtt.ReceiveMessage) -> None:
        if self._found is not None and isinstance(message.payload, str):
            self._found[1].observe(message.topic, message.payload)

    @callback
    def async_remove(self) -> None:
        """Stop watching the bridge when the offer is taken, dismissed or aborted."""
        while self._unwatch:
            self._unwatch.pop()()
        super().async_remove()
