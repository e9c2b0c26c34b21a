"""The demo's Energy dashboard: set it up with eg4's sensors, and check it in headless Chromium.

Run with the demo venv's python against the running demo (as demo_browser.py is):

    python scripts/lib/demo_energy.py setup    --url http://127.0.0.1:8123
    python scripts/lib/demo_energy.py snapshot --url ... --out FILE
    python scripts/lib/demo_energy.py check    --url ... --profile DIR \
        --screenshot artifacts/energy.png [--before FILE] [--pid NAME=PID ...]

``setup`` finds eg4's system-wide sensors in Home Assistant's entity registry (platform
``eg4``, their translation keys, on the system's device: the eg4 device no other one sits
under), whatever their entity ids, and saves the Energy dashboard's preferences with them
(``energy/save_prefs``): solar production, battery charged/discharged with the signed battery
power, and grid import/export with the grid power where the bridge measures the grid.

The dashboard's kWh are Home Assistant's hourly long-term statistics: the recorder compiles an
hour once it has ended. scripts/demo --check therefore restarts Home Assistant with its clock
moved past the top of the hour (libfaketime), and the recorder compiles, from the states it
recorded while the twin ran, the statistics of the hour that has ended; nothing is written to
the database by hand. ``snapshot`` saves the system's energies before that restart.

``check``: the energies after the restart are not below the ones before it (``--before``),
Home Assistant's energy validation reports no issue with eg4's sensors, the hour's statistics
are there, then it opens ``/energy`` logged in as the demo owner and reads the energy
distribution card and the sources table (through the shadow roots): every value must be the
sum of Home Assistant's hourly statistics for the day shown (to the precision shown), and the
battery must have moved energy. A screenshot of the view goes to ``--screenshot``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
from demo_browser import (
    ERROR_TEXT,
    HEIGHT,
    SNAPSHOT_JS,
    WIDTH,
    DevTools,
    Page,
    browser_arguments,
    devtools_endpoint,
    open_dashboard,
    run_check,
)
from demo_check import BAD, CheckError, Demo, auth_callback_url, check_alive, ok

PLATFORM = "eg4"
# translation key -> the role it plays in the Energy dashboard's preferences
ENERGY_KEYS = {
    "pv_energy": "solar",
    "battery_charge_energy": "battery_in",
    "battery_discharge_energy": "battery_out",
    "grid_import_energy": "grid_in",
    "grid_export_energy": "grid_out",
}
POWER_KEYS = {"battery_power": "battery_power", "grid_power": "grid_power"}
REGISTRY_WAIT_S = 60
VALIDATE_WAIT_S = 120
STATISTICS_WAIT_S = 180
ENERGY_UNITS = {"Wh": 0.001, "kWh": 1.0, "MWh": 1000.0}
VALUE = re.compile(r"(-?[\d,]+(?:\.(\d+))?)\s*(Wh|kWh|MWh)\b")

# Runs in the page: the energy collection's period and the two cards' values, read from
# their own elements (the distribution card's circles, the sources table's rows).
ENERGY_JS = r"""
(() => {
  const all = [];
  const collect = (node) => {
    for (const child of node.children) {
      all.push(child);
      if (child.shadowRoot) collect(child.shadowRoot);
      collect(child);
    }
  };
  collect(document);
  const text = (el) => (el ? el.textContent.replace(/\s+/g, " ").trim() : null);
  const out = {path: location.pathname, distribution: null, table: null, period: null};
  const ha = document.querySelector("home-assistant");
  const collection = ha && ha.hass && ha.hass.connection._energy_dashboard;
  if (collection && collection.start) {
    out.period = {
      start: collection.start.getTime(),
      end: collection.end ? collection.end.getTime() : null,
    };
  }
  const card = all.find((el) => el.localName === "hui-energy-distribution-card");
  if (card && card.shadowRoot && card.shadowRoot.querySelector(".card-content")) {
    const root = card.shadowRoot;
    out.distribution = {
      solar: text(root.querySelector(".circle-container.solar .circle")),
      battery_in: text(root.querySelector(".battery-in")),
      battery_out: text(root.querySelector(".battery-out")),
      grid_in: text(root.querySelector(".circle-container.grid .consumption")),
      grid_out: text(root.querySelector(".circle-container.grid .return")),
      home: text(root.querySelector(".circle-container.home .circle")),
    };
  }
  const table = all.find((el) => el.localName === "hui-energy-sources-table-card");
  if (table && table.shadowRoot && table.shadowRoot.querySelector("tbody")) {
    out.table = [...table.shadowRoot.querySelectorAll("tbody tr")].map((row) =>
      [...row.children].map((cell) => text(cell)).filter((t) => t)
    );
  }
  return out;
})()
"""


# --- the preferences ------------------------------------------------------------------------


def system_sensors(entities: list[dict[str, Any]], devices: list[dict[str, Any]]) -> dict[str, str]:
    """Role -> entity id of eg4's system-wide energy and power sensors (by translation key).

    The system's device is the eg4 device that the inverters' and batteries' devices sit
    under (``via_device_id``) and that sits under none itself.
    """
    eg4_devices = {
        d["id"]: d
        for d in devices
        if any(identifier[0] == PLATFORM for identifier in d.get("identifiers", []))
    }
    system = {i for i, d in eg4_devices.items() if d.get("via_device_id") is None}
    found: dict[str, str] = {}
    for entity in entities:
        if entity.get("platform") != PLATFORM or entity.get("disabled_by") is not None:
            continue
        if entity.get("device_id") not in system:
            continue
        key = entity.get("translation_key")
        role = ENERGY_KEYS.get(key or "") or POWER_KEYS.get(key or "")
        if role is not None:
            found[role] = entity["entity_id"]
    return found


def energy_preferences(sensors: dict[str, str]) -> dict[str, Any]:
    """The Energy dashboard's sources (``energy/save_prefs``) for the sensors found."""
    sources: list[dict[str, Any]] = []
    if "grid_in" in sensors or "grid_out" in sensors:
        # No price: the keys must be there all the same (HA's price check reads them).
        price = {"entity_energy_price": None, "number_energy_price": None}
        grid: dict[str, Any] = {
            "type": "grid",
            "flow_from": [
                {"stat_energy_from": sensors[role], "stat_cost": None, **price}
                for role in ("grid_in",)
                if role in sensors
            ],
            "flow_to": [
                {"stat_energy_to": sensors[role], "stat_compensation": None, **price}
                for role in ("grid_out",)
                if role in sensors
            ],
            "cost_adjustment_day": 0,
        }
        if "grid_power" in sensors:
            grid["power"] = [{"stat_rate": sensors["grid_power"]}]
        sources.append(grid)
    if "solar" in sensors:
        sources.append({"type": "solar", "stat_energy_from": sensors["solar"]})
    if "battery_in" in sensors and "battery_out" in sensors:
        battery = {
            "type": "battery",
            "stat_energy_from": sensors["battery_out"],
            "stat_energy_to": sensors["battery_in"],
        }
        if "battery_power" in sensors:
            battery["stat_rate"] = sensors["battery_power"]
        sources.append(battery)
    return {"energy_sources": sources, "device_consumption": []}


def statistic_ids(prefs: dict[str, Any]) -> dict[str, str]:
    """Role -> statistic id of the energies in saved preferences."""
    roles: dict[str, str] = {}
    for source in prefs.get("energy_sources", []):
        if source["type"] == "solar":
            roles["solar"] = source["stat_energy_from"]
        elif source["type"] == "battery":
            roles["battery_out"] = source["stat_energy_from"]
            roles["battery_in"] = source["stat_energy_to"]
        elif source["type"] == "grid":
            for flow in source.get("flow_from", [])[:1]:
                roles["grid_in"] = flow["stat_energy_from"]
            for flow in source.get("flow_to", [])[:1]:
                roles["grid_out"] = flow["stat_energy_to"]
    return roles


async def find_sensors(demo: Demo) -> dict[str, str]:
    """eg4's system sensors, once the registry holds at least the battery's and the solar's."""
    deadline = time.monotonic() + REGISTRY_WAIT_S
    while True:
        entities, devices = await demo.ws(
            {"type": "config/entity_registry/list"}, {"type": "config/device_registry/list"}
        )
        sensors = system_sensors(entities, devices)
        if {"battery_in", "battery_out"} <= sensors.keys() or time.monotonic() > deadline:
            return sensors
        await asyncio.sleep(2)


async def setup(args: argparse.Namespace) -> int:
    """Save the Energy dashboard's preferences with eg4's system sensors."""
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
        demo = Demo(session, args.url)
        await demo.login(args.username, args.password)
        sensors = await find_sensors(demo)
        prefs = energy_preferences(sensors)
        if not prefs["energy_sources"]:
            raise CheckError(f"eg4 has no system energy sensors in the registry (found {sensors})")
        await demo.ws({"type": "energy/save_prefs", **prefs})
    kinds = ", ".join(f"{source['type']}" for source in prefs["energy_sources"])
    ok(f"Energy dashboard set up with eg4's system sensors ({kinds}): {sorted(sensors.values())}")
    return 0


async def snapshot(args: argparse.Namespace) -> int:
    """Save the system's energies (entity id -> kWh) to ``--out``."""
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
        demo = Demo(session, args.url)
        await demo.login(args.username, args.password)
        (prefs,) = await demo.ws({"type": "energy/get_prefs"})
        states = await demo.states()
    values = {
        entity_id: float(states[entity_id]["state"])
        for entity_id in statistic_ids(prefs).values()
        if states.get(entity_id, {}).get("state") not in (None, *BAD)
    }
    Path(args.out).write_text(json.dumps(values, indent=2) + "\n", encoding="utf-8")
    ok(f"energies before the restart: {values}")
    return 0


# --- what the page should show --------------------------------------------------------------


def kwh(text: str | None) -> tuple[float, float] | None:
    """A shown energy as (kWh, tolerance of its rounding); None when it shows none."""
    if not text:
        return None
    match = VALUE.search(text.replace("\u2212", "-"))
    if match is None:
        return None
    scale = ENERGY_UNITS[match.group(3)]
    decimals = len(match.group(2) or "")
    value = float(match.group(1).replace(",", "")) * scale
    return value, (0.5 * 10**-decimals + 1e-9) * scale


@dataclass
class Expected:
    """Home Assistant's hourly statistics for the day the page shows: kWh per role."""

    totals: dict[str, float]
    hours: int
    last_moved_ms: float | None = None  # the start of the last hour the battery moved in

    @property
    def battery_moved(self) -> bool:
        """Whether the battery charged or discharged in the period."""
        return self.totals.get("battery_in", 0.0) + self.totals.get("battery_out", 0.0) > 0


def mismatch(what: str, shown: str | None, value: float) -> str | None:
    """Why ``shown`` is not ``value`` kWh to the precision shown (None when it is)."""
    parsed = kwh(shown)
    if parsed is None:
        return f"{what} shows {shown!r}, not an energy ({value:.3f} kWh)"
    if abs(parsed[0] - value) > parsed[1]:
        return f"{what} shows {shown!r}, Home Assistant's statistics {value:.3f} kWh"
    return None


async def statistics(
    demo: Demo, roles: dict[str, str], start_ms: float, end_ms: float | None
) -> Expected:
    """Sum of the hourly changes of each energy over the period (as the dashboard sums them)."""
    message: dict[str, Any] = {
        "type": "recorder/statistics_during_period",
        "start_time": datetime.fromtimestamp(start_ms / 1000, UTC).isoformat(),
        "statistic_ids": sorted(roles.values()),
        "period": "hour",
        "types": ["change"],
        "units": {"energy": "kWh"},
    }
    if end_ms is not None:
        message["end_time"] = datetime.fromtimestamp(end_ms / 1000, UTC).isoformat()
    (stats,) = await demo.ws(message)
    totals = {
        role: sum(row.get("change") or 0.0 for row in stats.get(statistic_id, []))
        for role, statistic_id in roles.items()
    }
    moved = [
        row["start"]
        for role in ("battery_in", "battery_out")
        for row in stats.get(roles.get(role, ""), [])
        if (row.get("change") or 0.0) > 0
    ]
    hours = max((len(rows) for rows in stats.values()), default=0)
    return Expected(totals=totals, hours=hours, last_moved_ms=max(moved, default=None))


def verify(snap: dict[str, Any], page: dict[str, Any], expected: Expected) -> list[str]:
    """The page's values against the statistics; the page's errors."""
    problems = [f"error element on the page: {w}" for w in snap.get("warnings", [])]
    bad = sorted({m.group(0) for t in snap.get("page", []) for m in ERROR_TEXT.finditer(t)})
    if bad:
        problems.append(f"the page shows {bad}")
    if not page.get("path", "").startswith("/energy"):
        return [*problems, f"the page is {page.get('path')}, not /energy (login failed?)"]
    if page.get("distribution") is None or page.get("table") is None:
        return [*problems, "the energy distribution card or the sources table has not rendered"]
    totals = expected.totals
    shown = [
        (f"energy distribution: {role}", page["distribution"].get(role), totals[role])
        for role in ("solar", "battery_in", "battery_out", "grid_in", "grid_out")
        if role in totals
    ]
    rows = {row[0]: row[-1] for row in page["table"] if len(row) >= 2}
    if "solar" in totals:
        shown.append(("sources table: Solar total", rows.get("Solar total"), totals["solar"]))
    battery = totals["battery_out"] - totals["battery_in"]
    shown.append(("sources table: Battery total", rows.get("Battery total"), battery))
    if "grid_in" in totals or "grid_out" in totals:
        grid = totals.get("grid_in", 0.0) - totals.get("grid_out", 0.0)
        shown.append(("sources table: Grid total", rows.get("Grid total"), grid))
    problems.extend(why for why in (mismatch(*item) for item in shown) if why)
    if not expected.battery_moved:
        problems.append(f"the day shown holds no energy of the battery: {totals}")
    return problems


# --- the run --------------------------------------------------------------------------------


async def wait_valid(demo: Demo, roles: dict[str, str], pids: list[tuple[str, int]]) -> None:
    """Until Home Assistant's energy validation reports no issue with eg4's sensors."""
    deadline = time.monotonic() + VALIDATE_WAIT_S
    while True:
        check_alive(pids, "while validating the energy preferences")
        (report,) = await demo.ws({"type": "energy/validate"})
        issues = [issue for source in report.get("energy_sources", []) for issue in source]
        if not issues:
            ok(f"Home Assistant's energy validation reports no issue with {sorted(roles.values())}")
            return
        if time.monotonic() > deadline:
            raise CheckError(f"the energy validation still reports {issues}")
        await asyncio.sleep(2)


def check_restart(before_file: str | None, states: dict[str, dict[str, Any]]) -> None:
    """No energy went backwards across the restart."""
    if not before_file:
        return
    before: dict[str, float] = json.loads(Path(before_file).read_text(encoding="utf-8"))
    after = {
        e: float(states[e]["state"])
        for e in before
        if states.get(e, {}).get("state") not in (None, *BAD)
    }
    lower = {
        e: (v, after.get(e)) for e, v in before.items() if after.get(e) is None or after[e] < v
    }
    if lower:
        raise CheckError(
            f"energies after the restart are missing or lower (before, after): {lower}"
        )
    ok(
        "no energy went backwards across the restart: "
        + ", ".join(f"{e.split('.', 1)[1]} {before[e]:.3f} -> {after[e]:.3f} kWh" for e in before)
    )


async def wait_hours(demo: Demo, roles: dict[str, str], pids: list[tuple[str, int]]) -> Expected:
    """Until the recorder has compiled an hour (of yesterday or today) the battery moved in."""
    deadline = time.monotonic() + STATISTICS_WAIT_S
    start = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    while True:
        check_alive(pids, "while waiting for the hourly statistics")
        expected = await statistics(demo, roles, start.timestamp() * 1000 - 86_400_000, None)
        if expected.battery_moved:
            return expected
        if time.monotonic() > deadline:
            raise CheckError(
                f"no hourly statistics with the battery's energy after {STATISTICS_WAIT_S} s"
                f" ({expected.hours} hours: {expected.totals})"
            )
        await asyncio.sleep(2)


async def read_page(
    page: Page,
    demo: Demo,
    roles: dict[str, str],
    compiled: Expected,
    args: argparse.Namespace,
    pids: list[tuple[str, int]],
) -> tuple[list[str], dict[str, Any], dict[str, Any], Expected | None]:
    """Re-read /energy until its values are the statistics of the day it shows, or time's up."""
    deadline = time.monotonic() + args.timeout
    height = HEIGHT
    expected: Expected | None = None
    turned = False
    while True:
        check_alive(pids, "during the energy check")
        try:
            snap = await page.evaluate(SNAPSHOT_JS) or {}
            shown = await page.evaluate(ENERGY_JS) or {}
        except CheckError as err:
            if page.devtools.closed:
                raise
            snap, shown = {}, {"path": f"(unreadable: {err})"}
        period = shown.get("period")
        if period is None:
            problems = ["the energy data collection has no period yet"]
        else:
            expected = await statistics(demo, roles, period["start"], period["end"])
            problems = verify(snap, shown, expected)
            if not expected.battery_moved and not turned and compiled.last_moved_ms is not None:
                turned = True
                await show_day(page, compiled.last_moved_ms)
                continue
        if not problems:
            bottom = max((c["bottom"] for c in snap.get("cards", [])), default=0)
            fitted = max(600, min(4000, bottom + 16))
            if abs(fitted - height) <= 8:
                return problems, snap, shown, expected
            height = fitted
            await page.viewport(WIDTH, height)
        elif time.monotonic() > deadline:
            return problems, snap, shown, expected
        await asyncio.sleep(0.5)


SHOW_DAY_JS = r"""
(async (at) => {
  const ha = document.querySelector("home-assistant");
  const collection = ha && ha.hass && ha.hass.connection._energy_dashboard;
  if (!collection) return false;
  const start = new Date(at); start.setHours(0, 0, 0, 0);
  const end = new Date(at); end.setHours(23, 59, 59, 999);
  collection.setPeriod(start, end);
  await collection.refresh();
  return true;
})
"""


async def show_day(page: Page, at_ms: float) -> None:
    """Turn the dashboard to the day holding ``at_ms``, through its own period control.

    Only needed just after midnight: the dashboard then opens on yesterday.
    """
    await page.evaluate(f"{SHOW_DAY_JS}({at_ms:.0f})", await_promise=True)


async def check(args: argparse.Namespace) -> int:
    """Restart survived, validation clean, statistics there, /energy shows them."""
    pids = [(name, int(pid)) for name, _, pid in (p.partition("=") for p in args.pid)]
    screenshot = Path(args.screenshot).resolve()
    screenshot.unlink(missing_ok=True)
    async with (
        aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session,
        aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=None, connect=10)) as cdp,
    ):
        demo = Demo(session, args.url)
        await demo.login(args.username, args.password)
        (prefs,) = await demo.ws({"type": "energy/get_prefs"})
        roles = statistic_ids(prefs)
        if not {"battery_in", "battery_out"} <= roles.keys():
            raise CheckError(f"the Energy dashboard has no eg4 battery configured: {prefs}")
        await wait_valid(demo, roles, pids)
        check_restart(args.before, await demo.states())
        compiled = await wait_hours(demo, roles, pids)
        ok(
            f"the recorder compiled {compiled.hours} hour(s) of statistics since yesterday: "
            + ", ".join(f"{role} {value:.3f} kWh" for role, value in compiled.totals.items())
        )
        endpoint = await devtools_endpoint(Path(args.profile), pids, 30)
        devtools = DevTools(await cdp.ws_connect(endpoint, max_msg_size=0))
        try:
            code = await demo.auth_code(args.username, args.password)
            page = await open_dashboard(devtools, auth_callback_url(demo, code, path="energy"))
            problems, snap, shown, expected = await read_page(
                page, demo, roles, compiled, args, pids
            )
            if not problems:
                await page.evaluate("document.fonts.ready.then(() => true)", await_promise=True)
                await asyncio.sleep(1.0)
            await page.screenshot(screenshot)
        finally:
            await devtools.close()
    if problems:
        print(
            f"/energy did not show the statistics within {args.timeout:.0f} s"
            f" (screenshot of what Chromium showed: {screenshot}):",
            file=sys.stderr,
        )
        for problem in problems[:15]:
            print(f"    - {problem}", file=sys.stderr)
        print(f"    shown: {json.dumps(shown)[:600]}", file=sys.stderr)
        for line in devtools.console[:10]:
            print(f"    page {line}", file=sys.stderr)
        raise CheckError("the energy check failed")
    assert expected is not None  # noqa: S101 - set once the page passed
    dist = shown["distribution"]
    ok(
        f"{shown['path']}: energy distribution solar {dist['solar']}, battery in"
        f" {dist['battery_in']} / out {dist['battery_out']}, home {dist['home']}"
        + (f", grid in {dist['grid_in']} / out {dist['grid_out']}" if "grid_in" in roles else "")
    )
    rows = "; ".join(" ".join(row) for row in shown["table"])
    ok(f"sources table: {rows} = Home Assistant's hourly statistics of the day shown")
    ok(f"screenshot: {screenshot}")
    return 0


def main() -> int:
    """Entry point."""
    mode = sys.argv[1] if len(sys.argv) > 1 else ""
    if mode == "check":
        parser = browser_arguments("Check the EG4 demo's Energy dashboard in Chromium")
        parser.add_argument("--screenshot", required=True, help="PNG file to write")
        parser.add_argument("--before", help="the snapshot taken before the restart")
        parser.add_argument("--timeout", type=float, default=90.0, help="seconds to render")
    else:
        parser = argparse.ArgumentParser(description="The EG4 demo's Energy dashboard")
        parser.add_argument("--url", required=True, help="Home Assistant's base URL")
        parser.add_argument("--username", default="demo")
        parser.add_argument("--password", default="demo")
        parser.add_argument("--out", required=mode == "snapshot", help="where the energies go")
    parser.add_argument("mode", choices=("setup", "snapshot", "check"))
    args = parser.parse_args()
    if args.mode == "setup":
        return run_check("demo energy setup", setup(args))
    if args.mode == "snapshot":
        return run_check("demo energy snapshot", snapshot(args))
    return run_check("demo energy check", check(args))


if __name__ == "__main__":
    sys.exit(main())
