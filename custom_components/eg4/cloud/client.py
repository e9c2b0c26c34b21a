"""Async client of the EG4 / Luxpower cloud portal ("WManage"), plain aiohttp.

The caller injects the ``aiohttp.ClientSession``; TLS verification is the session's business
and is never turned off here. Every call is a form-encoded POST answered with JSON; the session
is the ``JSESSIONID`` cookie set by the login.

Session expiry shows up as HTTP 401 or as HTTP 200 with an HTML login page. The client then
logs in again once (concurrent callers share that one login) and replays the request once; a
second expiry raises :class:`Eg4AuthError` rather than looping. Busy/timeout answers and network
errors are retried with ``retry_delays``; at most ``max_in_flight`` requests run at once.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from . import parse
from .errors import (
    Eg4ApiError,
    Eg4AuthError,
    Eg4ConnectionError,
    Eg4DeviceRejectedError,
    Eg4PermissionError,
    Eg4TransientError,
)
from .models import Account, BatteryInfo, DeviceOverview, ParallelGroup, PlantInfo, Runtime
from .params import CloudWrite, FunctionWrite
from .wire import MAX_BODY_BYTES, NotJsonError, bad_response, load_json

_LOGGER = logging.getLogger(__name__)

SERVERS: dict[str, str] = {
    "eg4": "https://monitor.eg4electronics.com",
    "us": "https://us.luxpowertek.com",
    "na": "https://na.luxpowertek.com",
    "eu": "https://eu.luxpowertek.com",
    "sea": "https://sea.luxpowertek.com",
    "af": "https://af.luxpowertek.com",
    "server": "https://server.luxpowertek.com",  # Luxpower China
}
DEFAULT_SERVER = "eg4"

LOGIN = "/WManage/api/login"
PLANTS_VIEWER = "/WManage/web/config/plant/list/viewer"
PLANTS_INSTALLER = "/WManage/web/config/plant/list"
DEVICES = "/WManage/api/inverterOverview/list"
PARALLEL_GROUP = "/WManage/api/inverterOverview/getParallelGroupDetails"
RUNTIME = "/WManage/api/inverter/getInverterRuntime"
BATTERY = "/WManage/api/battery/getBatteryInfo"
PARAM_READ = "/WManage/web/maintain/remoteRead/read"
PARAM_WRITE = "/WManage/web/maintain/remoteSet/write"
FUNCTION_CONTROL = "/WManage/web/maintain/remoteSet/functionControl"

COOKIE = "JSESSIONID"
AUTH_CODES = frozenset({"LOGIN_ERROR_DISMATCH", "LOGIN_ERROR", "ACCOUNT_PASSWORD_ERROR"})
PERMISSION_CODES = frozenset({"APIBLOCKED"})
TRANSIENT_CODES = frozenset(
    {"DATAFRAME_TIMEOUT", "TIMEOUT", "BUSY", "COMMUNICATION_ERROR", "DEVICE_BUSY"}
)
_LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
_SERIAL = re.compile(r"[A-Za-z0-9]{1,32}")
_PARAM = re.compile(r"[A-Za-z0-9_]{1,64}")
_VALUE = re.compile(r"[-+0-9A-Za-z_.:]{0,32}")
_PAGE_ROWS = 30
LOGIN_REFUSAL_HOLD_S = 60.0  # a refused login is not retried by other callers this soon
_MAX_PAGES = 20


def resolve_base_url(server: str) -> str:
    """A region key of :data:`SERVERS` or an https URL (http only on loopback, for tests)."""
    candidate = SERVERS.get(server.strip().lower(), server.strip())
    parts = urlsplit(candidate)
    host = parts.hostname or ""
    if not host or parts.query or parts.fragment or parts.username or parts.password:
        raise ValueError("server must be a region key or an https URL")
    if parts.scheme != "https" and not (parts.scheme == "http" and host in _LOOPBACK):
        raise ValueError("server must use https")
    return candidate.rstrip("/")


class _SessionExpiredError(Exception):
    """Internal: the portal no longer knows our session (never escapes the client)."""

    def __init__(self, generation: int) -> None:
        super().__init__("session expired")
        self.generation = generation


class Eg4CloudClient:
    """One portal account on one server."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        base_url: str,
        username: str,
        password: str,
        max_in_flight: int = 3,
        retry_delays: Sequence[float] = (1.0, 2.0, 4.0),
        timeout_s: float = 30.0,
    ) -> None:
        """Bind to a session; nothing is sent until the first call."""
        if max_in_flight < 1:
            raise ValueError("max_in_flight must be >= 1")
        self._session = session
        self.base_url = resolve_base_url(base_url)
        self._username = username
        self._password = password
        self._retry_delays = tuple(float(d) for d in retry_delays)
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._semaphore = asyncio.Semaphore(max_in_flight)
        self._login_lock = asyncio.Lock()
        self._generation = 0  # +1 per successful login
        self._refused: tuple[int, float, Eg4AuthError] | None = None  # generation, when, error
        self._cookie: str | None = None
        self._account: Account | None = None
        self.request_count = 0  # every HTTP request sent, logins included
        self.login_count = 0
        self.in_flight = 0
        self.peak_in_flight = 0

    def __repr__(self) -> str:
        """Identify the server only: no user name, password or cookie."""
        return f"Eg4CloudClient({self.base_url})"

    @property
    def account(self) -> Account | None:
        """The account of the last successful login, if any."""
        return self._account

    # ------------------------------------------------------------------ public API
    async def login(self) -> Account:
        """Log in (again) and return the account with its plants, devices and groups."""

        async def fresh() -> None:
            await self._login_once(self._generation)

        await self._with_retries(LOGIN, fresh)
        if self._account is None:  # pragma: no cover - a successful login always sets it
            raise Eg4ApiError("login returned no account", path=LOGIN)
        return self._account

    async def plants(self) -> tuple[PlantInfo, ...]:
        """Plants (stations) of the account, through the endpoint that fits its role."""
        account = self._account or await self.login()
        path = PLANTS_INSTALLER if account.is_installer else PLANTS_VIEWER
        form = {"sort": "createDate", "order": "desc", "searchText": "", "page": "1"}
        body = await self._request(path, {**form, "rows": "100"})
        return parse.plant_list(body)

    async def devices(self, plant_id: int) -> tuple[DeviceOverview, ...]:
        """Devices of a plant (``-1`` = every plant), all pages."""
        found: dict[str, DeviceOverview] = {}
        for page in range(1, _MAX_PAGES + 1):
            form = {
                "page": str(page),
                "rows": str(_PAGE_ROWS),
                "plantId": str(int(plant_id)),
                "searchText": "",
                "statusText": "all",
            }
            body = await self._request(DEVICES, form)
            rows = parse.device_rows(body)
            for row in rows:
                found.setdefault(row.serial, row)
            total = parse.integer(body.get("total"))
            if not rows or total is None or len(found) >= total or len(rows) < _PAGE_ROWS:
                break
        return tuple(found.values())

    async def parallel_group(self, serial: str) -> ParallelGroup:
        """The parallel group of any member serial."""
        body = await self._request(PARALLEL_GROUP, {"serialNum": _serial(serial)})
        return parse.parallel_group(body)

    async def runtime(self, serial: str) -> Runtime:
        """Live readings of one inverter (``online`` False when the dongle is lost)."""
        serial = _serial(serial)
        return parse.runtime(serial, await self._request(RUNTIME, {"serialNum": serial}))

    async def battery(self, serial: str) -> BatteryInfo:
        """The bank behind one inverter with its packs."""
        serial = _serial(serial)
        return parse.battery(serial, await self._request(BATTERY, {"serialNum": serial}))

    async def read_parameters(
        self, serial: str, start_register: int = 0, count: int = 127
    ) -> dict[str, str]:
        """Named parameters of a register window, values as the portal's (scaled) strings."""
        if not 0 <= start_register <= 65535 or not 1 <= count <= 127:
            raise ValueError("register window out of range")
        form = {
            "inverterSn": _serial(serial),
            "startRegister": str(start_register),
            "pointNumber": str(count),
            "autoRetry": "true",
        }
        return parse.parameters(await self._request(PARAM_READ, form))

    async def write_parameter(self, serial: str, hold_param: str, value_text: str) -> None:
        """Write one ``HOLD_*`` parameter in engineering units; rejections raise."""
        if not isinstance(value_text, str) or not _VALUE.fullmatch(value_text):
            raise ValueError("value_text must be a short plain string")
        form = {
            "inverterSn": _serial(serial),
            "holdParam": _name(hold_param),
            "valueText": value_text,
            "clientType": "WEB",
            "remoteSetType": "NORMAL",
        }
        await self._request(PARAM_WRITE, form, write=True)

    async def function_control(self, serial: str, func_param: str, enable: bool) -> None:
        """Switch one ``FUNC_*`` bit; rejections raise."""
        form = {
            "inverterSn": _serial(serial),
            "functionParam": _name(func_param),
            "enable": "true" if enable else "false",
            "clientType": "WEB",
            "remoteSetType": "NORMAL",
        }
        await self._request(FUNCTION_CONTROL, form, write=True)

    async def apply(self, serial: str, write: CloudWrite) -> None:
        """Send one encoded write (see :func:`params.encode_write`)."""
        if isinstance(write, FunctionWrite):
            await self.function_control(serial, write.param, write.enable)
        else:
            await self.write_parameter(serial, write.param, write.value)

    # ------------------------------------------------------------------ plumbing
    async def _request(
        self, path: str, form: Mapping[str, str], *, write: bool = False
    ) -> dict[str, Any]:
        return await self._with_retries(path, lambda: self._authenticated(path, form, write=write))

    async def _with_retries[T](self, path: str, call: Callable[[], Awaitable[T]]) -> T:
        attempt = 0
        while True:
            try:
                return await call()
            except Eg4TransientError as err:
                if attempt >= len(self._retry_delays):
                    _LOGGER.debug("%s: %s, giving up after %d tries", path, err.code, attempt + 1)
                    raise
                delay = self._retry_delays[attempt]
                attempt += 1
                _LOGGER.debug("%s: %s, retrying in %.1f s", path, err.code, delay)
                await asyncio.sleep(delay)

    async def _authenticated(
        self, path: str, form: Mapping[str, str], *, write: bool
    ) -> dict[str, Any]:
        if self._generation == 0:
            await self._login_once(0)
        try:
            return self._check(path, await self._send(path, form), write=write)
        except _SessionExpiredError as expired:
            _LOGGER.debug("%s: session expired, logging in again", path)
            await self._login_once(expired.generation)
        try:
            return self._check(path, await self._send(path, form), write=write)
        except _SessionExpiredError:
            raise Eg4AuthError(
                f"session expired again right after a new login ({path})",
                code="SESSION_EXPIRED",
                path=path,
            ) from None

    async def _login_once(self, seen_generation: int) -> None:
        """Log in unless another caller already did since ``seen_generation`` (single flight)."""
        async with self._login_lock:
            if self._generation != seen_generation:
                return
            refused = self._refused
            if (
                refused is not None
                and refused[0] == seen_generation
                and time.monotonic() - refused[1] < LOGIN_REFUSAL_HOLD_S
            ):
                raise refused[2]  # refused moments ago: do not ask again (account lock-outs)
            form = {"account": self._username, "password": self._password, "language": "ENGLISH"}
            try:
                body = self._check(LOGIN, await self._send(LOGIN, form), write=False)
            except Eg4AuthError as err:
                self._refused = (seen_generation, time.monotonic(), err)
                raise
            self._refused = None
            self._account = parse.account(body)
            self._generation += 1
            self.login_count += 1
            _LOGGER.debug("logged in (%d plants)", len(self._account.plants))

    async def _send(self, path: str, form: Mapping[str, str]) -> dict[str, Any]:
        """One HTTP POST under the in-flight limit; returns the JSON object."""
        headers = {"Accept": "application/json"}
        async with self._semaphore:
            generation = self._generation
            # Our own session cookie overrides whatever the session's jar holds for the host,
            # so two clients (accounts) sharing one jar, or a jar that keeps nothing
            # (IP hosts, DummyCookieJar), each keep a private session.
            cookies = {COOKIE: self._cookie} if self._cookie and path != LOGIN else None
            self.request_count += 1
            self.in_flight += 1
            self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
            try:
                async with self._session.post(
                    self.base_url + path,
                    data=dict(form),
                    headers=headers,
                    cookies=cookies,
                    timeout=self._timeout,
                ) as resp:
                    status = resp.status
                    raw = await _read_capped(resp, path)
                    if path == LOGIN:
                        morsel = resp.cookies.get(COOKIE)
                        if morsel is not None:
                            self._cookie = morsel.value
            except (aiohttp.ClientError, TimeoutError) as err:
                _LOGGER.debug("POST %s failed: %s", path, type(err).__name__)
                raise Eg4ConnectionError(
                    f"cannot reach the portal ({path})", code="NETWORK", path=path
                ) from err
            finally:
                self.in_flight -= 1
        _LOGGER.debug("POST %s -> HTTP %d", path, status)
        return _decode(path, status, raw, generation)

    @staticmethod
    def _check(path: str, body: dict[str, Any], *, write: bool) -> dict[str, Any]:
        """Raise the typed error an unsuccessful envelope stands for; else return the body."""
        if parse.flag(body.get("success")) is not False:
            return body
        code = parse.text(body.get("message")) or parse.text(body.get("msg")) or "UNKNOWN"
        upper = code.upper()
        _LOGGER.debug("%s: portal refused: %s", path, code)
        if upper in AUTH_CODES or parse.integer(body.get("msgCode")) == 101:
            raise Eg4AuthError(f"the portal refused the credentials ({code})", code=code, path=path)
        if upper in PERMISSION_CODES:
            raise Eg4PermissionError(f"not permitted: {code} ({path})", code=code, path=path)
        if upper in TRANSIENT_CODES:
            raise Eg4TransientError(f"portal busy: {code} ({path})", code=code, path=path)
        if path == LOGIN:
            if any(word in upper for word in ("LOGIN", "PASSWORD", "ACCOUNT", "USER")):
                raise Eg4AuthError(f"login refused ({code})", code=code, path=path)
            raise Eg4ApiError(f"login failed ({code})", code=code, path=path)
        if write:
            raise Eg4DeviceRejectedError(code, path=path)
        raise Eg4ApiError(f"portal refused: {code} ({path})", code=code, path=path)


def _decode(path: str, status: int, raw: bytes, generation: int) -> dict[str, Any]:
    """Status and body -> JSON object, a typed error, or the internal expiry signal."""
    if status == 401:
        if path == LOGIN:
            raise Eg4AuthError("the portal refused the login (HTTP 401)", code="HTTP_401")
        raise _SessionExpiredError(generation)
    if status >= 500 or status == 429:
        raise Eg4TransientError(f"HTTP {status} ({path})", code=f"HTTP_{status}", path=path)
    if status >= 400:
        raise Eg4ApiError(f"HTTP {status} ({path})", code=f"HTTP_{status}", path=path)
    try:
        return load_json(raw, path)
    except NotJsonError:  # an HTML page (login or maintenance) or nothing
        if path == LOGIN:
            raise bad_response(path, "login answered with a non-JSON page") from None
        raise _SessionExpiredError(generation) from None


async def _read_capped(resp: aiohttp.ClientResponse, path: str) -> bytes:
    """The body, refused unread beyond :data:`MAX_BODY_BYTES`."""
    if (resp.content_length or 0) > MAX_BODY_BYTES:
        raise bad_response(path, "answer too large")
    chunks: list[bytes] = []
    size = 0
    async for chunk in resp.content.iter_chunked(64 * 1024):
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise bad_response(path, "answer too large")
        chunks.append(chunk)
    return b"".join(chunks)


def _serial(serial: str) -> str:
    if not isinstance(serial, str) or not _SERIAL.fullmatch(serial):
        raise ValueError("serial numbers are 1-32 letters or digits")
    return serial


def _name(param: str) -> str:
    if not isinstance(param, str) or not _PARAM.fullmatch(param):
        raise ValueError("parameter names are letters, digits and underscores")
    return param
