"""Config flow: a menu of transports; MQTT asks for the bridge profile and its topics."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import voluptuous as vol
from homeassistant.components import mqtt
from homeassistant.config_entries import ConfigFlow, ConfigFlowResult, OptionsFlow
from homeassistant.core import callback
from homeassistant.helpers.selector import (
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
)

from . import Eg4ConfigEntry
from .const import (
    CONF_BATTERY_PREFIX,
    CONF_CMD_MAX_CHARGE_CURRENT,
    CONF_CMD_MAX_UTILITY_CHARGE_CURRENT,
    CONF_CMD_STOP_CHARGE_VOLTAGE,
    CONF_COMMAND_TOPIC_PREFIX,
    CONF_CONFIRM_TIMEOUT,
    CONF_DATALOGS,
    CONF_INVERTER_COUNT,
    CONF_INVERTER_PREFIX,
    CONF_PACK_COUNT,
    CONF_PROFILE,
    CONF_STALE_TIMEOUT,
    CONF_STATE_TOPIC_PREFIX,
    CONF_TOPIC_PREFIX,
    CONF_TRANSPORT,
    DEFAULT_BATTERY_PREFIX,
    DEFAULT_CMD_MAX_CHARGE_CURRENT,
    DEFAULT_CMD_MAX_UTILITY_CHARGE_CURRENT,
    DEFAULT_CMD_STOP_CHARGE_VOLTAGE,
    DEFAULT_COMMAND_TOPIC_PREFIX,
    DEFAULT_CONFIRM_TIMEOUT,
    DEFAULT_INVERTER_COUNT,
    DEFAULT_INVERTER_PREFIX,
    DEFAULT_LXP_TOPIC_PREFIX,
    DEFAULT_PACK_COUNT,
    DEFAULT_STALE_TIMEOUT,
    DEFAULT_STATE_TOPIC_PREFIX,
    DEFAULT_TOPIC_PREFIX,
    DOMAIN,
    MAX_CONFIRM_TIMEOUT,
    MAX_INVERTERS,
    MAX_PACKS,
    MAX_STALE_TIMEOUT,
    MIN_CONFIRM_TIMEOUT,
    MIN_STALE_TIMEOUT,
    PROFILE_LXP_BRIDGE,
    PROFILE_POWERMON_LVX,
    PROFILE_SOLAR_ASSISTANT,
    PROFILES,
    TRANSPORT_MQTT,
)

_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_TOPIC_LEVELS = re.compile(r"^[A-Za-z0-9_.\-/]{1,128}$")
COMMAND_FIELDS = (
    CONF_CMD_MAX_CHARGE_CURRENT,
    CONF_CMD_MAX_UTILITY_CHARGE_CURRENT,
    CONF_CMD_STOP_CHARGE_VOLTAGE,
)
# "mqtt" is Home Assistant's MQTT-discovery step name, so the menu entry has its own.
STEP_LOCAL_MQTT = "local_mqtt"
_COMMAND_NAME = re.compile(r"^[A-Za-z0-9_\-/]{0,64}$")


def _count(maximum: int) -> NumberSelector:
    return NumberSelector(
        NumberSelectorConfig(min=1, max=maximum, step=1, mode=NumberSelectorMode.BOX)
    )


def _powermon_schema(values: Mapping[str, Any]) -> vol.Schema:
    def default(key: str, fallback: Any) -> Any:
        return values.get(key, fallback)

    return vol.Schema(
        {
            vol.Required(
                CONF_STATE_TOPIC_PREFIX,
                default=default(CONF_STATE_TOPIC_PREFIX, DEFAULT_STATE_TOPIC_PREFIX),
            ): TextSelector(),
            vol.Required(
                CONF_INVERTER_PREFIX, default=default(CONF_INVERTER_PREFIX, DEFAULT_INVERTER_PREFIX)
            ): TextSelector(),
            vol.Required(
                CONF_BATTERY_PREFIX, default=default(CONF_BATTERY_PREFIX, DEFAULT_BATTERY_PREFIX)
            ): TextSelector(),
            vol.Required(
                CONF_COMMAND_TOPIC_PREFIX,
                default=default(CONF_COMMAND_TOPIC_PREFIX, DEFAULT_COMMAND_TOPIC_PREFIX),
            ): TextSelector(),
            vol.Required(
                CONF_INVERTER_COUNT, default=default(CONF_INVERTER_COUNT, DEFAULT_INVERTER_COUNT)
            ): _count(MAX_INVERTERS),
            vol.Required(
                CONF_PACK_COUNT, default=default(CONF_PACK_COUNT, DEFAULT_PACK_COUNT)
            ): _count(MAX_PACKS),
            vol.Optional(
                CONF_CMD_MAX_CHARGE_CURRENT,
                description={
                    "suggested_value": default(
                        CONF_CMD_MAX_CHARGE_CURRENT, DEFAULT_CMD_MAX_CHARGE_CURRENT
                    )
                },
            ): TextSelector(),
            vol.Optional(
                CONF_CMD_MAX_UTILITY_CHARGE_CURRENT,
                description={
                    "suggested_value": default(
                        CONF_CMD_MAX_UTILITY_CHARGE_CURRENT, DEFAULT_CMD_MAX_UTILITY_CHARGE_CURRENT
                    )
                },
            ): TextSelector(),
            vol.Optional(
                CONF_CMD_STOP_CHARGE_VOLTAGE,
                description={
                    "suggested_value": default(
                        CONF_CMD_STOP_CHARGE_VOLTAGE, DEFAULT_CMD_STOP_CHARGE_VOLTAGE
                    )
                },
            ): TextSelector(),
        }
    )


def _solar_assistant_schema(values: Mapping[str, Any]) -> vol.Schema:
    return vol.Schema(
        {
            vol.Required(
                CONF_TOPIC_PREFIX, default=values.get(CONF_TOPIC_PREFIX, DEFAULT_TOPIC_PREFIX)
            ): TextSelector(),
            vol.Required(
                CONF_INVERTER_COUNT, default=values.get(CONF_INVERTER_COUNT, DEFAULT_INVERTER_COUNT)
            ): _count(MAX_INVERTERS),
            vol.Required(
                CONF_PACK_COUNT, default=values.get(CONF_PACK_COUNT, DEFAULT_PACK_COUNT)
            ): _count(MAX_PACKS),
        }
    )


def _lxp_schema(values: Mapping[str, Any]) -> vol.Schema:
    datalogs = values.get(CONF_DATALOGS, "")
    if isinstance(datalogs, list):
        datalogs = ", ".join(datalogs)
    return vol.Schema(
        {
            vol.Required(
                CONF_TOPIC_PREFIX, default=values.get(CONF_TOPIC_PREFIX, DEFAULT_LXP_TOPIC_PREFIX)
            ): TextSelector(),
            vol.Required(CONF_DATALOGS, default=datalogs): TextSelector(),
        }
    )


SCHEMAS = {
    PROFILE_POWERMON_LVX: _powermon_schema,
    PROFILE_SOLAR_ASSISTANT: _solar_assistant_schema,
    PROFILE_LXP_BRIDGE: _lxp_schema,
}
_DATALOG = re.compile(r"^[A-Za-z0-9]{1,16}$")


def _split_datalogs(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(part).strip() for part in value]
    return [part.strip() for part in str(value).split(",") if part.strip()]


def _valid_topic_prefix(value: str) -> bool:
    value = value.strip()
    if not _TOPIC_LEVELS.match(value) or value.startswith("/") or value.endswith("/"):
        return False
    return "//" not in value


def _validate_lxp(data: dict[str, Any]) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not _valid_topic_prefix(str(data.get(CONF_TOPIC_PREFIX, ""))):
        errors[CONF_TOPIC_PREFIX] = "invalid_topic"
    datalogs = data.get(CONF_DATALOGS, [])
    if (
        not isinstance(datalogs, list)
        or not 1 <= len(datalogs) <= MAX_INVERTERS
        or len(set(datalogs)) != len(datalogs)
        or not all(_DATALOG.match(d) for d in datalogs)
    ):
        errors[CONF_DATALOGS] = "invalid_datalogs"
    return errors


def _validate_counts(data: dict[str, Any]) -> dict[str, str]:
    errors: dict[str, str] = {}
    for key in (CONF_INVERTER_COUNT, CONF_PACK_COUNT):
        value = data.get(key)
        maximum = MAX_INVERTERS if key == CONF_INVERTER_COUNT else MAX_PACKS
        if not isinstance(value, int | float) or int(value) != value or not 1 <= value <= maximum:
            errors[key] = "invalid_count"
    return errors


def _validate_powermon(data: dict[str, Any]) -> dict[str, str]:
    errors: dict[str, str] = {}
    for key in (CONF_STATE_TOPIC_PREFIX, CONF_COMMAND_TOPIC_PREFIX):
        if not _valid_topic_prefix(str(data.get(key, ""))):
            errors[key] = "invalid_topic"
    for key in (CONF_INVERTER_PREFIX, CONF_BATTERY_PREFIX):
        if not _NAME.match(str(data.get(key, ""))):
            errors[key] = "invalid_name"
    if CONF_INVERTER_PREFIX not in errors and CONF_BATTERY_PREFIX not in errors:
        inverter, battery = data[CONF_INVERTER_PREFIX], data[CONF_BATTERY_PREFIX]
        if (
            inverter == battery
            or inverter.startswith(battery + "_")
            or battery.startswith(inverter + "_")
        ):
            errors[CONF_BATTERY_PREFIX] = "prefix_conflict"
    for key in COMMAND_FIELDS:
        name = str(data.get(key, ""))
        if not _COMMAND_NAME.match(name) or name.startswith("/") or name.endswith("/"):
            errors[key] = "invalid_command_name"
    return errors


def _validate(profile: str, data: dict[str, Any]) -> dict[str, str]:
    """Field errors for a profile's topic settings (empty when all is well)."""
    if profile == PROFILE_LXP_BRIDGE:
        return _validate_lxp(data)
    errors = _validate_counts(data)
    if profile == PROFILE_SOLAR_ASSISTANT:
        if not _valid_topic_prefix(str(data.get(CONF_TOPIC_PREFIX, ""))):
            errors[CONF_TOPIC_PREFIX] = "invalid_topic"
        return errors
    return {**errors, **_validate_powermon(data)}


def _normalize(profile: str, user_input: dict[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = {CONF_TRANSPORT: TRANSPORT_MQTT, CONF_PROFILE: profile}
    for key, value in user_input.items():
        data[key] = value.strip() if isinstance(value, str) else value
    if profile == PROFILE_LXP_BRIDGE:
        data[CONF_DATALOGS] = _split_datalogs(data.get(CONF_DATALOGS, ""))
        data[CONF_INVERTER_COUNT] = data[CONF_PACK_COUNT] = len(data[CONF_DATALOGS])
        return data
    for key in (CONF_INVERTER_COUNT, CONF_PACK_COUNT):
        value = data.get(key)
        if isinstance(value, float) and value.is_integer():
            data[key] = int(value)
    if profile == PROFILE_POWERMON_LVX:
        # A cleared optional field is left out of the submission: it means "no such command".
        for key in COMMAND_FIELDS:
            data.setdefault(key, "")
    return data


def _unique_id(data: Mapping[str, Any]) -> str:
    if data[CONF_PROFILE] == PROFILE_LXP_BRIDGE:
        return f"{PROFILE_LXP_BRIDGE}:{data[CONF_TOPIC_PREFIX]}:{','.join(data[CONF_DATALOGS])}"
    if data[CONF_PROFILE] == PROFILE_SOLAR_ASSISTANT:
        return f"{PROFILE_SOLAR_ASSISTANT}:{data[CONF_TOPIC_PREFIX]}"
    return ":".join(
        (
            PROFILE_POWERMON_LVX,
            data[CONF_STATE_TOPIC_PREFIX],
            data[CONF_INVERTER_PREFIX],
            data[CONF_BATTERY_PREFIX],
        )
    )


def _title(data: Mapping[str, Any]) -> str:
    if data[CONF_PROFILE] == PROFILE_LXP_BRIDGE:
        return f"EG4 via lxp-bridge ({data[CONF_TOPIC_PREFIX]})"
    if data[CONF_PROFILE] == PROFILE_SOLAR_ASSISTANT:
        return f"EG4 via Solar Assistant ({data[CONF_TOPIC_PREFIX]})"
    return f"EG4 {data[CONF_INVERTER_PREFIX]}"


class Eg4ConfigFlow(ConfigFlow, domain=DOMAIN):
    """Handle a config flow for EG4."""

    VERSION = 1
    MINOR_VERSION = 1

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: Eg4ConfigEntry) -> Eg4OptionsFlow:
        """Create the options flow."""
        del config_entry
        return Eg4OptionsFlow()

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Choose how Home Assistant reaches the system."""
        del user_input
        return self.async_show_menu(step_id="user", menu_options=[STEP_LOCAL_MQTT])

    async def async_step_local_mqtt(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Choose the MQTT bridge profile."""
        if not mqtt.mqtt_config_entry_enabled(self.hass):
            return self.async_abort(reason="mqtt_not_configured")
        if user_input is not None:
            if user_input[CONF_PROFILE] == PROFILE_SOLAR_ASSISTANT:
                return await self.async_step_solar_assistant()
            if user_input[CONF_PROFILE] == PROFILE_LXP_BRIDGE:
                return await self.async_step_lxp_bridge()
            return await self.async_step_powermon_lvx()
        return self.async_show_form(
            step_id=STEP_LOCAL_MQTT,
            data_schema=vol.Schema(
                {
                    vol.Required(CONF_PROFILE, default=PROFILE_POWERMON_LVX): SelectSelector(
                        SelectSelectorConfig(
                            options=list(PROFILES),
                            translation_key=CONF_PROFILE,
                            mode=SelectSelectorMode.LIST,
                        )
                    )
                }
            ),
        )

    async def async_step_powermon_lvx(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Topics of powermon telemetry and lvx-control commands."""
        return await self._async_profile_step(PROFILE_POWERMON_LVX, user_input)

    async def async_step_solar_assistant(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Solar Assistant's topic prefix and the size of the system."""
        return await self._async_profile_step(PROFILE_SOLAR_ASSISTANT, user_input)

    async def async_step_lxp_bridge(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """lxp-bridge's namespace and the datalog of each inverter."""
        return await self._async_profile_step(PROFILE_LXP_BRIDGE, user_input)

    async def _async_profile_step(
        self, profile: str, user_input: dict[str, Any] | None
    ) -> ConfigFlowResult:
        errors: dict[str, str] = {}
        if user_input is not None:
            data = _normalize(profile, user_input)
            errors = _validate(profile, data)
            if not errors:
                await self.async_set_unique_id(_unique_id(data))
                self._abort_if_unique_id_configured()
                return self.async_create_entry(title=_title(data), data=data)
        schema = SCHEMAS[profile]
        return self.async_show_form(
            step_id=profile,
            data_schema=schema(user_input or {}),
            errors=errors,
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change topics or system size of an existing entry."""
        entry = self._get_reconfigure_entry()
        profile = entry.data[CONF_PROFILE]
        errors: dict[str, str] = {}
        if user_input is not None:
            data = _normalize(profile, user_input)
            errors = _validate(profile, data)
            if not errors:
                unique_id = _unique_id(data)
                for other in self._async_current_entries(include_ignore=False):
                    if other.entry_id != entry.entry_id and other.unique_id == unique_id:
                        return self.async_abort(reason="already_configured")
                # The entry's update listener reloads it with the new data.
                self.hass.config_entries.async_update_entry(
                    entry, data=data, unique_id=unique_id, title=_title(data)
                )
                return self.async_abort(reason="reconfigure_successful")
        schema = SCHEMAS[profile]
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=schema(user_input or entry.data),
            errors=errors,
        )


class Eg4OptionsFlow(OptionsFlow):
    """Timeouts for staleness and write confirmation."""

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Show and store the options."""
        if user_input is not None:
            return self.async_create_entry(
                data={key: int(value) for key, value in user_input.items()}
            )
        options = self.config_entry.options
        return self.async_show_form(
            step_id="init",
            data_schema=vol.Schema(
                {
                    vol.Required(
                        CONF_STALE_TIMEOUT,
                        default=options.get(CONF_STALE_TIMEOUT, DEFAULT_STALE_TIMEOUT),
                    ): NumberSelector(
                        NumberSelectorConfig(
                            min=MIN_STALE_TIMEOUT,
                            max=MAX_STALE_TIMEOUT,
                            step=1,
                            unit_of_measurement="s",
                            mode=NumberSelectorMode.BOX,
                        )
                    ),
                    vol.Required(
                        CONF_CONFIRM_TIMEOUT,
                        CONF_DATALOGS,
                        default=options.get(CONF_CONFIRM_TIMEOUT, DEFAULT_CONFIRM_TIMEOUT),
                    ): NumberSelector(
                        NumberSelectorConfig(
                            min=MIN_CONFIRM_TIMEOUT,
                            max=MAX_CONFIRM_TIMEOUT,
                            step=1,
                            unit_of_measurement="s",
                            mode=NumberSelectorMode.BOX,
                        )
                    ),
                }
            ),
        )
