"""Checking an account from a set-up form: server choice, one real login, station naming (pure).

What the config flow needs of the portal, without Home Assistant: the chosen server as stored
and as a base URL, a login whose failure is one translation key of ``config.error``, the
stations worth offering, and the entry's unique id and title for a station.
"""

from __future__ import annotations

import logging

import aiohttp

from .client import SERVERS, Eg4CloudClient, resolve_base_url
from .errors import Eg4AuthError, Eg4PermissionError, Eg4TransientError
from .models import Account, Plant

_LOGGER = logging.getLogger(__name__)

SERVER_CUSTOM = "custom"
# Logging in from a form: one quick retry of a busy portal, then tell the user.
LOGIN_RETRY_DELAYS: tuple[float, ...] = (1.0,)
LOGIN_TIMEOUT_S = 20.0


def chosen_server(server: str, custom_url: str | None) -> tuple[str, str]:
    """(value to store, base URL) of the form's choice; ValueError for a refused URL."""
    if server != SERVER_CUSTOM:
        if server not in SERVERS:  # pragma: no cover - the select selector refuses it first
            raise ValueError("unknown server")
        return server, resolve_base_url(server)
    base_url = resolve_base_url(str(custom_url or "").strip())
    return base_url, base_url


def server_choice(stored: str) -> tuple[str, str | None]:
    """(server choice, custom URL) a stored server shows as in the form."""
    return (stored, None) if stored in SERVERS else (SERVER_CUSTOM, stored)


async def async_check_login(
    session: aiohttp.ClientSession, base_url: str, username: str, password: str
) -> Account | str:
    """Log in once for real: the account, or the error key to show."""
    client = Eg4CloudClient(
        session,
        base_url=base_url,
        username=username,
        password=password,
        retry_delays=LOGIN_RETRY_DELAYS,
        timeout_s=LOGIN_TIMEOUT_S,
    )
    try:
        return await client.login()
    except Eg4AuthError:
        return "invalid_auth"
    except Eg4PermissionError:
        return "permission_denied"
    except (Eg4TransientError, aiohttp.ClientError, TimeoutError):
        return "cannot_connect"
    except Exception:
        # The client's errors carry the request path and portal code, never the password.
        _LOGGER.exception("Unexpected error while logging in to the EG4 cloud at %s", base_url)
        return "unknown"


def plants_with_inverters(account: Account) -> list[Plant]:
    """Stations that have at least one inverter (a GridBOSS alone is nothing to monitor)."""
    return [
        plant
        for plant in account.plants
        if any(not inverter.is_gridboss for inverter in plant.inverters)
    ]


def station_unique_id(base_url: str, plant_id: int) -> str:
    """One entry per portal and station."""
    return f"cloud:{base_url}:{plant_id}"


def station_title(plant: Plant) -> str:
    """The entry's title: the station's name, or its number."""
    name = (plant.name or "").strip()
    return f"EG4 {name}" if name else f"EG4 station {plant.plant_id}"


def station_label(plant: Plant) -> str:
    """The station as the picker lists it."""
    name = (plant.name or "").strip()
    return f"{name} ({plant.plant_id})" if name else str(plant.plant_id)
