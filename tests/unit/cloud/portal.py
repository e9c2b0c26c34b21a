"""A scriptable fake of the cloud portal for the client's unit tests (127.0.0.1 only)."""

from __future__ import annotations

import asyncio
import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

FIXTURES = Path(__file__).parent / "fixtures"
USERNAME = "maple.ridge@example.com"
PASSWORD = "Tr1cky-Pa55word!"  # noqa: S105 - test credential, must never be logged
COOKIE_PREFIX = "C00KIE-SECRET-"

LOGIN = "/WManage/api/login"
RUNTIME = "/WManage/api/inverter/getInverterRuntime"
BATTERY = "/WManage/api/battery/getBatteryInfo"
PARAM_READ = "/WManage/web/maintain/remoteRead/read"
PARAM_WRITE = "/WManage/web/maintain/remoteSet/write"
FUNCTION = "/WManage/web/maintain/remoteSet/functionControl"
DEVICES = "/WManage/api/inverterOverview/list"
GROUP = "/WManage/api/inverterOverview/getParallelGroupDetails"
PLANTS_VIEWER = "/WManage/web/config/plant/list/viewer"
PLANTS_INSTALLER = "/WManage/web/config/plant/list"


def fixture(name: str) -> Any:
    """A JSON fixture (or the text of a non-JSON one)."""
    path = FIXTURES / name
    text = path.read_text(encoding="utf-8")
    return json.loads(text) if path.suffix == ".json" else text


@dataclass(frozen=True)
class Html:
    """A 200 answer with the HTML login page (how the portal says "session expired")."""


@dataclass(frozen=True)
class Status:
    """A bare HTTP status answer."""

    code: int


@dataclass(frozen=True)
class Raw:
    """Any answer: status, body bytes, content type and extra headers, exactly as given."""

    body: bytes | str = b""
    status: int = 200
    content_type: str = "application/json"
    headers: tuple[tuple[str, str], ...] = ()


type Reply = dict[str, Any] | list[Any] | Html | Status | Raw | str


@dataclass
class Call:
    """One request the portal received."""

    path: str
    form: dict[str, str]
    cookie: str | None


@dataclass
class FakePortal:
    """Login issues ``JSESSIONID`` cookies; other paths need a valid one.

    ``script(path, *replies)`` queues exact answers for a path: they are served before the
    session check, in order. Without a script each path answers with its default fixture.
    """

    expiry: Html | Status = field(default_factory=Html)
    delay_s: float = 0.0
    defaults: dict[str, Reply] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)
    valid: set[str] = field(default_factory=set)
    issued: list[str] = field(default_factory=list)
    scripts: dict[str, list[Reply]] = field(default_factory=lambda: defaultdict(list))
    in_flight: int = 0
    peak_in_flight: int = 0
    login_body: dict[str, Any] = field(default_factory=lambda: fixture("login_success.json"))

    def __post_init__(self) -> None:
        self.defaults.update(
            {
                RUNTIME: fixture("runtime.json"),
                BATTERY: fixture("battery_4_packs.json"),
                PARAM_READ: fixture("params_0_127.json"),
                PARAM_WRITE: fixture("write_ok.json"),
                FUNCTION: fixture("write_ok.json"),
                DEVICES: fixture("device_list.json"),
                GROUP: fixture("parallel_group.json"),
                PLANTS_VIEWER: fixture("plant_list.json"),
                PLANTS_INSTALLER: fixture("plant_list.json"),
            }
        )

    def app(self) -> web.Application:
        """The aiohttp application."""
        app = web.Application()
        app.router.add_post("/{tail:.*}", self._handle)
        return app

    def script(self, path: str, *replies: Reply) -> None:
        """Queue exact answers for the next requests to ``path``."""
        self.scripts[path].extend(replies)

    def expire(self) -> None:
        """Forget every session."""
        self.valid.clear()

    @property
    def logins(self) -> int:
        """Login requests received."""
        return self.counts[LOGIN]

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        self.in_flight += 1
        self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
        try:
            if self.delay_s:
                await asyncio.sleep(self.delay_s)
            form = {k: v for k, v in (await request.post()).items() if isinstance(v, str)}
            path = request.path
            self.counts[path] += 1
            self.calls.append(Call(path, form, request.cookies.get("JSESSIONID")))
            if self.scripts.get(path):
                return self._render(self.scripts[path].pop(0))
            if path == LOGIN:
                return self._login(form)
            if request.cookies.get("JSESSIONID") not in self.valid:
                return self._render(self.expiry)
            if path not in self.defaults:
                return web.Response(status=404)
            return self._render(self.defaults[path])
        finally:
            self.in_flight -= 1

    def _login(self, form: dict[str, str]) -> web.StreamResponse:
        if form.get("account") != USERNAME or form.get("password") != PASSWORD:
            return web.json_response(fixture("login_bad_password.json"))
        token = f"{COOKIE_PREFIX}{len(self.issued) + 1:04d}"
        self.issued.append(token)
        self.valid.add(token)
        response = web.json_response(self.login_body)
        response.set_cookie("JSESSIONID", token, path="/WManage", httponly=True)
        return response

    def _render(self, reply: Reply) -> web.StreamResponse:
        if isinstance(reply, Html):
            return web.Response(text=fixture("login_page.html"), content_type="text/html")
        if isinstance(reply, Status):
            return web.Response(status=reply.code, text="error")
        if isinstance(reply, Raw):
            body = reply.body.encode() if isinstance(reply.body, str) else reply.body
            response = web.Response(status=reply.status, body=body, content_type=reply.content_type)
            response.headers.update(dict(reply.headers))
            return response
        if isinstance(reply, str):
            return web.Response(text=reply, content_type="application/json")
        return web.json_response(reply)
