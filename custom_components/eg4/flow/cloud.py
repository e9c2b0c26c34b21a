"""EG4 cloud steps: the account form, the station, reauth and reconfigure.

The portal is asked through :mod:`..cloud.login`; this module holds the forms and what the
answers mean for the entry.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import voluptuous as vol
from homeassistant.config_entries import ConfigFlowResult
from homeassistant.const import CONF_PASSWORD, CONF_USERNAME
from homeassistant.helpers.aiohttp_client import async_create_clientsession
from homeassistant.helpers.selector import (
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)

from ..cloud import DEFAULT_SERVER, SERVERS, Account, Plant
from ..cloud.login import (
    SERVER_CUSTOM,
    async_check_login,
    chosen_server,
    plants_with_inverters,
    server_choice,
    station_label,
    station_title,
    station_unique_id,
)
from ..const import CONF_PLANT_ID, CONF_SERVER, CONF_TRANSPORT, TRANSPORT_CLOUD
from .base import FlowBase

STEP_CLOUD = "cloud"
CONF_CUSTOM_URL = "custom_url"


@dataclass(frozen=True, slots=True)
class CloudLogin:
    """A successful login: the entry data it stands for and what the portal answered."""

    data: dict[str, Any]  # transport, server, username, password (no plant yet)
    base_url: str
    account: Account


def _password_selector() -> TextSelector:
    return TextSelector(
        TextSelectorConfig(type=TextSelectorType.PASSWORD, autocomplete="current-password")
    )


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


def _stored_form_values(data: Mapping[str, Any]) -> dict[str, Any]:
    """The form values of a stored cloud entry (a custom server shows as its URL)."""
    server, custom_url = server_choice(str(data.get(CONF_SERVER, DEFAULT_SERVER)))
    values: dict[str, Any] = {CONF_USERNAME: data.get(CONF_USERNAME), CONF_SERVER: server}
    if custom_url is not None:
        values[CONF_CUSTOM_URL] = custom_url
    return values


def _form_echo(user_input: Mapping[str, Any]) -> dict[str, Any]:
    """What the user typed, to show again after an error (never the password)."""
    return {key: value for key, value in user_input.items() if key != CONF_PASSWORD}


class CloudSteps(FlowBase):
    """Log in to the portal, pick a station; reauth and reconfigure of cloud entries."""

    def __init__(self) -> None:
        """Start with no cloud login."""
        super().__init__()
        self._login: CloudLogin | None = None
        self._plants: dict[int, Plant] = {}

    async def _async_check_cloud(
        self, user_input: Mapping[str, Any], *, stored_password: str | None = None
    ) -> tuple[CloudLogin | None, dict[str, str]]:
        """Resolve the server and log in with the form's account: (login, no errors) or errors.

        An empty password stands for ``stored_password`` (reconfigure keeps the stored one).
        """
        try:
            server, base_url = chosen_server(
                str(user_input.get(CONF_SERVER, DEFAULT_SERVER)), user_input.get(CONF_CUSTOM_URL)
            )
        except ValueError:
            return None, {CONF_CUSTOM_URL: "invalid_url"}
        username = str(user_input[CONF_USERNAME]).strip()
        password = str(user_input.get(CONF_PASSWORD) or stored_password or "")
        if not password:
            return None, {"base": "invalid_auth"}
        # A session of its own (its own cookie jar), detached once the check is done.
        session = async_create_clientsession(self.hass, auto_cleanup=False)
        try:
            account = await async_check_login(session, base_url, username, password)
        finally:
            session.detach()
        if isinstance(account, str):
            return None, {"base": account}
        data = {
            CONF_TRANSPORT: TRANSPORT_CLOUD,
            CONF_SERVER: server,
            CONF_USERNAME: username,
            CONF_PASSWORD: password,
        }
        return CloudLogin(data=data, base_url=base_url, account=account), {}

    async def async_step_cloud(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Portal server and account, checked by logging in."""
        errors: dict[str, str] = {}
        if user_input is not None:
            login, errors = await self._async_check_cloud(user_input)
            if login is not None:
                plants = plants_with_inverters(login.account)
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
            if station_unique_id(self._login.base_url, plant.plant_id) not in configured
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
                                    value=str(plant.plant_id), label=station_label(plant)
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
        await self.async_set_unique_id(station_unique_id(self._login.base_url, plant.plant_id))
        self._abort_if_unique_id_configured()
        return self.async_create_entry(
            title=station_title(plant),
            data={**self._login.data, CONF_PLANT_ID: plant.plant_id},
        )

    async def async_step_reauth(self, entry_data: Mapping[str, Any]) -> ConfigFlowResult:
        """The portal refused the stored password."""
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
                    **_stored_form_values(entry.data),
                    CONF_USERNAME: entry.data[CONF_USERNAME],
                    CONF_PASSWORD: user_input[CONF_PASSWORD],
                }
            )
            if errors.pop(CONF_CUSTOM_URL, None):  # pragma: no cover - a stored URL was valid
                errors["base"] = "invalid_url"
            if login is not None:
                self._async_apply(
                    entry,
                    reload_unchanged=True,
                    data={**entry.data, CONF_PASSWORD: user_input[CONF_PASSWORD]},
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
                if (refused := self._refuse_during_calibration(entry)) is not None:
                    return refused
                unique_id = station_unique_id(login.base_url, plant_id)
                if self._unique_id_taken(entry, unique_id):
                    return self.async_abort(reason="already_configured")
                self._async_apply(
                    entry, data={**login.data, CONF_PLANT_ID: plant_id}, unique_id=unique_id
                )
                return self.async_abort(reason="reconfigure_successful")
        values = (
            _form_echo(user_input) if user_input is not None else _stored_form_values(entry.data)
        )
        return self.async_show_form(
            step_id="reconfigure_cloud",
            data_schema=_cloud_schema(values, keep_password=True),
            errors=errors,
            description_placeholders={"name": entry.title},
        )
