"""MQTT transport over Home Assistant's own ``mqtt`` integration.

A profile that can tell the bridge is misconfigured (``AdvisingProfile``: powermon publishing
its ratings on the measurements' topics) has its advice shown as a repair issue, raised when
the advice appears, updated when it changes, deleted when it goes or the transport stops.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any

from homeassistant.components import mqtt
from homeassistant.config_entries import current_entry
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir

from ..const import DOMAIN
from ..model import SettingKey, SettingValue
from ..profiles import Profile
from ..profiles.base import (
    AdvisingProfile,
    Command,
    RepairAdvice,
    SharingProfile,
    alternatives,
)
from ..transport.base import Capabilities, Decoded
from .base import MessageHandler, TransportError

_LOGGER = logging.getLogger(__name__)


class MqttTransport:
    """Subscribe to a profile's topics and publish its commands (never retained)."""

    def __init__(
        self,
        hass: HomeAssistant,
        profile: Profile,
        *,
        inverter_count: int,
        pack_count: int,
        entry_id: str | None = None,
    ) -> None:
        """Bind to Home Assistant and one bridge profile.

        ``entry_id`` scopes the repair issues; by default, the entry being set up.
        """
        self._hass = hass
        self._profile = profile
        self._inverter_count = inverter_count
        self._pack_count = pack_count
        self._unsubscribers: list[Callable[[], None]] = []
        self._handler: MessageHandler | None = None
        self._advisor = profile if isinstance(profile, AdvisingProfile) else None
        self._advice: RepairAdvice | None = None
        if entry_id is None and (entry := current_entry.get()) is not None:
            entry_id = entry.entry_id
        self._issue_scope = entry_id or "mqtt"
        if isinstance(profile, SharingProfile):
            profile.share_with(lambda: self._other_entries_data(entry_id))

    def _other_entries_data(self, entry_id: str | None) -> list[Mapping[str, Any]]:
        return [
            entry.data
            for entry in self._hass.config_entries.async_entries(DOMAIN)
            if entry.entry_id != entry_id
        ]

    @property
    def profile(self) -> Profile:
        """The bridge profile in use."""
        return self._profile

    @property
    def capabilities(self) -> Capabilities:
        """What the profile can read and write."""
        return self._profile.capabilities

    @property
    def inverter_count(self) -> int:
        """Units of the parallel group, as configured."""
        return self._inverter_count

    @property
    def pack_count(self) -> int:
        """Battery packs, as configured."""
        return self._pack_count

    @property
    def poll_interval(self) -> timedelta | None:
        """MQTT pushes: no polling."""
        return None

    async def async_poll(self) -> None:
        """Nothing to poll: the bridge publishes."""

    async def async_start(self, handler: MessageHandler) -> None:
        """Subscribe to every topic filter of the profile."""
        self._handler = handler
        for topic in self._profile.subscriptions():
            self._unsubscribers.append(
                await mqtt.async_subscribe(self._hass, topic, self._on_message, qos=0)
            )

    async def async_stop(self) -> None:
        """Unsubscribe from everything."""
        while self._unsubscribers:
            self._unsubscribers.pop()()
        self._handler = None
        self._show_advice(None)

    @callback
    def _on_message(self, msg: mqtt.ReceiveMessage) -> None:
        handler = self._handler
        if handler is None:
            return
        payload = msg.payload
        if not isinstance(payload, str):  # subscribed as UTF-8: Home Assistant decodes (and
            return  # drops what does not decode), so text is all that arrives
        if len(payload) > self._profile.max_payload:
            return
        result = self._profile.decode(msg.topic, payload)
        if msg.retain and isinstance(result, Decoded):
            result = dataclasses.replace(result, retained=True)
        if result is not None:
            handler(result)
        if self._advisor is not None and self._advisor.advice is not self._advice:
            self._show_advice(self._advisor.advice)

    @callback
    def _show_advice(self, advice: RepairAdvice | None) -> None:
        """Raise, update or delete the repair issue the profile's advice describes."""
        if self._advice is not None and (
            advice is None or advice.issue_id != self._advice.issue_id
        ):
            ir.async_delete_issue(self._hass, DOMAIN, self._issue_id(self._advice))
        self._advice = advice
        if advice is None:
            return
        _LOGGER.info("The bridge needs a configuration change: see the repair issue")
        ir.async_create_issue(
            self._hass,
            DOMAIN,
            self._issue_id(advice),
            is_fixable=False,
            severity=ir.IssueSeverity.WARNING,
            translation_key=advice.issue_id,
            translation_placeholders=dict(advice.placeholders),
        )

    def _issue_id(self, advice: RepairAdvice) -> str:
        return f"{advice.issue_id}_{self._issue_scope}"

    def watch_settings(self, keys: frozenset[SettingKey]) -> None:
        """Nothing to do: the bridge publishes every setting it reads, as it reads it."""

    def hold_backstop(self, minutes: int | None) -> None:
        """Nothing to do: no bridge ends a held setting by itself."""

    def encodings(self, key: SettingKey, value: SettingValue, unit: int | None) -> int:
        """Primary encoding plus the profile's alternatives."""
        return 1 + len(alternatives(self._profile, key, value, unit))

    async def async_send(
        self, key: SettingKey, value: SettingValue, unit: int | None, attempt: int = 0
    ) -> None:
        """Publish the command for ``key`` (QoS 1, never retained)."""
        commands: list[Command]
        if attempt == 0:
            commands = self._profile.encode(key, value, unit)
        else:
            others = alternatives(self._profile, key, value, unit)
            commands = others[(attempt - 1) % len(others)] if others else []
            if not commands:
                commands = self._profile.encode(key, value, unit)
        for command in commands:
            # The topic is not logged: lxp-bridge's carries the datalog serial.
            _LOGGER.debug("Publishing %s = %s for unit %s", key, command.payload, unit or "all")
            try:
                await mqtt.async_publish(
                    self._hass, command.topic, command.payload, qos=1, retain=False
                )
            except Exception as err:  # HomeAssistantError, or the client's own errors
                raise TransportError(str(err)) from err

    def describe(self) -> dict[str, str | int]:
        """Non-secret parameters, for diagnostics."""
        return {"transport": "mqtt", **self._profile.describe()}

    def config_for_sources(self, inverter_count: int, pack_count: int) -> dict[str, Any]:
        """The entry data the profile stores for this many units and packs."""
        return self._profile.config_for_sources(inverter_count, pack_count)
