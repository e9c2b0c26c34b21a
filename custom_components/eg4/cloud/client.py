"""Async client of the EG4 / Luxpower cloud portal ("WManage"), plain aiohttp.

The caller injects the ``aiohttp.ClientSession``; TLS verification is the session's business
and is never turned off here. Every call is a form-encoded POST answered with JSON; the session
is the ``JSESSIONID`` cookie set by the login.

Session expiry shows up as HTTP 401 or as HTTP 200 with an HTML login page. The client then
logs in again once (concurrent callers share that one login) and replays the request once. A
session refused before it ever answered (right after a login, or on the replay) is an outage,
:class:`Eg4OutageError` (a maintenance page): the password was just accepted, so it is never
reported as bad credentials; it is not retried within the call, and the next call starts
with a new login. Busy/timeout answers and network errors are retried with
``retry_delays``; at most ``max_in_flight`` requests run at once.

HTTP 429 (or 503 with ``Retry-After``) is not retried: every request, the login too, is held
back for the seconds the portal asked (bounded) and fails with :class:`Eg4RateLimitedError`
without being sent.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

import aiohttp

from ..model import SettingKey
from . import parse
from .energy import ENERGY_INFO, EnergyTotals, energy_totals
from .errors import (
    Eg4ApiError,
    Eg4AuthError,
    Eg4ConnectionError,
    Eg4OutageError,
    Eg4RateLimitedError,
    Eg4TransientError,
)
from .models import Account, BatteryInfo, DeviceOverview, ParallelGroup, PlantInfo, Runtime
from .params import CloudWrite, FunctionWrite, TimeWrite
from .quick import QUICK_STATUS, QuickWrite, quick_form, quick_status
from .servers import DEFAULT_SERVER, SERVERS, resolve_base_url
from .wire import (
    SessionRefusedError,
    check,
    decode,
    hold_seconds,
    outage,
    read_capped,
)

_LOGGER = logging.getLogger(__name__)
__all__ = ["DEFAULT_SERVER", "SERVERS", "Eg4CloudClient", "resolve_base_url"]


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
TIME_WRITE = "/WManage/web/maintain/remoteSet/writeTime"

COOKIE = "JSESSIONID"
_SERIAL = re.compile(r"[A-Za-z0-9]{1,32}")
_PARAM = re.compile(r"[A-Za-z0-9_]{1,64}")
_VALUE = re.compile(r"[-+0-9A-Za-z_.:]{0,32}")
_PAGE_ROWS = 30
LOGIN_REFUSAL_HOLD_S = 60.0  # a refused login is not retried by other callers this soon
_MAX_PAGES = 20


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
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
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
        self._clock = clock
        self._wall_clock = wall_clock
        self._hold_until = float("-inf")  # the portal's Retry-After, on ``clock``
        self._hold_code = "HTTP_429"
        self._login_lock = asyncio.Lock()
        self._generation = 0  # +1 per successful login
        self._served = 0  # the last login generation whose session answered with data
        self._doubted = -1  # a generation whose fresh session was refused (an outage)
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

    async def energy(self, serial: str) -> EnergyTotals:
        """The lifetime energy counters of one inverter."""
        return energy_totals(await self._request(ENERGY_INFO, {"serialNum": _serial(serial)}))

    async def quick_tasks(self, serial: str) -> dict[SettingKey, float]:
        """Whether a quick charge / discharge task is open on one inverter (1.0) or not."""
        return quick_status(await self._request(QUICK_STATUS, {"inverterSn": _serial(serial)}))

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

    async def write_time(self, serial: str, time_param: str, hour: int, minute: int) -> None:
        """Write one composite ``*_TIME*`` parameter (a schedule boundary); rejections raise."""
        if not (0 <= hour <= 23 and 0 <= minute <= 59):
            raise ValueError("hour must be 0-23 and minute 0-59")
        form = {
            "inverterSn": _serial(serial),
            "timeParam": _name(time_param),
            "hour": str(hour),
            "minute": str(minute),
            "clientType": "WEB",
            "remoteSetType": "NORMAL",
        }
        await self._request(TIME_WRITE, form, write=True)

    async def apply(self, serial: str, write: CloudWrite | QuickWrite) -> None:
        """Send one encoded write (see :func:`params.encode_write`)."""
        if isinstance(write, FunctionWrite):
            await self.function_control(serial, write.param, write.enable)
        elif isinstance(write, TimeWrite):
            await self.write_time(serial, write.param, write.hour, write.minute)
        elif isinstance(write, QuickWrite):
            await self._request(write.path, quick_form(_serial(serial), write), write=True)
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
                waits = isinstance(err, Eg4OutageError | Eg4RateLimitedError)
                if waits or attempt >= len(self._retry_delays):
                    _LOGGER.debug("%s: %s, giving up after %d tries", path, err.code, attempt + 1)
                    raise
                delay = self._retry_delays[attempt]
                attempt += 1
                _LOGGER.debug("%s: %s, retrying in %.1f s", path, err.code, delay)
                await asyncio.sleep(delay)

    async def _authenticated(
        self, path: str, form: Mapping[str, str], *, write: bool
    ) -> dict[str, Any]:
        if self._generation in (0, self._doubted):
            await self._login_once(self._generation)  # first call, or after an outage
        try:
            return check(path, await self._send(path, form), write=write, login=False)
        except SessionRefusedError as refused:
            if refused.generation != self._served:
                # This session has not answered once yet: it was issued moments ago and
                # cannot have expired. The portal is down (a maintenance page); the next
                # call starts with a new login in case the portal forgot the session.
                self._doubted = refused.generation
                raise outage(path, refused) from None
            _LOGGER.debug("%s: session expired, logging in again", path)
            await self._login_once(refused.generation)
        try:
            return check(path, await self._send(path, form), write=write, login=False)
        except SessionRefusedError as refused:
            self._doubted = refused.generation
            raise outage(path, refused) from None

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
                body = check(LOGIN, await self._send(LOGIN, form), write=False, login=True)
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
            self._check_hold(path)
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
                    if status == 429 or (status == 503 and "Retry-After" in resp.headers):
                        self._hold(path, status, resp.headers.get("Retry-After"))
                    raw = await read_capped(resp, path)
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
        body = decode(path, status, raw, generation, login=path == LOGIN)
        if path != LOGIN:
            self._served = generation
        return body

    def _hold(self, path: str, status: int, retry_after: str | None) -> None:
        """The portal asked to wait: hold every request until then and say so."""
        seconds = hold_seconds(retry_after, self._wall_clock())
        self._hold_until = self._clock() + seconds
        self._hold_code = f"HTTP_{status}"
        _LOGGER.debug("%s: HTTP %d, holding every request for %.0f s", path, status, seconds)
        raise Eg4RateLimitedError(
            f"the portal asked to wait {seconds:.0f} s ({path})",
            retry_after=seconds,
            code=self._hold_code,
            path=path,
        )

    def _check_hold(self, path: str) -> None:
        """Raise instead of sending while the portal's Retry-After has not passed."""
        left = self._hold_until - self._clock()
        if left > 0:
            raise Eg4RateLimitedError(
                f"the portal asked to wait, {left:.0f} s left ({path})",
                retry_after=left,
                code=self._hold_code,
                path=path,
            )


def _serial(serial: str) -> str:
    if not isinstance(serial, str) or not _SERIAL.fullmatch(serial):
        raise ValueError("serial numbers are 1-32 letters or digits")
    return serial


def _name(param: str) -> str:
    if not isinstance(param, str) or not _PARAM.fullmatch(param):
        raise ValueError("parameter names are letters, digits and underscores")
    return param
