"""Open the EG4 demo dashboard in headless Chromium and verify that it renders the bank.

Run with the demo venv's python (aiohttp comes with Home Assistant), against a headless
Chromium that scripts/demo started with ``--remote-debugging-port=0`` and ``--user-data-dir``:

    python scripts/lib/demo_browser.py --url http://127.0.0.1:8123 --profile DIR \
        --screenshot artifacts/dashboard.png [--pid NAME=PID ...]

It logs in the way demo_check.py does and opens the dashboard with a one-time authorization
code (the frontend's own login redirect), driving the page over the Chrome DevTools Protocol
(the browser endpoint Chromium writes to DIR/DevToolsActivePort). Once the Lovelace view has
rendered, it reads the text each card shows, through the shadow roots and only what is
visible, and checks it against Home Assistant's own data:

- every card of the view's YAML (demo/dashboard.yaml) is on the page, and none is an error
  card or shows "not available", "Unavailable", "Unknown" or a configuration error;
- each gauge and entity row shows its name and the entity's current value (numbers to the
  precision shown, with the unit; selects and binary sensors as HA's translated labels);
- the history graph lists its entities, and the markdown card shows its text.

The page is re-read until it passes or ``--timeout`` runs out (values move while the twin
runs, so each reading is compared with the states just before and just after it). Then the
viewport is fitted to the view and a PNG is saved; a failed check still saves the page it saw.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import itertools
import json
import re
import sys
import time
from collections import Counter
from collections.abc import Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import yaml
from demo_check import (
    BAD,
    DASHBOARD,
    DASHBOARD_URL_PATH,
    CheckError,
    Demo,
    auth_callback_url,
    check_alive,
    ok,
)

VIEW_PATH = "bank"
WIDTH = 1400
HEIGHT = 1500
CALL_TIMEOUT = 30  # seconds for one DevTools command
ERROR_TEXT = re.compile(
    r"not available|entity not found|configuration error|invalid config|\bunavailable\b"
    r"|\bunknown\b|connection lost|unable to connect",
    re.IGNORECASE,
)
NUMBER = re.compile(r"-?\d+(?:\.(\d+))?")

# Runs in the page: every visible text, walking shadow roots and following slots as rendered
# (checkVisibility works on the flat tree, so a closed menu's options do not count).
SNAPSHOT_JS = r"""
(() => {
  const SKIP = new Set(["STYLE", "SCRIPT", "TEMPLATE", "NOSCRIPT"]);
  const shown = (el) =>
    el.checkVisibility({checkOpacity: true, checkVisibilityCSS: true}) ||
    getComputedStyle(el).display === "contents";
  const textOf = (root) => {
    const out = [];
    const walk = (node) => {
      if (node.nodeType === Node.TEXT_NODE) {
        const text = node.textContent.replace(/\s+/g, " ").trim();
        if (text) out.push(text);
        return;
      }
      if (node.nodeType === Node.ELEMENT_NODE) {
        if (SKIP.has(node.tagName) || !shown(node)) return;
        if ((node.tagName === "INPUT" || node.tagName === "TEXTAREA") && node.value) {
          out.push(node.value.replace(/\s+/g, " ").trim());
        }
        if (node.shadowRoot) walk(node.shadowRoot);
      }
      for (const child of node.childNodes) walk(child);
    };
    walk(root);
    return out;
  };
  const elements = [];
  const collect = (node) => {
    for (const child of node.children) {
      elements.push(child);
      if (child.shadowRoot) collect(child.shadowRoot);
      collect(child);
    }
  };
  collect(document);
  const cards = elements
    .filter((el) => /^hui-[a-z-]+-card$/.test(el.localName) && shown(el))
    .map((el) => ({
      tag: el.localName,
      text: textOf(el),
      bottom: Math.ceil(el.getBoundingClientRect().bottom),
    }));
  const warnings = elements
    .filter((el) => /^hui-(error-card|warning|warning-element)$/.test(el.localName))
    .map((el) => `${el.localName}: ${textOf(el).join(" ")}`);
  return {
    path: location.pathname,
    cards,
    warnings,
    page: textOf(document.documentElement),
  };
})()
"""


# --- the Chrome DevTools Protocol, over the browser's websocket ---------------------------


class DevTools:
    """A minimal CDP client: commands with ids, events kept for the failure report."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        """Wrap an open websocket to the browser endpoint."""
        self.ws = ws
        self.ids = itertools.count(1)
        self.pending: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self.console: list[str] = []
        self.closed: str | None = None
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for message in self.ws:
            if message.type != aiohttp.WSMsgType.TEXT:
                break
            data = json.loads(message.data)
            if "id" in data:
                future = self.pending.pop(data["id"], None)
                if future is not None and not future.done():
                    future.set_result(data)
            else:
                self._event(data.get("method", ""), data.get("params", {}))
        self.closed = self.closed or "Chromium closed the DevTools connection"
        for future in self.pending.values():
            if not future.done():
                future.set_exception(CheckError(self.closed))
        self.pending.clear()

    def _event(self, method: str, params: dict[str, Any]) -> None:
        if method == "Runtime.exceptionThrown":
            details = params.get("exceptionDetails", {})
            text = details.get("exception", {}).get("description") or details.get("text")
            self.console.append(f"exception: {str(text).splitlines()[0]}")
        elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            args = params.get("args", [])
            text = " ".join(str(a.get("value", a.get("description", ""))) for a in args)
            self.console.append(f"console.{params['type']}: {text.splitlines()[0] if text else ''}")
        elif method in ("Inspector.targetCrashed", "Target.targetCrashed"):
            self.closed = "the page crashed in Chromium"

    async def call(
        self,
        method: str,
        params: dict[str, Any] | None = None,
        *,
        session: str | None = None,
    ) -> dict[str, Any]:
        """Send a command and return its result."""
        if self.closed:
            raise CheckError(self.closed)
        number = next(self.ids)
        message: dict[str, Any] = {"id": number, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self.pending[number] = future
        await self.ws.send_str(json.dumps(message))
        try:
            reply = await asyncio.wait_for(future, CALL_TIMEOUT)
        except TimeoutError:
            self.pending.pop(number, None)
            raise CheckError(f"Chromium did not answer {method} in {CALL_TIMEOUT} s") from None
        if "error" in reply:
            raise CheckError(f"{method}: {reply['error'].get('message', reply['error'])}")
        result: dict[str, Any] = reply.get("result", {})
        return result

    async def close(self) -> None:
        """Close the websocket and stop reading."""
        await self.ws.close()
        self.reader.cancel()
        with contextlib.suppress(asyncio.CancelledError, CheckError):
            await self.reader


class Page:
    """One browser tab, attached over the browser connection (flattened session)."""

    def __init__(self, devtools: DevTools, session: str) -> None:
        """Bind to an attached target session."""
        self.devtools = devtools
        self.session = session

    async def call(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        """A command for this tab."""
        return await self.devtools.call(method, params, session=self.session)

    async def evaluate(self, expression: str, *, await_promise: bool = False) -> Any:
        """The JSON value of a JavaScript expression evaluated in the page."""
        result = await self.call(
            "Runtime.evaluate",
            {"expression": expression, "returnByValue": True, "awaitPromise": await_promise},
        )
        if "exceptionDetails" in result:
            details = result["exceptionDetails"]
            text = details.get("exception", {}).get("description") or details.get("text")
            raise CheckError(f"page script failed: {text}")
        return result.get("result", {}).get("value")

    async def viewport(self, width: int, height: int) -> None:
        """Emulate a desktop window of this size."""
        await self.call(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
        )

    async def screenshot(self, path: Path) -> int:
        """Save a PNG of the viewport; return its size in bytes."""
        result = await self.call("Page.captureScreenshot", {"format": "png"})
        data = base64.b64decode(result["data"])
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        return len(data)


async def devtools_endpoint(profile: Path, pids: list[tuple[str, int]], limit_s: float) -> str:
    """The browser websocket URL, once Chromium has written DevToolsActivePort."""
    port_file = profile / "DevToolsActivePort"
    deadline = time.monotonic() + limit_s
    while True:
        check_alive(pids, "while starting Chromium")
        try:
            lines = port_file.read_text(encoding="utf-8").split()
        except FileNotFoundError:
            lines = []
        if len(lines) >= 2 and lines[0].isdigit():
            return f"ws://127.0.0.1:{lines[0]}{lines[1]}"
        if time.monotonic() > deadline:
            raise CheckError(f"Chromium wrote no {port_file} within {limit_s:.0f} s")
        await asyncio.sleep(0.1)


# --- what the dashboard should show -------------------------------------------------------


@dataclass
class Row:
    """One entity a card shows, under a name."""

    entity_id: str
    name: str | None


@dataclass
class Card:
    """One card of the view, as its YAML describes it."""

    kind: str
    title: str | None = None
    rows: list[Row] = field(default_factory=list)
    content: str | None = None

    @property
    def tag(self) -> str:
        """The custom element Lovelace renders it as."""
        return f"hui-{self.kind}-card"

    @property
    def label(self) -> str:
        """How the report names it."""
        return f"{self.kind} {self.title!r}" if self.title else self.kind


def view_cards(view_path: str = VIEW_PATH) -> list[Card]:
    """Every card (stacks and their children included) of one view of demo/dashboard.yaml."""
    config = yaml.safe_load(DASHBOARD.read_text(encoding="utf-8"))
    view = next((v for v in config["views"] if v.get("path") == view_path), None)
    if view is None:
        raise CheckError(f"{DASHBOARD} has no view with path {view_path!r}")
    cards: list[Card] = []

    def add(card: dict[str, Any]) -> None:
        entry = Card(kind=card["type"], title=card.get("title"))
        if "entity" in card:
            entry.rows.append(Row(card["entity"], card.get("name")))
        for item in card.get("entities", []):
            if isinstance(item, str):
                entry.rows.append(Row(item, None))
            elif "entity" in item:
                entry.rows.append(Row(item["entity"], item.get("name")))
        if entry.kind == "markdown":
            entry.content = card.get("content", "")
        cards.append(entry)
        for child in card.get("cards", []):
            add(child)

    for card in view.get("cards", []):
        add(card)
    return cards


@dataclass
class Expected:
    """Home Assistant's side: states (before and after a reading) and how HA labels them."""

    states: list[dict[str, dict[str, Any]]]
    registry: dict[str, dict[str, Any]]
    translations: dict[str, str]

    def name(self, row: Row) -> str:
        """The name the card shows for a row."""
        if row.name:
            return row.name
        entry = self.registry.get(row.entity_id, {})
        friendly = self.states[0].get(row.entity_id, {}).get("attributes", {})
        return str(entry.get("en") or friendly.get("friendly_name") or row.entity_id)

    def labels(self, entity_id: str) -> list[str]:
        """The text the frontend shows for each candidate state of a non-numeric entity."""
        out = []
        domain = entity_id.split(".", 1)[0]
        entry = self.registry.get(entity_id, {})
        for states in self.states:
            state = states.get(entity_id, {})
            value = str(state.get("state"))
            device_class = state.get("attributes", {}).get("device_class") or "_"
            keys = [
                f"component.{entry.get('pl')}.entity.{domain}.{entry.get('tk')}.state.{value}",
                f"component.{domain}.entity_component.{device_class}.state.{value}",
                f"component.{domain}.entity_component._.state.{value}",
            ]
            out.append(next((self.translations[k] for k in keys if k in self.translations), value))
        return out

    def option_labels(self, entity_id: str) -> list[str]:
        """The labels of every option of a select (empty for other entities)."""
        entry = self.registry.get(entity_id, {})
        domain = entity_id.split(".", 1)[0]
        options = self.states[-1].get(entity_id, {}).get("attributes", {}).get("options", [])
        prefix = f"component.{entry.get('pl')}.entity.{domain}.{entry.get('tk')}.state."
        return [self.translations.get(prefix + str(o), str(o)) for o in options]


def _numeric(states: list[dict[str, dict[str, Any]]], entity_id: str) -> list[float] | None:
    try:
        return [float(s[entity_id]["state"]) for s in states]
    except (KeyError, ValueError):
        return None


def check_value(expected: Expected, entity_id: str, shown: list[str]) -> str | None:
    """Why the text shown for an entity is not its state (None when it is)."""
    if not shown:
        return "shows no value"
    text = " ".join(shown)
    current = [s.get(entity_id, {}).get("state") for s in expected.states]
    if any(value in (None, *BAD) for value in current):
        return f"has no value in Home Assistant ({current[-1]})"
    numbers = _numeric(expected.states, entity_id)
    if numbers is None:
        labels = expected.labels(entity_id)
        if shown[0] not in labels:
            return f"shows {shown[0]!r}, HA's state is {labels[-1]!r}"
        others = set(expected.option_labels(entity_id)) - set(labels)
        if others & set(shown):
            return f"also shows other options {sorted(others & set(shown))} (an open menu?)"
        return None
    match = NUMBER.search(re.sub(r"(?<=\d),(?=\d{3}\b)", "", text))
    if match is None:
        return f"shows {text!r}, no number (HA: {numbers[-1]:g})"
    decimals = len(match.group(1) or "")
    tolerance = 0.5 * 10**-decimals + 1e-9
    if not any(abs(float(match.group(0)) - n) <= tolerance for n in numbers):
        return f"shows {text!r}, HA's state is {numbers[-1]:g}"
    unit = expected.states[-1][entity_id].get("attributes", {}).get("unit_of_measurement")
    # The frontend writes some units apart ("53.2 V") and % attached ("26%").
    if unit and not any(token == unit or token.endswith(unit) for token in text.split()):
        return f"shows {text!r} without its unit {unit}"
    return None


def _segments(card: Card, names: list[str], text: list[str]) -> dict[str, list[str]]:
    """The text shown with each row name: a gauge's own text, else what follows the name."""
    if card.kind == "gauge":
        return {names[0]: [t for t in text if t != names[0]]} if names[0] in text else {}
    at = {name: text.index(name) for name in names if name in text}
    ordered = sorted(at.values())
    out = {}
    for name, start in at.items():
        end = next((i for i in ordered if i > start), len(text))
        out[name] = text[start + 1 : end]
    return out


def _plain(text: str) -> str:
    return " ".join(re.sub(r"[*_#`>]", "", text).split())


@dataclass
class Reading:
    """The outcome of one reading of the page."""

    problems: list[str] = field(default_factory=list)
    report: list[str] = field(default_factory=list)
    bottom: int = 0


def verify(cards: list[Card], snap: dict[str, Any], expected: Expected) -> Reading:
    """Compare one page snapshot with the view's YAML and HA's states."""
    reading = Reading()
    problems = reading.problems
    want_path = f"/{DASHBOARD_URL_PATH}/{VIEW_PATH}"
    if snap.get("path") != want_path:
        problems.append(f"the page is {snap.get('path')}, not {want_path} (login failed?)")
        return reading
    rendered: list[dict[str, Any]] = snap.get("cards", [])
    missing = Counter(c.tag for c in cards) - Counter(c["tag"] for c in rendered)
    if missing:
        problems.append(f"cards not rendered yet: {dict(missing)}")
    problems.extend(f"error element on the page: {w}" for w in snap.get("warnings", []))
    bad = sorted({m.group(0) for t in snap.get("page", []) for m in ERROR_TEXT.finditer(t)})
    if bad:
        problems.append(f"the page shows {bad}")
    reading.bottom = max((c["bottom"] for c in rendered), default=0)

    used: set[int] = set()
    for card in cards:
        names = [expected.name(row) for row in card.rows]
        wanted = [n for n in (card.title, *names) if n]
        found = next(
            (
                i
                for i, c in enumerate(rendered)
                if i not in used and c["tag"] == card.tag and all(w in c["text"] for w in wanted)
            ),
            None,
        )
        if found is None:
            if not missing:
                problems.append(f"no {card.label} card shows {wanted}")
            continue
        used.add(found)
        check_card(card, names, rendered[found]["text"], expected, reading)
    return reading


def check_card(
    card: Card, names: list[str], text: list[str], expected: Expected, reading: Reading
) -> None:
    """One rendered card against its YAML: its text, or each row's value."""
    if card.kind == "markdown":
        shown, written = _plain(" ".join(text)), _plain(card.content or "")
        if not written or not shown.startswith(written[:40]):
            reading.problems.append(f"markdown card shows {shown[:60]!r}, not {written[:40]!r}")
        else:
            reading.report.append(f"markdown card: {shown[:40]!r}...")
        return
    if card.kind == "history-graph":
        reading.report.append(f"history graph {card.title!r} lists {', '.join(names)}")
        return
    if not card.rows:
        return
    segments = _segments(card, names, text)
    shown_rows = []
    for row, name in zip(card.rows, names, strict=True):
        why = check_value(expected, row.entity_id, segments.get(name, []))
        if why:
            reading.problems.append(f"{card.label}: {name} ({row.entity_id}) {why}")
        shown_rows.append(f"{name} {' '.join(segments.get(name, []))}")
    if card.kind == "gauge":
        reading.report.append(f"gauge {shown_rows[0]}")
    else:
        reading.report.append(f"{card.label}: " + ", ".join(shown_rows))


def _summary(report: list[str]) -> list[str]:
    """The report, with the gauges on one line."""
    gauges = [line.removeprefix("gauge ") for line in report if line.startswith("gauge ")]
    rest = [line for line in report if not line.startswith("gauge ")]
    if gauges:
        rest.insert(0, f"{len(gauges)} pack gauges: " + ", ".join(gauges))
    return rest


# --- the run --------------------------------------------------------------------------------


async def expected_data(demo: Demo) -> Expected:
    """Registry entries (names, translation keys) and the labels the frontend uses."""
    registry, entity, component = await demo.ws(
        {"type": "config/entity_registry/list_for_display"},
        {"type": "frontend/get_translations", "language": "en", "category": "entity"},
        {"type": "frontend/get_translations", "language": "en", "category": "entity_component"},
    )
    return Expected(
        states=[],
        registry={e["ei"]: e for e in registry["entities"]},
        translations={**entity["resources"], **component["resources"]},
    )


async def open_dashboard(devtools: DevTools, url: str) -> Page:
    """A new tab with the desktop viewport, navigated to the dashboard."""
    target = await devtools.call("Target.createTarget", {"url": "about:blank"})
    attached = await devtools.call(
        "Target.attachToTarget", {"targetId": target["targetId"], "flatten": True}
    )
    page = Page(devtools, attached["sessionId"])
    await page.call("Runtime.enable")
    await page.call("Page.enable")
    await page.viewport(WIDTH, HEIGHT)
    navigated = await page.call("Page.navigate", {"url": url})
    if navigated.get("errorText"):
        raise CheckError(f"Chromium could not open the dashboard: {navigated['errorText']}")
    return page


async def read_until_rendered(
    page: Page,
    demo: Demo,
    expected: Expected,
    args: argparse.Namespace,
    pids: list[tuple[str, int]],
) -> tuple[Reading, dict[str, Any]]:
    """Re-read the page until it passes (fitting the viewport on the way) or time runs out."""
    cards = view_cards()
    deadline = time.monotonic() + args.timeout
    height = HEIGHT
    while True:
        check_alive(pids, "during the browser check")
        before = await demo.states()
        try:
            snap = await page.evaluate(SNAPSHOT_JS) or {}
        except CheckError as err:  # e.g. the page is between documents while it logs in
            if page.devtools.closed:
                raise
            snap = {"path": f"(unreadable: {err})"}
        expected.states = [before, await demo.states()]
        reading = verify(cards, snap, expected)
        if not reading.problems:
            fitted = max(600, min(4000, reading.bottom + 16))
            if abs(fitted - height) <= 8:
                return reading, snap
            height = fitted
            await page.viewport(WIDTH, height)
        elif time.monotonic() > deadline:
            return reading, snap
        await asyncio.sleep(0.5)


def _dump(snap: dict[str, Any]) -> None:
    for card in snap.get("cards", []):
        print(f"    {card['tag']}: {' | '.join(card['text'])[:400]}", file=sys.stderr)


async def run(args: argparse.Namespace) -> int:
    """Open, verify, screenshot."""
    pids = [(name, int(pid)) for name, _, pid in (p.partition("=") for p in args.pid)]
    screenshot = Path(args.screenshot).resolve()
    screenshot.unlink(missing_ok=True)
    started = time.monotonic()
    async with (
        aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session,
        aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=None, connect=10)) as cdp,
    ):
        demo = Demo(session, args.url)
        await demo.login(args.username, args.password)
        expected = await expected_data(demo)
        endpoint = await devtools_endpoint(Path(args.profile), pids, 30)
        devtools = DevTools(await cdp.ws_connect(endpoint, max_msg_size=0))
        try:
            version = (await devtools.call("Browser.getVersion"))["product"]
            code = await demo.auth_code(args.username, args.password)
            page = await open_dashboard(devtools, auth_callback_url(demo, code, VIEW_PATH))
            reading, snap = await read_until_rendered(page, demo, expected, args, pids)
            rendered_s = time.monotonic() - started
            if not reading.problems:
                # Let the gauges' arcs finish their animation and the fonts load.
                await page.evaluate("document.fonts.ready.then(() => true)", await_promise=True)
                await asyncio.sleep(1.0)
            size = await page.screenshot(screenshot)
            width, height = await page.evaluate("[innerWidth, innerHeight]")
        finally:
            await devtools.close()
    if reading.problems:
        print(
            f"the dashboard did not render as expected within {args.timeout:.0f} s"
            f" (screenshot of what Chromium showed: {screenshot}):",
            file=sys.stderr,
        )
        for problem in reading.problems[:20]:
            print(f"    - {problem}", file=sys.stderr)
        _dump(snap)
        for line in devtools.console[:10]:
            print(f"    page {line}", file=sys.stderr)
        raise CheckError("the browser check failed")
    cards = len(snap.get("cards", []))
    ok(
        f"{version} (headless) opened /{DASHBOARD_URL_PATH}/{VIEW_PATH} logged in as"
        f" {args.username}; the view rendered {cards} cards in {rendered_s:.1f} s"
    )
    for line in _summary(reading.report):
        ok(line)
    ok(
        "every value is HA's current state; no error card, no 'not available',"
        " 'Unavailable' or 'Unknown' on the page"
    )
    ok(f"screenshot {width}x{height}: {screenshot} ({size // 1024} KiB)")
    return 0


def browser_arguments(description: str) -> argparse.ArgumentParser:
    """The arguments every browser check takes: where Home Assistant is, who logs in, Chromium."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--url", required=True, help="Home Assistant's base URL")
    parser.add_argument("--profile", required=True, help="Chromium's --user-data-dir")
    parser.add_argument("--username", default="demo")
    parser.add_argument("--password", default="demo")
    parser.add_argument("--pid", action="append", default=[], metavar="NAME=PID")
    return parser


def run_check(name: str, check: Coroutine[Any, Any, int]) -> int:
    """Run a browser check; its failure is one line on stderr and exit status 1."""
    try:
        return asyncio.run(check)
    except CheckError as err:
        print(f"{name} failed: {err}", file=sys.stderr)
        return 1
    except (aiohttp.ClientError, OSError) as err:
        print(f"{name} failed: {type(err).__name__}: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


def main() -> int:
    """Entry point."""
    parser = browser_arguments("Check the EG4 demo dashboard in Chromium")
    parser.add_argument("--screenshot", required=True, help="PNG file to write")
    parser.add_argument("--timeout", type=float, default=90.0, help="seconds to render")
    return run_check("demo browser check", run(parser.parse_args()))


if __name__ == "__main__":
    sys.exit(main())
