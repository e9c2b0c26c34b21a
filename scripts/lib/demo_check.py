"""Wait for, and verify, the running EG4 demo through Home Assistant's own HTTP APIs.

Run with the demo venv's python (it uses aiohttp and PyYAML from Home Assistant's deps):

    python scripts/lib/demo_check.py wait     --url http://127.0.0.1:8123 [--pid NAME=PID ...]
    python scripts/lib/demo_check.py check    --url ... --simulator-log .demo/logs/simulator.log
    python scripts/lib/demo_check.py auth-url --url ...   # a one-time logged-in dashboard URL

Every mode logs in like the frontend does (login flow with demo / demo, then the OAuth code
exchange), so a pass also proves that the demo login works.

``wait``: until ``/`` answers and every entity the dashboard (demo/dashboard.yaml) shows
exists with a value. It fails early when a process given with ``--pid`` exits.

``check``: ``wait``, then verifies the login is the owner/admin, the dashboard loads, the
values are the twin's (pack SoC as the simulator last logged them), the drifted story
(counters 20+ points apart while the pack voltages agree), and one control round trip per
kind (select and number) through MQTT to the twin and back.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import re
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp
import yaml

REPO = Path(__file__).resolve().parents[2]
DASHBOARD = REPO / "demo" / "dashboard.yaml"
DASHBOARD_URL_PATH = "eg4-bank"
ENTITY_ID = re.compile(r"^(sensor|binary_sensor|select|number)\.eg4_[a-z0-9_]+$")
TWIN_SOC = re.compile(r"SoC \[([0-9,\s]+)\]")
PREFIX = "sensor.eg4_lvx6048"
PACKS = range(1, 7)
INVERTERS = (1, 2)
BAD = ("unknown", "unavailable")


class CheckError(Exception):
    """A verification failed; the message says what and why."""


def ok(text: str) -> None:
    """One verified fact."""
    print(f"  \N{CHECK MARK} {text}", flush=True)


def dashboard_entities() -> list[str]:
    """Every eg4 entity id the dashboard always shows, in order of first appearance.

    Conditional cards and rows (the calibration view) are left out: they show their entities
    only while a run is on, or once one has ended (demo_calibration.py checks them then).
    """
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "conditional":
                return
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)
        elif isinstance(node, str) and ENTITY_ID.match(node) and node not in found:
            found.append(node)

    walk(yaml.safe_load(DASHBOARD.read_text(encoding="utf-8")))
    return found


class Demo:
    """A logged-in client of the demo's Home Assistant."""

    def __init__(self, session: aiohttp.ClientSession, url: str) -> None:
        """Bind to the session and the base URL (not logged in yet)."""
        self.session = session
        self.url = url.rstrip("/")
        self.client_id = self.url + "/"
        self.token = ""

    async def auth_code(self, username: str, password: str) -> str:
        """Run the login flow the frontend runs; return the authorization code."""
        async with self.session.post(
            f"{self.url}/auth/login_flow",
            json={
                "client_id": self.client_id,
                "handler": ["homeassistant", None],
                "redirect_uri": f"{self.url}/?auth_callback=1",
            },
        ) as resp:
            flow = await resp.json()
        async with self.session.post(
            f"{self.url}/auth/login_flow/{flow['flow_id']}",
            json={"client_id": self.client_id, "username": username, "password": password},
        ) as resp:
            result = await resp.json()
        if result.get("type") != "create_entry":
            raise CheckError(f"login as {username!r} failed: {result.get('errors') or result}")
        return str(result["result"])

    async def login(self, username: str, password: str) -> None:
        """Log in and keep the access token."""
        code = await self.auth_code(username, password)
        async with self.session.post(
            f"{self.url}/auth/token",
            data={"grant_type": "authorization_code", "code": code, "client_id": self.client_id},
        ) as resp:
            if resp.status != 200:
                raise CheckError(f"token exchange failed: HTTP {resp.status}")
            self.token = (await resp.json())["access_token"]

    @property
    def headers(self) -> dict[str, str]:
        """The bearer header of the logged-in user."""
        return {"Authorization": f"Bearer {self.token}"}

    async def states(self) -> dict[str, dict[str, Any]]:
        """Every state, by entity id."""
        async with self.session.get(f"{self.url}/api/states", headers=self.headers) as resp:
            if resp.status != 200:
                raise CheckError(f"GET /api/states: HTTP {resp.status}")
            return {s["entity_id"]: s for s in await resp.json()}

    async def service(self, domain: str, service: str, data: dict[str, Any]) -> None:
        """Call a service and wait for it to finish (eg4 writes return once confirmed)."""
        async with self.session.post(
            f"{self.url}/api/services/{domain}/{service}",
            headers=self.headers,
            json=data,
            timeout=aiohttp.ClientTimeout(total=120),
        ) as resp:
            if resp.status != 200:
                detail = await resp.text()
                raise CheckError(f"{domain}.{service} {data}: HTTP {resp.status} {detail}")

    async def ws(self, *messages: dict[str, Any]) -> list[dict[str, Any]]:
        """Send websocket commands (after auth) and return their results in order."""
        results = []
        async with self.session.ws_connect(f"{self.url}/api/websocket") as ws:
            await ws.receive_json()  # auth_required
            await ws.send_json({"type": "auth", "access_token": self.token})
            if (await ws.receive_json()).get("type") != "auth_ok":
                raise CheckError("websocket authentication failed")
            for number, message in enumerate(messages, start=1):
                await ws.send_json({"id": number, **message})
                while True:
                    reply = await ws.receive_json()
                    if reply.get("id") == number and reply.get("type") == "result":
                        break
                if not reply.get("success"):
                    raise CheckError(f"websocket {message['type']}: {reply.get('error')}")
                results.append(reply["result"])
        return results


def check_alive(pids: list[tuple[str, int]], when: str = "during startup") -> None:
    """Fail when one of the named processes has exited (a zombie counts as exited)."""
    for name, pid in pids:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            raise CheckError(f"{name} (pid {pid}) exited {when}") from None
        except PermissionError:
            pass
        try:
            stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
        except OSError:
            continue
        if stat.rpartition(")")[2].split()[:1] == ["Z"]:
            raise CheckError(f"{name} (pid {pid}) exited {when}")


def auth_callback_url(demo: Demo, code: str, view: str = "bank", *, path: str = "") -> str:
    """A dashboard URL that logs the browser in with a one-time authorization code.

    It is the URL the frontend's login page redirects to: the frontend trades the code for
    tokens (``state`` tells it which Home Assistant and client id), then shows the view (or
    ``path``, another page of Home Assistant's, e.g. ``energy``).
    """
    state = base64.b64encode(
        json.dumps({"hassUrl": demo.url, "clientId": demo.client_id}).encode()
    ).decode()
    page = path or f"{DASHBOARD_URL_PATH}/{view}"
    return f"{demo.url}/{page}?auth_callback=1&code={code}&state={state}"


async def _frontend_up(demo: Demo) -> bool:
    try:
        async with demo.session.get(demo.url + "/") as resp:
            return resp.status == 200
    except (aiohttp.ClientError, ConnectionError, TimeoutError):
        return False


async def wait_ready(
    demo: Demo, args: argparse.Namespace, pids: list[tuple[str, int]]
) -> dict[str, dict[str, Any]]:
    """Until the frontend answers, the login works and every dashboard entity has a value."""
    deadline = time.monotonic() + args.timeout
    wanted = dashboard_entities()
    missing: list[str] = wanted
    while True:
        check_alive(pids)
        if time.monotonic() > deadline:
            if not demo.token:
                waiting_for = "Home Assistant's HTTP server and the login"
            else:
                waiting_for = f"the eg4 entities: {len(missing)} missing, e.g. {missing[:3]}"
            raise CheckError(f"timed out after {args.timeout:.0f} s waiting for {waiting_for}")
        try:
            if not demo.token and await _frontend_up(demo):
                await demo.login(args.username, args.password)
            if demo.token:
                states = await demo.states()
                missing = [e for e in wanted if states.get(e, {}).get("state") in (None, *BAD)]
                if not missing:
                    return states
        except (aiohttp.ClientError, ConnectionError, TimeoutError):
            pass
        await asyncio.sleep(1)


def _float(states: dict[str, dict[str, Any]], entity_id: str) -> float:
    try:
        return float(states[entity_id]["state"])
    except (KeyError, ValueError) as err:
        raise CheckError(f"{entity_id} has no numeric value: {err}") from None


def twin_soc_lines(log: Path) -> list[list[int]]:
    """The pack SoC lists of the simulator's status lines, newest last."""
    if not log.exists():
        raise CheckError(f"simulator log {log} not found")
    text = log.read_text(encoding="utf-8", errors="replace")
    return [[int(v) for v in m.group(1).split(",")] for m in TWIN_SOC.finditer(text)]


def _norm(value: str | None) -> str | None:
    try:
        return f"{float(value):g}" if value is not None else None
    except ValueError:
        return value


async def wait_states(demo: Demo, expected: dict[str, str], limit_s: float) -> None:
    """Until every entity reports the expected state."""
    deadline = time.monotonic() + limit_s
    while True:
        states = await demo.states()
        wrong = {
            entity_id: states.get(entity_id, {}).get("state")
            for entity_id, value in expected.items()
            if _norm(states.get(entity_id, {}).get("state")) != _norm(value)
        }
        if not wrong:
            return
        if time.monotonic() > deadline:
            raise CheckError(f"after {limit_s:.0f} s still {wrong}, expected {expected}")
        await asyncio.sleep(1)


async def check_login_and_dashboard(
    demo: Demo, args: argparse.Namespace, states: dict[str, dict[str, Any]]
) -> None:
    """The entities, the demo user's rights and the dashboard."""
    wanted = dashboard_entities()
    eg4 = sorted(e for e in states if e.split(".", 1)[1].startswith("eg4_"))
    ok(f"{len(eg4)} eg4 entities exist; all {len(wanted)} on the dashboard have values")
    me, dashboard = await demo.ws(
        {"type": "auth/current_user"},
        {"type": "lovelace/config", "url_path": DASHBOARD_URL_PATH, "force": True},
    )
    if not (me["is_admin"] and me["is_owner"]):
        raise CheckError(f"user {args.username!r} is not owner/admin: {me}")
    ok(f"login {args.username} / {args.password} works: user {me['name']!r}, owner and admin")
    views = dashboard.get("views", [])
    cards = sum(len(view.get("cards", [])) for view in views)
    ok(f"dashboard /{DASHBOARD_URL_PATH} loads: {len(views)} views, {cards} cards")


async def check_twin_values(
    demo: Demo, args: argparse.Namespace, states: dict[str, dict[str, Any]]
) -> None:
    """HA shows the twin's live values (and, for drifted, the drifted story)."""
    soc_ids = [f"{PREFIX}_battery_{n}_state_of_charge" for n in PACKS]
    deadline = time.monotonic() + 30
    while True:
        ha_soc = [round(_float(states, e)) for e in soc_ids]
        recent = twin_soc_lines(Path(args.simulator_log))[-4:]
        if ha_soc in recent:
            break
        if time.monotonic() > deadline:
            raise CheckError(f"HA pack SoC {ha_soc} matches none of the twin's last {recent}")
        await asyncio.sleep(1)
        states = await demo.states()
    ok(f"pack SoC in HA {ha_soc} = the twin's (simulator log: SoC {recent[-1]})")

    volts = [_float(states, f"{PREFIX}_battery_{n}_voltage") for n in PACKS]
    if args.scenario == "drifted":
        spread = max(ha_soc) - min(ha_soc)
        if ha_soc[5] != max(ha_soc) or spread < 20 or ha_soc[5] < 65:
            raise CheckError(f"drifted counters expected (pack 6 high, 20+ points): {ha_soc}")
        if max(volts) - min(volts) > 0.05:
            raise CheckError(f"pack voltages should agree in the drifted bank: {volts}")
        low, high = min(ha_soc[:5]), max(ha_soc[:5])
        ok(
            f"drifted: pack 6 reads {ha_soc[5]} %, packs 1-5 {low}-{high} % ({spread} points)"
            f" while the pack voltages agree: {min(volts)}-{max(volts)} V"
        )
    inverter_v = [_float(states, f"{PREFIX}_inverter_{n}_battery_voltage") for n in INVERTERS]
    deltas = [_float(states, f"{PREFIX}_battery_{n}_cell_voltage_difference") for n in PACKS]
    temps = [_float(states, f"{PREFIX}_battery_{n}_highest_temperature") for n in PACKS]
    ok(f"inverter battery voltage {inverter_v} V; cell delta {deltas} mV; max temp {temps} °C")
    flags = [f"binary_sensor.eg4_lvx6048_battery_{n}_protection" for n in PACKS]
    flags.append("binary_sensor.eg4_lvx6048_settings_mismatch")
    shown = (f"{e.split('.')[1].removeprefix('eg4_lvx6048_')}={states[e]['state']}" for e in flags)
    ok("protection and settings mismatch: " + ", ".join(shown))


async def check_controls(
    demo: Demo, args: argparse.Namespace, states: dict[str, dict[str, Any]]
) -> None:
    """HA -> MQTT command -> twin -> telemetry -> HA readback, for a select and a number."""
    select = "select.eg4_lvx6048_output_priority"
    current = states[select]["state"]
    target = next(o for o in states[select]["attributes"]["options"] if o != current)
    started = time.monotonic()
    await demo.service("select", "select_option", {"entity_id": select, "option": target})
    readback = {f"{PREFIX}_inverter_{n}_output_priority": target for n in INVERTERS}
    await wait_states(demo, {select: target, **readback}, 60)
    ok(
        f"{select}: {current} -> {target}, confirmed by both inverters' readback"
        f" in {time.monotonic() - started:.1f} s"
    )
    number = "number.eg4_lvx6048_max_charge_current"
    old = _float(states, number)
    new = 60.0 if old != 60.0 else 70.0
    started = time.monotonic()
    await demo.service("number", "set_value", {"entity_id": number, "value": new})
    readback = {f"{PREFIX}_inverter_{n}_max_charge_current": str(new) for n in INVERTERS}
    await wait_states(demo, {number: str(new), **readback}, 60)
    ok(
        f"{number}: {old:g} -> {new:g} A, confirmed by both inverters' readback"
        f" in {time.monotonic() - started:.1f} s"
    )
    text = Path(args.simulator_log).read_text(encoding="utf-8", errors="replace")
    for name in ("output_priority", "max_charge_current"):
        if f"command solar/control/lvx6048/{name}" not in text:
            raise CheckError(f"the simulator never logged a command on .../{name}")
    ok("the simulator logged both commands (output_priority, max_charge_current)")


async def run(args: argparse.Namespace) -> int:
    """The chosen mode."""
    pids = [(name, int(pid)) for name, _, pid in (p.partition("=") for p in args.pid)]
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
        demo = Demo(session, args.url)
        if args.mode == "auth-url":
            await wait_ready(demo, args, pids)
            code = await demo.auth_code(args.username, args.password)
            print(auth_callback_url(demo, code))
            return 0
        states = await wait_ready(demo, args, pids)
        if args.mode == "check":
            await check_login_and_dashboard(demo, args, states)
            await check_twin_values(demo, args, states)
            if not args.no_control:
                await check_controls(demo, args, await demo.states())
    return 0


def main() -> int:
    """Entry point."""
    parser = argparse.ArgumentParser(description="Wait for / verify the EG4 demo")
    parser.add_argument("mode", choices=("wait", "check", "auth-url"))
    parser.add_argument("--url", required=True)
    parser.add_argument("--username", default="demo")
    parser.add_argument("--password", default="demo")
    parser.add_argument("--timeout", type=float, default=240.0)
    parser.add_argument("--pid", action="append", default=[], metavar="NAME=PID")
    parser.add_argument("--simulator-log", default=str(REPO / ".demo" / "logs" / "simulator.log"))
    parser.add_argument("--scenario", default="drifted")
    parser.add_argument("--no-control", action="store_true", help="check: skip the write tests")
    args = parser.parse_args()
    try:
        return asyncio.run(run(args))
    except CheckError as err:
        print(f"demo check failed: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
