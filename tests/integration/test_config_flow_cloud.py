"""The EG4 cloud path of the config flow: login, station, reauth, reconfigure and options.

Most tests replace the portal client (``cloud.login.Eg4CloudClient``) by an autospec mock; the
``real client`` tests log in with the real client to the simulator's portal on 127.0.0.1.
Setting up the created entry is not the subject here: ``async_setup_entry`` is patched.
"""

from __future__ import annotations

import json
import logging
import socket
from collections.abc import AsyncIterator, Iterator, Mapping
from pathlib import Path
from typing import Any
from unittest.mock import AsyncMock, MagicMock, patch

import aiohttp
import pytest
import voluptuous as vol
from homeassistant.config_entries import SOURCE_REAUTH, SOURCE_USER, ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType, InvalidData
from homeassistant.exceptions import ConfigEntryAuthFailed
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.eg4 import config_flow
from custom_components.eg4.cloud import (
    SERVERS,
    Account,
    Eg4ApiError,
    Eg4AuthError,
    Eg4ConnectionError,
    Eg4PermissionError,
    Eg4TransientError,
    InverterRef,
    Plant,
)
from custom_components.eg4.cloud import login as cloud_login
from custom_components.eg4.const import DOMAIN
from custom_components.eg4.runtime import Eg4ConfigEntry, Eg4RuntimeData
from simulator import build_twin
from simulator.cloud_api import CloudApiServer

EG4_URL = "https://monitor.eg4electronics.com"
EU_URL = "https://eu.luxpowertek.com"
USERNAME = "solar@example.com"
PASSWORD = "correct horse battery staple"  # noqa: S105 - test credentials
NEW_PASSWORD = "new-Pa55word!"  # noqa: S105 - test credentials

CLOUD_INPUT: dict[str, Any] = {"server": "eg4", "username": USERNAME, "password": PASSWORD}
CLOUD_DATA: dict[str, Any] = {
    "transport": "cloud",
    "server": "eg4",
    "username": USERNAME,
    "password": PASSWORD,
    "plant_id": 10001,
}
CLOUD_UNIQUE_ID = f"cloud:{EG4_URL}:10001"
TRANSLATIONS = Path(config_flow.__file__).parent / "translations" / "en.json"


def _inverter(serial: str) -> InverterRef:
    return InverterRef(serial=serial, model="18KPV", device_type=6)


def _gridboss(serial: str) -> InverterRef:
    return InverterRef(serial=serial, model="GridBOSS", device_type=9)


HOME = Plant(
    plant_id=10001,
    name="Home",
    inverters=(_inverter("4500000001"), _inverter("4500000002"), _gridboss("5000000001")),
)
BARN = Plant(plant_id=10002, name="Barn", inverters=(_inverter("4500000003"),))
BOSS_ONLY = Plant(plant_id=10003, name="Meter room", inverters=(_gridboss("5000000002"),))
ONE_PLANT = Account(user_id=5001, username=USERNAME, plants=(HOME,))
TWO_PLANTS = Account(user_id=5001, username=USERNAME, plants=(HOME, BARN))


# ---- fixtures and helpers ----------------------------------------------------------------


async def _set_up_idle(hass: HomeAssistant, entry: Eg4ConfigEntry) -> bool:
    """A set-up entry with no calibration running (what the flows ask before a change)."""
    entry.runtime_data = Eg4RuntimeData(coordinator=MagicMock(), supervisor=MagicMock(run=None))
    return True


@pytest.fixture(autouse=True)
def mock_setup() -> Iterator[AsyncMock]:
    """Entries created or changed here are "set up" without a transport."""
    with (
        patch("custom_components.eg4.async_setup_entry", side_effect=_set_up_idle) as setup,
        patch("custom_components.eg4.async_unload_entry", return_value=True),
    ):
        yield setup


@pytest.fixture
def client_cls() -> Iterator[MagicMock]:
    """The portal client class as the config flow sees it; logins return ``ONE_PLANT``."""
    with patch.object(cloud_login, "Eg4CloudClient", autospec=True) as cls:
        cls.return_value.login.return_value = ONE_PLANT
        yield cls


@pytest.fixture
def no_retry_delay() -> Iterator[None]:
    """The flow's one retry of a busy portal, without the wait."""
    with patch.object(cloud_login, "LOGIN_RETRY_DELAYS", (0.0,)):
        yield


def _login(client_cls: MagicMock) -> AsyncMock:
    login: AsyncMock = client_cls.return_value.login
    return login


def _client_kwargs(client_cls: MagicMock) -> dict[str, Any]:
    """base_url / username / password of the last client the flow built."""
    kwargs = client_cls.call_args.kwargs
    return {key: kwargs[key] for key in ("base_url", "username", "password")}


async def _start_cloud(hass: HomeAssistant) -> Any:
    """Open the flow and pick the EG4 cloud menu entry."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert result["type"] is FlowResultType.MENU
    assert result["menu_options"] == ["local_mqtt", "cloud"]
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "cloud"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "cloud"
    assert not result["errors"]
    return result


async def _submit(
    hass: HomeAssistant, result: Mapping[str, Any], user_input: dict[str, Any]
) -> Any:
    return await hass.config_entries.flow.async_configure(result["flow_id"], user_input)


def _prefill(result: Mapping[str, Any]) -> dict[str, Any]:
    """What the form shows before the user types: each field's suggested value or default."""
    values: dict[str, Any] = {}
    for key in result["data_schema"].schema:
        suggested = (key.description or {}).get("suggested_value")
        if suggested is not None:
            values[str(key)] = suggested
        elif key.default is not vol.UNDEFINED:
            values[str(key)] = key.default()
    return values


def _selector(result: Mapping[str, Any], field: str) -> Any:
    for key, value in result["data_schema"].schema.items():
        if str(key) == field:
            return value
    raise AssertionError(f"no field {field}")


def _created(hass: HomeAssistant, result: Any) -> MockConfigEntry:
    assert result["type"] is FlowResultType.CREATE_ENTRY
    entry = hass.config_entries.async_get_entry(result["result"].entry_id)
    assert entry is not None
    return entry


def _cloud_entry(**overrides: Any) -> MockConfigEntry:
    return MockConfigEntry(
        domain=DOMAIN,
        title=overrides.pop("title", "EG4 Home"),
        data={**CLOUD_DATA, **overrides.pop("data", {})},
        unique_id=overrides.pop("unique_id", CLOUD_UNIQUE_ID),
        **overrides,
    )


async def _add(hass: HomeAssistant, entry: MockConfigEntry) -> MockConfigEntry:
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    return entry


@pytest.fixture
async def cloud_entry(hass: HomeAssistant) -> MockConfigEntry:
    """A loaded cloud entry for station 10001 on the EG4 server."""
    return await _add(hass, _cloud_entry())


LOGIN_ERRORS = [
    (Eg4AuthError("refused", code="LOGIN_ERROR_DISMATCH"), "invalid_auth"),
    (Eg4PermissionError("blocked", code="apiBlocked"), "permission_denied"),
    (Eg4ConnectionError("down", code="NETWORK"), "cannot_connect"),
    (Eg4TransientError("busy", code="DATAFRAME_TIMEOUT"), "cannot_connect"),
    (aiohttp.ClientConnectionError("reset"), "cannot_connect"),
    (TimeoutError(), "cannot_connect"),
    (Eg4ApiError("odd answer", code="BAD_RESPONSE"), "unknown"),
    (RuntimeError("surprise"), "unknown"),
]
LOGIN_ERROR_IDS = [f"{type(exc).__name__}-{error}" for exc, error in LOGIN_ERRORS]


# ---- the cloud step ------------------------------------------------------------------------


async def test_cloud_form(hass: HomeAssistant) -> None:
    result = await _start_cloud(hass)
    assert _prefill(result) == {"server": "eg4"}
    assert [str(key) for key in result["data_schema"].schema] == [
        "server",
        "custom_url",
        "username",
        "password",
    ]
    server = _selector(result, "server").config
    assert server["options"] == [*SERVERS, "custom"]
    assert server["translation_key"] == "server"
    assert _selector(result, "password").config["type"] == "password"
    assert _selector(result, "custom_url").config["type"] == "url"
    with pytest.raises(InvalidData):
        await _submit(hass, result, {**CLOUD_INPUT, "server": "mars"})


async def test_empty_password_is_refused_without_a_login(
    hass: HomeAssistant, client_cls: MagicMock
) -> None:
    """A blank password (whitespace counts as typed) never reaches the portal."""
    result = await _start_cloud(hass)
    result = await _submit(hass, result, {**CLOUD_INPUT, "password": ""})
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "invalid_auth"}
    assert client_cls.call_count == 0
    result = await _submit(hass, result, CLOUD_INPUT)
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_single_station_creates_entry(
    hass: HomeAssistant, client_cls: MagicMock, mock_setup: AsyncMock
) -> None:
    result = await _start_cloud(hass)
    result = await _submit(hass, result, {**CLOUD_INPUT, "username": f"  {USERNAME} "})
    await hass.async_block_till_done()

    entry = _created(hass, result)
    assert result["title"] == "EG4 Home"
    assert entry.title == "EG4 Home"
    assert dict(entry.data) == CLOUD_DATA
    assert type(entry.data["plant_id"]) is int
    assert entry.unique_id == CLOUD_UNIQUE_ID
    assert entry.options == {}
    assert entry.state is ConfigEntryState.LOADED
    mock_setup.assert_called_once()
    # A real login, on a session of its own, against the chosen server.
    client_cls.assert_called_once()
    assert isinstance(client_cls.call_args.args[0], aiohttp.ClientSession)
    assert _client_kwargs(client_cls) == {
        "base_url": EG4_URL,
        "username": USERNAME,
        "password": PASSWORD,
    }
    _login(client_cls).assert_awaited_once()


async def test_region_server_ignores_the_custom_url(
    hass: HomeAssistant, client_cls: MagicMock
) -> None:
    result = await _start_cloud(hass)
    result = await _submit(
        hass, result, {**CLOUD_INPUT, "server": "eu", "custom_url": "https://elsewhere.example"}
    )
    entry = _created(hass, result)
    assert entry.data["server"] == "eu"
    assert entry.unique_id == f"cloud:{EU_URL}:10001"
    assert _client_kwargs(client_cls)["base_url"] == EU_URL


async def test_custom_url_creates_entry(hass: HomeAssistant, client_cls: MagicMock) -> None:
    result = await _start_cloud(hass)
    result = await _submit(
        hass, result, {**CLOUD_INPUT, "server": "custom", "custom_url": " https://portal.example/ "}
    )
    entry = _created(hass, result)
    assert entry.data["server"] == "https://portal.example"
    assert entry.unique_id == "cloud:https://portal.example:10001"
    assert _client_kwargs(client_cls)["base_url"] == "https://portal.example"


async def test_title_falls_back_to_the_station_id(
    hass: HomeAssistant, client_cls: MagicMock
) -> None:
    _login(client_cls).return_value = Account(
        plants=(Plant(plant_id=77, inverters=HOME.inverters),)
    )
    result = await _start_cloud(hass)
    result = await _submit(hass, result, CLOUD_INPUT)
    entry = _created(hass, result)
    assert entry.title == "EG4 station 77"
    assert entry.data["plant_id"] == 77
    assert entry.unique_id == f"cloud:{EG4_URL}:77"


async def test_gridboss_only_station_is_not_offered(
    hass: HomeAssistant, client_cls: MagicMock
) -> None:
    """A station whose only device is a GridBOSS does not count: the other one is taken."""
    _login(client_cls).return_value = Account(plants=(BOSS_ONLY, BARN))
    result = await _start_cloud(hass)
    result = await _submit(hass, result, CLOUD_INPUT)
    entry = _created(hass, result)
    assert entry.title == "EG4 Barn"
    assert entry.data["plant_id"] == 10002


@pytest.mark.parametrize(
    "plants",
    [(), (BOSS_ONLY,), (Plant(plant_id=5, name="Empty"),)],
    ids=["no-station", "gridboss-only", "empty-station"],
)
async def test_no_inverters_aborts(
    hass: HomeAssistant, client_cls: MagicMock, plants: tuple[Plant, ...]
) -> None:
    _login(client_cls).return_value = Account(plants=plants)
    result = await _start_cloud(hass)
    result = await _submit(hass, result, CLOUD_INPUT)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "no_inverters"
    assert not hass.config_entries.async_entries(DOMAIN)


async def test_several_stations_ask_which(hass: HomeAssistant, client_cls: MagicMock) -> None:
    _login(client_cls).return_value = Account(plants=(HOME, BOSS_ONLY, BARN))
    result = await _start_cloud(hass)
    result = await _submit(hass, result, CLOUD_INPUT)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "station"
    assert not result["errors"]
    assert _prefill(result) == {"plant_id": "10001"}
    assert _selector(result, "plant_id").config["options"] == [
        {"value": "10001", "label": "Home (10001)"},
        {"value": "10002", "label": "Barn (10002)"},
    ]
    with pytest.raises(InvalidData):
        await _submit(hass, result, {"plant_id": "10003"})

    result = await _submit(hass, result, {"plant_id": "10002"})
    entry = _created(hass, result)
    assert entry.title == "EG4 Barn"
    assert dict(entry.data) == {**CLOUD_DATA, "plant_id": 10002}
    assert entry.unique_id == f"cloud:{EG4_URL}:10002"
    _login(client_cls).assert_awaited_once()


async def test_station_step_lists_only_new_stations(
    hass: HomeAssistant, client_cls: MagicMock, cloud_entry: MockConfigEntry
) -> None:
    _login(client_cls).return_value = TWO_PLANTS
    result = await _start_cloud(hass)
    result = await _submit(hass, result, CLOUD_INPUT)
    assert result["step_id"] == "station"
    assert _selector(result, "plant_id").config["options"] == [
        {"value": "10002", "label": "Barn (10002)"}
    ]
    result = await _submit(hass, result, {"plant_id": "10002"})
    assert _created(hass, result).unique_id == f"cloud:{EG4_URL}:10002"
    assert len(hass.config_entries.async_entries(DOMAIN)) == 2


async def test_every_station_already_configured_aborts(
    hass: HomeAssistant, client_cls: MagicMock, cloud_entry: MockConfigEntry
) -> None:
    await _add(hass, _cloud_entry(title="EG4 Barn", unique_id=f"cloud:{EG4_URL}:10002"))
    _login(client_cls).return_value = TWO_PLANTS
    result = await _start_cloud(hass)
    result = await _submit(hass, result, CLOUD_INPUT)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_duplicate_station_aborts(
    hass: HomeAssistant, client_cls: MagicMock, cloud_entry: MockConfigEntry
) -> None:
    result = await _start_cloud(hass)
    result = await _submit(hass, result, {**CLOUD_INPUT, "password": NEW_PASSWORD})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert hass.config_entries.async_entries(DOMAIN) == [cloud_entry]
    assert cloud_entry.data["password"] == PASSWORD


async def test_same_station_through_a_custom_url_of_the_same_server_is_a_duplicate(
    hass: HomeAssistant, client_cls: MagicMock, cloud_entry: MockConfigEntry
) -> None:
    result = await _start_cloud(hass)
    result = await _submit(
        hass, result, {**CLOUD_INPUT, "server": "custom", "custom_url": f"{EG4_URL}/"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_same_station_id_on_another_server_is_a_new_entry(
    hass: HomeAssistant, client_cls: MagicMock, cloud_entry: MockConfigEntry
) -> None:
    result = await _start_cloud(hass)
    result = await _submit(hass, result, {**CLOUD_INPUT, "server": "eu"})
    assert _created(hass, result).unique_id == f"cloud:{EU_URL}:10001"


@pytest.mark.parametrize(("exc", "error"), LOGIN_ERRORS, ids=LOGIN_ERROR_IDS)
async def test_login_error_then_recovery(
    hass: HomeAssistant, client_cls: MagicMock, exc: Exception, error: str
) -> None:
    _login(client_cls).side_effect = [exc, ONE_PLANT]
    result = await _start_cloud(hass)
    typed = {**CLOUD_INPUT, "server": "eu"}
    result = await _submit(hass, result, typed)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "cloud"
    assert result["errors"] == {"base": error}
    assert not hass.config_entries.async_entries(DOMAIN)
    # The form keeps what was typed, except the password.
    assert _prefill(result) == {"server": "eu", "username": USERNAME}

    result = await _submit(hass, result, typed)
    entry = _created(hass, result)
    assert dict(entry.data) == {**CLOUD_DATA, "server": "eu"}
    assert _login(client_cls).await_count == 2


async def test_unexpected_error_is_logged_without_the_password(
    hass: HomeAssistant, client_cls: MagicMock, caplog: pytest.LogCaptureFixture
) -> None:
    _login(client_cls).side_effect = RuntimeError("surprise")
    result = await _start_cloud(hass)
    with caplog.at_level(logging.DEBUG):
        result = await _submit(hass, result, CLOUD_INPUT)
    assert result["errors"] == {"base": "unknown"}
    assert "Unexpected error while logging in to the EG4 cloud" in caplog.text
    assert "surprise" in caplog.text
    assert PASSWORD not in caplog.text


@pytest.mark.parametrize(
    "url",
    [
        "",
        "   ",
        "portal.example",
        "http://portal.example",
        "ftp://portal.example",
        "https://user:secret@portal.example",
        "https://portal.example/?x=1",
        "https://portal.example/#top",
    ],
)
async def test_bad_custom_url_then_recovery(
    hass: HomeAssistant, client_cls: MagicMock, url: str
) -> None:
    result = await _start_cloud(hass)
    typed = {**CLOUD_INPUT, "server": "custom", "custom_url": url}
    result = await _submit(hass, result, typed)
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"custom_url": "invalid_url"}
    client_cls.assert_not_called()  # nothing is sent to a refused URL
    assert _prefill(result)["server"] == "custom"

    result = await _submit(hass, result, {**typed, "custom_url": "https://portal.example"})
    assert _created(hass, result).data["server"] == "https://portal.example"


async def test_custom_server_without_url_is_refused(
    hass: HomeAssistant, client_cls: MagicMock
) -> None:
    result = await _start_cloud(hass)
    result = await _submit(hass, result, {**CLOUD_INPUT, "server": "custom"})
    assert result["errors"] == {"custom_url": "invalid_url"}
    client_cls.assert_not_called()


# ---- the real client against the simulated portal ------------------------------------------


@pytest.fixture
async def portal(socket_enabled: None) -> AsyncIterator[CloudApiServer]:
    """The simulator's portal on 127.0.0.1: one station (10001) with two 18kPV."""
    server = CloudApiServer(build_twin("healthy"), username=USERNAME, password=PASSWORD)
    await server.start()
    yield server
    await server.stop()


async def test_real_client_wrong_password_then_entry(
    hass: HomeAssistant, portal: CloudApiServer
) -> None:
    result = await _start_cloud(hass)
    typed = {"server": "custom", "custom_url": portal.base_url, "username": USERNAME}
    result = await _submit(hass, result, {**typed, "password": "wrong"})
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "invalid_auth"}
    assert portal.logins == 0

    result = await _submit(hass, result, {**typed, "password": PASSWORD})
    await hass.async_block_till_done()
    entry = _created(hass, result)
    assert entry.title == "EG4 Simulated Station"
    assert dict(entry.data) == {
        "transport": "cloud",
        "server": portal.base_url,
        "username": USERNAME,
        "password": PASSWORD,
        "plant_id": 10001,
    }
    assert entry.unique_id == f"cloud:{portal.base_url}:10001"
    assert portal.logins == 1


@pytest.mark.parametrize(
    ("msg", "count", "error"),
    [("apiBlocked", 1, "permission_denied"), ("DATAFRAME_TIMEOUT", 2, "cannot_connect")],
)
@pytest.mark.usefixtures("no_retry_delay")
async def test_real_client_portal_refusal_then_entry(
    hass: HomeAssistant, portal: CloudApiServer, msg: str, count: int, error: str
) -> None:
    """A busy portal is retried once before the form says so; a blocked account is not."""
    portal.inject_error(msg, count=count, path="login")
    result = await _start_cloud(hass)
    typed = {**CLOUD_INPUT, "server": "custom", "custom_url": portal.base_url}
    result = await _submit(hass, result, typed)
    assert result["errors"] == {"base": error}
    assert portal.requests["/WManage/api/login"] == count

    result = await _submit(hass, result, typed)
    assert _created(hass, result).data["plant_id"] == 10001


@pytest.mark.usefixtures("no_retry_delay", "socket_enabled")
async def test_real_client_nothing_listening(hass: HomeAssistant) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = await _start_cloud(hass)
    result = await _submit(
        hass, result, {**CLOUD_INPUT, "server": "custom", "custom_url": f"http://127.0.0.1:{port}"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "cannot_connect"}


# ---- reauth --------------------------------------------------------------------------------


async def test_reauth_success(
    hass: HomeAssistant, client_cls: MagicMock, cloud_entry: MockConfigEntry
) -> None:
    result = await cloud_entry.start_reauth_flow(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reauth_confirm"
    assert [str(key) for key in result["data_schema"].schema] == ["password"]
    assert _prefill(result) == {}
    assert result["description_placeholders"] == {"username": USERNAME, "name": "EG4 Home"}

    result = await _submit(hass, result, {"password": NEW_PASSWORD})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    await hass.async_block_till_done()
    assert dict(cloud_entry.data) == {**CLOUD_DATA, "password": NEW_PASSWORD}
    assert cloud_entry.unique_id == CLOUD_UNIQUE_ID
    assert _client_kwargs(client_cls) == {
        "base_url": EG4_URL,
        "username": USERNAME,
        "password": NEW_PASSWORD,
    }


@pytest.mark.parametrize(("exc", "error"), LOGIN_ERRORS, ids=LOGIN_ERROR_IDS)
async def test_reauth_error_then_recovery(
    hass: HomeAssistant,
    client_cls: MagicMock,
    cloud_entry: MockConfigEntry,
    exc: Exception,
    error: str,
) -> None:
    _login(client_cls).side_effect = [exc, ONE_PLANT]
    result = await cloud_entry.start_reauth_flow(hass)
    result = await _submit(hass, result, {"password": "typo"})
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reauth_confirm"
    assert result["errors"] == {"base": error}
    assert dict(cloud_entry.data) == CLOUD_DATA

    result = await _submit(hass, result, {"password": NEW_PASSWORD})
    assert result["reason"] == "reauth_successful"
    await hass.async_block_till_done()
    assert cloud_entry.data["password"] == NEW_PASSWORD


async def test_reauth_uses_the_stored_custom_server(
    hass: HomeAssistant, client_cls: MagicMock
) -> None:
    entry = await _add(
        hass,
        _cloud_entry(
            data={"server": "https://portal.example"},
            unique_id="cloud:https://portal.example:10001",
        ),
    )
    result = await entry.start_reauth_flow(hass)
    result = await _submit(hass, result, {"password": NEW_PASSWORD})
    assert result["reason"] == "reauth_successful"
    assert _client_kwargs(client_cls)["base_url"] == "https://portal.example"
    assert entry.data["server"] == "https://portal.example"


async def test_reauth_after_failed_setup_sets_the_entry_up(
    hass: HomeAssistant, client_cls: MagicMock, mock_setup: AsyncMock
) -> None:
    """Setup refused the password: the reauth flow starts, and its success sets the entry up."""
    mock_setup.side_effect = [ConfigEntryAuthFailed("refused"), True]
    entry = _cloud_entry()
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.SETUP_ERROR
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]

    result = await _submit(hass, flows[0], {"password": NEW_PASSWORD})
    assert result["reason"] == "reauth_successful"
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED  # type: ignore[comparison-overlap]
    assert mock_setup.call_count == 2
    assert entry.data["password"] == NEW_PASSWORD


async def test_reauth_with_the_same_password_reloads(
    hass: HomeAssistant, client_cls: MagicMock, cloud_entry: MockConfigEntry, mock_setup: AsyncMock
) -> None:
    """Nothing changed, so no update listener fires: the flow reloads the entry itself."""
    assert mock_setup.call_count == 1
    result = await cloud_entry.start_reauth_flow(hass)
    result = await _submit(hass, result, {"password": PASSWORD})
    assert result["reason"] == "reauth_successful"
    await hass.async_block_till_done()
    assert mock_setup.call_count == 2
    assert cloud_entry.state is ConfigEntryState.LOADED


async def test_reauth_of_a_loaded_entry_leaves_the_reload_to_its_listener(
    hass: HomeAssistant, client_cls: MagicMock, cloud_entry: MockConfigEntry, mock_setup: AsyncMock
) -> None:
    """A changed, loaded entry is reloaded by the update listener setup registers, not twice."""
    listener = AsyncMock()
    cloud_entry.add_update_listener(listener)
    result = await cloud_entry.start_reauth_flow(hass)
    result = await _submit(hass, result, {"password": NEW_PASSWORD})
    assert result["reason"] == "reauth_successful"
    await hass.async_block_till_done()
    listener.assert_awaited_once()
    assert mock_setup.call_count == 1


# ---- reconfigure ---------------------------------------------------------------------------


async def test_reconfigure_form_shows_the_stored_settings(
    hass: HomeAssistant, client_cls: MagicMock, cloud_entry: MockConfigEntry
) -> None:
    result = await cloud_entry.start_reconfigure_flow(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reconfigure_cloud"
    assert _prefill(result) == {"server": "eg4", "username": USERNAME}  # never the password
    password = next(key for key in result["data_schema"].schema if str(key) == "password")
    assert isinstance(password, vol.Optional)


async def test_reconfigure_form_shows_a_custom_server_as_its_url(
    hass: HomeAssistant, client_cls: MagicMock
) -> None:
    entry = await _add(
        hass,
        _cloud_entry(
            data={"server": "https://portal.example"},
            unique_id="cloud:https://portal.example:10001",
        ),
    )
    result = await entry.start_reconfigure_flow(hass)
    assert _prefill(result) == {
        "server": "custom",
        "custom_url": "https://portal.example",
        "username": USERNAME,
    }


async def test_reconfigure_success(
    hass: HomeAssistant, client_cls: MagicMock, cloud_entry: MockConfigEntry
) -> None:
    result = await cloud_entry.start_reconfigure_flow(hass)
    result = await _submit(
        hass, result, {"server": "eu", "username": "other@example.com", "password": NEW_PASSWORD}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    assert dict(cloud_entry.data) == {
        **CLOUD_DATA,
        "server": "eu",
        "username": "other@example.com",
        "password": NEW_PASSWORD,
    }
    assert cloud_entry.unique_id == f"cloud:{EU_URL}:10001"
    assert cloud_entry.title == "EG4 Home"
    assert _client_kwargs(client_cls) == {
        "base_url": EU_URL,
        "username": "other@example.com",
        "password": NEW_PASSWORD,
    }


async def test_reconfigure_without_password_keeps_the_stored_one(
    hass: HomeAssistant, client_cls: MagicMock, cloud_entry: MockConfigEntry
) -> None:
    result = await cloud_entry.start_reconfigure_flow(hass)
    result = await _submit(
        hass,
        result,
        {"server": "custom", "custom_url": "https://portal.example", "username": USERNAME},
    )
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    assert _client_kwargs(client_cls)["password"] == PASSWORD
    assert dict(cloud_entry.data) == {**CLOUD_DATA, "server": "https://portal.example"}
    assert cloud_entry.unique_id == "cloud:https://portal.example:10001"


async def test_reconfigure_unchanged_does_not_reload(
    hass: HomeAssistant, client_cls: MagicMock, cloud_entry: MockConfigEntry, mock_setup: AsyncMock
) -> None:
    """Nothing changed for a loaded entry: no reload (it would end a running calibration)."""
    result = await cloud_entry.start_reconfigure_flow(hass)
    result = await _submit(hass, result, CLOUD_INPUT)
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    assert dict(cloud_entry.data) == CLOUD_DATA
    assert mock_setup.call_count == 1
    assert cloud_entry.state is ConfigEntryState.LOADED


@pytest.mark.parametrize(
    "account",
    [Account(plants=(BARN,)), Account()],
    ids=["other-station", "no-station"],
)
async def test_reconfigure_wrong_account_aborts(
    hass: HomeAssistant, client_cls: MagicMock, cloud_entry: MockConfigEntry, account: Account
) -> None:
    _login(client_cls).return_value = account
    result = await cloud_entry.start_reconfigure_flow(hass)
    result = await _submit(hass, result, {**CLOUD_INPUT, "username": "stranger@example.com"})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "wrong_account"
    assert dict(cloud_entry.data) == CLOUD_DATA
    assert cloud_entry.unique_id == CLOUD_UNIQUE_ID


async def test_reconfigure_onto_another_entry_aborts(
    hass: HomeAssistant, client_cls: MagicMock, cloud_entry: MockConfigEntry
) -> None:
    other = await _add(hass, _cloud_entry(data={"server": "eu"}, unique_id=f"cloud:{EU_URL}:10001"))
    result = await cloud_entry.start_reconfigure_flow(hass)
    result = await _submit(hass, result, {**CLOUD_INPUT, "server": "eu"})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert dict(cloud_entry.data) == CLOUD_DATA
    assert other.data["server"] == "eu"


@pytest.mark.parametrize(("exc", "error"), LOGIN_ERRORS, ids=LOGIN_ERROR_IDS)
async def test_reconfigure_error_then_recovery(
    hass: HomeAssistant,
    client_cls: MagicMock,
    cloud_entry: MockConfigEntry,
    exc: Exception,
    error: str,
) -> None:
    _login(client_cls).side_effect = [exc, ONE_PLANT]
    result = await cloud_entry.start_reconfigure_flow(hass)
    typed = {"server": "eu", "username": USERNAME, "password": NEW_PASSWORD}
    result = await _submit(hass, result, typed)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reconfigure_cloud"
    assert result["errors"] == {"base": error}
    assert _prefill(result) == {"server": "eu", "username": USERNAME}
    assert dict(cloud_entry.data) == CLOUD_DATA

    result = await _submit(hass, result, typed)
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    assert cloud_entry.data["server"] == "eu"
    assert cloud_entry.data["password"] == NEW_PASSWORD


async def test_reconfigure_bad_custom_url_then_recovery(
    hass: HomeAssistant, client_cls: MagicMock, cloud_entry: MockConfigEntry
) -> None:
    result = await cloud_entry.start_reconfigure_flow(hass)
    typed = {**CLOUD_INPUT, "server": "custom", "custom_url": "http://portal.example"}
    result = await _submit(hass, result, typed)
    assert result["errors"] == {"custom_url": "invalid_url"}
    client_cls.assert_not_called()
    result = await _submit(hass, result, {**typed, "custom_url": "https://portal.example"})
    assert result["reason"] == "reconfigure_successful"


# ---- options -------------------------------------------------------------------------------


async def test_cloud_options_defaults(hass: HomeAssistant, cloud_entry: MockConfigEntry) -> None:
    result = await hass.config_entries.options.async_init(cloud_entry.entry_id)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "init"
    assert _prefill(result) == {
        "scan_interval": 60,
        "stale_timeout": 180,
        "confirm_timeout": 60,
        "write_budget_per_hour": 60,  # portal writes reach the inverters' memory too
    }
    # A dict keeps insertion order, as does the prefill: the poll interval comes first.
    assert list(_prefill(result)) == [
        "scan_interval",
        "stale_timeout",
        "confirm_timeout",
        "write_budget_per_hour",
    ]


async def test_cloud_options_stored_as_ints(
    hass: HomeAssistant, cloud_entry: MockConfigEntry
) -> None:
    result = await hass.config_entries.options.async_init(cloud_entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {
            "scan_interval": 120.0,
            "stale_timeout": 600.0,
            "confirm_timeout": 90.0,
            "write_budget_per_hour": 30.0,
        },
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert cloud_entry.options == {
        "scan_interval": 120,
        "stale_timeout": 600,
        "confirm_timeout": 90,
        "write_budget_per_hour": 30,
    }
    assert all(type(value) is int for value in cloud_entry.options.values())
    assert dict(cloud_entry.data) == CLOUD_DATA

    result = await hass.config_entries.options.async_init(cloud_entry.entry_id)
    assert _prefill(result) == {
        "scan_interval": 120,
        "stale_timeout": 600,
        "confirm_timeout": 90,
        "write_budget_per_hour": 30,
    }


@pytest.mark.parametrize("scan_interval", [29, 601])
async def test_cloud_options_scan_interval_range(
    hass: HomeAssistant, cloud_entry: MockConfigEntry, scan_interval: int
) -> None:
    result = await hass.config_entries.options.async_init(cloud_entry.entry_id)
    with pytest.raises(InvalidData):
        await hass.config_entries.options.async_configure(
            result["flow_id"],
            {"scan_interval": scan_interval, "stale_timeout": 180, "confirm_timeout": 60},
        )
    assert cloud_entry.options == {}


@pytest.mark.parametrize("scan_interval", [30, 600])
async def test_cloud_options_scan_interval_limits(
    hass: HomeAssistant, cloud_entry: MockConfigEntry, scan_interval: int
) -> None:
    result = await hass.config_entries.options.async_init(cloud_entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {"scan_interval": scan_interval, "stale_timeout": 180, "confirm_timeout": 60},
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert cloud_entry.options["scan_interval"] == scan_interval


# ---- translations --------------------------------------------------------------------------


def test_cloud_translations_cover_every_field_error_and_abort() -> None:
    strings = json.loads(TRANSLATIONS.read_text())
    config = strings["config"]
    assert config["step"]["user"]["menu_options"]["cloud"]
    for step in ("cloud", "station", "reauth_confirm", "reconfigure_cloud"):
        texts = config["step"][step]
        assert texts["title"]
        assert texts["data"]
        assert set(texts["data_description"]) == set(texts["data"]), step
    fields = {"server", "custom_url", "username", "password"}
    assert set(config["step"]["cloud"]["data"]) == fields
    assert set(config["step"]["reconfigure_cloud"]["data"]) == fields
    assert set(config["step"]["station"]["data"]) == {"plant_id"}
    assert set(config["step"]["reauth_confirm"]["data"]) == {"password"}
    for error in ("invalid_auth", "cannot_connect", "permission_denied", "invalid_url", "unknown"):
        assert config["error"][error]
    for reason in (
        "already_configured",
        "no_inverters",
        "reauth_successful",
        "reconfigure_successful",
        "wrong_account",
    ):
        assert config["abort"][reason]
    assert set(strings["selector"]["server"]["options"]) == {*SERVERS, "custom"}
    options = strings["options"]["step"]["init"]
    assert set(options["data"]) == {
        "scan_interval",
        "stale_timeout",
        "confirm_timeout",
        "add_new_sources",  # MQTT entries only
        "write_budget_per_hour",
        "entity_interval",  # MQTT entries only
    }
    assert set(options["data_description"]) == set(options["data"])
