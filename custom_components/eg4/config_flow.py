"""Config flow: a menu of transports.

MQTT asks for the bridge profile and its topics; the EG4 cloud asks for the portal server and
the account, logs in to check them, and picks the station (plant).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp
import voluptuous as vol
from homeassistant.components import mqtt
from homeassistant.config_entries import (
    ConfigEntryState,
    ConfigFlow,
    ConfigFlowResult,
    OptionsFlow,
)
from homeassistant.const import CONF_PASSWORD, CONF_USERNAME
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.aiohttp_client import async_create_clientsession
from homeassistant.helpers.selector import (
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)

from . import Eg4ConfigEntry
from .cloud import (
    DEFAULT_SERVER,
    SERVERS,
    Account,
    Eg4AuthError,
    Eg4CloudClient,
    Eg4PermissionError,
    Eg4TransientError,
    Plant,
    resolve_base_url,
)
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
    CONF_PLANT_ID,
    CONF_PROFILE,
    CONF_SCAN_INTERVAL,
    CONF_SERVER,
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
    DEFAULT_SCAN_INTERVAL,
    DEFAULT_STALE_TIMEOUT,
    DEFAULT_STATE_TOPIC_PREFIX,
    DEFAULT_TOPIC_PREFIX,
    DOMAIN,
    MAX_CONFIRM_TIMEOUT,
    MAX_INVERTERS,
    MAX_PACKS,
    MAX_SCAN_INTERVAL,
    MAX_STALE_TIMEOUT,
    MIN_CONFIRM_TIMEOUT,
    MIN_SCAN_INTERVAL,
    MIN_STALE_TIMEOUT,
    PROFILE_LXP_BRIDGE,
    PROFILE_POWERMON_LVX,
    PROFILE_SOLAR_ASSISTANT,
    PROFILES,
    TRANSPORT_CLOUD,
    TRANSPORT_MQTT,
)

_LOGGER = logging.getLogger(__name__)

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
    """The form's comma-separated text as a list, in unit order."""
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


# ---- EG4 cloud --------------------------------------------------------------------------

STEP_CLOUD = "cloud"
SERVER_CUSTOM = "custom"
CONF_CUSTOM_URL = "custom_url"
# Logging in from a form: one quick retry of a busy portal, then tell the user.
_LOGIN_RETRY_DELAYS = (1.0,)
_LOGIN_TIMEOUT_S = 20.0


@dataclass(frozen=True, slots=True)
class _CloudLogin:
    """A successful login: the entry data it stands for and what the portal answered."""

    data: dict[str, Any]  # transport, server, username, password (no plant yet)
    base_url: str
    account: Account


def _cloud_schema(values: Mapping[str, Any], *, keep_password: bool = False) -> vol.Schema:
    """Server, optional custom URL, user name and password.

    ``values`` pre-fills the form (never with a password); with ``keep_password`` the
    password may be left empty to keep the stored one.
    """
    password_marker = vol.Optional if keep_password else vol.Required
    return vol.Schema(
        {
            vol.Required(
                CONF_SERVER, default=values.get(CONF_SERVER, DEFAULT_SERVER)
            ): SelectSelector(
                SelectSelectorConfig(
                    options=[*SERVERS, SERVER_CUSTOM],
                    translation_key=CONF_SERVER,
                    mode=SelectSelectorMode.DROPDOWN,
                )
            ),
            vol.Optional(
                CONF_CUSTOM_URL, description={"suggested_value": values.get(CONF_CUSTOM_URL)}
            ): TextSelector(TextSelectorConfig(type=TextSelectorType.URL)),
            vol.Required(
                CONF_USERNAME, description={"suggested_value": values.get(CONF_USERNAME)}
            ): TextSelector(
                TextSelectorConfig(type=TextSelectorType.TEXT, autocomplete="username")
            ),
            password_marker(CONF_PASSWORD): _password_selector(),
        }
    )


def _password_selector() -> TextSelector:
    return TextSelector(
        TextSelectorConfig(type=TextSelectorType.PASSWORD, autocomplete="current-password")
    )


def _cloud_form_values(data: Mapping[str, Any]) -> dict[str, Any]:
    """The form values of a stored cloud entry (a custom server shows as its URL)."""
    server = str(data.get(CONF_SERVER, DEFAULT_SERVER))
    values: dict[str, Any] = {CONF_USERNAME: data.get(CONF_USERNAME)}
    if server in SERVERS:
        values[CONF_SERVER] = server
    else:
        values[CONF_SERVER] = SERVER_CUSTOM
        values[CONF_CUSTOM_URL] = server
    return values


def _form_echo(user_input: Mapping[str, Any]) -> dict[str, Any]:
    """What the user typed, to show again after an error (never the password)."""
    return {key: value for key, value in user_input.items() if key != CONF_PASSWORD}


def _cloud_server(user_input: Mapping[str, Any]) -> tuple[str, str]:
    """(value to store, base URL) of the chosen server; ValueError for a refused URL."""
    server = str(user_input.get(CONF_SERVER, DEFAULT_SERVER))
    if server != SERVER_CUSTOM:
        if server not in SERVERS:  # pragma: no cover - the select selector refuses it first
            raise ValueError("unknown server")
        return server, resolve_base_url(server)
    url = str(user_input.get(CONF_CUSTOM_URL) or "").strip()
    base_url = resolve_base_url(url)
    return base_url, base_url


def _cloud_unique_id(base_url: str, plant_id: int) -> str:
    return f"cloud:{base_url}:{plant_id}"


def _cloud_title(plant: Plant) -> str:
    name = (plant.name or "").strip()
    return f"EG4 {name}" if name else f"EG4 station {plant.plant_id}"


def _plant_label(plant: Plant) -> str:
    name = (plant.name or "").strip()
    return f"{name} ({plant.plant_id})" if name else str(plant.plant_id)


def _plants_with_inverters(account: Account) -> list[Plant]:
    """Plants that have at least one inverter (a GridBOSS alone is nothing to monitor)."""
    return [
        plant
        for plant in account.plants
        if any(not inverter.is_gridboss for inverter in plant.inverters)
    ]


async def _async_login(
    hass: HomeAssistant, base_url: str, username: str, password: str
) -> tuple[Account | None, str | None]:
    """Log in once for real: (account, None) or (None, error key)."""
    # A session of its own (its own cookie jar), detached once the check is done.
    session = async_create_clientsession(hass, auto_cleanup=False)
    try:
        client = Eg4CloudClient(
            session,
            base_url=base_url,
            username=username,
            password=password,
            retry_delays=_LOGIN_RETRY_DELAYS,
            timeout_s=_LOGIN_TIMEOUT_S,
        )
        return await client.login(), None
    except Eg4AuthError:
        return None, "invalid_auth"
    except Eg4PermissionError:
        return None, "permission_denied"
    except (Eg4TransientError, aiohttp.ClientError, TimeoutError):
        return None, "cannot_connect"
    except Exception:
        # The client's errors carry the request path and portal code, never the password.
        _LOGGER.exception("Unexpected error while logging in to the EG4 cloud at %s", base_url)
        return None, "unknown"
    finally:
        session.detach()


class Eg4ConfigFlow(ConfigFlow, domain=DOMAIN):
    """Handle a config flow for EG4."""

    VERSION = 1
    MINOR_VERSION = 1

    def __init__(self) -> None:
        """Start with no cloud login."""
        self._login: _CloudLogin | None = None
        self._plants: dict[int, Plant] = {}

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: Eg4ConfigEntry) -> Eg4OptionsFlow:
        """Create the options flow."""
        del config_entry
        return Eg4OptionsFlow()

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Choose how Home Assistant reaches the system."""
        del user_input
        return self.async_show_menu(step_id="user", menu_options=[STEP_LOCAL_MQTT, STEP_CLOUD])

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
        """Change topics or system size (MQTT), or server and account (cloud), of an entry."""
        entry = self._get_reconfigure_entry()
        if entry.data.get(CONF_TRANSPORT) == TRANSPORT_CLOUD:
            return await self.async_step_reconfigure_cloud()
        profile = entry.data[CONF_PROFILE]
        errors: dict[str, str] = {}
        if user_input is not None:
            data = _normalize(profile, user_input)
            errors = _validate(profile, data)
            if not errors:
                unique_id = _unique_id(data)
                if self._unique_id_taken(entry, unique_id):
                    return self.async_abort(reason="already_configured")
                self._async_apply(entry, data=data, unique_id=unique_id, title=_title(data))
                return self.async_abort(reason="reconfigure_successful")
        schema = SCHEMAS[profile]
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=schema(user_input or entry.data),
            errors=errors,
        )

    # ---- EG4 cloud ------------------------------------------------------------------------

    async def _async_check_cloud(
        self, user_input: Mapping[str, Any], *, stored_password: str | None = None
    ) -> tuple[_CloudLogin | None, dict[str, str]]:
        """Resolve the server and log in with the form's account: (login, no errors) or errors.

        An empty password stands for ``stored_password`` (reconfigure keeps the stored one).
        """
        try:
            server, base_url = _cloud_server(user_input)
        except ValueError:
            return None, {CONF_CUSTOM_URL: "invalid_url"}
        username = str(user_input[CONF_USERNAME]).strip()
        password = str(user_input.get(CONF_PASSWORD) or stored_password or "")
        if not password:
            return None, {"base": "invalid_auth"}
        account, error = await _async_login(self.hass, base_url, username, password)
        if account is None:
            return None, {"base": error or "unknown"}
        data = {
            CONF_TRANSPORT: TRANSPORT_CLOUD,
            CONF_SERVER: server,
            CONF_USERNAME: username,
            CONF_PASSWORD: password,
        }
        return _CloudLogin(data=data, base_url=base_url, account=account), {}

    async def async_step_cloud(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Portal server and account, checked by logging in."""
        errors: dict[str, str] = {}
        if user_input is not None:
            login, errors = await self._async_check_cloud(user_input)
            if login is not None:
                plants = _plants_with_inverters(login.account)
                if not plants:
                    return self.async_abort(reason="no_inverters")
                self._login = login
                if len(plants) == 1:
                    return await self._async_create_cloud_entry(plants[0])
                self._plants = {plant.plant_id: plant for plant in plants}
                return await self.async_step_station()
        return self.async_show_form(
            step_id=STEP_CLOUD,
            data_schema=_cloud_schema(_form_echo(user_input or {})),
            errors=errors,
        )

    async def async_step_station(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Pick one of the account's stations (plants)."""
        if self._login is None:  # pragma: no cover - only reachable after a login
            return self.async_abort(reason="unknown")
        if user_input is not None:
            return await self._async_create_cloud_entry(
                self._plants[int(user_input[CONF_PLANT_ID])]
            )
        configured = {entry.unique_id for entry in self._async_current_entries()}
        available = [
            plant
            for plant in self._plants.values()
            if _cloud_unique_id(self._login.base_url, plant.plant_id) not in configured
        ]
        if not available:
            return self.async_abort(reason="already_configured")
        return self.async_show_form(
            step_id="station",
            data_schema=vol.Schema(
                {
                    vol.Required(CONF_PLANT_ID, default=str(available[0].plant_id)): SelectSelector(
                        SelectSelectorConfig(
                            options=[
                                SelectOptionDict(
                                    value=str(plant.plant_id), label=_plant_label(plant)
                                )
                                for plant in available
                            ],
                            mode=SelectSelectorMode.LIST,
                        )
                    )
                }
            ),
        )

    async def _async_create_cloud_entry(self, plant: Plant) -> ConfigFlowResult:
        if self._login is None:  # pragma: no cover - only reachable after a login
            return self.async_abort(reason="unknown")
        await self.async_set_unique_id(_cloud_unique_id(self._login.base_url, plant.plant_id))
        self._abort_if_unique_id_configured()
        return self.async_create_entry(
            title=_cloud_title(plant),
            data={**self._login.data, CONF_PLANT_ID: plant.plant_id},
        )

    async def async_step_reauth(self, entry_data: Mapping[str, Any]) -> ConfigFlowResult:
        """The portal refused the stored password."""
        del entry_data
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the new password and check it by logging in."""
        entry = self._get_reauth_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            login, errors = await self._async_check_cloud(
                {
                    **_cloud_form_values(entry.data),
                    CONF_USERNAME: entry.data[CONF_USERNAME],
                    CONF_PASSWORD: user_input[CONF_PASSWORD],
                }
            )
            if errors.pop(CONF_CUSTOM_URL, None):  # pragma: no cover - a stored URL was valid
                errors["base"] = "invalid_url"
            if login is not None:
                self._async_apply(
                    entry, data={**entry.data, CONF_PASSWORD: user_input[CONF_PASSWORD]}
                )
                return self.async_abort(reason="reauth_successful")
        return self.async_show_form(
            step_id="reauth_confirm",
            data_schema=vol.Schema({vol.Required(CONF_PASSWORD): _password_selector()}),
            errors=errors,
            description_placeholders={
                "username": str(entry.data.get(CONF_USERNAME, "")),
                "name": entry.title,
            },
        )

    async def async_step_reconfigure_cloud(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the server or the account of a cloud entry; its station must stay."""
        entry = self._get_reconfigure_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            login, errors = await self._async_check_cloud(
                user_input, stored_password=entry.data[CONF_PASSWORD]
            )
            if login is not None:
                plant_id = int(entry.data[CONF_PLANT_ID])
                if not any(plant.plant_id == plant_id for plant in login.account.plants):
                    return self.async_abort(reason="wrong_account")
                unique_id = _cloud_unique_id(login.base_url, plant_id)
                if self._unique_id_taken(entry, unique_id):
                    return self.async_abort(reason="already_configured")
                self._async_apply(
                    entry, data={**login.data, CONF_PLANT_ID: plant_id}, unique_id=unique_id
                )
                return self.async_abort(reason="reconfigure_successful")
        values = (
            _form_echo(user_input) if user_input is not None else _cloud_form_values(entry.data)
        )
        return self.async_show_form(
            step_id="reconfigure_cloud",
            data_schema=_cloud_schema(values, keep_password=True),
            errors=errors,
            description_placeholders={"name": entry.title},
        )

    def _unique_id_taken(self, entry: Eg4ConfigEntry, unique_id: str) -> bool:
        """Whether another entry already has this unique id."""
        return any(
            other.entry_id != entry.entry_id and other.unique_id == unique_id
            for other in self._async_current_entries(include_ignore=False)
        )

    @callback
    def _async_apply(self, entry: Eg4ConfigEntry, **changes: Any) -> None:
        """Store new entry data and make sure the entry is set up again with it.

        A loaded entry's update listener reloads it on any change; an entry that failed to
        set up (no listener yet) or an unchanged entry is reloaded here.
        """
        changed = self.hass.config_entries.async_update_entry(entry, **changes)
        if not changed or entry.state is not ConfigEntryState.LOADED:
            self.hass.config_entries.async_schedule_reload(entry.entry_id)


class Eg4OptionsFlow(OptionsFlow):
    """Timeouts for staleness and write confirmation; the poll interval of cloud entries."""

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Show and store the options."""
        if user_input is not None:
            return self.async_create_entry(
                data={key: int(value) for key, value in user_input.items()}
            )
        options = self.config_entry.options
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
        return self.async_show_form(step_id="init", data_schema=vol.Schema(fields))


def _seconds(minimum: int, maximum: int) -> NumberSelector:
    return NumberSelector(
        NumberSelectorConfig(
            min=minimum, max=maximum, step=1, unit_of_measurement="s", mode=NumberSelectorMode.BOX
        )
    )
