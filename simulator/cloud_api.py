"""An aiohttp server speaking the EG4 cloud portal API ("WManage"), backed by a :class:`Twin`.

```python
server = CloudApiServer(build_twin("drifted"), username="demo", password="demo")
base_url = await server.start()          # http://127.0.0.1:<port>
...                                      # point Eg4CloudClient at base_url
server.expire_sessions()                 # next request gets the HTML login page
server.inject_error("DATAFRAME_TIMEOUT", count=2, path="getInverterRuntime")
server.set_offline(server.serials[1])    # that unit's dongle is lost
await server.stop()
```

Form-encoded POSTs in, JSON out; the session is a ``JSESSIONID`` cookie. The twin is not
stepped here: whoever drives the twin advances it. Unit ``n`` (1-based) of the twin is
``serials[n - 1]``; the bank's BMS link is on the first unit, whose ``getBatteryInfo`` lists
every pack (the other units report the bank aggregate with an empty ``batteryArray``).

Every answer carries the real portal's field set (third-party clients such as pylxpweb validate
them strictly): login, plant list, device list, parallel group, runtime, inverter info, energy
info per unit and per group (counters integrated from the twin, :mod:`simulator.portal_energy`),
battery info and identities, quick-charge status, parameter reads with ``valueFrame`` and the
writes. ``model`` picks the firmware rules (:mod:`simulator.portal_models`): the hybrids and XP
units take charge currents in whole amps 0..250, ``LVX6048`` keeps the twin's 10..80 A steps.
Clients with a standard cookie jar drop cookies of bare-IP hosts: point them at
``localhost_url`` (the same port, named ``localhost``).
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from aiohttp import web

from . import cloud_payloads as bodies
from . import portal_account as account
from .portal_energy import EnergyMeter, energy_body
from .portal_models import portal_model
from .portal_params import ParamStore
from .portal_quick import PATHS as QUICK_PATHS
from .portal_quick import QuickTasks
from .twin import Twin

LOGIN = "/WManage/api/login"
COOKIE = "JSESSIONID"
LOGIN_PAGE = (
    "<!DOCTYPE html><html><head><title>Login</title></head><body>"
    '<form action="/WManage/web/login" method="post"><input name="account"></form>'
    "</body></html>"
)
UNKNOWN_DEVICE = "DEVICE_NOT_EXIST"  # invented: the portal's code for a foreign serial is unknown
OFFLINE_ERROR = "DATAFRAME_TIMEOUT"  # the relay to a lost dongle times out

type ExpiryStyle = Literal["html", "401"]
type Fields = dict[str, str]


@dataclass
class _Injection:
    msg: str
    remaining: int
    path: str | None
    status: int

    def matches(self, path: str) -> bool:
        if self.path is None:
            return path != LOGIN
        wanted = self.path if self.path.startswith("/") else "/" + self.path
        return path == wanted or path.endswith(wanted)


class CloudApiServer:
    """The portal for one account with one plant whose devices are the twin's units."""

    def __init__(
        self,
        twin: Twin,
        *,
        username: str = "demo",
        password: str = "demo",  # noqa: S107 - the simulator's demo account
        serials: Sequence[str] | None = None,
        session_ttl_s: float | None = None,
        latency_s: float = 0.0,
        model: str = "18KPV",
        plant_id: int = 10001,
        plant_name: str = "Simulated Station",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Serve ``twin``; ``serials`` default to ``4500000001``, ``4500000002``, ..."""
        count = len(twin.inverters)
        chosen = (
            list(serials) if serials is not None else [f"45{n:08d}" for n in range(1, count + 1)]
        )
        if len(chosen) != count or len(set(chosen)) != count:
            raise ValueError("need one distinct serial per twin inverter")
        self.twin = twin
        self.serials: tuple[str, ...] = tuple(chosen)
        self.username = username
        self.password = password
        self.session_ttl_s = session_ttl_s
        self.latency_s = latency_s
        self.model = model
        self.plant_id = plant_id
        self.plant_name = plant_name
        self.portal_model = portal_model(model)
        self.station = account.Station(
            username, plant_id, plant_name, self.serials, self.portal_model
        )
        self.expiry_style: ExpiryStyle = "html"
        self.params = ParamStore(
            twin,
            off_grid=self.portal_model.off_grid,
            currents=self.portal_model.currents,
            device_type_code=self.portal_model.device_type_code or None,
        )
        self.energy = EnergyMeter(twin)
        self.quick = QuickTasks(twin, self.params)
        self.requests: Counter[str] = Counter()
        self.logins = 0
        self.in_flight = 0
        self.peak_in_flight = 0
        self._clock = clock
        self._sessions: dict[str, float] = {}
        self._injections: list[_Injection] = []
        self._omitted: list[tuple[str, str]] = []
        self._offline: set[int] = set()
        self._mirrors: dict[int, dict[str, Any]] = {}
        self._energy_mirrors: dict[int, dict[str, int]] = {}
        self._runner: web.AppRunner | None = None
        self._base_url: str | None = None
        self._routes: dict[str, Callable[[Fields], dict[str, Any]]] = {
            "/WManage/web/config/plant/list/viewer": self._plants,
            "/WManage/web/config/plant/list": self._plants,
            "/WManage/api/inverterOverview/list": self._devices,
            "/WManage/api/inverterOverview/getParallelGroupDetails": self._group,
            "/WManage/api/inverter/getInverterRuntime": self._runtime,
            "/WManage/api/inverter/getInverterInfo": self._inverter_info,
            "/WManage/api/inverter/getInverterEnergyInfo": self._energy_info,
            "/WManage/api/inverter/getInverterEnergyInfoParallel": self._group_energy,
            "/WManage/api/battery/getBatteryInfo": self._battery,
            "/WManage/api/battery/getBatteryInfoForSet": self._battery_list,
            "/WManage/web/config/quickCharge/getStatusInfo": self._quick_charge,
            "/WManage/web/maintain/remoteRead/read": self._read,
            "/WManage/web/maintain/remoteSet/write": self._write,
            "/WManage/web/maintain/remoteSet/functionControl": self._function,
            "/WManage/web/maintain/remoteSet/writeTime": self._write_time,
            **{path: self._quick_task(path) for path in QUICK_PATHS},
        }

    # ------------------------------------------------------------------ lifecycle
    @property
    def base_url(self) -> str:
        """``http://host:port`` once started."""
        if self._base_url is None:
            raise RuntimeError("server not started")
        return self._base_url

    @property
    def localhost_url(self) -> str:
        """``http://localhost:port``: for clients whose cookie jar ignores IP hosts."""
        port = self.base_url.rsplit(":", 1)[1]
        return f"http://localhost:{port}"

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Listen (port 0 = any free port) and return the base URL."""
        app = web.Application()
        app.router.add_post("/WManage/{tail:.*}", self._handle)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        await site.start()
        self._runner = runner
        bound_host, bound_port = runner.addresses[0][:2]
        self._base_url = f"http://{bound_host}:{bound_port}"
        return self._base_url

    async def stop(self) -> None:
        """Stop listening and drop every session."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        self._sessions.clear()

    # ------------------------------------------------------------------ test controls
    def expire_sessions(self, style: ExpiryStyle = "html") -> None:
        """Forget every session: the next request gets the HTML login page or HTTP 401."""
        self._sessions.clear()
        self.expiry_style = style

    def inject_error(
        self, msg: str, count: int = 1, path: str | None = None, *, status: int = 200
    ) -> None:
        """Answer the next ``count`` matching requests with ``{"success": false, "msg": msg}``.

        ``path`` is a full path or its tail (``"getInverterRuntime"``); None matches every
        path but the login. A ``status`` other than 200 answers with that HTTP status instead.
        """
        self._injections.append(_Injection(msg, count, path, status))

    def clear_errors(self) -> None:
        """Drop every injected error still pending: the portal answers normally again."""
        self._injections.clear()

    def omit_field(self, key: str, path: str) -> None:
        """Answer ``path`` (a full path or its tail) without ``key``, at any depth of the body.

        For tests of what a client needs: one field missing from an otherwise real answer.
        """
        self._omitted.append((path if path.startswith("/") else "/" + path, key))

    def _without_omitted(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        keys = {key for tail, key in self._omitted if path == tail or path.endswith(tail)}
        return _strip(body, keys) if keys else body

    def set_offline(self, serial: str, offline: bool = True) -> None:
        """Mark a unit's dongle lost (``lost: true``, frozen values) or back online."""
        unit = self._unit(serial)
        if unit is None:
            raise KeyError(serial)
        if offline:
            self._mirrors.setdefault(unit, self._live_runtime(unit))
            self.energy.observe()
            self._energy_mirrors.setdefault(unit, self.energy.words([unit]))
            self._offline.add(unit)
        else:
            self._offline.discard(unit)
            self._energy_mirrors.pop(unit, None)

    @property
    def total_requests(self) -> int:
        """Every request received, logins included."""
        return sum(self.requests.values())

    # ------------------------------------------------------------------ dispatch
    async def _handle(self, request: web.Request) -> web.StreamResponse:
        path = request.path
        self.requests[path] += 1
        self.in_flight += 1
        self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
        try:
            if self.latency_s > 0:
                await asyncio.sleep(self.latency_s)
            form = await request.post()
            fields = {k: v for k, v in form.items() if isinstance(v, str)}
            self.energy.observe()
            self.params.apply_due()
            if path == LOGIN:
                injected = self._injected(path)
                return self._login(fields) if injected is None else injected
            route = self._routes.get(path)
            if route is None:
                return web.Response(status=404, text="Not Found")
            if not self._session_valid(request.cookies.get(COOKIE)):
                return self._expired()
            # (no ``or``: an aiohttp response is a mapping, falsy while empty on some versions)
            injected = self._injected(path)
            if injected is not None:
                return injected
            return web.json_response(self._without_omitted(path, route(fields)))
        finally:
            self.in_flight -= 1

    def _injected(self, path: str) -> web.Response | None:
        for rule in self._injections:
            if rule.remaining > 0 and rule.matches(path):
                rule.remaining -= 1
                if rule.status != 200:
                    return web.Response(status=rule.status, text=rule.msg)
                return web.json_response({"success": False, "msg": rule.msg})
        return None

    def _session_valid(self, token: str | None) -> bool:
        if token is None or token not in self._sessions:
            return False
        ttl = self.session_ttl_s
        if ttl is not None and self._clock() - self._sessions[token] >= ttl:
            del self._sessions[token]
            return False
        return True

    def _expired(self) -> web.Response:
        if self.expiry_style == "401":
            return web.Response(status=401, text="Unauthorized")
        return web.Response(text=LOGIN_PAGE, content_type="text/html")

    def _unit(self, serial: str | None) -> int | None:
        if serial in self.serials:
            return self.serials.index(serial) + 1
        return None

    # ------------------------------------------------------------------ endpoints
    def _login(self, fields: Fields) -> web.Response:
        account = fields.get("account", "")
        password = fields.get("password", "")
        ok = secrets.compare_digest(account.encode(), self.username.encode())
        ok = secrets.compare_digest(password.encode(), self.password.encode()) and ok
        if not ok:
            return web.json_response(
                {"success": False, "msg": "LOGIN_ERROR_DISMATCH", "msgCode": 101}
            )
        token = secrets.token_hex(16).upper()
        self._sessions[token] = self._clock()
        self.logins += 1
        response = web.json_response(self._without_omitted(LOGIN, self._login_body()))
        response.set_cookie(COOKIE, token, path="/WManage", httponly=True)
        return response

    def _login_body(self) -> dict[str, Any]:
        offline = {self.serials[u - 1] for u in self._offline}
        return account.login(self.station, offline)

    def _plants(self, fields: Fields) -> dict[str, Any]:
        target = fields.get("targetPlantId")
        if target not in (None, "", str(self.plant_id)):
            return {"total": 0, "rows": []}
        return {"total": 1, "rows": [account.plant_row(self.station, self.twin)]}

    def _devices(self, fields: Fields) -> dict[str, Any]:
        plant = _int(fields.get("plantId"), -1)
        rows = [
            account.overview_row(
                self.station,
                unit,
                self._runtime_body(unit),
                self._energy_words([unit]),
                lost=unit in self._offline,
            )
            for unit in range(1, len(self.serials) + 1)
        ]
        if plant not in (-1, self.plant_id):
            rows = []
        page = max(1, _int(fields.get("page"), 1))
        size = max(1, _int(fields.get("rows"), 30))
        chunk = rows[(page - 1) * size : page * size]
        return {"success": True, "total": len(rows), "rows": chunk}

    def _group(self, fields: Fields) -> dict[str, Any]:
        if self._unit(fields.get("serialNum")) is None:
            return {"success": False, "msg": UNKNOWN_DEVICE}
        if len(self.serials) < 2:
            return {"success": True, "deviceType": 6, "total": 0, "devices": []}
        devices = [
            account.group_device(
                self.station, unit, self._runtime_body(unit), lost=unit in self._offline
            )
            for unit in range(1, len(self.serials) + 1)
        ]
        return {"success": True, "deviceType": 6, "total": len(devices), "devices": devices}

    def _live_runtime(self, unit: int) -> dict[str, Any]:
        serial = self.serials[unit - 1]
        return bodies.runtime(self.twin, unit, serial, model=self.portal_model)

    def _runtime_body(self, unit: int) -> dict[str, Any]:
        if unit in self._offline:
            return bodies.offline_runtime(self._mirrors[unit])
        body = self._live_runtime(unit)
        self._mirrors[unit] = body
        return body

    def _runtime(self, fields: Fields) -> dict[str, Any]:
        unit = self._unit(fields.get("serialNum"))
        if unit is None:
            return {"success": False, "msg": UNKNOWN_DEVICE}
        return self._runtime_body(unit)

    def _inverter_info(self, fields: Fields) -> dict[str, Any]:
        unit = self._unit(fields.get("serialNum"))
        if unit is None:
            return {"success": False, "msg": UNKNOWN_DEVICE}
        live = self._runtime_body(unit)
        return account.inverter_info(self.station, unit, live, lost=unit in self._offline)

    def _energy_words(self, units: list[int]) -> dict[str, int]:
        """Counters of ``units`` as served: a lost unit's stay where its dongle left them."""
        parts = [
            self._energy_mirrors[u] if u in self._offline else self.energy.words([u]) for u in units
        ]
        return {key: sum(p[key] for p in parts) for key in parts[0]}

    def _energy_info(self, fields: Fields) -> dict[str, Any]:
        serial = fields.get("serialNum", "")
        unit = self._unit(serial)
        if unit is None:
            return {"success": False, "msg": UNKNOWN_DEVICE}
        live = self._runtime_body(unit)
        return {
            **energy_body(self._energy_words([unit])),
            "serialNum": serial,
            "fwCode": self.portal_model.fw_code,
            "powerRatingText": live.get("powerRatingText", ""),
            "lost": unit in self._offline,
            "soc": live.get("soc", 0),
        }

    def _group_energy(self, fields: Fields) -> dict[str, Any]:
        if self._unit(fields.get("serialNum")) is None:
            return {"success": False, "msg": UNKNOWN_DEVICE}
        if len(self.serials) < 2:  # the portal has no group to sum for a lone unit
            return {"success": False, "msg": "Unknown API error"}
        return energy_body(self._energy_words(list(range(1, len(self.serials) + 1))))

    def _battery(self, fields: Fields) -> dict[str, Any]:
        serial = fields.get("serialNum", "")
        unit = self._unit(serial)
        if unit is None:
            return {"success": False, "msg": UNKNOWN_DEVICE}
        if unit in self._offline:
            return bodies.offline_battery(serial)
        return bodies.battery(self.twin, serial, with_packs=unit == 1, unit=unit)

    def _battery_list(self, fields: Fields) -> dict[str, Any]:
        serial = fields.get("serialNum", "")
        unit = self._unit(serial)
        if unit is None:
            return {"success": False, "msg": UNKNOWN_DEVICE}
        lost = unit in self._offline
        return bodies.battery_list(self.twin, serial, with_packs=unit == 1 and not lost, lost=lost)

    def _quick_charge(self, fields: Fields) -> dict[str, Any]:
        unit, error = self._device_call(fields)
        if unit is None:
            return error or {}
        return self.quick.status(unit)

    def _quick_task(self, path: str) -> Callable[[Fields], dict[str, Any]]:
        def call(fields: Fields) -> dict[str, Any]:
            unit, error = self._device_call(fields)
            if unit is None:
                return error or {}
            return _ack(self.quick.call(unit, path, fields.get("minute")))

        return call

    def _device_call(self, fields: Fields) -> tuple[int | None, dict[str, Any] | None]:
        unit = self._unit(fields.get("inverterSn"))
        if unit is None:
            return None, {"success": False, "msg": UNKNOWN_DEVICE}
        if unit in self._offline:
            return None, {"success": False, "msg": OFFLINE_ERROR}
        return unit, None

    def _read(self, fields: Fields) -> dict[str, Any]:
        unit, error = self._device_call(fields)
        if unit is None:
            return error or {}
        start = _int(fields.get("startRegister"), -1)
        count = _int(fields.get("pointNumber"), -1)
        if start < 0 or not 1 <= count <= 127:
            return {"success": False, "msg": "PARAM_ERROR"}
        return {
            "success": True,
            "inverterSn": self.serials[unit - 1],
            "deviceType": 6,
            "startRegister": start,
            "pointNumber": count,
            "valueFrame": self.params.value_frame(unit, start, count),
            "inverterRuntimeDeviceTime": bodies.device_time(self.twin),
            **self.params.read(unit, start, count),
        }

    def _write(self, fields: Fields) -> dict[str, Any]:
        unit, error = self._device_call(fields)
        if unit is None:
            return error or {}
        reason = self.params.write(unit, fields.get("holdParam", ""), fields.get("valueText", ""))
        return _ack(reason)

    def _write_time(self, fields: Fields) -> dict[str, Any]:
        unit, error = self._device_call(fields)
        if unit is None:
            return error or {}
        hour, minute = _int(fields.get("hour"), -1), _int(fields.get("minute"), -1)
        return _ack(self.params.write_time(unit, fields.get("timeParam", ""), hour, minute))

    def _function(self, fields: Fields) -> dict[str, Any]:
        unit, error = self._device_call(fields)
        if unit is None:
            return error or {}
        enable = fields.get("enable", "").strip().lower()
        if enable not in ("true", "false"):
            return _ack(bodies.REJECTED)
        name = fields.get("functionParam", "")
        return _ack(self.params.function(unit, name, enable == "true"))


def _strip[T](value: T, keys: set[str]) -> T:
    """``value`` with every mapping's ``keys`` removed, at any depth."""
    if isinstance(value, dict):
        return {k: _strip(v, keys) for k, v in value.items() if k not in keys}  # type: ignore[return-value]
    if isinstance(value, list):
        return [_strip(v, keys) for v in value]  # type: ignore[return-value]
    return value


def _ack(reason: str | None) -> dict[str, Any]:
    return {"success": True} if reason is None else {"success": False, "msg": reason}


def _int(text: str | None, default: int) -> int:
    try:
        return int(text) if text is not None else default
    except ValueError:
        return default
