"""Config flow: a menu of transports, put together from the rooms in ``flow/``.

MQTT asks for the bridge and its topics (``flow/bridges.py``, driven by the bridge registry),
or takes a bridge found on MQTT (``flow/discovery.py``); the EG4 cloud asks for the portal
server and the account, logs in to check them, and picks the station (``flow/cloud.py``).
"""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import ConfigFlowResult
from homeassistant.core import callback

from .const import CONF_TRANSPORT, DOMAIN, TRANSPORT_CLOUD
from .flow.bridges import STEP_LOCAL_MQTT
from .flow.cloud import STEP_CLOUD, CloudSteps
from .flow.discovery import DiscoverySteps
from .flow.options import Eg4OptionsFlow
from .runtime import Eg4ConfigEntry


class Eg4ConfigFlow(DiscoverySteps, CloudSteps, domain=DOMAIN):
    """Handle a config flow for EG4."""

    VERSION = 1
    MINOR_VERSION = 1

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: Eg4ConfigEntry) -> Eg4OptionsFlow:
        """Create the options flow."""
        return Eg4OptionsFlow()

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Choose how Home Assistant reaches the system."""
        return self.async_show_menu(step_id="user", menu_options=[STEP_LOCAL_MQTT, STEP_CLOUD])

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change topics or system size (MQTT), or server and account (cloud), of an entry.

        Refused while a calibration runs on the entry: the change would reload it and end the run.
        """
        entry = self._get_reconfigure_entry()
        if (refused := self._refuse_during_calibration(entry)) is not None:
            return refused
        if entry.data.get(CONF_TRANSPORT) == TRANSPORT_CLOUD:
            return await self.async_step_reconfigure_cloud()
        return await self._async_reconfigure_bridge(entry, user_input)
